"""Load modulemd files (single documents or repository ``modules.yaml``) as definitions.

A repository file mixes stream documents with defaults, translations and obsoletes
documents; those are skipped. Documents of the same stream (several contexts) merge
into one definition whose source is the sha256 of their text, so loading the same
file again adds nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from conveyor.deps import store
from conveyor.deps.definition import StreamDefinition, from_module_streams
from conveyor.modulemd import ModulemdInvalid, ModuleStream, load_stream, validate_text
from models.module_build import ModuleBuild

# A line that starts or ends a YAML document: at column 0 these are markers even inside
# a scalar, so splitting here is exact without parsing the YAML twice.
_START = re.compile(r"^---(?:[ \t]|$)")
_END = re.compile(r"^\.\.\.(?:[ \t]|$)")


@dataclass
class LoadReport:
    """What one load did: streams recorded, already known, documents skipped or invalid."""

    recorded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: int = 0
    invalid: list[str] = field(default_factory=list)


def split_documents(text: str) -> Iterator[str]:
    """The text of each YAML document of ``text``, markers included."""
    chunk: list[str] = []
    for line in text.splitlines(keepends=True):
        if _START.match(line) and _has_content(chunk):
            yield "".join(chunk)
            chunk = []
        chunk.append(line)
        if _END.match(line):
            if _has_content(chunk):
                yield "".join(chunk)
            chunk = []
    if _has_content(chunk):
        yield "".join(chunk)


def parse_text(text: str, label: str, report: LoadReport) -> list[tuple[ModuleStream, str]]:
    """Every module stream document with its own text; the rest counted in ``report``."""
    found = []
    for index, chunk in enumerate(split_documents(text), start=1):
        try:
            found.append((load_stream(chunk), chunk))
        except ModulemdInvalid as exc:
            verdicts = validate_text(chunk)
            if verdicts and all(v.skipped for v in verdicts):
                report.skipped += 1
            else:
                report.invalid.append(f"{label}: document {index}: {exc}")
    return found


def definitions(text: str, label: str, report: LoadReport) -> list[tuple[StreamDefinition, str]]:
    """One definition per stream in the text, with the sha256 of its documents."""
    by_ns: dict[tuple[str, str], list[tuple[ModuleStream, str]]] = {}
    for doc, chunk in parse_text(text, label, report):
        by_ns.setdefault((doc.name, doc.stream), []).append((doc, chunk))
    result = []
    for docs in by_ns.values():
        digest = hashlib.sha256("".join(chunk for _, chunk in docs).encode()).hexdigest()
        result.append((from_module_streams(doc for doc, _ in docs), f"sha256:{digest}"))
    return result


def load_text(session: Session, text: str, *, origin: str, report: LoadReport) -> None:
    """Record every stream of a file's text in the session (the caller commits)."""
    for definition, digest in definitions(text, origin, report):
        _, created = store.record(
            session, definition, source_kind="file", source=digest, origin=origin
        )
        (report.recorded if created else report.unchanged).append(definition.ns)


def record_pushed(
    session: Session, text: str, *, name: str, stream: str, commit: str, origin: str
) -> bool:
    """Record the modulemd a push put on ``modules/<name>`` branch ``stream``.

    An invalid file records nothing: the module build's init reports why, on the site.
    Returns whether a new definition was recorded.
    """
    try:
        doc = load_stream(text, name=name, stream=stream)
    except ModulemdInvalid:
        return False
    _, created = store.record(
        session, from_module_streams([doc]), source_kind="commit", source=commit, origin=origin
    )
    return created


def record_module_build(session: Session, build: ModuleBuild) -> bool:
    """Record the modulemd a module build was submitted with, under its commit.

    A push of that commit already recorded the same text under the same key, so this
    adds a definition only for builds that came another way (REST API, CLI).
    """
    try:
        doc = load_stream(build.modulemd, name=build.name, stream=build.stream)
    except ModulemdInvalid:
        return False
    _, created = store.record(
        session,
        from_module_streams([doc]),
        source_kind="build",
        source=build.commit,
        origin=build.scmurl,
    )
    return created


def _has_content(lines: list[str]) -> bool:
    """A chunk made only of markers, comments, directives or blanks is no document."""
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "%")):
            continue
        if _START.match(line) and not stripped[3:].strip():
            continue
        if _END.match(line):
            continue
        return True
    return False
