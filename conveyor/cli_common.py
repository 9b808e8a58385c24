"""What every ``conveyor`` command shares: the ``--settings`` option and loading it."""

from __future__ import annotations

import click

from conveyor import settings as settings_mod
from conveyor.errors import ConfigError

settings_option = click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: $CONVEYOR_SETTINGS, else built-in defaults).",
)


def load_settings(settings_path: str | None) -> settings_mod.Settings:
    """The validated settings, or a clean click error listing every problem."""
    try:
        return settings_mod.load(settings_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
