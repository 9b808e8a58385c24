"""post-receive hook of the sandbox dist-git: publish ``pagure.git.receive``.

Git runs it inside the bare repository with lines ``<old> <new> <ref>`` on stdin.
For every updated ``refs/heads/*`` it publishes one message shaped like Pagure's
(one per push, not per commit). ``start_commit`` is the oldest commit the push
brought to the branch, ``end_commit`` the new tip. It always exits 0: a broker
that is down must not fail the push (the error goes to stderr).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ZERO = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
TOPIC = "pagure.git.receive"


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def pusher() -> str:
    return os.environ.get("CONVEYOR_PUSHER") or os.environ.get("USER") or "unknown"


def repo_info(repo_dir: Path, root: Path) -> dict[str, Any]:
    name = repo_dir.name.removesuffix(".git")
    namespace = repo_dir.parent.relative_to(root).as_posix()
    fullname = f"{namespace}/{name}"
    return {
        "name": name,
        "namespace": namespace,
        "fullname": fullname,
        "full_url": repo_dir.as_uri(),
        "url_path": fullname,
        "description": f"The {name} package",
        "parent": None,
        "access_groups": {"admin": [], "collaborator": [], "commit": [], "ticket": []},
        "access_users": {"admin": [], "collaborator": [], "commit": [], "owner": [], "ticket": []},
        "close_status": [],
        "custom_keys": [],
        "milestones": {},
        "priorities": {},
        "tags": [],
    }


def _new_commits(old: str, new: str, ref: str) -> list[tuple[str, str, str]]:
    """(sha, author name, author email) of commits the push added, oldest first."""
    if old == ZERO:
        others = [
            r for r in git("for-each-ref", "--format=%(refname)", "refs/heads/").split() if r != ref
        ]
        revs = [new, "--not", *others]
    else:
        revs = [f"{old}..{new}"]
    out = git("log", "--reverse", "--format=%H%x00%an%x00%ae", *revs, "--")
    commits = []
    for line in out.splitlines():
        sha, author, email = line.split("\0", 2)
        commits.append((sha, author, email))
    return commits


def _changed_files(base: str, new: str) -> dict[str, str]:
    out = git("diff", "--no-renames", "--name-status", base, new, "--")
    changed: dict[str, str] = {}
    for line in out.splitlines():
        status, _, path = line.partition("\t")
        changed[path] = status[:1]
    return changed


def push_body(old: str, new: str, ref: str, repo: dict[str, Any]) -> dict[str, Any]:
    """The message body for one ref update (``new`` must not be all zeros)."""
    commits = _new_commits(old, new, ref)
    forced = False
    if old != ZERO:
        forced = (
            subprocess.run(
                ["git", "merge-base", "--is-ancestor", old, new], capture_output=True, check=False
            ).returncode
            != 0
        )
        base = old
    elif commits:
        parents = git("rev-list", "--parents", "-n", "1", commits[0][0]).split()[1:]
        base = parents[0] if parents else EMPTY_TREE
    else:
        base = new
    authors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _sha, author, email in commits:
        if email in seen:
            continue
        seen.add(email)
        login = email.split("@", 1)[0] or None
        authors.append(
            {"fullname": author, "name": login, "url_path": f"user/{login}" if login else None}
        )
    return {
        "agent": pusher(),
        "repo": repo,
        "branch": ref.removeprefix("refs/heads/"),
        "start_commit": commits[0][0] if commits else new,
        "end_commit": new,
        "old_commit": old,
        "total_commits": len(commits),
        "forced": forced,
        "changed_files": _changed_files(base, new),
        "authors": authors,
        "pull_request_id": None,
    }


def broker_reachable(amqp_url: str, timeout: float = 2.0) -> None:
    """Fail fast (OSError) when nothing listens: fedora-messaging would retry until timeout."""
    url = urlsplit(amqp_url)
    default = 5671 if url.scheme == "amqps" else 5672
    with socket.create_connection((url.hostname or "localhost", url.port or default), timeout):
        pass


def main(lines: list[str] | None = None) -> int:
    lines = sys.stdin.read().splitlines() if lines is None else lines
    repo_dir = Path(os.environ.get("GIT_DIR", ".")).resolve()
    root = Path(os.environ.get("CONVEYOR_DISTGIT_ROOT") or repo_dir.parent.parent).resolve()
    bodies = []
    try:
        repo = repo_info(repo_dir, root)
        for line in lines:
            parts = line.split()
            if len(parts) != 3:
                continue
            old, new, ref = parts
            if ref.startswith("refs/heads/") and new != ZERO:
                bodies.append(push_body(old, new, ref, repo))
    except Exception as err:  # noqa: BLE001 - a broken hook must not break the push
        print(f"conveyor post-receive: cannot describe the push: {err!r}", file=sys.stderr)
        return 0
    if not bodies:
        return 0
    try:
        from fedora_messaging import api, config
        from fedora_messaging.message import Message

        broker_reachable(config.conf["amqp_url"])
        for body in bodies:
            api.publish(Message(topic=TOPIC, body=body), timeout=10)
    except Exception as err:  # noqa: BLE001 - a broker that is down must not fail it
        print(f"conveyor post-receive: publishing {TOPIC} failed: {err!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
