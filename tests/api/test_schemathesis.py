"""The API against its own OpenAPI document: schemathesis generates requests from the served
document (paths, parameters, good and bad values) and checks each answer: never a 5xx, a
status code the document lists, a body that matches the document's schema, a documented
content type. Once with a programme manager's token (every endpoint answers), once anonymously.
The served document is used as it is, but for its path parameters, narrowed to the world's call,
envelope year and dossiers and one unknown value each: random slugs would only meet 404s.

Bounded for CI as tests/test_fuzz.py is: GUICHET_API_FUZZ_EXAMPLES examples per operation (25
by default), derandomized so that a failure repeats; GUICHET_API_FUZZ_SEED explores others.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import bearer

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("GUICHET_API_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("GUICHET_API_FUZZ_SEED")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.fixture
def schema(settings, client, world):
    # No rate limit here: hundreds of requests in a few seconds are the point.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": None, "anonymous": None},
    }
    document = client.get("/api/v1/openapi.json").json()
    known = {
        "slug": [world.call.slug, world.other_call.slug, "nulle-part"],
        "year": [2021, 2022, 1999],
        "uuid": [str(d.uuid) for d in (world.granted, world.own, world.other)]
        + ["00000000-0000-0000-0000-000000000000"],
    }
    for item in document["paths"].values():
        for parameter in item["get"].get("parameters", []):
            if parameter["in"] == "path":
                parameter["schema"] = {**parameter["schema"], "enum": known[parameter["name"]]}
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    loaded.location = "/api/v1/openapi.json"
    # The WSGI handler closes the database connection after each request, which would end the
    # test's transaction on PostgreSQL: Django's test client does the same as this.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield loaded
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def run(schema, headers: dict[str, str]) -> int:
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=SEED is None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        if SEED is not None:
            check = seed(int(SEED))(check)
        check()
    return operations


def test_with_a_managers_token(schema, world):
    secret = world.token("manager")
    headers = {"Authorization": bearer(secret)["HTTP_AUTHORIZATION"]}
    assert run(schema, headers) == 9


def test_anonymously(schema, world):
    assert run(schema, {}) == 9
