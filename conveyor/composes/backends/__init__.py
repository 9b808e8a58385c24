"""Compose backends, chosen by ``composes.backend`` in the settings.

Each entry names a module and a class taking the settings; the module is
imported only when that backend is chosen (``odcs`` lives in ``odcs.py``).
"""

from __future__ import annotations

import importlib

from conveyor.composes.backends.base import (
    Backend,
    ComposeInputs,
    Content,
    GenerationFailed,
    ModuleSource,
    Result,
)
from conveyor.errors import ConfigError
from conveyor.settings import Settings

BACKENDS: dict[str, tuple[str, str]] = {
    "local": ("conveyor.composes.backends.local", "LocalBackend"),
    "odcs": ("conveyor.composes.backends.odcs", "OdcsBackend"),
}


def backend_for(settings: Settings) -> Backend:
    name = settings.composes.backend
    if name not in BACKENDS:
        raise ConfigError([f"composes.backend: no backend named {name!r}"])
    module, cls = BACKENDS[name]
    return getattr(importlib.import_module(module), cls)(settings)


__all__ = [
    "BACKENDS",
    "Backend",
    "ComposeInputs",
    "Content",
    "GenerationFailed",
    "ModuleSource",
    "Result",
    "backend_for",
]
