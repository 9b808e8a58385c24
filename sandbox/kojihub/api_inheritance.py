"""The koji API methods for tag inheritance (the walk itself: ``inheritance``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ParameterError
from .inheritance import full_inheritance, inheritance_rows, write_inheritance
from .queries import resolve_tag

if TYPE_CHECKING:
    from .store import Store


class InheritanceMethods:
    METHODS = ("getInheritanceData", "setInheritanceData", "getFullInheritance")
    store: Store

    def _tag_id(self, tag: Any) -> int:
        found = resolve_tag(self.store, tag, strict=True)
        assert found is not None
        return found.id

    def getInheritanceData(self, tag: Any, event: Any = None) -> list[dict[str, Any]]:
        """The tag's own parent links, by priority."""
        return inheritance_rows(self.store, self._tag_id(tag))

    def setInheritanceData(self, tag: Any, data: Any, clear: bool = False) -> None:
        """Add or change parent links (each needs parent_id, priority, maxdepth,
        intransitive, noconfig, pkg_filter), or remove one with ``"delete link": True``."""
        write_inheritance(self.store, self._tag_id(tag), data, clear=bool(clear))

    def getFullInheritance(
        self, tag: Any, event: Any = None, reverse: bool = False, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """Every ancestor link (``reverse``: every descendant link), in walk order."""
        for key, value in kwargs.items():
            if key not in ("stops", "jumps"):
                raise ParameterError(
                    f"getFullInheritance() got an unexpected keyword argument '{key}'"
                )
            if value:
                raise ParameterError(f"{key} option has been removed since 1.26")
        return full_inheritance(self.store, self._tag_id(tag), reverse=bool(reverse))
