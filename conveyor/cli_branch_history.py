"""``conveyor branch-history``: a branch's commit at a time, and builds on old hashes."""

from __future__ import annotations

import json
from datetime import datetime

import click

from conveyor.cli_common import load_settings, settings_option


@click.group("branch-history")
def branch_history() -> None:
    """What each branch pointed to, when (recorded from every push)."""


def _factory(settings_path: str | None):
    from conveyor.db import make_session_factory

    return make_session_factory(load_settings(settings_path).database_url)


@branch_history.command("at")
@settings_option
@click.option("--when", default=None, help="ISO 8601 time (default: now); no zone means UTC.")
@click.argument("repository", metavar="NAMESPACE/NAME")
@click.argument("branch")
def at(settings_path: str | None, when: str | None, repository: str, branch: str) -> None:
    """The commit BRANCH of NAMESPACE/NAME pointed to at --when; exit 1 if none is known."""
    from conveyor.branch_history import commit_at

    namespace, _, name = repository.partition("/")
    if not namespace or not name or "/" in name:
        raise click.ClickException(f"{repository!r} is not NAMESPACE/NAME (e.g. rpms/bash)")
    try:
        moment = datetime.fromisoformat(when) if when else None
    except ValueError as exc:
        raise click.ClickException(f"--when {when!r} is not an ISO 8601 time") from exc
    factory = _factory(settings_path)
    with factory() as session:
        commit = commit_at(session, namespace, name, branch, moment)
    if commit is None:
        by = f" by {when}" if when else ""
        raise click.ClickException(f"no push of {repository} branch {branch!r} recorded{by}")
    click.echo(commit)


@branch_history.command("stale-builds")
@settings_option
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
def stale_builds(settings_path: str | None, as_json: bool) -> None:
    """Module builds with a component commit that is no longer the head of its branch."""
    from conveyor.branch_history import built_against_old_hash

    factory = _factory(settings_path)
    with factory() as session:
        stale = built_against_old_hash(session)
    if as_json:
        click.echo(json.dumps([s.as_json() for s in stale]))
        return
    for s in stale:
        click.echo(
            f"#{s.module_build_id} {s.module} ({s.module_state}) rpms/{s.package}@{s.branch}: "
            f"built {s.built_commit[:12]}, head {s.head_commit[:12]} since "
            f"{s.head_pushed_at.isoformat(timespec='seconds')}"
        )
