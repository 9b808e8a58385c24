"""``conveyor compose create|show|list|renew|delete|regenerate``: the compose service, local.

Each command is one transaction through ``conveyor.composes.service``; the
announcement it queues is published by the cron outbox flusher and the compose
consumer does the work. Errors end the command with their reason (exit 1).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from conveyor.cli_common import load_settings, settings_option
from conveyor.errors import ConveyorError

if TYPE_CHECKING:
    from conveyor.settings import Settings
    from models import Compose

COMPOSE_ID = click.IntRange(1, 2**63 - 1)
STATES = ("wait", "generating", "done", "removed", "failed")
SOURCE_TYPES = ("tag", "module", "build")


def _words(value: str | None) -> tuple[str, ...]:
    """ODCS takes lists as space-separated strings; commas are accepted too."""
    return tuple((value or "").replace(",", " ").split())


@contextmanager
def _reported() -> Iterator[None]:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except ConveyorError as exc:
        raise click.ClickException(str(exc)) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


def _show(compose: Compose, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(compose.as_odcs(), sort_keys=True))
        return
    click.echo(f"compose {compose.id}: {compose.state} ({compose.source_type} {compose.source})")
    rows = [
        ("owner", compose.owner), ("reason", compose.state_reason),
        ("koji event", compose.koji_event), ("arches", " ".join(compose.arches)),
        ("packages", " ".join(compose.packages)), ("expires", compose.time_to_expire),
        ("repo", compose.result_repo_dir), ("repo file", compose.result_repofile),
        ("warnings", "; ".join(compose.warnings)),
    ]  # fmt: skip
    for label, value in rows:
        if value:
            click.echo(f"  {label}: {value}")


@click.group("compose")
def compose() -> None:
    """Composes with ODCS semantics: create, show, list, renew, delete, regenerate."""


@compose.command("create")
@settings_option
@click.option("--source-type", type=click.Choice(SOURCE_TYPES), required=True)
@click.option(
    "--source", required=True, help="Tags, N:S[:V[:C]] modules or NVRs (space-separated)."
)
@click.option("--packages", default=None, help="Only these RPM names.")
@click.option("--arches", default=None, help="Arches (default: composes.default_arches).")
@click.option("--sigkeys", default=None, help="Signing key ids; RPMs must be signed by one.")
@click.option("--flags", default=None, help="ODCS flags, e.g. no_deps, no_inheritance.")
@click.option("--seconds-to-live", type=click.IntRange(1), default=None)
@click.option("--label", default=None)
@click.option("--owner", default=None, help="Owner (default: you).")
@click.option("--json", "as_json", is_flag=True, help="Print the compose as ODCS's API does.")
def create(settings_path: str | None, source_type: str, source: str, packages: str | None,
           arches: str | None, sigkeys: str | None, flags: str | None,
           seconds_to_live: int | None, label: str | None, owner: str | None,
           as_json: bool) -> None:  # fmt: skip
    """Request a compose (an identical live compose is reused and its life extended)."""
    from conveyor.composes.service import ComposeRequest, request_compose
    from conveyor.db import make_session_factory

    settings = load_settings(settings_path)
    owner = owner or getpass.getuser()
    request = ComposeRequest(
        source_type=source_type, source=source, owner=owner, packages=_words(packages),
        arches=_words(arches), sigkeys=_words(sigkeys), flags=_words(flags),
        seconds_to_live=seconds_to_live, label=label,
    )  # fmt: skip
    with _reported(), make_session_factory(settings.database_url).begin() as session:
        tag_exists, tags_changed = _koji_checks(settings)
        found, reused = request_compose(
            session, request, settings, cause=f"cli:{owner}", tag_exists=tag_exists,
            tags_changed=tags_changed,
        )  # fmt: skip
        if not as_json:
            click.echo(f"{found.id} {'reused' if reused else 'created'}")
        _show(found, as_json)


def _koji_checks(
    settings: Settings,
) -> tuple[Callable[[str], bool], Callable[[list[str], int], bool]]:
    """Koji look-ups for tag composes: does a tag exist, did tags change since an event."""
    from conveyor.composes import koji_reads
    from conveyor.koji_client import KojiClient

    client = KojiClient(settings.koji)  # connects only when a tag compose asks
    return (
        lambda tag: koji_reads.tag_exists(client.session, tag),
        lambda tags, event: koji_reads.tags_changed_since(client.session, tags, event),
    )


@compose.command("show")
@settings_option
@click.argument("compose_id", type=COMPOSE_ID)
@click.option("--json", "as_json", is_flag=True)
def show(settings_path: str | None, compose_id: int, as_json: bool) -> None:
    """One compose, and what it contains."""
    from conveyor.composes.service import contents_of
    from conveyor.db import make_session_factory
    from models import Compose

    settings = load_settings(settings_path)
    with _reported(), make_session_factory(settings.database_url)() as session:
        found = session.get(Compose, compose_id)
        if found is None:
            raise click.ClickException(f"no compose {compose_id}")
        _show(found, as_json)
        if not as_json:
            for row in contents_of(session, compose_id):
                click.echo(f"  contains {row.kind} {row.artifact} ({row.name} {row.arch or ''})")


@compose.command("list")
@settings_option
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_(settings_path: str | None, state: str | None, limit: int, as_json: bool) -> None:
    """Composes, newest first."""
    from sqlalchemy import select

    from conveyor.db import make_session_factory
    from models import Compose

    settings = load_settings(settings_path)
    query = select(Compose).order_by(Compose.id.desc()).limit(limit)
    if state:
        query = query.where(Compose.state == state)
    with _reported(), make_session_factory(settings.database_url)() as session:
        rows = list(session.scalars(query))
        if as_json:
            click.echo(json.dumps([c.as_odcs() for c in rows], sort_keys=True))
            return
        for row in rows:
            click.echo(f"{row.id} {row.state} {row.source_type} {row.source} ({row.owner})")


def _change(settings_path: str | None, compose_id: int, action: str, **kw: object) -> None:
    """Lock the compose, apply one service call, print the result."""
    from conveyor.composes import service
    from conveyor.db import make_session_factory
    from models.compose import locked

    settings = load_settings(settings_path)
    user = getpass.getuser()
    with _reported(), make_session_factory(settings.database_url).begin() as session:
        found = locked(session, compose_id)
        if found is None:
            raise click.ClickException(f"no compose {compose_id}")
        if action == "renew":
            service.renew(session, found, kw.get("seconds"), settings)  # type: ignore[arg-type]
        elif action == "delete":
            service.delete(session, found, user, cause=f"cli:{user}")
        else:
            service.regenerate(session, found, settings, cause=f"cli:{user}")
        click.echo(f"{found.id} {found.state} expires {found.time_to_expire}")


@compose.command("renew")
@settings_option
@click.argument("compose_id", type=COMPOSE_ID)
@click.option("--seconds-to-live", type=click.IntRange(1), default=None)
def renew(settings_path: str | None, compose_id: int, seconds_to_live: int | None) -> None:
    """Extend a live compose's life (default: composes.default_seconds_to_live)."""
    _change(settings_path, compose_id, "renew", seconds=seconds_to_live)


@compose.command("delete")
@settings_option
@click.argument("compose_id", type=COMPOSE_ID)
def delete(settings_path: str | None, compose_id: int) -> None:
    """Remove a done or failed compose now; the compose consumer deletes its files."""
    _change(settings_path, compose_id, "delete")


@compose.command("regenerate")
@settings_option
@click.argument("compose_id", type=COMPOSE_ID)
def regenerate(settings_path: str | None, compose_id: int) -> None:
    """Make a removed or failed compose again from exactly the same inputs."""
    _change(settings_path, compose_id, "regenerate")
