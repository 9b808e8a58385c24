"""Phase 4, the only code that writes files: a new version and one swap, or pages in place.

Layout next to ``output_dir`` (say ``/srv/site``)::

    /srv/site            -> .site.v-k3j2h1   (a symlink, replaced atomically)
    /srv/.site.v-k3j2h1/  the complete current version
    /srv/.site.lock       serializes renderers

Every page is written into a fresh version directory; only when all of it is
there does ``os.replace`` swap a new symlink over ``output_dir`` (rename(2)
is atomic), so a web server sees either the old site or the new one, never a
mix. The previous version is deleted after the swap. An incremental render
instead rewrites some pages inside the current version, each one atomically
(a temporary file in the same directory, then ``os.replace``): a reader sees
each page whole, old or new. Every path component is checked again here,
whatever the earlier phases did, in both modes.

``open_site`` holds the lock for a whole render (read, render, write), so a
full and an incremental render never interleave.
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
from pathlib import Path, PurePosixPath

from site_generator.paths import Page, valid_component

log = logging.getLogger(__name__)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# What open(..., "x") gives a page in a full render; in-place rewrites match it.
FILE_MODE = 0o666 & ~_umask()


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


class _Dirs:
    """Directories of one write pass, created and checked once each.

    A full render writes ~70,000 files into a few thousand directories;
    ``mkdir`` and two ``resolve()`` (an ``lstat`` per path component) for every
    file were a third of the write phase. Safe to remember: under the site lock
    nothing but this pass changes the tree, and it creates no symlink.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.resolved_root = root.resolve()
        self.checked: dict[tuple[str, ...], bool] = {}

    def inside(self, parts: tuple[str, ...]) -> bool:
        ok = self.checked.get(parts)
        if ok is None:
            parent = self.root.joinpath(*parts)
            parent.mkdir(parents=True, exist_ok=True)
            ok = self.checked[parts] = parent.resolve().is_relative_to(self.resolved_root)
        return ok


def _target(dirs: _Dirs, page: Page) -> Path | None:
    """Where ``page`` goes under ``dirs.root``, or None (logged) if its path is unsafe."""
    parts = page.path.parts
    if not parts or not all(valid_component(part) for part in parts):
        log.warning("site: not writing %r: unsafe path", str(page.path))
        return None
    if not dirs.inside(parts[:-1]):
        log.warning("site: not writing %r: it resolves outside the site", str(page.path))
        return None
    return dirs.root.joinpath(*parts)


def _write_pages(root: Path, pages: Iterable[Page]) -> tuple[int, int]:
    written = skipped = 0
    dirs = _Dirs(root)
    for page in pages:
        target = _target(dirs, page)
        if target is None:
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


def _replace_file(target: Path, content: str) -> None:
    """Write ``content`` beside ``target`` and rename it over: readers see old or new, whole.

    The temporary name starts with a dot, which no page path may (``valid_component``).
    """
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(content)
        os.replace(tmp, target)  # replaces a symlink itself, never what it points at
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _update_pages(root: Path, pages: Iterable[Page]) -> tuple[int, int]:
    written = skipped = 0
    seen: set[PurePosixPath] = set()
    dirs = _Dirs(root)
    for page in pages:
        target = _target(dirs, page)
        if target is None:
            skipped += 1
            continue
        if page.path in seen:
            log.warning("site: not writing %r twice", str(page.path))
            skipped += 1
            continue
        seen.add(page.path)
        try:
            _replace_file(target, page.content)
        except IsADirectoryError:
            log.warning("site: not writing %r: a directory is in the way", str(page.path))
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


class SiteDir:
    """The site while ``open_site`` holds its lock: replace it whole, or update pages in place."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.parent = output_dir.parent
        self.prefix = f".{output_dir.name}."

    @property
    def current(self) -> Path | None:
        """The version directory the site points at, if it is one of ours."""
        target = _current_target(self.output_dir)
        if (
            target is None
            or target.parent != self.parent
            or not target.name.startswith(self.prefix + "v-")
            or not target.is_dir()
        ):
            return None
        return target

    def has(self, path: PurePosixPath) -> bool:
        """True when the current version holds ``path`` (a page path, checked like one)."""
        current = self.current
        parts = path.parts
        if current is None or not parts or not all(valid_component(p) for p in parts):
            return False
        return current.joinpath(*parts).is_file()

    def replace_all(self, pages: Iterable[Page]) -> WriteResult:
        """Write ``pages`` as a new version of the site and swap it in atomically."""
        _remove_leftovers(self.parent, self.prefix, keep=_current_target(self.output_dir))
        version = Path(tempfile.mkdtemp(prefix=self.prefix + "v-", dir=self.parent))
        try:
            version.chmod(0o755)  # mkdtemp makes it private; the web server must read it
            written, skipped = _write_pages(version, pages)
            old = _swap(self.output_dir, version, self.prefix)
        except BaseException:
            shutil.rmtree(version, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return WriteResult(written, skipped, version)

    def update(self, pages: Iterable[Page]) -> WriteResult:
        """Rewrite ``pages`` inside the current version, each file atomically."""
        current = self.current
        if current is None:
            raise FileNotFoundError(f"{self.output_dir} has no version to update")
        written, skipped = _update_pages(current, pages)
        return WriteResult(written, skipped, current)


@contextmanager
def open_site(output_dir: Path) -> Iterator[SiteDir]:
    """Lock the site at ``output_dir`` (one renderer at a time) for a whole render."""
    output_dir = Path(os.path.abspath(output_dir))  # not resolve(): it is our symlink
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(output_dir.parent / f".{output_dir.name}.lock"):
        yield SiteDir(output_dir)


def write_site(pages: Iterable[Page], output_dir: Path) -> WriteResult:
    """Write ``pages`` as a new version of the site and swap it in atomically."""
    with open_site(output_dir) as site:
        return site.replace_all(pages)
