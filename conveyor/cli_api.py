"""``conveyor api`` (the REST process) and ``conveyor module-build`` (the same requests, local).

``module-build submit`` does what ``POST /module-builds/`` does: fetch and
check the modulemd first, then record the request in one transaction; the
module consumer does the rest. Errors end the command with their reason and
exit status 1, never with a traceback.
"""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from conveyor.cli_common import load_settings, settings_option
from conveyor.errors import ConveyorError

log = logging.getLogger(__name__)

STATES = ("init", "wait", "build", "done", "ready", "failed")  # models.module_build.ModuleState
BUILD_ID = click.IntRange(1, 2**63 - 1)


_load = load_settings


@click.command("api")
@settings_option
@click.option(
    "--remote-user-header",
    default=None,
    help="Trust this header (e.g. X-Remote-User) as the user: only behind a reverse proxy "
    "that always sets it, on a port nobody else reaches. Default: REMOTE_USER or a token.",
)
@click.option(
    "--remote-groups-header",
    default=None,
    help="With --remote-user-header: trust this header as the user's comma-separated groups.",
)
def api_command(
    settings_path: str | None, remote_user_header: str | None, remote_groups_header: str | None
) -> None:
    """Serve the module build REST API on api.host:api.port under api.prefix."""
    from werkzeug.serving import run_simple

    from api.app import create_app
    from api.auth import ProxyHeaders
    from conveyor.db import make_session_factory

    if remote_groups_header and not remote_user_header:
        raise click.UsageError("--remote-groups-header needs --remote-user-header")
    settings = _load(settings_path)
    app: Any = create_app(settings, make_session_factory(settings.database_url))
    if remote_user_header:
        app = ProxyHeaders(app, remote_user_header, remote_groups_header)
    log.info(
        "module build API on http://%s:%d%s/module-builds/",
        settings.api.host,
        settings.api.port,
        settings.api.prefix,
    )
    run_simple(settings.api.host, settings.api.port, app, threaded=True)


@click.group("module-build")
def module_build() -> None:
    """Module builds: submit, cancel, show, list (what the REST API does, locally)."""


def _reason(exc: ConveyorError) -> str:
    """The error's text; every reason on its own line when a packager has several to fix."""
    from consumers.module_intake import ComponentsUnavailable
    from conveyor.modulemd import ModulemdInvalid

    if isinstance(exc, ModulemdInvalid):
        title, lines = "the modulemd is invalid", exc.reasons
    elif isinstance(exc, ComponentsUnavailable):
        title, lines = "components cannot be retrieved", exc.problems
    else:
        return str(exc)
    return title + ":\n" + "\n".join(f"  - {line}" for line in lines)


@contextmanager
def _reported() -> Iterator[None]:
    """Known failures end the command with their reason (exit 1), not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except ConveyorError as exc:
        raise click.ClickException(_reason(exc)) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


@module_build.command("submit")
@settings_option
@click.argument("scmurl")
@click.option("--branch", default=None, help="The branch (stream) when SCMURL names a commit.")
@click.option("--owner", default=None, help="Owner of the build (default: you).")
def submit(settings_path: str | None, scmurl: str, branch: str | None, owner: str | None) -> None:
    """Request a module build of SCMURL (git+https://host/modules/NAME.git?#REF)."""
    from consumers import module_intake
    from conveyor.db import make_session_factory

    settings = _load(settings_path)
    owner = owner or getpass.getuser()
    with _reported():
        request = module_intake.prepare(scmurl, settings, branch)
        with make_session_factory(settings.database_url).begin() as session:
            submission = module_intake.record(session, request, owner, f"cli:{owner}")
            build = submission.module_build
            if submission.outcome == "exists":
                raise click.ClickException(
                    f"module build {build.nsv} already exists as #{build.id} ({build.state}): "
                    "only a failed build can be resubmitted"
                )
    click.echo(f"{build.id} {submission.outcome} {build.nsv}")


@module_build.command("cancel")
@settings_option
@click.argument("build_id", type=BUILD_ID)
@click.option("--by", default=None, help="Who cancels (default: you).")
def cancel(settings_path: str | None, build_id: int, by: str | None) -> None:
    """Cancel a module build in progress (init, wait or build)."""
    from conveyor.db import make_session_factory
    from models.module_build import locked

    settings = _load(settings_path)
    by = by or getpass.getuser()
    with _reported(), make_session_factory(settings.database_url).begin() as session:
        build = locked(session, build_id)
        if build is None:
            raise click.ClickException(f"no module build #{build_id}")
        build.cancel(session, by=by, cause=f"cli:{by}")
    click.echo(f"{build_id} canceled by {by}")


@module_build.command("show")
@settings_option
@click.argument("build_id", type=BUILD_ID)
@click.option("--json", "as_json", is_flag=True, help="The REST API's JSON.")
def show(settings_path: str | None, build_id: int, as_json: bool) -> None:
    """One module build with its components."""
    from api import serialize
    from conveyor.db import make_session_factory
    from models.module_build import ModuleBuild

    settings = _load(settings_path)
    with _reported(), make_session_factory(settings.database_url)() as session:
        build = session.get(ModuleBuild, build_id)
        if build is None:
            raise click.ClickException(f"no module build #{build_id}")
        data = serialize.module_build(build)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"#{data['id']} {data['name']}:{data['stream']}:{data['version']}:"
        f"{data['context']} {data['state']}"
    )
    for key in (
        "state_reason",
        "owner",
        "scmurl",
        "koji_tag",
        "batch",
        "time_submitted",
        "time_modified",
        "time_completed",
    ):
        click.echo(f"  {key}: {'-' if data[key] in (None, '') else data[key]}")
    for c in data["components"]:
        click.echo(
            f"  batch {c['batch']} {c['package']} {c['state']} task {c['task_id'] or '-'} "
            f"{c['nvr'] or ''}".rstrip()
        )


@module_build.command("list")
@settings_option
@click.option("--state", type=click.Choice(STATES), default=None, help="Only builds in STATE.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of the REST API's items.")
def list_builds(settings_path: str | None, state: str | None, as_json: bool) -> None:
    """Module builds, newest first."""
    from sqlalchemy import select

    from api import serialize
    from conveyor.db import make_session_factory
    from models.module_build import ModuleBuild

    settings = _load(settings_path)
    query = select(ModuleBuild).order_by(ModuleBuild.id.desc())
    if state:
        query = query.where(ModuleBuild.state == state)
    with _reported(), make_session_factory(settings.database_url)() as session:
        items = [serialize.summary(b) for b in session.scalars(query)]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for i in items:
        click.echo(
            f"{i['id']:>6} {i['state']:<7} {i['name']}:{i['stream']}:{i['version']}:"
            f"{i['context']} {i['owner']} {i['time_modified']}"
        )
