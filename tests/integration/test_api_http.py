"""The REST contract over real HTTP, response code by response code.

The API runs in werkzeug's server on a free loopback port; the database is a
migrated SQLite file; dist-git is real bare repositories made with plain git.
A small WSGI wrapper stands in for httpd: it turns the test's X-Test-User /
X-Test-Groups headers into REMOTE_USER / OIDC_CLAIM_groups, as
mod_auth_gssapi or mod_auth_openidc would. No broker is needed.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from api.app import create_app
from api.auth import ProxyHeaders
from conveyor.db import SessionFactory, make_session_factory
from conveyor.settings import Settings, parse
from models.component_build import ComponentBuild
from models.migrations import upgrade
from models.module_build import TOPIC, ModuleBuild, submit
from models.module_build_transition import ModuleBuildTransition
from models.outbox import OutboxMessage
from tests.wsgi import serve

pytestmark = pytest.mark.integration

TOKEN = "s3cret-token"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ZERO = "0" * 40

MODULEMD = """\
document: modulemd
version: 2
data:
  summary: A test module
  description: A module that exercises the REST API.
  license:
    module: [MIT]
  dependencies:
    - buildrequires:
        platform: [f39]
      requires:
        platform: [f39]
  components:
    rpms:
      foo:
        rationale: the main package
        ref: main
        buildorder: 1
      bar:
        rationale: what foo needs
        ref: f39
"""


def _git(*args: str, cwd: Path | None = None, date: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Packager",
        "GIT_AUTHOR_EMAIL": "packager@example.org",
        "GIT_COMMITTER_NAME": "Packager",
        "GIT_COMMITTER_EMAIL": "packager@example.org",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


class DistGit:
    """Bare repositories under <root>/<namespace>/<name>.git, as dist-git lays them out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()
        self.commits = 0

    def push(self, namespace: str, name: str, files: dict[str, str], branch: str) -> str:
        """A new commit holding ``files`` becomes ``branch`` (forced); returns its hash."""
        bare = self.root / namespace / f"{name}.git"
        if not bare.exists():
            _git("init", "--bare", "-q", "-b", "main", str(bare))
        self.commits += 1  # distinct commit times, so distinct module versions
        work = self.root / "work" / f"{namespace}-{name}-{self.commits}"
        work.mkdir(parents=True)
        _git("init", "-q", "-b", branch, cwd=work)
        for path, text in files.items():
            (work / path).write_text(text, encoding="utf-8")
        _git("add", "-A", cwd=work)
        date = f"2024-01-01T00:{self.commits // 60:02d}:{self.commits % 60:02d}+00:00"
        _git("commit", "-q", "-m", f"commit {self.commits}", cwd=work, date=date)
        _git("push", "-q", "--force", str(bare), f"HEAD:refs/heads/{branch}", cwd=work)
        return _git("rev-parse", "HEAD", cwd=work)

    def branch(self, namespace: str, name: str, commit: str, branch: str) -> None:
        bare = self.root / namespace / f"{name}.git"
        _git("update-ref", f"refs/heads/{branch}", commit, cwd=bare)

    def module(self, name: str, text: str = MODULEMD, branch: str = "main") -> str:
        """Push modules/<name> and return its MBS-style SCM URL at the new commit."""
        commit = self.push("modules", name, {f"{name}.yaml": text}, branch)
        return f"git+{self.url}/modules/{name}.git?#{commit}"


class FakeFrontProxy:
    """Stands in for httpd: its own authentication headers become the environ keys."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Any) -> Any:
        user = environ.pop("HTTP_X_TEST_USER", None)
        groups = environ.pop("HTTP_X_TEST_GROUPS", None)
        if user:
            environ["REMOTE_USER"] = user
        if groups:
            environ["OIDC_CLAIM_groups"] = groups
        return self.app(environ, start_response)


@dataclass
class Env:
    base: str
    settings: Settings
    factory: SessionFactory
    distgit: DistGit

    def url(self, path: str = "") -> str:
        return f"{self.base}/rida/module-builds/{path}"

    def post(self, body: Any, user: str | None = "alice", **kwargs: Any) -> requests.Response:
        return requests.post(self.url(), json=body, headers=as_user(user), timeout=60, **kwargs)

    def patch(self, build_id: int, body: Any, user: str | None = "alice") -> requests.Response:
        return requests.patch(self.url(str(build_id)), json=body, headers=as_user(user), timeout=30)

    def get(self, path: str = "", **params: Any) -> requests.Response:
        return requests.get(self.url(path), params=params, timeout=30)

    def build(self, build_id: int) -> ModuleBuild:
        with self.factory() as session:
            build = session.get(ModuleBuild, build_id)
            assert build is not None
            return build


def as_user(user: str | None, groups: str | None = None) -> dict[str, str]:
    headers = {"X-Test-User": user} if user else {}
    if groups:
        headers["X-Test-Groups"] = groups
    return headers


def make_settings(tmp_path: Path, distgit: DistGit) -> Settings:
    return parse(
        {
            "database_url": f"sqlite:///{tmp_path / 'api.sqlite'}",
            "distgit": {"base_url": distgit.url, "allowed_scm_hosts": ["localhost"]},
            "modules": {"git_timeout": 30.0},
            "api": {
                "allowed_users": ["alice", "bob", "tokenbot"],
                "allowed_groups": ["packagers"],
                "admins": ["boss"],
                "token": TOKEN,
                "token_user": "tokenbot",
                "page_size": 5,
            },
        },
        env={},
    )


def make_distgit(root: Path) -> DistGit:
    """rpms/foo (branch main) and rpms/bar (branches f39 and main): what MODULEMD names."""
    distgit = DistGit(root)
    for package, branches in {"foo": ["main"], "bar": ["f39", "main"]}.items():
        spec = {f"{package}.spec": f"Name: {package}\n"}
        commit = distgit.push("rpms", package, spec, branches[0])
        for other in branches[1:]:
            distgit.branch("rpms", package, commit, other)
    return distgit


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    distgit = make_distgit(tmp_path / "distgit")
    settings = make_settings(tmp_path, distgit)
    upgrade(settings.database_url)
    factory = make_session_factory(settings.database_url)
    with serve(FakeFrontProxy(create_app(settings, factory))) as base:
        yield Env(base, settings, factory, distgit)
    factory.kw["bind"].dispose()


def assert_error(response: requests.Response, status: int, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    for fragment in fragments:
        assert fragment in body["message"], body
    return body


def walk(session: Any, build: ModuleBuild, state: str) -> None:
    """Move a build to ``state`` along the model's own transitions."""
    path = {
        "init": [],
        "wait": ["wait"],
        "build": ["wait", "build"],
        "failed": ["failed"],
        "done": ["wait", "build", "done"],
        "ready": ["wait", "build", "done", "ready"],
    }
    for to in path[state]:
        if to == "build":
            build.koji_tag = build.tag_name()
        build.transition(session, to, cause="test", reason=f"test moved it to {to}")


def seed(
    env: Env, name: str, *, stream: str = "main", owner: str = "alice", state: str = "init"
) -> int:
    with env.factory.begin() as session:
        build = submit(
            session,
            name=name,
            stream=stream,
            version=20240101000000,
            scmurl=f"git+https://src.example.org/modules/{name}.git?#{ZERO}",
            commit=ZERO,
            owner=owner,
            modulemd=MODULEMD,
            cause="test",
        ).module_build
        walk(session, build, state)
        return build.id


def count_builds(env: Env) -> int:
    with env.factory() as session:
        return len(session.scalars(select(ModuleBuild.id)).all())


# --- 201 -------------------------------------------------------------------------------------


def test_post_creates_a_build_in_init_and_announces_it(env: Env) -> None:
    scmurl = env.distgit.module("testmod")
    response = env.post({"scmurl": scmurl})
    assert response.status_code == 201, response.text
    body = response.json()
    build_id = body["id"]
    assert body["state"] == "init" and body["state_name"] == "init"
    assert (body["name"], body["stream"], body["owner"]) == ("testmod", "main", "alice")
    # the commit time, MBS's way (the fixture's rpms took the first two commit seconds)
    assert body["version"] == f"202401010000{env.distgit.commits:02d}" == "20240101000003"
    assert body["outcome"] == "created"
    assert ISO_Z.fullmatch(body["time_submitted"]) and body["time_completed"] is None
    assert response.headers["Location"].endswith(f"/rida/module-builds/{build_id}")
    build = env.build(build_id)
    assert (build.state, build.owner) == ("init", "alice")
    assert build.commit == scmurl.rsplit("#", 1)[1]
    with env.factory() as session:
        outbox = session.scalars(select(OutboxMessage)).all()
        trace = session.scalars(select(ModuleBuildTransition)).all()
    assert [(m.topic, m.body["module_build"]["id"], m.body["new"]) for m in outbox] == [
        (TOPIC, build_id, "init")
    ]
    assert [(t.to_state, t.cause) for t in trace] == [("init", "api:alice")]
    shown = env.get(str(build_id)).json()
    assert (shown["id"], shown["state"], shown["scmurl"]) == (build_id, "init", build.scmurl)


def test_branch_names_the_stream_when_several_branches_hold_the_commit(env: Env) -> None:
    scmurl = env.distgit.module("twobranch")
    env.distgit.branch("modules", "twobranch", scmurl.rsplit("#", 1)[1], "f39")
    body = assert_error(env.post({"scmurl": scmurl}), 422, "stream")
    assert any("stream" in reason for reason in body["reasons"])
    response = env.post({"scmurl": scmurl, "branch": "f39"})
    assert response.status_code == 201, response.text
    assert response.json()["stream"] == "f39"


def test_token_and_group_members_may_submit(env: Env) -> None:
    by_token = requests.post(
        env.url(),
        json={"scmurl": env.distgit.module("tokmod")},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert by_token.status_code == 201, by_token.text
    assert by_token.json()["owner"] == "tokenbot"
    by_group = requests.post(
        env.url(),
        json={"scmurl": env.distgit.module("grpmod")},
        headers=as_user("gina", "users,packagers"),
        timeout=60,
    )
    assert by_group.status_code == 201, by_group.text
    assert env.build(by_group.json()["id"]).owner == "gina"


# --- 400 401 403 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"data": "{not json"}, "not valid JSON"),
        ({"json": ["scmurl"]}, "JSON object"),
        ({"json": {}}, "missing field(s): scmurl"),
        ({"json": {"scmurl": "x", "owner": "eve"}}, "unknown field(s): owner"),
        ({"json": {"scmurl": 42}}, "scmurl: expected a non-empty string"),
        ({"json": {"scmurl": "not a url"}}, "scmurl:"),
        ({"json": {"scmurl": "ftp://h/modules/m.git#main"}}, "repository URL"),
        ({"json": {"scmurl": "git+https://h/modules/m.git#main", "branch": "a b"}}, "branch:"),
    ],
)
def test_malformed_requests_are_400(env: Env, kwargs: dict, fragment: str) -> None:
    response = requests.post(env.url(), headers=as_user("alice"), timeout=30, **kwargs)
    body = assert_error(response, 400, fragment)
    assert body["error"] == "Bad Request"
    assert count_builds(env) == 0


def test_a_body_over_the_limit_is_413(env: Env) -> None:
    response = env.post({"scmurl": "x" * 70_000})
    assert_error(response, 413)


def test_no_authenticated_user_is_401(env: Env) -> None:
    scmurl = env.distgit.module("anon")
    body = assert_error(env.post({"scmurl": scmurl}, user=None), 401, "authentication required")
    assert body["error"] == "Unauthorized"
    wrong = requests.post(
        env.url(), json={"scmurl": scmurl}, headers={"Authorization": "Bearer nope"}, timeout=30
    )
    assert_error(wrong, 401, "token")
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    forged = requests.post(
        env.url(),
        json={"scmurl": scmurl},
        headers={"X-Remote-User": "alice", "Remote-User": "alice"},
        timeout=30,
    )
    assert_error(forged, 401)
    assert count_builds(env) == 0


def test_scm_not_allowed_and_users_not_allowed_are_403(env: Env) -> None:
    host = env.post({"scmurl": "git+https://src.example.org/modules/m.git?#main"})
    assert_error(host, 403, "not an allowed SCM host")
    env.distgit.push("rpms", "notamodule", {"notamodule.yaml": MODULEMD}, "main")
    namespace = env.post({"scmurl": f"git+{env.distgit.url}/rpms/notamodule.git?#main"})
    assert_error(namespace, 403, "namespace 'rpms'")
    user = env.post({"scmurl": env.distgit.module("forbidden")}, user="mallory")
    assert_error(user, 403, "mallory")
    no_group = requests.post(
        env.url(),
        json={"scmurl": env.distgit.module("nogroup")},
        headers=as_user("gina", "users"),
        timeout=30,
    )
    assert_error(no_group, 403, "gina")
    assert count_builds(env) == 0


# --- 404 405 409 ----------------------------------------------------------------------------


def test_unknown_builds_and_routes_are_404_json(env: Env) -> None:
    assert_error(env.get("4242"), 404, "#4242")
    assert_error(env.get(str(2**70)), 404)
    assert_error(env.patch(4242, {"state": "failed"}), 404, "#4242")
    for path in ("/rida/nothing", "/rida/module-builds/abc", "/elsewhere"):
        assert_error(requests.get(env.base + path, timeout=30), 404)


def test_wrong_method_is_405_json(env: Env) -> None:
    build_id = seed(env, "methods")
    response = requests.delete(env.url(str(build_id)), headers=as_user("alice"), timeout=30)
    assert_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
    assert_error(requests.put(env.url(), json={}, timeout=30), 405)
    assert env.build(build_id).state == "init"


def test_the_same_commit_twice_is_409(env: Env) -> None:
    scmurl = env.distgit.module("twice")
    first = env.post({"scmurl": scmurl})
    assert first.status_code == 201, first.text
    again = assert_error(env.post({"scmurl": scmurl}, user="bob"), 409, "already exists")
    assert (again["module_build_id"], again["module_build_state"]) == (first.json()["id"], "init")
    assert count_builds(env) == 1
    assert env.build(first.json()["id"]).owner == "alice"


def test_resubmitting_a_failed_build_resumes_it(env: Env) -> None:
    scmurl = env.distgit.module("resume")
    build_id = env.post({"scmurl": scmurl}).json()["id"]
    with env.factory.begin() as session:
        walk(session, session.get(ModuleBuild, build_id), "failed")
    response = env.post({"scmurl": scmurl}, user="bob")
    assert response.status_code == 201, response.text
    assert (response.json()["id"], response.json()["outcome"]) == (build_id, "resumed")
    assert response.json()["state"] == "init"
    assert response.json()["time_completed"] is None  # set when it failed, cleared on resume
    assert env.build(build_id).state == "init"
    assert count_builds(env) == 1
    with env.factory() as session:
        trace = session.scalars(select(ModuleBuildTransition).order_by(ModuleBuildTransition.id))
        assert [(t.to_state, t.cause) for t in trace][-1] == ("init", "api:bob")


# --- 422 503 ---------------------------------------------------------------------------------


def test_an_invalid_modulemd_is_422_with_its_reasons(env: Env) -> None:
    broken = MODULEMD.replace("  summary: A test module\n", "").replace("license:", "licence:")
    body = assert_error(env.post({"scmurl": env.distgit.module("broken", broken)}), 422)
    assert body["error"] == "Unprocessable Entity"
    assert any("data.summary" in reason for reason in body["reasons"]), body
    assert any("licence" in reason for reason in body["reasons"]), body
    assert count_builds(env) == 0


def test_components_that_cannot_be_retrieved_are_422(env: Env) -> None:
    text = MODULEMD.replace("ref: f39", "ref: no-such-branch")
    body = assert_error(env.post({"scmurl": env.distgit.module("missing", text)}), 422, "bar")
    assert body["error"] == "Unprocessable Entity"
    reasons = " | ".join(body["reasons"])
    assert "component bar" in reasons and "no-such-branch" in reasons
    assert "component foo" not in reasons
    assert count_builds(env) == 0


def test_a_component_whose_repository_does_not_exist_is_422(env: Env) -> None:
    text = MODULEMD + "      ghost:\n        rationale: no such repository\n"
    body = assert_error(env.post({"scmurl": env.distgit.module("ghostly", text)}), 422, "ghost")
    assert any("component ghost" in r and "repository not found" in r for r in body["reasons"])


def test_a_missing_commit_or_file_is_422(env: Env) -> None:
    env.distgit.module("nofile")
    unknown = env.post({"scmurl": f"git+{env.distgit.url}/modules/nofile.git?#{'1' * 40}"})
    assert_error(unknown, 422, "no commit or branch")
    env.distgit.push("modules", "wrongname", {"other.yaml": MODULEMD}, "main")
    no_file = env.post({"scmurl": f"git+{env.distgit.url}/modules/wrongname.git?#main"})
    assert_error(no_file, 422, "wrongname.yaml does not exist")


def test_an_unreachable_dist_git_is_503(env: Env) -> None:
    response = env.post({"scmurl": "git+http://localhost:9/modules/m.git?#main"})
    body = assert_error(response, 503, "unavailable")
    assert body["error"] == "Service Unavailable"


# --- PATCH: cancel ---------------------------------------------------------------------------


def test_the_owner_cancels_a_build_in_progress(env: Env) -> None:
    build_id = seed(env, "cancelme", state="build")
    response = env.patch(build_id, {"state": "failed"})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "failed"
    assert response.json()["state_reason"] == "canceled by alice"
    build = env.build(build_id)
    assert (build.state, build.state_reason) == ("failed", "canceled by alice")
    assert build.completed_at is not None
    with env.factory() as session:
        last = session.scalars(
            select(ModuleBuildTransition).order_by(ModuleBuildTransition.id.desc())
        ).first()
        topics = session.scalars(select(OutboxMessage.topic)).all()
    assert (last.from_state, last.to_state, last.cause) == ("build", "failed", "api:alice")
    assert topics.count(TOPIC) == 4  # init, wait, build, failed


def test_only_the_owner_or_an_admin_may_cancel(env: Env) -> None:
    build_id = seed(env, "notyours", owner="alice", state="wait")
    assert_error(env.patch(build_id, {"state": "failed"}, user="bob"), 403, "alice")
    assert env.build(build_id).state == "wait"
    assert_error(env.patch(build_id, {"state": "failed"}, user=None), 401)
    assert env.build(build_id).state == "wait"
    by_admin = env.patch(build_id, {"state": 4}, user="boss")  # MBS's number for failed
    assert by_admin.status_code == 200, by_admin.text
    assert env.build(build_id).state_reason == "canceled by boss"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"state": "done"}, 'only "failed"'),
        ({"state": True}, 'only "failed"'),
        ({"state": "failed", "reason": "x"}, "unknown field(s): reason"),
        ({}, "missing field(s): state"),
    ],
)
def test_a_patch_that_is_not_a_cancel_is_400(env: Env, body: dict, fragment: str) -> None:
    build_id = seed(env, "patchme", state="build")
    assert_error(env.patch(build_id, body), 400, fragment)
    assert env.build(build_id).state == "build"


def test_canceling_a_finished_build_is_400(env: Env) -> None:
    done_id = seed(env, "finished", state="done")
    assert_error(env.patch(done_id, {"state": "failed"}), 400, "only init, wait or build")
    assert env.build(done_id).state == "done"
    failed_id = seed(env, "alreadyfailed", state="failed")
    assert_error(env.patch(failed_id, {"state": "failed"}, user="boss"), 400, "is failed")


# --- GET: one build, the list ---------------------------------------------------------------


def test_a_build_shows_its_tasks_and_components(env: Env) -> None:
    build_id = seed(env, "detailed", state="build")
    with env.factory.begin() as session:
        rows = [
            ("foo", 1, "building", 1234, None),
            ("bar", 1, "complete", 1233, "bar-1-1.m"),
            ("baz", 2, "waiting", None, None),
        ]
        for package, batch, state, task, nvr in rows:
            session.add(
                ComponentBuild(
                    module_build_id=build_id,
                    package=package,
                    ref="main",
                    commit=ZERO,
                    repository=f"https://src.example.org/rpms/{package}.git",
                    batch=batch,
                    state=state,
                    koji_task_id=task,
                    nvr=nvr,
                )
            )
    body = env.get(str(build_id)).json()
    assert body["tasks"] == {"rpms/foo": "1234/building", "rpms/bar": "1233/complete"}
    assert [
        (c["package"], c["batch"], c["state"], c["task_id"], c["nvr"]) for c in body["components"]
    ] == [
        ("bar", 1, "complete", 1233, "bar-1-1.m"),
        ("foo", 1, "building", 1234, None),
        ("baz", 2, "waiting", None, None),
    ]
    assert body["koji_tag"] == "module-detailed-main-20240101000000-00000000"
    assert (body["version"], body["context"], body["batch"]) == ("20240101000000", "00000000", 0)
    assert ISO_Z.fullmatch(body["time_submitted"]) and ISO_Z.fullmatch(body["time_modified"])
    assert body["time_completed"] is None
    assert body["state_reason"] == "test moved it to build"


@pytest.fixture
def listed(env: Env) -> dict[str, int]:
    """Seven builds: names, owners, streams and states to filter on."""
    plan = [
        ("a1", "alice", "main", "init"),
        ("a2", "alice", "f39", "build"),
        ("b1", "bob", "main", "failed"),
        ("b2", "bob", "main", "done"),
        ("c1", "carol", "f39", "failed"),
        ("c2", "carol", "main", "wait"),
        ("c3", "carol", "main", "ready"),
    ]
    return {
        name: seed(env, name, owner=owner, stream=stream, state=state)
        for name, owner, stream, state in plan
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["c3", "c2", "c1", "b2", "b1"]),  # newest first, page_size 5
        ({"state": "failed"}, ["c1", "b1"]),
        ({"state": ["wait", "build"]}, ["c2", "a2"]),
        ({"state": "4"}, ["c1", "b1"]),  # MBS's number
        ({"name": "b2"}, ["b2"]),
        ({"owner": "carol", "stream": "main"}, ["c3", "c2"]),
        ({"stream": "f39"}, ["c1", "a2"]),
        ({"owner": "nobody"}, []),
    ],
)
def test_list_filters(env: Env, listed: dict[str, int], params: dict, expected: list) -> None:
    response = env.get("", **params)
    assert response.status_code == 200, response.text
    names = {v: k for k, v in listed.items()}
    assert [names[item["id"]] for item in response.json()["items"]] == expected
    assert "components" not in (response.json()["items"] or [{}])[0]


def test_list_pagination_like_mbs(env: Env, listed: dict[str, int]) -> None:
    first = env.get("", per_page=3, owner=["alice", "carol"]).json()
    assert first["meta"]["total"] == 5 and first["meta"]["pages"] == 2
    assert (first["meta"]["page"], first["meta"]["per_page"], first["meta"]["prev"]) == (1, 3, None)
    assert "owner=alice" in first["meta"]["next"] and "page=2" in first["meta"]["next"]
    second = requests.get(env.base + first["meta"]["next"], timeout=30).json()
    assert second["meta"]["next"] is None and "page=1" in second["meta"]["prev"]
    seen = [item["id"] for item in first["items"] + second["items"]]
    wanted = sorted((listed[n] for n in ("a1", "a2", "c1", "c2", "c3")), reverse=True)
    assert seen == wanted
    beyond = env.get("", page=9, per_page=3).json()
    assert beyond["items"] == [] and beyond["meta"]["total"] == 7
    verbose = env.get("", per_page=1, verbose="true").json()
    assert verbose["items"][0]["components"] == [] and "verbose=true" in verbose["meta"]["next"]
    no_slash = requests.get(f"{env.base}/rida/module-builds", timeout=30, allow_redirects=False)
    assert no_slash.status_code == 200 and len(no_slash.json()["items"]) == 5


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"per_page": "101"}, "per_page: at most 100"),
        ({"per_page": "0"}, "per_page: expected a positive integer"),
        ({"page": "abc"}, "page: expected a positive integer"),
        ({"page": "-1"}, "page: expected a positive integer"),
        ({"state": "bogus"}, "state: 'bogus' is not one of"),
        ({"name": ""}, "name: expected a value"),
        ({"verbose": "maybe"}, "verbose: expected true or false"),
        ({"order_by": "id"}, "unknown query parameter(s): order_by"),
    ],
)
def test_bad_list_parameters_are_400(env: Env, params: dict, fragment: str) -> None:
    assert_error(env.get("", **params), 400, fragment)


# --- 500 and the trusted proxy header ---------------------------------------------------------


class BrokenFactory:
    """A session factory whose database is gone."""

    def __call__(self) -> Any:
        raise RuntimeError("boom: the database vanished")

    def begin(self) -> Any:
        raise RuntimeError("boom: the database vanished")


def test_an_unexpected_error_is_500_with_a_logged_error_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    distgit = make_distgit(tmp_path / "distgit")
    settings = make_settings(tmp_path, distgit)
    caplog.set_level(logging.ERROR, logger="api")
    with serve(FakeFrontProxy(create_app(settings, BrokenFactory()))) as base:  # type: ignore[arg-type]
        response = requests.get(f"{base}/rida/module-builds/", timeout=30)
        body = assert_error(response, 500, "error id")
        assert str(uuid.UUID(body["error_id"])) == body["error_id"]
        assert body["error_id"] in body["message"]
        assert "Traceback" not in response.text and "boom" not in response.text
        logged = [r for r in caplog.records if body["error_id"] in r.getMessage()]
        assert logged and logged[0].exc_info is not None
        assert "boom" in logged[0].getMessage()
        # prepare() (git) runs before the transaction opens: a modulemd problem is found first
        broken = distgit.module("early", "document: modulemd\nversion: 2\ndata: {}\n")
        early = requests.post(
            f"{base}/rida/module-builds/",
            json={"scmurl": broken},
            headers=as_user("alice"),
            timeout=60,
        )
        assert_error(early, 422)
        late = requests.post(
            f"{base}/rida/module-builds/",
            json={"scmurl": distgit.module("late")},
            headers=as_user("alice"),
            timeout=60,
        )
        assert assert_error(late, 500)["error_id"] != body["error_id"]


def test_the_opt_in_proxy_header_is_the_only_header_trusted(env: Env) -> None:
    app = ProxyHeaders(create_app(env.settings, env.factory), "X-Remote-User", "X-Remote-Groups")
    with serve(app) as base:
        url = f"{base}/rida/module-builds/"
        trusted = requests.post(url, data="{", headers={"X-Remote-User": "alice"}, timeout=30)
        assert_error(trusted, 400, "not valid JSON")  # authenticated and allowed
        grouped = requests.post(
            url,
            data="{",
            timeout=30,
            headers={"X-Remote-User": "gina", "X-Remote-Groups": "packagers"},
        )
        assert_error(grouped, 400)
        ungrouped = requests.post(url, data="{", headers={"X-Remote-User": "gina"}, timeout=30)
        assert_error(ungrouped, 403, "gina")
        other = requests.post(url, data="{", headers={"X-Test-User": "alice"}, timeout=30)
        assert_error(other, 401)
