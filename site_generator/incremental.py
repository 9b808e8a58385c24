"""The incremental render: rewrite, in place, only the pages whose data changed.

``render_site`` calls it when the site exists and the navigation stays the
same. It reads the ``site_dirty`` rows' objects and writes their pages, the
packages index pages that list the dirty packages, and the index pages that
list or count across the whole site.
"""

from __future__ import annotations

from collections import defaultdict

from models.site_dirty import DirtyRow
from site_generator import gather_site
from site_generator.package_index import page_key
from site_generator.paths import chain_paths, compose_paths, module_build_paths, package_paths
from site_generator.phases import Clock, Job, package_contexts
from site_generator.render import index_pages, module_pages, package_pages
from site_generator.render_pipeline import detail_pages
from site_generator.streams import changed_stream_pages
from site_generator.write import SiteDir, WriteResult


def render_changes(
    job: Job,
    index: gather_site.IndexGathered,
    reader: gather_site.Reader,
    site: SiteDir,
    dirty: tuple[DirtyRow, ...],
    clock: Clock,
) -> WriteResult:
    keys: dict[str, set[int]] = defaultdict(set)
    for row in dirty:
        keys[row.kind].add(row.key)
    packages = [p for p in index.data.packages if p.id in keys["package"]]
    modules = job.site.modules.pages if job.site.modules is not None else ()
    changed_modules = [m for m in modules if m.module_build.id in keys["module_build"]]
    contexts = list(package_contexts(job, reader, packages, by_range=False, clock=clock))
    clock.lap("context")
    new = index.index_pages is None  # something got its first page (_index_scope)
    nav = job.site.modules is not None
    pages = [
        *index_pages(job.env, job.site, new=new, kinds={d.kind for d in dirty}),
        *module_pages(job.env, changed_modules),
        *detail_pages(job.env, job.site, keys["chain"], keys["compose"]),
        *changed_stream_pages(
            job.env, reader, job.settings, job.now, nav=nav, dirty=dirty, site=site
        ),
        *package_pages(job.env, contexts, nav=job.site.modules is not None),
    ]
    clock.lap("render")
    return site.update(pages)


def index_scope(
    reader: gather_site.Reader, site: SiteDir, dirty: tuple[DirtyRow, ...]
) -> frozenset[str] | None:
    """The packages index pages an incremental render rewrites: those of the dirty packages.

    None (every index page, and the search index) when a dirty package, module
    build, chain or compose has no page yet: the search index must list it.
    """
    keys: dict[str, set[int]] = defaultdict(set)
    for row in dirty:
        keys[row.kind].add(row.key)
    packages = gather_site.package_names(reader, keys["package"])
    paths = [package_paths(p.namespace, p.name) for p in packages]
    paths += [module_build_paths(k) for k in keys["module_build"]]
    paths += [chain_paths(k) for k in keys["chain"]]
    paths += [compose_paths(k) for k in keys["compose"]]
    if any(p is not None and not site.has(p[0]) for p in paths):
        return None
    return frozenset(page_key(p.name) for p in packages)
