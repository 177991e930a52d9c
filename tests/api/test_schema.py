"""The OpenAPI schema and its reference page; Schemathesis fuzzes the live API against the schema.

Issue 18's "done when": Schemathesis runs against the live schema with an
agent token and with a requester token: no 5xx, every response matches the
schema (its status codes, content types, headers and bodies).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from comptoir.core.middleware import CONTENT_SECURITY_POLICY
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db

# How many requests Schemathesis made, by operation and caller: the closing note of issue 18 gives the total.
GENERATED: Counter[str] = Counter()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_schema_describes_the_api_to_anyone(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/tickets/",
        "/api/v1/tickets/{reference}/",
        "/api/v1/tickets/{reference}/messages/",
        "/api/v1/tickets/{reference}/attachments/{attachment_id}/",
        "/api/v1/tickets/{reference}/merge/",
        "/api/v1/tickets/{reference}/sla/",
        "/api/v1/uploads/",
        "/api/v1/ticket-fields/",
        "/api/v1/tags/",
        "/api/v1/groups/",
        "/api/v1/requesters/",
        "/api/v1/requesters/{user_id}/",
        "/api/v1/agents/",
        "/api/v1/agents/{user_id}/",
        "/api/v1/organisations/",
        "/api/v1/organisations/{organisation_id}/",
        "/api/v1/satisfaction/",
        "/api/v1/helpcenter/categories/",
        "/api/v1/helpcenter/sections/",
        "/api/v1/helpcenter/articles/",
        "/api/v1/helpcenter/articles/{article_id}/",
        "/api/v1/helpcenter/articles/{article_id}/translations/{language}/",
        "/api/v1/helpcenter/articles/{article_id}/unpublish/",
        "/api/v1/views/",
        "/api/v1/views/{view_id}/tickets/",
        "/api/v1/macros/",
        "/api/v1/tickets/{reference}/macros/{macro_id}/apply/",
        "/api/v1/me/",
    }
    assert schema["components"]["securitySchemes"]["PersonalToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["PersonalToken"]["description"],
    }
    ticket = schema["components"]["schemas"]["Ticket"]
    # Agents read every field; the ones a requester does not read are described, and optional.
    assert {"priority", "assignee", "group", "tags"} <= set(ticket["properties"]) - set(ticket["required"])
    listed = schema["paths"]["/api/v1/tickets/"]["get"]["responses"]
    assert listed["429"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_the_reference_page_serves_swagger_ui_from_our_own_files(client):
    response = client.get("/api/v1/docs/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for asset in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css", "api/docs.js"):
        assert f"/static/{asset}" in html
        assert finders.find(asset) is not None
    # No script or style from another site.
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', html)
    # The site's policy, unweakened: scripts from our own origin only, no inline script, no eval.
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "<script>" not in html


# --- Schemathesis -----------------------------------------------------------------------------


@pytest.fixture
def api_schema(db) -> Iterator[schemathesis.BaseSchema]:
    # As Django's test client does: the end of a request must not close the test's database connection.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def callers(people: People, settings) -> dict[str, str]:
    # Hundreds of requests in a minute: the limits are tested on their own (test_rate_limits.py).
    settings.COMPTOIR_API_RATE_LIMIT_PER_TOKEN = 1_000_000
    settings.COMPTOIR_API_RATE_LIMIT_PER_IP = 1_000_000
    return dict(zip(CALLERS, (token_for(people.agent), token_for(people.requester_a)), strict=True))


CALLERS = ("agent", "requester")


@pytest.fixture(scope="module", autouse=True)
def _closing_note() -> Iterator[None]:
    yield
    if GENERATED:
        requests = sum(GENERATED.values())
        lines = [f"  {name}: {count}" for name, count in sorted(GENERATED.items())]
        heading = f"Schemathesis: {requests // len(CALLERS)} generated cases, each sent as {' and as '.join(CALLERS)}"
        print(f"\n{heading} ({requests} requests):\n" + "\n".join(lines))


# Every operation of the schema (test_the_fuzzing_covers_every_operation keeps this list whole).
OPERATIONS = [
    ("GET", "/api/v1/me/"),
    ("GET", "/api/v1/tickets/"),
    ("POST", "/api/v1/tickets/"),
    ("GET", "/api/v1/tickets/{reference}/"),
    ("PATCH", "/api/v1/tickets/{reference}/"),
    ("GET", "/api/v1/tickets/{reference}/messages/"),
    ("POST", "/api/v1/tickets/{reference}/messages/"),
    ("GET", "/api/v1/tickets/{reference}/attachments/{attachment_id}/"),
    ("POST", "/api/v1/uploads/"),
    ("POST", "/api/v1/tickets/{reference}/merge/"),
    ("GET", "/api/v1/tickets/{reference}/sla/"),
    ("GET", "/api/v1/ticket-fields/"),
    ("GET", "/api/v1/tags/"),
    ("GET", "/api/v1/groups/"),
    ("GET", "/api/v1/requesters/"),
    ("GET", "/api/v1/requesters/{user_id}/"),
    ("GET", "/api/v1/agents/"),
    ("GET", "/api/v1/agents/{user_id}/"),
    ("GET", "/api/v1/organisations/"),
    ("GET", "/api/v1/organisations/{organisation_id}/"),
    ("GET", "/api/v1/satisfaction/"),
    ("GET", "/api/v1/helpcenter/categories/"),
    ("GET", "/api/v1/helpcenter/sections/"),
    ("GET", "/api/v1/helpcenter/articles/"),
    ("POST", "/api/v1/helpcenter/articles/"),
    ("GET", "/api/v1/helpcenter/articles/{article_id}/"),
    ("GET", "/api/v1/helpcenter/articles/{article_id}/translations/{language}/"),
    ("PUT", "/api/v1/helpcenter/articles/{article_id}/translations/{language}/"),
    ("POST", "/api/v1/helpcenter/articles/{article_id}/unpublish/"),
    ("GET", "/api/v1/views/"),
    ("GET", "/api/v1/views/{view_id}/tickets/"),
    ("GET", "/api/v1/macros/"),
    ("POST", "/api/v1/tickets/{reference}/macros/{macro_id}/apply/"),
]
# Per operation, mode and caller. Derandomized: the same cases on every run, in CI as here.
EXAMPLES = 20


def test_the_fuzzing_covers_every_operation(api_schema):
    found = [result.ok() for result in api_schema.get_all_operations()]
    assert sorted((operation.method.upper(), operation.path) for operation in found) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_answers_as_its_schema_says(api_schema, people: People, callers, method, path, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def answers(case: schemathesis.Case) -> None:
        # Half the generated references name the requester's ticket, so bodies are tried on a real one too.
        reference = (case.path_parameters or {}).get("reference")
        if isinstance(reference, int) and reference % 2:
            case.path_parameters["reference"] = people.ticket_a.reference  # type: ignore[index]
        for caller, token in callers.items():
            GENERATED[f"{mode.value} {method} {path} as {caller}"] += 1
            response = case.call(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
            case.validate_response(response, checks=CHECKS)

    answers()
