"""``conveyor chain``: plan, start, list, show and cancel rebuild chains.

``plan`` never builds anything (``--dry-run`` is accepted for scripts that say so).
A target is ``rpms/NAME`` with ``--branch`` (the modules that include that component at
that branch, then their dependants) or ``NAME:STREAM`` (what buildrequires that stream).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from conveyor.chain_plan import ChainPlan, plan_for_component, plan_for_module
from conveyor.cli_common import load_settings, settings_option
from conveyor.deps import DepGraph, UnknownModuleStream, split_ns
from conveyor.errors import ConveyorError
from conveyor.settings import Settings

branch_option = click.option("--branch", default=None, help="Branch of rpms/NAME pushed.")
json_option = click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
CHAIN_ID = click.IntRange(min=1)


@click.group("chain")
def chain() -> None:
    """Rebuild chains: module streams rebuilt tier by tier after a change."""


@contextmanager
def _session(settings_path: str | None) -> Iterator[tuple[Session, Settings]]:
    """One transaction on the configured database; known failures end the command cleanly."""
    from conveyor.db import make_session_factory

    settings = load_settings(settings_path)
    factory = make_session_factory(settings.database_url)
    try:
        with factory.begin() as session:
            yield session, settings
    except ConveyorError as exc:
        raise click.ClickException(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"database {settings.database_url}: {type(exc).__name__} (run `conveyor db upgrade`?)"
        ) from exc
    finally:
        factory.kw["bind"].dispose()


def _target(target: str, branch: str | None) -> tuple[str, str | None]:
    """("component", name) or ("module", "name:stream"), or a usage error."""
    if target.startswith("rpms/"):
        name = target.removeprefix("rpms/")
        if not name or "/" in name or not branch:
            raise click.UsageError("rpms/NAME needs a name and --branch BRANCH")
        return "component", name
    try:
        split_ns(target)
    except UnknownModuleStream as exc:
        raise click.UsageError(f"{target!r}: expected rpms/NAME or NAME:STREAM ({exc})") from exc
    return "module", target


def _plan(session: Session, settings: Settings, target: str, branch: str | None) -> ChainPlan:
    kind, what = _target(target, branch)
    default_ref = settings.modules.default_component_ref
    graph = DepGraph.load(session, default_ref=default_ref)
    if kind == "component":
        return plan_for_component(graph, what, branch or "", default_ref=default_ref)
    return plan_for_module(graph, what)


@chain.command("plan")
@settings_option
@click.argument("target")
@branch_option
@json_option
@click.option("--dry-run", is_flag=True, help="Accepted for clarity: plan never builds.")
def plan(settings_path: str | None, target: str, branch: str | None, as_json: bool,
         dry_run: bool) -> None:  # fmt: skip
    """Print the tiers a change of TARGET would rebuild; builds nothing."""
    with _session(settings_path) as (session, settings):
        found = _plan(session, settings, target, branch)
    click.echo(found.dumps() if as_json else found.to_text())


@chain.command("start")
@settings_option
@click.argument("target")
@branch_option
@click.option("--by", default=None, help="Who asks (default: you).")
def start(settings_path: str | None, target: str, branch: str | None, by: str | None) -> None:
    """Plan and start a chain for TARGET (its tier 1 module builds are requested now)."""
    from consumers.chain_start import start_chain
    from conveyor import scm

    requester = by or getpass.getuser()
    kind, what = _target(target, branch)
    with _session(settings_path) as (session, settings):
        found = _plan(session, settings, target, branch)
        trigger: dict[str, str | None] = {"trigger_module": what}
        if kind == "component":
            base = settings.distgit.base_url.rstrip("/")
            commit = scm.resolve_ref(f"{base}/rpms/{what}.git", branch or "",
                                     settings.modules.git_timeout)  # fmt: skip
            trigger = {"trigger_namespace": "rpms", "trigger_name": what,
                       "trigger_branch": branch, "trigger_commit": commit}  # fmt: skip
        started = start_chain(_context(session, settings, requester), found, kind="manual",
                              requester=requester, **trigger)  # fmt: skip
        click.echo(f"{started.id} {started.state} {found.to_text().splitlines()[0]}")


def _context(session: Session, settings: Settings, requester: str):
    from consumers.context import HandlerContext

    # starting or canceling a chain never calls koji: the module consumer does the builds
    return HandlerContext(session, settings, None, f"cli:{requester}", "cli")  # type: ignore[arg-type]


@chain.command("list")
@settings_option
@click.option("--state", default=None, help="Only chains in this state.")
@json_option
def list_chains(settings_path: str | None, state: str | None, as_json: bool) -> None:
    """Rebuild chains, newest first."""
    from models.rebuild_chain import RebuildChain

    with _session(settings_path) as (session, _):
        query = select(RebuildChain).order_by(RebuildChain.id.desc())
        if state:
            query = query.where(RebuildChain.state == state)
        rows = [_summary(c) for c in session.scalars(query).all()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']:>6} {row['state']:9} tier {row['current_tier']}/"
                   f"{row['tiers']} {row['trigger']} by {row['requester']}")  # fmt: skip


def _summary(found) -> dict:
    return {
        "id": found.id, "state": found.state, "trigger_kind": found.trigger_kind,
        "trigger": found.trigger, "commit": found.trigger_commit, "requester": found.requester,
        "current_tier": found.current_tier, "tiers": found.last_tier,
        "failed_tier": found.failed_tier, "superseded_by": found.superseded_by_id,
        "reason": found.reason, "created_at": found.created_at.isoformat(),
    }  # fmt: skip


@chain.command("show")
@settings_option
@click.argument("chain_id", type=CHAIN_ID)
@json_option
def show(settings_path: str | None, chain_id: int, as_json: bool) -> None:
    """One chain with its tiers and each module stream's build and state."""
    from models.rebuild_chain import RebuildChain

    with _session(settings_path) as (session, _):
        found = session.get(RebuildChain, chain_id)
        if found is None:
            raise click.ClickException(f"rebuild chain #{chain_id} does not exist")
        data = _summary(found)
        data["cycles"] = found.cycles
        data["items"] = [
            {"module": i.ns, "tier": i.tier, "state": i.state, "module_build_id": i.module_build_id,
             "reason": i.reason}
            for i in found.items
        ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"chain #{data['id']} {data['state']}: {data['trigger']} by {data['requester']}")
    if data["reason"]:
        click.echo(f"reason: {data['reason']}")
    for item in data["items"]:
        build = f"#{item['module_build_id']}" if item["module_build_id"] else "-"
        click.echo(f"  tier {item['tier']} {item['module']:40} {item['state']:8} {build}")


@chain.command("cancel")
@settings_option
@click.argument("chain_id", type=CHAIN_ID)
@click.option("--by", default=None, help="Who cancels (default: you).")
def cancel(settings_path: str | None, chain_id: int, by: str | None) -> None:
    """Cancel an open chain: builds in progress are canceled, the rest skipped."""
    from consumers.chain_supersede import cancel_chain

    who = by or getpass.getuser()
    with _session(settings_path) as (session, settings):
        found = cancel_chain(_context(session, settings, who), chain_id, by=who)
        click.echo(f"{found.id} {found.state}")
