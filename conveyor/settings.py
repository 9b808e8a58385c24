"""Conveyor settings: one YAML file, validated up front, every error reported at once.

The file is data, never code. ``CONVEYOR_SETTINGS`` names it and
``CONVEYOR_DATABASE_URL`` overrides the database URL; a fedora-messaging
consumer finds the path in its TOML under ``[consumer_config] settings``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from conveyor.errors import ConfigError
from conveyor.settings_composes import ComposeSettings, parse_composes
from conveyor.settings_gating import GatingSettings, parse_gating
from conveyor.settings_odcs import OdcsSettings, parse_odcs
from conveyor.settings_pdc import PdcSettings, parse_pdc
from conveyor.settings_sections import (
    DEFAULT_BRANCH_TARGETS,
    ApiSettings,
    BranchTarget,
    CronSettings,
    DistGitSettings,
    KojiSettings,
    ModuleSettings,
    RetrySettings,
    SiteSettings,
)

DEFAULT_DATABASE_URL = "sqlite:///conveyor.sqlite"
__all__ = [
    "DEFAULT_DATABASE_URL",
    "ApiSettings",
    "BranchTarget",
    "CronSettings",
    "DistGitSettings",
    "KojiSettings",
    "ModuleSettings",
    "RetrySettings",
    "Settings",
    "SiteSettings",
    "load",
    "parse",
    "scm_host",
]


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    koji: KojiSettings = field(default_factory=KojiSettings)
    distgit: DistGitSettings = field(default_factory=DistGitSettings)
    branch_targets: tuple[BranchTarget, ...] = DEFAULT_BRANCH_TARGETS
    allowed_pushers: tuple[str, ...] = ("*",)
    site: SiteSettings = field(default_factory=SiteSettings)
    cron: CronSettings = field(default_factory=CronSettings)
    retries: RetrySettings = field(default_factory=RetrySettings)
    modules: ModuleSettings = field(default_factory=ModuleSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    gating: GatingSettings = field(default_factory=GatingSettings)
    composes: ComposeSettings = field(default_factory=ComposeSettings)
    odcs: OdcsSettings = field(default_factory=OdcsSettings)
    pdc: PdcSettings = field(default_factory=PdcSettings)

    def target_for(self, branch: str) -> str | None:
        """The koji target a push to ``branch`` builds for, or None if unmapped."""
        for rule in self.branch_targets:
            match = re.fullmatch(rule.branch, branch)
            if match:
                return match.expand(rule.target)
        return None

    def pusher_allowed(self, pusher: str | None) -> bool:
        if "*" in self.allowed_pushers:
            return True
        return pusher is not None and pusher in self.allowed_pushers

    def stream_allowed(self, branch: str) -> bool:
        return re.fullmatch(self.modules.stream_branches, branch) is not None

    def scm_host_allowed(self, url: str) -> bool:
        return scm_host(url) in self.distgit.allowed_scm_hosts


def scm_host(url: str) -> str:
    """The host of an SCM URL; local ``file://`` repositories count as ``localhost``."""
    parts = urlsplit(url.removeprefix("git+"))
    if parts.scheme == "file":
        return "localhost"
    return parts.hostname or ""


_SECTIONS = {
    "koji": KojiSettings,
    "distgit": DistGitSettings,
    "site": SiteSettings,
    "cron": CronSettings,
    "retries": RetrySettings,
    "modules": ModuleSettings,
    "api": ApiSettings,
}


def _check_scalar(where: str, value: Any, expected: Any, problems: list[str]) -> Any:
    if expected is bool:
        if not isinstance(value, bool):
            problems.append(f"{where}: expected true or false, got {value!r}")
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected in (int, float) and (isinstance(value, bool) or not isinstance(value, expected)):
        problems.append(f"{where}: expected a number, got {value!r}")
    elif expected is str and not isinstance(value, str):
        problems.append(f"{where}: expected a string, got {value!r}")
    elif expected in (int, float) and value < 0:
        problems.append(f"{where}: must not be negative, got {value!r}")
    return value


def _check_strings(where: str, value: Any, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: expected a list of strings, got {value!r}")
        return ()
    return tuple(value)


_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def _section(name: str, cls: type, raw: Any, problems: list[str]) -> Any:
    if not isinstance(raw, dict):
        problems.append(f"{name}: expected a mapping, got {raw!r}")
        return cls()
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{name}.{key}"
        if key not in known:
            problems.append(f"{where}: unknown key")
        else:
            before = len(problems)
            if known[key].type.startswith("tuple"):
                checked = _check_strings(where, value, problems)
            else:
                checked = _check_scalar(where, value, _TYPES[known[key].type], problems)
            if len(problems) == before:  # a bad value is reported, never used
                values[key] = checked
    return cls(**values)


def _branch_targets(raw: Any, problems: list[str]) -> tuple[BranchTarget, ...]:
    if not isinstance(raw, list):
        problems.append(f"branch_targets: expected a list, got {raw!r}")
        return DEFAULT_BRANCH_TARGETS
    rules = []
    for i, item in enumerate(raw):
        where = f"branch_targets[{i}]"
        if not isinstance(item, dict) or set(item) != {"branch", "target"}:
            problems.append(f"{where}: expected a mapping with exactly 'branch' and 'target'")
            continue
        if not all(isinstance(item[k], str) for k in ("branch", "target")):
            problems.append(f"{where}: 'branch' and 'target' must be strings")
            continue
        try:
            pattern = re.compile(item["branch"])
        except re.error as exc:
            problems.append(f"{where}.branch: not a valid regular expression: {exc}")
            continue
        missing = _missing_groups(pattern, item["target"])
        if missing:
            problems.append(f"{where}.target: refers to groups the branch lacks: {missing}")
            continue
        rules.append(BranchTarget(item["branch"], item["target"]))
    return tuple(rules)


_GROUP_REF = re.compile(r"\\(\d+)|\\g<(\w+)>")


def _missing_groups(pattern: re.Pattern[str], template: str) -> list[str]:
    """References in a target template (\\1, \\g<name>) that the branch pattern lacks."""
    missing = []
    for number, name in _GROUP_REF.findall(template):
        ref = number or name
        if ref.isdigit():
            if int(ref) > pattern.groups:
                missing.append(ref)
        elif ref not in pattern.groupindex:
            missing.append(ref)
    return missing


def _cross_checks(settings: Settings, problems: list[str]) -> None:
    if settings.koji.auth not in ("none", "gssapi", "ssl"):
        problems.append(f"koji.auth: must be none, gssapi or ssl, got {settings.koji.auth!r}")
    if settings.koji.auth == "ssl" and not settings.koji.cert:
        problems.append("koji.cert: required when koji.auth is ssl")
    if not settings.scm_host_allowed(settings.distgit.base_url):
        problems.append(
            f"distgit.base_url: host {scm_host(settings.distgit.base_url)!r} "
            "is not in distgit.allowed_scm_hosts"
        )
    if settings.retries.max_attempts < 1:
        problems.append("retries.max_attempts: must be at least 1")
    _module_checks(settings, problems)


def _module_checks(settings: Settings, problems: list[str]) -> None:
    modules = settings.modules
    try:
        re.compile(modules.stream_branches)
    except re.error as exc:
        problems.append(f"modules.stream_branches: not a valid regular expression: {exc}")
    if "{stream}" not in modules.platform_tag:
        problems.append("modules.platform_tag: must contain {stream}")
    if modules.max_concurrent_builds < 1:
        problems.append("modules.max_concurrent_builds: must be at least 1")
    prefix = settings.api.prefix
    if not prefix.startswith("/") or prefix.endswith("/"):
        problems.append(f"api.prefix: must start with / and not end with one, got {prefix!r}")


def parse(raw: Any, env: dict[str, str] | None = None) -> Settings:
    """Validate a settings mapping; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    problems: list[str] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([f"settings: expected a mapping at the top level, got {raw!r}"])
    values: dict[str, Any] = {}
    for key, value in raw.items():
        before = len(problems)
        if key in _SECTIONS:
            values[key] = _section(key, _SECTIONS[key], value, problems)
        elif key == "database_url":
            checked = _check_scalar(key, value, str, problems)
            if len(problems) == before:
                values[key] = checked
        elif key == "allowed_pushers":
            checked = _check_strings(key, value, problems)
            if len(problems) == before:
                values[key] = checked
        elif key == "branch_targets":
            values[key] = _branch_targets(value, problems)
        elif key == "gating":
            values[key] = parse_gating(value, problems)
        elif key == "composes":
            values[key] = parse_composes(value, problems)
        elif key == "odcs":
            values[key] = parse_odcs(value, problems)
        elif key == "pdc":
            values[key] = parse_pdc(value, problems)
        else:
            problems.append(f"{key}: unknown key")
    if env.get("CONVEYOR_DATABASE_URL"):
        values["database_url"] = env["CONVEYOR_DATABASE_URL"]
    settings = Settings(**values)
    _cross_checks(settings, problems)
    if problems:
        raise ConfigError(problems)
    return settings


def load(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load settings from ``path``, else ``$CONVEYOR_SETTINGS``, else the defaults."""
    path = path or os.environ.get("CONVEYOR_SETTINGS")
    if not path:
        return parse({})
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read settings file: {exc}"]) from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from exc
    return parse(raw)
