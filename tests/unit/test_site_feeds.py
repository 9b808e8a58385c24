"""Atom feeds of failures: global and per package, well-formed whatever the data says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from models import Build, Package
from models.site_dirty import mark_dirty
from site_generator import render_site
from site_generator.feeds import NEVER, package_feed_path, xml_text
from tests.unit.site_world import BASE_URL, NOW, SETTINGS, XSS, populate, render

A = "{http://www.w3.org/2005/Atom}"


def parse(path) -> ET.Element:
    root = ET.fromstring(path.read_bytes())  # raises on anything not well-formed
    assert root.tag == f"{A}feed"
    return root


def links(element: ET.Element) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in element.findall(f"{A}link")}


def updated(element: ET.Element) -> datetime:
    return datetime.fromisoformat(element.findtext(f"{A}updated"))


def check_atom(root: ET.Element, self_href: str) -> list[ET.Element]:
    """The feed-level elements RFC 4287 requires; returns the entries."""
    assert root.findtext(f"{A}id") == self_href
    assert root.findtext(f"{A}title")
    assert updated(root).tzinfo is not None
    assert root.find(f"{A}author/{A}name") is not None  # entries may have none
    assert links(root)["self"] == self_href
    assert links(root)["alternate"].startswith(BASE_URL)
    entries = root.findall(f"{A}entry")
    for e in entries:
        assert re.fullmatch(r"tag:status\.example\.org,2024:conveyor/\S+", e.findtext(f"{A}id"))
        assert e.findtext(f"{A}title") and updated(e).tzinfo is not None
        assert links(e)["alternate"].startswith(BASE_URL)
        assert e.find(f"{A}content").get("type") == "text"
    times = [updated(e) for e in entries]
    assert times == sorted(times, reverse=True)  # newest first
    if entries:
        assert updated(root) == times[0]
    return entries


def test_global_feed(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    entries = check_atom(parse(out / "feeds/failures.xml"), f"{BASE_URL}feeds/failures.xml")
    titles = [e.findtext(f"{A}title") for e in entries]
    assert titles == [
        "bash-5.2.27-1.fc41 failed",  # 09:20 today
        "perl:20:20240401000000:c0ffee00 failed",  # the module build, 09:00
        "rpms/../../escape rawhide 2222222222 failed",  # no page: links the overview
        "rpms/0ad rawhide ffffffffff failed",  # ten days old: still among the newest 50
    ]  # canceled and complete builds are no failures
    bash = entries[0]
    assert links(bash)["alternate"] == f"{BASE_URL}packages/rpms/bash.html#build-2"
    assert bash.findtext(f"{A}author/{A}name") == XSS  # escaped in the file, text once parsed
    content = bash.findtext(f"{A}content")
    assert f"rpmbuild failed: {XSS} & " in content and "\u202eevil" in content
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]", content)  # stripped
    assert links(entries[1])["alternate"] == f"{BASE_URL}modules/2.html"
    assert links(entries[2])["alternate"] == f"{BASE_URL}index.html"
    raw = (out / "feeds/failures.xml").read_text(encoding="utf-8")
    assert "<script" not in raw and "&lt;script&gt;" in raw


def test_package_feeds(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    written = sorted(
        p.relative_to(out / "feeds/packages").as_posix()
        for p in (out / "feeds/packages").rglob("*.xml")
    )
    assert written == [
        "containers/bash.xml",
        "rpms/0ad.xml",
        "rpms/bash.xml",
        "rpms/python-evil.xml",
        "rpms/zsh.xml",
    ]  # not the unsafe name
    bash = check_atom(
        parse(out / "feeds/packages/rpms/bash.xml"), f"{BASE_URL}feeds/packages/rpms/bash.xml"
    )
    assert [e.findtext(f"{A}title") for e in bash] == ["bash-5.2.27-1.fc41 failed"]
    zsh = parse(out / "feeds/packages/rpms/zsh.xml")
    assert check_atom(zsh, f"{BASE_URL}feeds/packages/rpms/zsh.xml") == []
    assert updated(zsh) == NEVER  # an empty feed never changes
    assert links(zsh)["alternate"] == f"{BASE_URL}packages/rpms/zsh.html"


def test_pages_link_their_feeds(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    atom = '<link rel="alternate" type="application/atom+xml"'
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert f'{atom} title="Conveyor: failed builds" href="feeds/failures.xml">' in overview
    page = (out / "packages/rpms/bash.html").read_text(encoding="utf-8")
    assert 'href="../../feeds/failures.xml">' in page
    assert (
        f'{atom} title="Failed builds of rpms/bash" href="../../feeds/packages/rpms/bash.xml">'
    ) in page
    assert '<a href="../../feeds/packages/rpms/bash.xml">' in page  # visible, too


def test_feeds_do_not_change_between_renders(session_factory, tmp_path):
    populate(session_factory)
    first, second = tmp_path / "a", tmp_path / "b"
    render(session_factory, first)
    later = NOW.replace(tzinfo=UTC) + timedelta(hours=1)
    render_site(session_factory, SETTINGS, output_dir=second, now=later, full=True)
    for rel in (
        "feeds/failures.xml",
        "feeds/packages/rpms/bash.xml",
        "feeds/packages/rpms/zsh.xml",
    ):
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_incremental_render_rewrites_a_package_feed(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    with session_factory.begin() as s:
        zsh = s.query(Package).filter_by(name="zsh").one()
        s.add(
            Build(
                package_id=zsh.id,
                branch="f40",
                commit="9" * 40,
                target="f40-candidate",
                source="git+x",
                state="failed",
                state_reason="broke",
                created_at=NOW,
                updated_at=NOW,
                completed_at=NOW,
                nvr="zsh-5.9-1.fc40",
            )
        )
        mark_dirty(s, "package", zsh.id)
    stats = render_site(
        session_factory, SETTINGS, output_dir=out, now=NOW.replace(tzinfo=UTC), full=False
    )
    assert stats.mode == "incremental"
    entries = parse(out / "feeds/packages/rpms/zsh.xml").findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == ["zsh-5.9-1.fc40 failed"]
    titles = [t.text for t in parse(out / "feeds/failures.xml").iter(f"{A}title")]
    assert "zsh-5.9-1.fc40 failed" in titles  # the global feed is an index page: rewritten


def test_xml_text_and_feed_paths():
    assert xml_text("a\x00b\x08c\x0bd\x1fe\ufffef\ud800g") == "abcdefg"
    assert xml_text("tab\tnl\ncr\r ✓ 模块 😀") == "tab\tnl\ncr\r ✓ 模块 😀"
    assert xml_text(None) == ""
    assert str(package_feed_path("rpms", "bash")) == "feeds/packages/rpms/bash.xml"
    assert package_feed_path("rpms", "../x") is None and package_feed_path("..", "x") is None
