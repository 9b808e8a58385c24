"""Small modulemd v2 documents for the demo and the tests."""

from __future__ import annotations

TEMPLATE = """\
document: modulemd
version: 2
data:
  summary: A sandbox module
  description: A module with {count} components in {batches} batches.
  license:
    module: [MIT]
  dependencies:
    - buildrequires:
        platform: [{platform}]
      requires:
        platform: [{platform}]
  components:
    rpms:
{components}
"""


def modulemd(components: dict[str, int], ref: str = "rawhide", platform: str = "f43") -> str:
    """A v2 stream document: package -> buildorder, every component at ``ref``."""
    lines = "".join(
        f"      {name}:\n        rationale: needed\n        ref: {ref}\n"
        f"        buildorder: {order}\n"
        for name, order in components.items()
    )
    return TEMPLATE.format(
        count=len(components),
        batches=len(set(components.values())),
        components=lines,
        platform=platform,
    )
