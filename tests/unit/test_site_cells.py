"""The cell filters (site_generator.cells) write exactly what the macros they replace wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from site_generator.render import environment

HOSTILE = "<script>alert(\"x\")</script> & 'q' ../"


@dataclass(frozen=True)
class KojiRefs:
    koji_task_url: str | None
    koji_task_id: int | None
    koji_build_url: str | None
    koji_build_id: int | None


def _both(expression_macro: str, expression_filter: str, **values: object) -> tuple[str, str]:
    env = environment()
    macro = env.from_string('{% import "_macros.html" as m %}' + expression_macro)
    cell = env.from_string(expression_filter)
    return macro.render(**values), cell.render(**values)


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(2026, 11, 23, 1, 2, 3, 456789),  # naive: stored UTC
        datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5))),
        datetime(999, 1, 2, 3, 4, tzinfo=UTC),  # strftime writes "999", isoformat "0999"
    ],
)
def test_time_cell_equals_the_time_macro(value):
    macro, cell = _both("{{ m.time(v) }}", "{{ v|time_cell }}", v=value)
    assert cell == macro
    assert cell.startswith("<time" if value is not None else '<span class="none">')


@pytest.mark.parametrize(
    ("name", "css"), [("complete", "state-complete"), (HOSTILE, HOSTILE), ("", "")]
)
def test_state_badge_equals_the_state_macro(name, css):
    macro, cell = _both("{{ m.state(n, c) }}", "{{ state_badge(n, c) }}", n=name, c=css)
    assert cell == macro
    assert "<script>" not in cell


@pytest.mark.parametrize(
    "refs",
    [
        KojiRefs("https://koji/taskinfo?taskID=1&x=2", 1, "https://koji/buildinfo?buildID=2", 2),
        KojiRefs(None, None, "https://koji/buildinfo?buildID=2", 2),
        KojiRefs("https://koji/taskinfo?taskID=1", 1, None, None),
        KojiRefs(None, None, None, None),
        KojiRefs(f"javascript:{HOSTILE}", 7, HOSTILE, 8),
    ],
)
def test_koji_links_equal_the_koji_links_macro(refs):
    macro, cell = _both("{{ m.koji_links(b) }}", "{{ b|koji_links }}", b=refs)
    assert cell == macro
    assert "<script>" not in cell and '"x"' not in cell


def test_compiled_templates_outlive_the_process(tmp_path):
    """A fresh process (``conveyor site render``) loads what another one compiled."""
    from site_generator.render import _CompiledTemplates

    def env_with(cache: _CompiledTemplates):
        env = environment()
        env.bytecode_cache = cache
        return env

    env_with(_CompiledTemplates(str(tmp_path))).get_template("package.html")
    assert len(list(tmp_path.iterdir())) == 1
    later = env_with(_CompiledTemplates(str(tmp_path)))
    compiled: list[str] = []
    real = later.compile

    def recording(source, name=None, *args, **kw):
        compiled.append(name)
        return real(source, name, *args, **kw)

    later.compile = recording  # type: ignore[method-assign]
    later.get_template("package.html")
    later.get_template("base.html")  # not compiled before: compiled now, and stored
    assert compiled == ["base.html"] and len(list(tmp_path.iterdir())) == 2
