"""Conveyor's own module announcements, read back by the module consumer."""

from __future__ import annotations

from typing import Any

from consumers.events import ModuleStateChange
from consumers.fields import integer, mapping, text
from conveyor.errors import Invalid
from models.module_build import ALL_STATES


def parse_module_state_change(topic: str, body: Any) -> ModuleStateChange:
    module = mapping(body, "module_build")
    state = text(module, "state", where="body.module_build")
    if state not in ALL_STATES:
        raise Invalid(f"body.module_build.state: {state!r} is not a module build state")
    return ModuleStateChange(integer(module, "id", "body.module_build"), state)
