"""``conveyor modulemd``: check modulemd files before they are pushed or built."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from conveyor.modulemd import DocumentVerdict, validate_text

# The document type a skipped verdict stands for, as the packager wrote it.
_SKIPPED_DOCUMENT = {
    "defaults": "modulemd-defaults",
    "translations": "modulemd-translations",
    "obsoletes": "modulemd-obsoletes",
}


@click.group()
def modulemd() -> None:
    """Module metadata (modulemd) files."""


@modulemd.command("validate")
@click.option("--name", default=None, help="Module name the file must have (its repository).")
@click.option("--stream", default=None, help="Stream the file must have (its branch).")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(name: str | None, stream: str | None, files: tuple[Path, ...]) -> None:
    """Validate modulemd FILEs ("-" reads standard input): one line per YAML document.

    Module stream documents (v1, v2) and packager documents (v3) are checked strictly
    against the spec; defaults, translations and obsoletes documents are skipped. Exits 1
    if any document is invalid or any file cannot be read.
    """
    failed = False
    for path in files:
        text = _read(path)
        if text is None:
            failed = True
            continue
        for verdict in validate_text(text, name=name, stream=stream):
            click.echo(f"{path}: {_describe(verdict)}")
            failed = failed or not verdict.ok
    if failed:
        sys.exit(1)


def _read(path: Path) -> str | None:
    """The file's text, or None after telling the user why it cannot be read."""
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start})"
    except OSError as exc:
        problem = exc.strerror or str(exc)
    click.echo(f"{path}: UNREADABLE {problem}", err=True)
    return None


def _describe(verdict: DocumentVerdict) -> str:
    if verdict.skipped:
        return f"SKIP {verdict.label} ({_SKIPPED_DOCUMENT.get(verdict.kind, verdict.kind)})"
    if verdict.ok:
        return f"OK {verdict.label}"
    return f"INVALID {verdict.label}: {'; '.join(verdict.reasons)}"
