"""Every JSON file of a populated site validates against its schema in site_generator/schemas."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from site_generator import schemas
from tests.unit.site_world import populate, render


def _registry() -> Registry:
    return Registry().with_resources(
        (uri, Resource.from_contents(schema)) for uri, schema in schemas.load().items()
    )


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": schemas.BASE + name}, registry=_registry())


def test_schemas_are_valid_and_every_mapped_one_exists():
    loaded = schemas.load()
    for schema in loaded.values():
        Draft202012Validator.check_schema(schema)
    for _pattern, name in schemas.SCHEMAS:
        assert schemas.BASE + name in loaded, name
    assert schemas.schema_name("api/v1/packages/rpms/bash.json") == "package.schema.json"
    assert schemas.schema_name("api/v1/module-builds/12.json") == "module-build.schema.json"
    assert schemas.schema_name("api/v1/module-builds/../x.json") is None
    assert schemas.schema_name("api/v1/unknown.json") is None


def test_every_json_file_of_a_populated_site_matches_its_schema(session_factory, tmp_path):
    populate(session_factory)
    out = tmp_path / "site"
    render(session_factory, out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    kinds = {schemas.schema_name(f) for f in files}
    assert kinds == {name for _p, name in schemas.SCHEMAS}, "a populated site has every kind"
    for rel in files:
        name = schemas.schema_name(rel)
        assert name is not None, (
            f"{rel}: no schema describes it (add one to site_generator/schemas)"
        )
        errors = sorted(_validator(name).iter_errors(json.loads((out / rel).read_text())), key=str)
        assert not errors, f"{rel}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
        )


@pytest.mark.parametrize(
    "name,document",
    [
        (
            "search-index.schema.json",
            {
                "generated_at": "2024-05-01T12:00:00+00:00",
                "entries": [
                    {"kind": "package", "label": "x", "href": "javascript:alert(1)", "detail": ""}
                ],
            },
        ),
        (
            "search-index.schema.json",
            {
                "generated_at": "2024-05-01T12:00:00+00:00",
                "entries": [
                    {"kind": "package", "label": "x", "href": "../../etc/passwd", "detail": ""}
                ],
            },
        ),
        ("search-index.schema.json", {"generated_at": "2024-05-01 12:00", "entries": []}),
        ("operators.schema.json", {"generated_at": "2024-05-01T12:00:00+00:00"}),
        (
            "module-builds.schema.json",
            {
                "generated_at": "2024-05-01T12:00:00+00:00",
                "state_counts": [],
                "module_builds": [],
                "extra": 1,
            },
        ),
    ],
)
def test_schemas_refuse_what_the_site_must_never_write(name, document):
    assert list(_validator(name).iter_errors(document))
