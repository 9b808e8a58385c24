"""``conveyor pdc``: push Conveyor's facts to PDC, report drift, show the queue."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from conveyor.cli_common import load_settings, settings_option
from conveyor.db import make_session_factory
from conveyor.pdc.client import PdcClient, PdcError
from conveyor.pdc.sync import drift, initialize
from models.pdc_update import PdcUpdate, PdcUpdateState

EXIT_DRIFT = 2
_SHOWN_FAILURES = 20


@click.group()
def pdc() -> None:
    """The PDC sink: module dependencies and compose contents pushed to a PDC.

    ``pdc.enabled`` turns the cron job on; these commands work either way.
    """


@pdc.command("initialize")
@settings_option
def initialize_command(settings_path: str | None) -> None:
    """Read PDC, queue the whole difference (failed changes too) and send it.

    Exit 1 when something could not be sent (it stays queued, or failed).
    """
    settings = load_settings(settings_path)
    factory = make_session_factory(settings.database_url)
    try:
        queued, report = initialize(factory, PdcClient(settings.pdc), settings.pdc)
    except PdcError as exc:
        raise click.ClickException(f"PDC: {exc}") from exc
    click.echo(f"{queued} changes queued; {report}")
    if report.retried or report.failed:
        raise click.exceptions.Exit(1)


@pdc.command("audit")
@settings_option
def audit_command(settings_path: str | None) -> None:
    """Compare PDC with Conveyor and print the drift, one line per object.

    Exit 0 when PDC agrees, 2 when there is drift, 1 when PDC could not be read.
    """
    settings = load_settings(settings_path)
    factory = make_session_factory(settings.database_url)
    try:
        changes = drift(factory, PdcClient(settings.pdc), settings.pdc.release)
    except PdcError as exc:
        raise click.ClickException(f"PDC: {exc}") from exc
    for change in changes:
        click.echo(change.describe())
    if changes:
        click.echo(f"{len(changes)} objects drifted", err=True)
        raise click.exceptions.Exit(EXIT_DRIFT)
    click.echo("PDC agrees with Conveyor")


@pdc.command("status")
@settings_option
def status_command(settings_path: str | None) -> None:
    """Queued changes by state, and the last error of each failed one."""
    settings = load_settings(settings_path)
    factory = make_session_factory(settings.database_url)
    with factory() as session:
        counts = dict(
            session.execute(select(PdcUpdate.state, func.count()).group_by(PdcUpdate.state)).all()
        )
        failed = session.execute(
            select(PdcUpdate.key, PdcUpdate.attempts, PdcUpdate.last_error)
            .where(PdcUpdate.state == PdcUpdateState.FAILED)
            .order_by(PdcUpdate.id.desc())
            .limit(_SHOWN_FAILURES)
        ).all()
    click.echo(", ".join(f"{s}: {counts.get(s.value, 0)}" for s in PdcUpdateState))
    for key, attempts, error in failed:
        click.echo(f"failed after {attempts} attempts: {key}: {error}")
