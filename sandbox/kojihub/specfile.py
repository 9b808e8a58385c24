"""The NVR of a package at a commit: read its spec from a bare git repository.

Only what a sandbox needs: ``%global``/``%define``, ``%{name}``, ``%name``,
``%{?x}``, ``%{?x:y}``, ``%{!?x:y}``, ``%{dist}``, ``%{?fedora}``/``%{?rhel}``
and ``%autorelease`` (the number of commits up to the built one). Everything
reaching a path or a git argument is checked against a strict pattern first.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

NAMESPACE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
SOURCE_RE = re.compile(
    r"^git\+(?P<scheme>file|https)://(?P<host>[^/?#]*)(?P<path>/[^?#]*?)?"
    r"/(?P<namespace>[^/?#]+)/(?P<name>[^/?#]+?)(?:\.git)?/?\??#(?P<commit>[^#]+)$"
)
_MACRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAG_LINE = re.compile(r"^(Name|Version|Release|Epoch)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_DEFINE_LINE = re.compile(r"^%(?:global|define)\s+([A-Za-z_][A-Za-z0-9_]*)(?:\(\))?\s+(.*?)\s*$")
_SECTION = re.compile(r"^%(description|package|prep|build|install|check|files|changelog)\b")
_NVR_PART = re.compile(r"^[A-Za-z0-9._+~^]+$")
_MAX_DEPTH = 32


class SpecError(Exception):
    """The spec cannot be read or gives no valid NVR."""


@dataclass(frozen=True)
class Source:
    scheme: str
    namespace: str
    name: str
    commit: str


@dataclass(frozen=True)
class NVR:
    name: str
    version: str
    release: str
    epoch: int | None = None


def parse_source(src: str) -> Source | None:
    """Split a ``git+file://`` or ``git+https://`` dist-git source, or None if malformed."""
    match = SOURCE_RE.match(src)
    if match is None:
        return None
    source = Source(match["scheme"], match["namespace"], match["name"], match["commit"])
    valid = (
        NAMESPACE_RE.match(source.namespace)
        and NAME_RE.match(source.name)
        and ".." not in source.name
        and COMMIT_RE.match(source.commit)
    )
    return source if valid else None


def _git(repo: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", f"--git-dir={repo}", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpecError(f"git failed: {exc}") from exc
    if proc.returncode != 0:
        raise SpecError(f"git {args[0]} failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout


# A spec line that makes the sandbox fail the build, as a broken spec would in mock; a
# packager "fixes" the package by pushing a commit without it.
FAIL_MARKER = "# sandbox: fail"


def marked_to_fail(distgit_root: Path, source: Source) -> bool:
    try:
        return FAIL_MARKER in _spec_text(distgit_root, source)
    except SpecError:
        return False


def read_nvr(distgit_root: Path, source: Source, dist: str) -> NVR:
    """The NVR that building ``source`` for a target with ``dist`` would produce."""
    text = _spec_text(distgit_root, source)
    repo = distgit_root / source.namespace / f"{source.name}.git"
    count = 1
    if "autorelease" in text:
        count = int(_git(repo, "rev-list", "--count", source.commit).strip() or 1)
    return nvr_from_spec(text, dist, autorelease=count)


def _spec_text(distgit_root: Path, source: Source) -> str:
    for pattern, value in (
        (NAMESPACE_RE, source.namespace),
        (NAME_RE, source.name),
        (COMMIT_RE, source.commit),
    ):
        if not pattern.match(value) or ".." in value:
            raise SpecError(f"invalid source component: {value!r}")
    repo = distgit_root / source.namespace / f"{source.name}.git"
    if not repo.is_dir():
        raise SpecError(f"no such repository: {source.namespace}/{source.name}")
    return _git(repo, "show", f"{source.commit}:{source.name}.spec")


def dist_macros(dist: str) -> dict[str, str]:
    macros = {"dist": dist}
    if match := re.fullmatch(r"\.fc(\d+)", dist):
        macros["fedora"] = match[1]
    elif match := re.fullmatch(r"\.el(\d+)(?:_\d+)?", dist):
        macros["rhel"] = macros["epel"] = match[1]
    return macros


def nvr_from_spec(text: str, dist: str, autorelease: int = 1) -> NVR:
    macros = dist_macros(dist)
    macros["autorelease"] = f"{autorelease}%{{?dist}}"
    macros["autochangelog"] = ""
    tags: dict[str, str] = {}
    for line in text.splitlines():
        if _SECTION.match(line):
            break
        if define := _DEFINE_LINE.match(line):
            macros[define[1]] = expand(define[2], macros)
        elif (tag := _TAG_LINE.match(line)) and tag[1].lower() not in tags:
            value = expand(tag[2], macros)
            tags[tag[1].lower()] = value
            macros[tag[1].lower()] = value
    for key in ("name", "version", "release"):
        value = tags.get(key)
        pattern = NAME_RE if key == "name" else _NVR_PART
        if not value or not pattern.match(value):
            raise SpecError(f"spec gives no valid {key.capitalize()}: {value!r}")
    epoch = tags.get("epoch")
    if epoch is not None and not epoch.isdigit():
        raise SpecError(f"spec gives no valid Epoch: {epoch!r}")
    return NVR(
        tags["name"], tags["version"], tags["release"], int(epoch) if epoch is not None else None
    )


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` matching the ``{`` at ``start``, or -1."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def expand(text: str, macros: dict[str, str], depth: int = 0) -> str:
    """Expand rpm macros in ``text``; unknown plain macros are left as written."""
    if depth > _MAX_DEPTH:
        raise SpecError("macro expansion too deep")
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        nxt = text[index + 1] if index + 1 < len(text) else ""
        if char != "%" or not nxt:
            out.append(char)
            index += 1
        elif nxt == "%":
            out.append("%")
            index += 2
        elif nxt == "{":
            end = _closing_brace(text, index + 1)
            if end < 0:
                out.append(text[index:])
                break
            out.append(_expand_braced(text[index + 2 : end], macros, depth))
            index = end + 1
        elif name := _MACRO_NAME.match(text, index + 1):
            word = name.group(0)
            out.append(expand(macros[word], macros, depth + 1) if word in macros else "%" + word)
            index = name.end()
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _expand_braced(body: str, macros: dict[str, str], depth: int) -> str:
    negate = body.startswith(("!?", "?!"))
    conditional = negate or body.startswith("?")
    inner = body[2:] if negate else body[1:] if conditional else body
    name, has_arg, arg = inner.partition(":")
    defined = name in macros
    if not conditional:
        return expand(macros[name], macros, depth + 1) if defined else "%{" + body + "}"
    if negate:
        return expand(arg, macros, depth + 1) if has_arg and not defined else ""
    if not defined:
        return ""
    return expand(arg if has_arg else macros[name], macros, depth + 1)
