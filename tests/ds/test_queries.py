"""The import's queries are valid against the DS schema shipped in the repository."""

import pytest
from graphql import build_schema, parse, validate

from guichet.ds.client import QUERIES, SCHEMA, query_text

SCHEMA_OBJECT = build_schema(SCHEMA.read_text(encoding="utf-8"))
NAMES = sorted(p.stem for p in QUERIES.glob("*.graphql"))


def test_every_stream_has_its_query():
    assert NAMES == ["deletedDossiers", "demarche", "dossiers", "pendingDeletedDossiers"]


@pytest.mark.parametrize("name", NAMES)
def test_the_query_validates_against_the_schema(name):
    assert validate(SCHEMA_OBJECT, parse(query_text(name))) == []


def test_validation_would_catch_a_field_the_schema_does_not_have():
    broken = query_text("dossiers").replace("dateDepot", "dateDeDepot")
    errors = validate(SCHEMA_OBJECT, parse(broken))
    assert any("dateDeDepot" in e.message for e in errors)
