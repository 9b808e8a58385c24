"""Phase 4, the only code that writes files: a new version beside the old, then one swap.

Layout next to ``output_dir`` (say ``/srv/site``)::

    /srv/site            -> .site.v-k3j2h1   (a symlink, replaced atomically)
    /srv/.site.v-k3j2h1/  the complete current version
    /srv/.site.lock       serializes renderers

Every page is written into a fresh version directory; only when all of it is
there does ``os.replace`` swap a new symlink over ``output_dir`` (rename(2)
is atomic), so a web server sees either the old site or the new one, never a
mix. The previous version is deleted after the swap. Every path component is
checked again here, whatever the earlier phases did.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from site_generator.paths import Page, valid_component

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteResult:
    written: int
    skipped: int
    version_dir: Path


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _current_target(output_dir: Path) -> Path | None:
    """The version directory ``output_dir`` points at, if it is a symlink."""
    if not output_dir.is_symlink():
        return None
    return output_dir.parent / os.readlink(output_dir)


def _remove_leftovers(parent: Path, prefix: str, keep: Path | None) -> None:
    """Versions and links a crashed render left behind (we hold the lock: none is live)."""
    for entry in parent.iterdir():
        if entry.name.startswith(prefix + "link-") and entry.is_symlink():
            entry.unlink()
        elif (
            entry.name.startswith(prefix + "v-")
            and entry.is_dir()
            and not entry.is_symlink()
            and (keep is None or entry.name != keep.name)
        ):
            shutil.rmtree(entry, ignore_errors=True)


def _write_pages(root: Path, pages: Iterable[Page]) -> tuple[int, int]:
    written = skipped = 0
    for page in pages:
        parts = page.path.parts
        if not parts or not all(valid_component(part) for part in parts):
            log.warning("site: not writing %r: unsafe path", str(page.path))
            skipped += 1
            continue
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(root.resolve()):
            log.warning("site: not writing %r: it resolves outside the site", str(page.path))
            skipped += 1
            continue
        try:
            # "x": never follow or overwrite anything already there (two pages, one path).
            with open(target, "x", encoding="utf-8") as handle:
                handle.write(page.content)
        except FileExistsError:
            log.warning("site: not writing %r twice", str(page.path))
            skipped += 1
            continue
        written += 1
    return written, skipped


def _swap(output_dir: Path, version: Path, prefix: str) -> Path | None:
    """Point ``output_dir`` at ``version``; return the old version to delete, if ours."""
    parent = output_dir.parent
    old = _current_target(output_dir)
    if old is None and output_dir.exists():
        try:
            output_dir.rmdir()  # an empty directory: nothing to keep
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
            aside = parent / f"{prefix}previous-{uuid.uuid4().hex[:8]}"
            os.rename(output_dir, aside)
            log.warning(
                "site: %s was not a symlink; moved it to %s (kept, remove it by hand); "
                "from now on it is swapped atomically",
                output_dir,
                aside,
            )
    link = parent / f"{prefix}link-{uuid.uuid4().hex}"
    os.symlink(version.name, link)  # relative: the tree can move as a whole
    try:
        os.replace(link, output_dir)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    if old is not None and (old.parent != parent or not old.name.startswith(prefix + "v-")):
        log.warning("site: %s pointed at %s, which is not ours; not deleting it", output_dir, old)
        return None
    return old


def write_site(pages: Iterable[Page], output_dir: Path) -> WriteResult:
    """Write ``pages`` as a new version of the site and swap it in atomically."""
    output_dir = Path(os.path.abspath(output_dir))  # not resolve(): it is our symlink
    parent = output_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{output_dir.name}."
    with _locked(parent / f"{prefix}lock"):
        _remove_leftovers(parent, prefix, keep=_current_target(output_dir))
        version = Path(tempfile.mkdtemp(prefix=prefix + "v-", dir=parent))
        try:
            version.chmod(0o755)  # mkdtemp makes it private; the web server must read it
            written, skipped = _write_pages(version, pages)
            old = _swap(output_dir, version, prefix)
        except BaseException:
            shutil.rmtree(version, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return WriteResult(written, skipped, version)
