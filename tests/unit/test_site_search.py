"""The artifact search: search-index.json, search.html, static/search.js and the search box."""

from __future__ import annotations

import json
import re

from site_generator.ops_render import by_initial, initial
from site_generator.package_index import page_key, page_label
from site_generator.paths import valid_component
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
        ("chain", f"chain {ids['chain']}", f"chains/{ids['chain']}.html"),
        ("chain", f"chain {ids['running_chain']}", f"chains/{ids['running_chain']}.html"),
        ("compose", "nodejs:20", f"composes/{ids['compose_done']}.html"),
        ("compose", "f41-build", f"composes/{ids['compose_removed']}.html"),
        ("compose", f"bash-5.2.27-1.fc41 {XSS}", f"composes/{ids['compose_failed']}.html"),
        ("compose", "f41-updates", f"composes/{ids['compose_generating']}.html"),
    }  # no entry for the package without a page, none for builds without an NVR
    order = {"package": 0, "build": 1, "module": 2, "chain": 3, "compose": 4}
    keys = [(order[e["kind"]], e["label"], e["href"]) for e in entries]
    assert keys == sorted(keys)
    for e in entries:  # every href lands on a page, and on the right row of it
        page, _, fragment = e["href"].partition("#")
        text = (out / page).read_text(encoding="utf-8")
        assert not fragment or f'id="{fragment}"' in text, e
    details = {e["label"]: e["detail"] for e in entries if e["kind"] != "package"}
    assert details["bash-5.2.27-1.fc41"] == "rpms/bash, rawhide: failed"
    assert details["perl:20:20240401000000:c0ffee00"] == "failed"


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
