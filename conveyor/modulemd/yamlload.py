"""YAML to plain data where every scalar stays the string the packager typed.

A stream ``5.30`` must not become the float 5.3 and a context ``00000000`` must not become
the octal 0, so no implicit typing happens here: the validator converts to int, bool or
date only where the spec asks for one. The loader also catches what PyYAML would silently
accept but a modulemd file must not contain: duplicate keys (the last one would win,
hiding e.g. a duplicate component), aliases (shared or exponential structures) and tags.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# The C parser is ~8x faster on a full repodata file; the constructor stays in Python
# either way, so behaviour is the same.
_Base: type = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


@dataclass
class LoadedDocument:
    """One YAML document: its data and the problems only the loader could see.

    ``duplicates`` maps id() of a constructed dict to its repeated keys with their line, so
    the validator can name the field path of the mapping it is looking at.
    """

    data: Any
    duplicates: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class BrokenDocument:
    """The YAML stream stopped parsing here: nothing after it can be read."""

    reason: str


class _StringLoader(_Base):  # type: ignore[misc, valid-type]
    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: dict[int, list[tuple[str, int]]] = {}
        self.problems: list[str] = []

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            # A second visit to a node only happens through an alias. The C composer keeps
            # no trace of the alias itself, so the line is the anchored value's.
            self.problems.append(
                f"line {node.start_mark.line + 1}: this value is reused through a YAML alias "
                "(*name); aliases are not allowed in modulemd, write the value out"
            )
            return ""
        if not node.tag.startswith("tag:yaml.org,2002:"):
            # Explicit standard tags such as !!int are harmless (the value still arrives as
            # text); anything else asks for a type modulemd does not have.
            self.problems.append(
                f"line {node.start_mark.line + 1}: YAML tag {node.tag!r} is not allowed in modulemd"
            )
        return super().construct_object(node, deep)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    f"line {key_node.start_mark.line + 1}: a mapping key must be a plain "
                    "string, not a list or mapping"
                )
                continue
            key = self.construct_object(key_node, deep)
            value = self.construct_object(value_node, deep)
            if key in mapping:
                self.duplicates.setdefault(id(mapping), []).append(
                    (key, key_node.start_mark.line + 1)
                )
            mapping[key] = value
        return mapping

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> list:
        return [self.construct_object(child, deep) for child in node.value]


def describe_yaml_error(exc: BaseException) -> str:
    """One line a packager can act on, with line and column when PyYAML knows them."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}: {what}"
        kind = (
            "YAML error"
            if isinstance(exc, yaml.constructor.ConstructorError)
            else "YAML syntax error"
        )
        return f"line {mark.line + 1}, column {mark.column + 1}: {kind}: {what}"
    if isinstance(exc, RecursionError):
        return "YAML error: the document is nested too deeply"
    text = " ".join(str(exc).split())
    return f"YAML error: {text}"


def load_documents(text: str) -> Iterator[LoadedDocument | BrokenDocument]:
    """Every document of ``text`` in order; a parse error ends the stream with a BrokenDocument."""
    loader = _StringLoader(text)
    try:
        while True:
            try:
                if not loader.check_data():
                    return
                data = loader.get_data()
            except (yaml.YAMLError, RecursionError) as exc:
                yield BrokenDocument(describe_yaml_error(exc))
                return
            yield LoadedDocument(data, loader.duplicates, loader.problems)
            loader.duplicates, loader.problems = {}, []
    finally:
        loader.dispose()
