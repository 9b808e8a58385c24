"""The ``gating`` settings section: which CI test cases an artifact needs, Greenwave-like.

```yaml
gating:
  timeout_minutes: 360
  rules:
    - artifact: module            # module | koji_build
      stream: "*"                 # glob on the module stream (modules) or branch (koji builds)
      name: "*"                   # glob on the module or package name (optional)
      required: [fedora-ci.redhat-module.tier0.functional]
      timeout_minutes: 60         # optional; the section's timeout otherwise
```

No rule (the default) requires nothing: every artifact passes at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ARTIFACTS = ("module", "koji_build")
_RULE_KEYS = frozenset({"artifact", "stream", "name", "required", "timeout_minutes"})


@dataclass(frozen=True)
class GatingRule:
    artifact: str  # module | koji_build
    required: tuple[str, ...]
    stream: str = "*"
    name: str = "*"
    timeout_minutes: int | None = None


@dataclass(frozen=True)
class GatingSettings:
    timeout_minutes: int = 360  # missing results this long after done: the gate fails
    rules: tuple[GatingRule, ...] = ()


def parse_gating(raw: Any, problems: list[str]) -> GatingSettings:
    """Validate the section; every problem is appended, a bad value is never used."""
    if not isinstance(raw, dict):
        problems.append(f"gating: expected a mapping, got {raw!r}")
        return GatingSettings()
    for key in sorted(set(raw) - {"timeout_minutes", "rules"}):
        problems.append(f"gating.{key}: unknown key")
    timeout = _minutes("gating.timeout_minutes", raw.get("timeout_minutes", 360), problems)
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list):
        problems.append(f"gating.rules: expected a list, got {rules_raw!r}")
        rules_raw = []
    rules = [_rule(f"gating.rules[{i}]", item, problems) for i, item in enumerate(rules_raw)]
    return GatingSettings(
        timeout_minutes=timeout if timeout is not None else 360,
        rules=tuple(r for r in rules if r is not None),
    )


def _minutes(where: str, value: Any, problems: list[str]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(f"{where}: expected a whole number of minutes >= 0, got {value!r}")
        return None
    return value


def _rule(where: str, item: Any, problems: list[str]) -> GatingRule | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping, got {item!r}")
        return None
    before = len(problems)
    for key in sorted(set(item) - _RULE_KEYS):
        problems.append(f"{where}.{key}: unknown key")
    artifact = item.get("artifact")
    if artifact not in ARTIFACTS:
        problems.append(
            f"{where}.artifact: must be one of {', '.join(ARTIFACTS)}, got {artifact!r}"
        )
    required = item.get("required")
    if (
        not isinstance(required, list)
        or not required
        or not all(isinstance(r, str) and r for r in required)
    ):
        problems.append(f"{where}.required: expected a non-empty list of test case names")
    for key in ("stream", "name"):
        if not isinstance(item.get(key, "*"), str):
            problems.append(f"{where}.{key}: expected a glob string, got {item[key]!r}")
    timeout = None
    if "timeout_minutes" in item:
        timeout = _minutes(f"{where}.timeout_minutes", item["timeout_minutes"], problems)
    if len(problems) > before:
        return None
    return GatingRule(
        artifact=artifact, required=tuple(required), stream=item.get("stream", "*"),
        name=item.get("name", "*"), timeout_minutes=timeout,
    )  # fmt: skip
