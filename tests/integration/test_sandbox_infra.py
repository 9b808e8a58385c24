"""The sandbox's own infrastructure against real RabbitMQ, PostgreSQL and git."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import tomllib
import uuid
from pathlib import Path

import pika
import pytest
import sqlalchemy as sa

from sandbox.broker import RabbitMQ
from sandbox.distgit import DistGit
from sandbox.fmconf import write_fm_conf
from sandbox.packager import Packager
from sandbox.ports import free_port, port_is_free
from sandbox.postgres import PostgreSQL
from sandbox.processes import ProcessError, Supervisor

pytestmark = pytest.mark.integration

PREFIX = "org.fedoraproject.sandbox"


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def publish(topic: str, body: dict, patience: float = 0) -> str:
    """Publish with the in-process publisher; retry the same message for ``patience`` seconds."""
    from fedora_messaging import api
    from fedora_messaging.exceptions import PublishTimeout
    from fedora_messaging.message import Message

    msg = Message(topic=topic, body=body)
    deadline = time.monotonic() + patience
    while True:
        try:
            api.publish(msg, timeout=20)
            return msg.id
        except PublishTimeout:
            # fedora-messaging's reconnecting factory backs off exponentially, so the
            # first attempt after a slow broker restart can outlast one publish timeout;
            # the outbox relay retries the same way (the row stays unsent).
            if time.monotonic() > deadline:
                raise


# -- RabbitMQ -------------------------------------------------------------------------


def test_broker_listens_on_loopback_only(rabbitmq: RabbitMQ) -> None:
    assert rabbitmq.url == f"amqp://guest:guest@127.0.0.1:{rabbitmq.port}/%2F"
    assert not port_is_free(rabbitmq.port)
    listeners = rabbitmq.ctl("eval", "rabbit_networking:active_listeners().")
    assert listeners.returncode == 0, listeners.stderr
    assert "{127,0,0,1}" in listeners.stdout
    assert "{0,0,0,0}" not in listeners.stdout


def test_fedora_messaging_publish_reaches_bound_durable_queue(fm_publisher: Path, amqp) -> None:
    queue = unique("it-publish")
    amqp.declare(queue, [f"{PREFIX}.conveyor.test.#"])
    msg_id = publish("conveyor.test.hello", {"hello": "world", "n": 1})
    publish("conveyor.other", {"must": "not arrive"})
    got = amqp.get(queue, n=1)
    assert len(got) == 1
    assert got[0].routing_key == f"{PREFIX}.conveyor.test.hello"
    assert got[0].body == {"hello": "world", "n": 1}
    assert got[0].message_id == msg_id
    assert amqp.count(queue) == 0
    amqp.delete(queue)


def test_broker_restart_keeps_durable_messages(
    rabbitmq: RabbitMQ, fm_publisher: Path, amqp
) -> None:
    queue = unique("it-restart")
    amqp.declare(queue, [f"{PREFIX}.conveyor.restart.#"])
    msg_id = publish("conveyor.restart.before", {"kept": True})
    assert amqp.count(queue) == 1
    port = rabbitmq.port
    rabbitmq.restart()
    print(f"broker restarted in {rabbitmq.start_seconds:.1f}s")
    assert rabbitmq.port == port
    assert amqp.count(queue) == 1
    # the in-process publisher reconnects to the restarted broker
    publish("conveyor.restart.after", {"kept": "too"}, patience=120)
    got = amqp.get(queue, n=2)
    assert [(m.message_id == msg_id, m.body) for m in got] == [
        (True, {"kept": True}),
        (False, {"kept": "too"}),
    ]
    amqp.delete(queue)


def test_two_brokers_coexist(rabbitmq: RabbitMQ, sandbox_dir: Path, amqp) -> None:
    other = RabbitMQ(sandbox_dir / unique("second-broker"))
    with other:
        assert other.nodename != rabbitmq.nodename
        assert other.epmd_port != rabbitmq.epmd_port
        assert other.dist_port != rabbitmq.dist_port
        queue = unique("it-second")
        watcher = type(amqp)(other.url)
        watcher.declare(queue, ["x.y"])
        assert watcher.count(queue) == 0
        with pytest.raises(pika.exceptions.ChannelClosedByBroker):
            amqp.count(queue)  # a different broker: the queue is not there
    assert not port_is_free(rabbitmq.port)
    # stopping the second broker left the first one (and its epmd) alone
    status = rabbitmq.ctl("status")
    assert status.returncode == 0, status.stderr
    assert port_is_free(other.port)
    assert port_is_free(other.epmd_port)


# -- fedora-messaging configuration -----------------------------------------------------


def test_fm_conf_is_accepted_by_fedora_messaging(tmp_path: Path) -> None:
    from fedora_messaging import config

    path = write_fm_conf(
        tmp_path / "c.toml",
        "amqp://guest:guest@127.0.0.1:1/%2F",
        queue="conveyor.distgit",
        bindings=["#.pagure.git.receive", "#.git.receive"],
        consumer_config={"settings": 'C:\\x "quoted"\n', "nested": {"a.b": [1, 2]}},
        callback="consumers.distgit:Consumer",
    )
    raw = tomllib.loads(path.read_text())
    assert raw["consumer_config"] == {"settings": 'C:\\x "quoted"\n', "nested": {"a.b": [1, 2]}}
    conf = config.LazyConfig().load_config(str(path))
    assert conf["queues"]["conveyor.distgit"]["durable"] is True
    assert conf["queues"]["conveyor.distgit"]["auto_delete"] is False
    assert conf["bindings"] == [
        {
            "queue": "conveyor.distgit",
            "exchange": "amq.topic",
            "routing_keys": ["#.pagure.git.receive", "#.git.receive"],
        }
    ]
    assert conf["topic_prefix"] == PREFIX
    assert conf["log_config"]["handlers"]["console"]["stream"] == "ext://sys.stderr"


# -- PostgreSQL -----------------------------------------------------------------------


def test_postgres_url_serves_sqlalchemy_with_committed_visibility(postgres: PostgreSQL) -> None:
    url = postgres.create_database("conveyor_it_" + uuid.uuid4().hex[:8])
    assert url.startswith(f"postgresql+psycopg://postgres@127.0.0.1:{postgres.port}/")
    assert postgres.create_database(url.rsplit("/", 1)[1]) == url  # idempotent
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE items (id serial PRIMARY KEY, name text)"))
            addr = conn.execute(sa.text("SELECT host(inet_server_addr())")).scalar_one()
            assert addr == "127.0.0.1"
        with engine.connect() as writer, engine.connect() as reader:
            writer.execute(sa.text("INSERT INTO items (name) VALUES ('a')"))
            assert reader.execute(sa.text("SELECT count(*) FROM items")).scalar_one() == 0
            writer.commit()
            assert reader.execute(sa.text("SELECT name FROM items")).scalars().all() == ["a"]
    finally:
        engine.dispose()
    listen = postgres.psql("SHOW listen_addresses").strip()
    assert listen == "127.0.0.1"


# -- dist-git -------------------------------------------------------------------------


def test_git_push_publishes_pagure_git_receive(fm_conf_factory, amqp, sandbox_dir: Path) -> None:
    queue = unique("it-distgit")
    amqp.declare(queue, ["#.pagure.git.receive"])
    root = sandbox_dir / unique("distgit")
    distgit = DistGit(root, fm_conf_factory("distgit-hook"))
    packager = Packager(distgit, sandbox_dir / unique("packager"))
    name = unique("hello")

    created = packager.create_package(name, version="1.0", branches=("rawhide", "f40"))
    assert created["rawhide"] == created["f40"]
    first = amqp.get(queue, n=2)
    assert [m.body["branch"] for m in first] == ["rawhide", "f40"]
    new_branch = first[0].body
    assert new_branch["old_commit"] == "0" * 40
    assert new_branch["end_commit"] == created["rawhide"]
    assert new_branch["total_commits"] == 1
    assert new_branch["changed_files"] == {f"{name}.spec": "A", "sources": "A"}

    began = time.monotonic()
    sha = packager.commit_and_push(name, "rawhide", version="1.1", pusher="alice")
    push_seconds = time.monotonic() - began
    got = amqp.get(queue, n=1)
    assert len(got) == 1, packager.last_push_output
    msg = got[0]
    assert msg.routing_key == f"{PREFIX}.pagure.git.receive"
    body = msg.body
    assert body["agent"] == "alice"
    assert body["repo"]["namespace"] == "rpms"
    assert body["repo"]["name"] == name
    assert body["repo"]["fullname"] == f"rpms/{name}"
    assert body["repo"]["full_url"] == f"file://{root}/rpms/{name}.git"
    assert body["repo"]["parent"] is None
    assert body["branch"] == "rawhide"
    assert body["end_commit"] == sha == body["start_commit"]
    assert body["old_commit"] == created["rawhide"]
    assert body["total_commits"] == 1
    assert body["forced"] is False
    assert body["changed_files"] == {f"{name}.spec": "M"}
    assert body["authors"][0]["fullname"] == "Sandbox Packager"
    assert "Version:        1.1" in packager.spec_path(name).read_text()
    print(f"git push with the publishing hook took {push_seconds:.2f}s")

    # a forced push (rewrite the last commit) is flagged as such
    clone = packager.clone_dir(name)
    packager.git(clone, "commit", "--quiet", "--amend", "-m", "Update to 1.1 (reworded)")
    rewritten = packager.push(name, "rawhide", pusher="bob", force=True)
    forced = amqp.get(queue, n=1)[0].body
    assert (forced["forced"], forced["agent"], forced["end_commit"]) == (True, "bob", rewritten)
    assert distgit.ls_remote("rpms", name)["refs/heads/rawhide"] == rewritten
    assert amqp.count(queue) == 0
    amqp.delete(queue)


def test_push_succeeds_when_broker_is_unreachable(sandbox_dir: Path) -> None:
    dead = write_fm_conf(
        sandbox_dir / unique("dead") / "fm.toml", f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    )
    distgit = DistGit(sandbox_dir / unique("distgit-dead"), dead)
    packager = Packager(distgit, sandbox_dir / unique("packager-dead"))
    name = unique("orphan")
    shas = packager.create_package(name)
    assert distgit.ls_remote("rpms", name)["refs/heads/rawhide"] == shas["rawhide"]
    assert "publishing pagure.git.receive failed" in packager.last_push_output


# -- Supervisor -----------------------------------------------------------------------

CHILD = """
import os, subprocess, sys, time
from pathlib import Path
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
Path(sys.argv[2]).write_text(str(grandchild.pid))
print("child up", os.getpid(), flush=True)
Path(sys.argv[1]).write_text("ready")
time.sleep(600)
"""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): look at its state
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_supervisor_starts_kills_and_restarts_children(tmp_path: Path) -> None:
    ready, grandchild_file = tmp_path / "ready", tmp_path / "grandchild"
    argv = [sys.executable, "-c", CHILD, str(ready), str(grandchild_file)]
    with Supervisor(tmp_path / "logs") as sup:
        proc = sup.start("worker", argv, env={"CHILD_FLAG": "1"}, ready_file=ready)
        assert sup.alive("worker")
        assert os.getpgid(proc.pid) == proc.pid  # its own process group
        first_pid, grandchild = proc.pid, int(grandchild_file.read_text())
        assert pid_alive(grandchild)

        assert sup.kill("worker") == -signal.SIGKILL
        assert not sup.alive("worker")
        deadline = time.monotonic() + 5
        while pid_alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pid_alive(grandchild)  # the whole group died

        sup.restart("worker")
        assert sup.alive("worker") and proc.pid != first_pid
        assert ready.exists()
        assert len(re.findall(r"(?m)^child up \d+$", sup.log_text("worker"))) == 2
        assert sup.stop("worker") == -signal.SIGTERM
        assert not sup.alive("worker")

        with pytest.raises(ProcessError, match="exited"):
            sup.start("broken", [sys.executable, "-c", "raise SystemExit(3)"], ready_file=ready)
        assert sup.get("broken").returncode == 3

        sup.start("stubborn", [sys.executable, "-c", STUBBORN])
        assert sup.wait_for_log("stubborn", "ignoring TERM")
        began = time.monotonic()
        assert sup.stop("stubborn", timeout=1) == -signal.SIGKILL
        assert time.monotonic() - began < 5


STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring", "TERM", flush=True)
time.sleep(600)
"""
