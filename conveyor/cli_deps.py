"""``conveyor deps``: load modulemd into the module knower and ask it what depends on what.

Scripts rely on this contract: with ``--json`` each query prints a sorted JSON array of
``name:stream`` strings; exit status 0 on success, 1 for an unknown module stream, bad
input or an unreadable file, with the reason on standard error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from conveyor.cli_common import load_settings, settings_option
from conveyor.deps import DepGraph, UnknownModuleStream, split_ns
from conveyor.errors import ConveyorError

json_option = click.option("--json", "as_json", is_flag=True, help="A sorted JSON array.")
direct_option = click.option("--direct", is_flag=True, help="Direct edges only.")


@click.group("deps")
def deps() -> None:
    """Module dependencies: what requires, buildrequires and includes what."""


@contextmanager
def _session(settings_path: str | None) -> Iterator[tuple[Session, str]]:
    """A session on the configured database and the deployment's default component ref."""
    from conveyor.db import make_session_factory

    settings = load_settings(settings_path)
    factory = make_session_factory(settings.database_url)
    try:
        with factory() as session:
            yield session, settings.modules.default_component_ref
    except (OperationalError, ProgrammingError) as exc:
        # The usual cause is a database nobody migrated yet: say what to run.
        raise click.ClickException(
            f"database {settings.database_url} is not usable ({exc.orig}); "
            "run `conveyor db upgrade` first"
        ) from exc
    finally:
        factory.kw["bind"].dispose()


def _graph(settings_path: str | None) -> DepGraph:
    with _session(settings_path) as (session, default_ref):
        return DepGraph.load(session, default_ref=default_ref)


def _checked(graph: DepGraph, ns: str) -> str:
    try:
        split_ns(ns)
    except UnknownModuleStream as exc:
        raise click.ClickException(str(exc)) from exc
    if ns not in graph:
        raise click.ClickException(
            f"unknown module stream {ns!r}: no loaded modulemd defines or depends on it"
        )
    return ns


def _print(streams: Iterable[str], as_json: bool) -> None:
    ordered = sorted(streams)
    if as_json:
        click.echo(json.dumps(ordered))
    else:
        for ns in ordered:
            click.echo(ns)


@deps.command("load")
@settings_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def load(settings_path: str | None, files: tuple[Path, ...]) -> None:
    """Record the module streams of modulemd FILEs (single or repository modules.yaml).

    Defaults, translations and obsoletes documents are skipped; a file loaded again
    adds nothing. Exits 1 if a file cannot be read or a document is invalid (the valid
    documents are recorded anyway).
    """
    from conveyor.deps.load import LoadReport, load_text

    failed = False
    with _session(settings_path) as (session, _):
        for path in files:
            try:
                text = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                click.echo(f"{path}: unreadable: {exc}", err=True)
                failed = True
                continue
            report = LoadReport()
            load_text(session, text, origin=str(path), report=report)
            session.commit()
            for problem in report.invalid:
                click.echo(f"INVALID {problem}", err=True)
            failed = failed or bool(report.invalid)
            click.echo(
                f"{path}: {len(report.recorded)} recorded, {len(report.unchanged)} unchanged, "
                f"{report.skipped} skipped, {len(report.invalid)} invalid"
            )
    if failed:
        raise SystemExit(1)


@deps.command("requires")
@settings_option
@direct_option
@json_option
@click.argument("ns", metavar="NAME:STREAM")
def requires(settings_path: str | None, direct: bool, as_json: bool, ns: str) -> None:
    """Module streams NAME:STREAM requires at run time (transitively unless --direct)."""
    graph = _graph(settings_path)
    _print(graph.requires(_checked(graph, ns), direct=direct), as_json)


@deps.command("buildrequires")
@settings_option
@direct_option
@json_option
@click.argument("ns", metavar="NAME:STREAM")
def buildrequires(settings_path: str | None, direct: bool, as_json: bool, ns: str) -> None:
    """Module streams NAME:STREAM buildrequires (transitively unless --direct)."""
    graph = _graph(settings_path)
    _print(graph.buildrequires(_checked(graph, ns), direct=direct), as_json)


@deps.command("dependants")
@settings_option
@direct_option
@json_option
@click.argument("ns", metavar="NAME:STREAM")
def dependants(settings_path: str | None, direct: bool, as_json: bool, ns: str) -> None:
    """Module streams that require or buildrequire NAME:STREAM (transitively unless --direct)."""
    graph = _graph(settings_path)
    _print(graph.dependants(_checked(graph, ns), direct=direct), as_json)


@deps.command("including")
@settings_option
@json_option
@click.argument("rpm", metavar="rpms/NAME")
def including(settings_path: str | None, as_json: bool, rpm: str) -> None:
    """Module streams whose components include rpms/NAME (text output adds the ref)."""
    namespace, _, name = rpm.rpartition("/")
    if namespace not in ("", "rpms") or not name:
        raise click.ClickException(f"{rpm!r} is not rpms/NAME")
    found = _graph(settings_path).including(name)
    if as_json:
        _print(found, as_json=True)
        return
    for ns in sorted(found):
        click.echo(f"{ns} {found[ns]}")


@deps.command("cycles")
@settings_option
@json_option
def cycles(settings_path: str | None, as_json: bool) -> None:
    """Dependency cycles (requires and buildrequires), one per line; exit 0 either way."""
    found = _graph(settings_path).cycles()
    if as_json:
        click.echo(json.dumps(found))
        return
    for cycle in found:
        click.echo(" ".join(cycle))


@deps.command("show")
@settings_option
@json_option
@click.argument("ns", metavar="NAME:STREAM")
def show(settings_path: str | None, as_json: bool, ns: str) -> None:
    """The current definition of NAME:STREAM: EOL, service levels, dependencies, components."""
    from conveyor.deps.show import describe

    with _session(settings_path) as (session, default_ref):
        graph = DepGraph.load(session, default_ref=default_ref)
        try:
            facts = describe(session, graph, _checked(graph, ns))
        except ConveyorError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(facts, sort_keys=True))
        return
    for key, value in facts.items():
        click.echo(f"{key}: {_flat(value)}")


@deps.command("history")
@settings_option
@json_option
@click.argument("ns", metavar="NAME:STREAM")
def history(settings_path: str | None, as_json: bool, ns: str) -> None:
    """Every recorded definition of NAME:STREAM, oldest first (the last one is current)."""
    from conveyor.deps.show import revisions

    try:
        name, stream = split_ns(ns)
    except UnknownModuleStream as exc:
        raise click.ClickException(str(exc)) from exc
    with _session(settings_path) as (session, _):
        found = revisions(session, name, stream)
    if not found:
        raise click.ClickException(f"no definition of {ns!r} was recorded")
    if as_json:
        click.echo(json.dumps(found, sort_keys=True))
        return
    for item in found:
        deps_text = " ".join(item["dependencies"]) or "-"
        click.echo(f"{item['recorded_at']} {item['source']} {item['origin']}: {deps_text}")


def _flat(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return " ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)
