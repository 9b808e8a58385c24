"""The ``conveyor`` command: the composition root that wires the packages together."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from conveyor.cli_api import api_command, module_build
from conveyor.cli_branch_history import branch_history
from conveyor.cli_chain import chain
from conveyor.cli_common import load_settings, settings_option
from conveyor.cli_compose import compose
from conveyor.cli_deps import deps
from conveyor.cli_modulemd import modulemd
from conveyor.cli_pdc import pdc

_load = load_settings


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("pika").setLevel(logging.WARNING)  # pika logs every socket step at INFO


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Conveyor: dist-git pushes become koji builds, and the status site shows them."""
    _setup_logging(verbose)


main.add_command(modulemd)
main.add_command(pdc)
main.add_command(deps)
main.add_command(branch_history)
main.add_command(chain)
main.add_command(compose)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@settings_option
def db_upgrade(settings_path: str | None) -> None:
    """Create or migrate the schema to the newest revision."""
    from models.migrations import upgrade

    settings = _load(settings_path)
    upgrade(settings.database_url)
    click.echo(f"database at revision head: {settings.database_url}")


@main.command()
@settings_option
@click.option("--dry-run", is_flag=True, help="Touch nothing: throwaway database, empty koji.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per message.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def replay(
    settings_path: str | None, dry_run: bool, as_json: bool, paths: tuple[Path, ...]
) -> None:
    """Run message files through the consumers' parsing, dispatch and handlers."""
    from consumers.replay import UnreadableMessage
    from consumers.replay import replay as run_replay

    settings = _load(settings_path)
    try:
        for report in run_replay(list(paths), settings, dry_run):
            if as_json:
                click.echo(report.as_json())
            else:
                click.echo(f"{report.outcome:8} {report.file}: {report.reason}")
    except UnreadableMessage as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@settings_option
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def cron(settings_path: str | None, once: bool) -> None:
    """Run the periodic jobs: outbox flusher, koji reconciler, stuck builds, site."""
    from cron.scheduler import run_forever, run_once

    settings = _load(settings_path)
    (run_once if once else run_forever)(settings)


@main.group()
def site() -> None:
    """The static status site."""


@site.command("render")
@settings_option
@click.option("--full", is_flag=True, help="Rewrite every page (default: what changed).")
def site_render(settings_path: str | None, full: bool) -> None:
    """Render the status site into settings.site.output_dir.

    Without --full, only the pages of what changed since the last render, plus
    the index pages (a full render when there is no site yet).
    """
    from conveyor.db import make_session_factory
    from site_generator import render_site

    settings = _load(settings_path)
    stats = render_site(make_session_factory(settings.database_url), settings, full=full)
    phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in stats.phases)
    click.echo(
        f"{stats.mode} render: {stats.pages} pages ({stats.files} files, {stats.skipped} "
        f"skipped, {stats.dirty} dirty) in {stats.seconds:.2f}s into {stats.output_dir} "
        f"-> {stats.version_dir} ({phases})"
    )


@main.command()
@settings_option
def status(settings_path: str | None) -> None:
    """Builds by state, rejected messages and the outbox backlog."""
    from conveyor.db import make_session_factory
    from models.summary import summary

    settings = _load(settings_path)
    for line in summary(make_session_factory(settings.database_url)):
        click.echo(line)


@main.command()
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--port", type=int, default=8000, help="Port of the status site.")
@click.option("--no-wait", is_flag=True, help="Exit after the scenario instead of serving.")
def demo(workdir: Path | None, port: int, no_wait: bool) -> None:
    """Start the whole system on embedded defaults and run a real scenario."""
    from sandbox.demo import run_demo

    run_demo(workdir=workdir, site_port=port, wait=not no_wait)


main.add_command(api_command)
main.add_command(module_build)
