"""Entry points: a verdict on every document of a file, or one validated module stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conveyor.modulemd.checks import Reasons
from conveyor.modulemd.model import DocumentVerdict, ModulemdInvalid, ModuleStream
from conveyor.modulemd.packager import check_packager
from conveyor.modulemd.stream import Draft, check_stream
from conveyor.modulemd.yamlload import BrokenDocument, LoadedDocument, load_documents

KINDS = {
    "modulemd": "stream",
    "modulemd-packager": "packager",
    "modulemd-defaults": "defaults",
    "modulemd-translations": "translations",
    "modulemd-obsoletes": "obsoletes",
}
# Recognised but not module streams: a repodata file mixes them in, nothing to build.
SKIPPED_KINDS = {"defaults", "translations", "obsoletes"}
VERSIONS = {"stream": (1, 2), "packager": (3,)}


@dataclass
class _Checked:
    verdict: DocumentVerdict
    draft: Draft | None = None
    data: Any = None


def validate_text(
    text: str, *, name: str | None = None, stream: str | None = None
) -> list[DocumentVerdict]:
    """A verdict for every document of a (multi-document) modulemd file.

    ``name`` and ``stream`` (a dist-git repository and branch) are optional here; when
    given, stream documents must agree with them, as in ``load_stream``.
    """
    return [checked.verdict for checked in _check_text(text, name, stream)]


def load_stream(text: str, *, name: str | None = None, stream: str | None = None) -> ModuleStream:
    """The one module stream of a dist-git modulemd file, or ModulemdInvalid with every reason.

    ``name`` and ``stream`` come from the repository and branch: they fill a missing
    data.name / data.stream and must match one that is present.
    """
    checked = _check_text(text, name, stream)
    streams = [c for c in checked if c.verdict.kind in VERSIONS]
    only = len(checked) == 1
    reasons: list[str] = []
    for item in checked:
        verdict = item.verdict
        if verdict.kind in SKIPPED_KINDS:
            reasons.append(
                f"{verdict.label}: a {verdict.kind} document does not belong here; "
                "the file must hold exactly one module stream document"
            )
        elif verdict.kind in VERSIONS and item is not streams[0]:
            reasons.append(f"{verdict.label}: a second module stream document; one is expected")
        else:
            reasons.extend(r if only else f"{verdict.label}: {r}" for r in verdict.reasons)
    if not streams and not reasons:
        reasons.append("no module stream document (document: modulemd) in the text")
    if reasons:
        raise ModulemdInvalid(reasons)
    draft = streams[0].draft
    if draft is None:  # only when reasons were found, so unreachable; keeps typing honest
        raise ModulemdInvalid(["no module stream document (document: modulemd) in the text"])
    missing = [
        f"data.{field}: missing, and no {source} was given to fill it in"
        for field, value, source in (
            ("name", draft.name, "repository name"),
            ("stream", draft.stream, "branch name"),
        )
        if value is None
    ]
    if missing:
        raise ModulemdInvalid(missing)
    return ModuleStream(
        mdversion=draft.mdversion,
        name=draft.name,
        stream=draft.stream,
        version=draft.version,
        context=draft.context,
        summary=draft.summary,
        description=draft.description,
        module_licenses=draft.module_licenses,
        eol=draft.eol,
        servicelevels=draft.servicelevels,
        dependencies=draft.dependencies,
        components=draft.components,
        module_components=draft.module_components,
        document=streams[0].data,
    )


def _check_text(text: Any, name: str | None, stream: str | None) -> list[_Checked]:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"the text is not UTF-8 (byte {exc.start})"
            return [_Checked(DocumentVerdict(1, "unknown", "document 1", (reason,)))]
    if not isinstance(text, str):
        reason = f"expected YAML text, got {type(text).__name__}"
        return [_Checked(DocumentVerdict(1, "unknown", "document 1", (reason,)))]
    checked: list[_Checked] = []
    for index, loaded in enumerate(load_documents(text), start=1):
        if isinstance(loaded, BrokenDocument):
            label = f"document {index}"
            checked.append(_Checked(DocumentVerdict(index, "unknown", label, (loaded.reason,))))
        else:
            checked.append(_check_document(index, loaded, name, stream))
    if not checked:
        reason = "the text holds no YAML document"
        checked.append(_Checked(DocumentVerdict(1, "unknown", "document 1", (reason,))))
    return checked


def _check_document(
    index: int, loaded: LoadedDocument, name: str | None, stream: str | None
) -> _Checked:
    doc = loaded.data
    fallback = f"document {index}"
    if not isinstance(doc, dict):
        what = "empty" if doc in ("", None) else "not a mapping"
        reason = f"the document is {what}; it needs the keys document, version and data"
        return _Checked(DocumentVerdict(index, "unknown", fallback, (reason,)))
    kind = KINDS.get(doc.get("document")) if isinstance(doc.get("document"), str) else None
    if kind in SKIPPED_KINDS:
        return _Checked(
            DocumentVerdict(index, kind, _other_label(doc, kind, fallback), skipped=True)
        )
    r = Reasons(loaded.duplicates)
    r.mapping(
        "", doc, allowed=("document", "version", "data"), required=("document", "version", "data")
    )
    draft = None
    if kind is None:
        if "document" in doc:
            r.add(
                "document",
                f"{doc['document']!r} is not a modulemd document type ({', '.join(KINDS)})",
            )
        kind = "unknown"
    elif "version" in doc:
        version = r.integer("version", doc["version"], 0, 2**64 - 1)
        if version is not None and version not in VERSIONS[kind]:
            known = " or ".join(str(v) for v in VERSIONS[kind])
            r.add("version", f"{doc['document']} version {version} is not supported ({known})")
        elif version is not None and "data" in doc:
            draft = (
                check_packager(r, doc["data"])
                if kind == "packager"
                else check_stream(r, doc["data"], version)
            )
            _apply_repository(r, draft, name, stream)
    label = f"{draft.name}:{draft.stream}" if draft and draft.name and draft.stream else fallback
    reasons = (*loaded.problems, *r.items, *r.leftover_duplicates())
    return _Checked(DocumentVerdict(index, kind, label, reasons), draft, doc)


def _apply_repository(r: Reasons, draft: Draft, name: str | None, stream: str | None) -> None:
    """Fill name/stream from the repository and branch; a different value is an error."""
    for field, given, source in (
        ("name", name, "repository name"),
        ("stream", stream, "branch name"),
    ):
        if given is None:
            continue
        check = r.name if field == "name" else r.stream
        if check(f"the {source}", given) is None:
            continue
        current = getattr(draft, field)
        if current is None:
            setattr(draft, field, given)
        elif current != given:
            r.add(f"data.{field}", f"{current!r} does not match the {source} {given!r}")


def _other_label(doc: dict, kind: str, fallback: str) -> str:
    """The module a skipped document is about; translations are per stream, so name it too.

    A defaults document's ``stream`` is the default stream, not the document's own, so
    it stays out of the label where it would read like a name:stream.
    """
    data = doc.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("module"), str):
        return fallback
    stream = data.get("stream")
    if kind == "translations" and isinstance(stream, str) and stream:
        return f"{data['module']}:{stream}"
    return data["module"]
