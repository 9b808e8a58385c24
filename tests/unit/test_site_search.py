"""The artifact search: search-index.json, search.html, static/search.js and the search box."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace

from site_generator.ops_render import by_initial, initial
from site_generator.package_index import page_key, page_label
from site_generator.paths import stream_hrefs, valid_component
from site_generator.search import MAX_STREAMS, search_index
from tests.unit.site_world import XSS, populate, render


def test_index_lists_packages_builds_and_modules(session_factory, tmp_path):
    ids = populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    raw = (out / "search-index.json").read_text(encoding="utf-8")
    assert "\n " not in raw  # compact: browsers fetch it whole
    entries = json.loads(raw)["entries"]
    got = {(e["kind"], e["label"], e["href"]) for e in entries}
    assert got == {
        ("package", "0ad", "packages/rpms/0ad.html"),
        ("package", "bash", "packages/rpms/bash.html"),
        ("package", "bash", "packages/containers/bash.html"),
        ("package", "python-evil", "packages/rpms/python-evil.html"),
        ("package", "zsh", "packages/rpms/zsh.html"),
        ("build", "bash-5.2.26-1.fc41", "packages/rpms/bash.html#build-1"),
        ("build", "bash-5.2.27-1.fc41", f"packages/rpms/bash.html#build-{ids['bash_failed']}"),
        ("build", "bash-container-1-1", f"packages/containers/bash.html#build-{ids['container']}"),
        ("build", "libuv-1.48-1.module_c0ffee00", f"modules/{ids['ready']}.html#component-1"),
        ("module", "nodejs:20:20240401000000:c0ffee00", f"modules/{ids['ready']}.html"),
        ("module", "perl:20:20240401000000:c0ffee00", f"modules/{ids['broken']}.html"),
        ("module", "ruby:20:20240401000000:c0ffee00", f"modules/{ids['stuck']}.html"),
        ("stream", "nodejs:20", "streams/nodejs/20.html"),
        ("stream", "perl:20", "streams/perl/20.html"),
        ("stream", "ruby:20", "streams/ruby/20.html"),
        ("chain", f"chain {ids['chain']}", f"chains/{ids['chain']}.html"),
        ("chain", f"chain {ids['running_chain']}", f"chains/{ids['running_chain']}.html"),
        ("compose", "nodejs:20", f"composes/{ids['compose_done']}.html"),
        ("compose", "f41-build", f"composes/{ids['compose_removed']}.html"),
        ("compose", f"bash-5.2.27-1.fc41 {XSS}", f"composes/{ids['compose_failed']}.html"),
        ("compose", "f41-updates", f"composes/{ids['compose_generating']}.html"),
    }  # no entry for the package without a page, none for builds without an NVR
    order = {"package": 0, "build": 1, "module": 2, "stream": 3, "chain": 4, "compose": 5}
    keys = [(order[e["kind"]], e["label"], e["href"]) for e in entries]
    assert keys == sorted(keys)
    for e in entries:  # every href lands on a page, and on the right row of it
        page, _, fragment = e["href"].partition("#")
        text = (out / page).read_text(encoding="utf-8")
        assert not fragment or f'id="{fragment}"' in text, e
    details = {e["label"]: e["detail"] for e in entries if e["kind"] != "package"}
    assert details["bash-5.2.27-1.fc41"] == "rpms/bash, rawhide: failed"
    assert details["perl:20:20240401000000:c0ffee00"] == "failed"
    assert details["perl:20"] == "newest build failed"


def test_search_page_and_script(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    script = (out / "static/search.js").read_text(encoding="utf-8")
    assert "search-index.json" in script and "textContent" in script
    assert "innerHTML" not in script and not re.search(r"https?://|//cdn", script)
    page = (out / "search.html").read_text(encoding="utf-8")
    assert '<script src="static/search.js" defer></script>' in page  # relative, shipped
    assert '<link rel="alternate" type="application/json" href="search-index.json">' in page
    assert "<noscript>" in page and 'href="packages/index.html"' in page
    assert 'id="search-status" role="status" aria-live="polite"' in page


def test_every_page_has_the_search_box_and_only_search_html_a_script(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        rel = path.relative_to(out).as_posix()
        text = path.read_text(encoding="utf-8")
        root = "../" * rel.count("/")
        form = f'<form class="search" role="search" action="{root}search.html" method="get">'
        assert form in text, rel
        assert '<label for="site-search">Search</label>' in text, rel
        assert '<input id="site-search" name="q" type="search"' in text, rel
        scripts = re.findall(r"<script\b[^>]*>", text)
        assert scripts == (
            ['<script src="static/search.js" defer>'] if rel == "search.html" else []
        ), rel  # every other page is plain HTML


def test_packages_index_by_letter(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    text = (out / "packages/index.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav class="letters".*?</nav>', text, flags=re.S).group(0)
    assert re.findall(r'href="#letter-([^"]+)"', nav) == ["0", "B", "P", "Z", "other"]
    for letter in ("0", "B", "P", "Z", "other"):
        assert f'<tbody id="letter-{letter}">' in text
    # The top page links the index pages (python-* by the letter after the prefix); they
    # list the packages, each with its latest build.
    pages = re.findall(r'<tr data-key="([^"]+)"><th scope="row"><a href="([^"]+)">', text)
    assert [key for key, _ in pages] == ["0", "B", "python-E", "Z", "other"]
    rows = []
    for key, href in pages:
        assert href == f"../package-index/{key}.html"
        page = (out / "package-index" / f"{key}.html").read_text(encoding="utf-8")
        rows += re.findall(
            r'<tr data-name="([^"]*)" data-namespace="([^"]*)" data-state="([^"]*)">', page
        )
    assert rows == [
        ("0ad", "rpms", "failed"),
        ("bash", "containers", "complete"),
        ("bash", "rpms", "queued"),
        ("python-evil", "rpms", "canceled"),
        ("zsh", "rpms", "building"),
        ("../../escape", "rpms", "failed"),
    ]


def test_index_page_keys():
    names = ("python-requests", "Python-x", "perl-Foo", "golang-github-k8s", "golang-x-net",
             "R-foo", "libfoo", "lib", "python-", "0ad", "<x>", "zsh", "ÿ", "lib-x")  # fmt: skip
    keys = [page_key(n) for n in names]
    assert keys == ["python-R", "python-X", "perl-F", "golang-github-K", "golang-X", "r-F",
                    "lib-F", "L", "P", "0", "other", "Z", "other", "lib-other"]  # fmt: skip
    assert [page_label(k) for k in keys[:8]] == [
        "python-R", "python-X", "perl-F", "golang-github-K", "golang-X", "R-F", "libF", "L",
    ]  # fmt: skip
    assert all(valid_component(k) for k in keys)  # file names, whatever the package's name


def test_initials():
    assert [initial(n) for n in ("bash", "Zsh", "0ad", "_x", "éclair", "", "-")] == [
        "B",
        "Z",
        "0",
        "other",
        "other",
        "other",
        "other",
    ]

    class P:
        def __init__(self, namespace: str, name: str) -> None:
            self.namespace, self.name = namespace, name

    groups = by_initial([P("rpms", "b2"), P("rpms", "A"), P("ns", "b1"), P("rpms", ".x")])
    assert [(k, [p.name for p in v]) for k, v in groups] == [
        ("A", ["A"]),
        ("B", ["b1", "b2"]),
        ("other", [".x"]),
    ]


def _bare_site(modules=None):
    """A site context with nothing but module builds (duck-typed: search reads only these)."""
    overview = SimpleNamespace(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC), in_flight=(), recent_builds=(),
        recent_failures=(),
    )  # fmt: skip
    return SimpleNamespace(
        overview=overview, packages=SimpleNamespace(packages=()), package_pages=(),
        modules=modules, chains=None, composes=None,
    )  # fmt: skip


def _module_page(build_id: int, name: str, stream: str, state: str, defined: bool):
    build = SimpleNamespace(id=build_id, name=name, stream=stream, state=state, href=None,
                            nsvc=f"{name}:{stream}:1:c0ffee00")  # fmt: skip
    return SimpleNamespace(module_build=build, batches=(), lifecycle=object() if defined else None)


def test_streams_with_a_page_are_indexed_by_name_and_stream():
    pages = (
        _module_page(1, "nodejs", "20", "failed", True),
        _module_page(2, "nodejs", "20", "ready", True),  # the newest build says
        _module_page(3, "gone", "1", "ready", False),  # no current definition: no page
        _module_page(4, "..", "1", "ready", True),  # unsafe as a file name: no page
    )
    index = search_index(_bare_site(SimpleNamespace(pages=pages)), streams=[("perl", "5.30")])
    streams = [(e.label, e.href, e.detail) for e in index.entries if e.kind == "stream"]
    assert streams == [
        ("nodejs:20", "streams/nodejs/20.html", "newest build ready"),
        ("perl:5.30", "streams/perl/5.30.html", "no module build yet"),
    ]
    for label, href, _ in streams:  # the stream pages' own safe-path helper made them
        assert stream_hrefs(*label.split(":"))[0] == href


def test_stream_entries_are_bounded():
    many = [(f"m{i:05d}", "1") for i in range(MAX_STREAMS + 10)]
    entries = [e for e in search_index(_bare_site(), streams=many).entries if e.kind == "stream"]
    assert len(entries) == MAX_STREAMS and entries[0].label == "m00000:1"
