"""The OpenAPI schema's additions to what drf-spectacular reads from the views: tokens, and problems everywhere."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from comptoir.api.problems import PROBLEM_MEDIA_TYPE
from comptoir.api.serializers import AGENT_ONLY_TICKET_FIELDS

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "description": "The kind of problem: /api/v1/problems/<kind>."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {"type": "string"},
            "description": "A solve held back (solve-held): the keys of the fields required to solve, empty.",
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string", "description": "Where in the body: a JSON pointer (#/subject)."},
                    "parameter": {"type": "string", "description": "Or which query parameter or header."},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["detail", "code"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
RATE_LIMIT_HEADERS: dict[str, Any] = {
    name: {"schema": {"type": "integer"}, "description": description}
    for name, description in (
        ("RateLimit-Limit", "Requests allowed in the current window (the tighter of the token's and the address's)."),
        ("RateLimit-Remaining", "Requests left in the current window."),
        ("RateLimit-Reset", "Seconds until the window starts again."),
    )
}
# Every operation may answer these, besides its own.
PROBLEMS = {
    "400": "The request's values cannot be used (problem details list each).",
    "401": "No credentials, or a token that is unknown, revoked or expired.",
    "403": "The caller may not do this (a read-only token, an unconfirmed address, a requester).",
    "404": "Nothing there, or nothing the caller may see.",
    "405": "The address does not take this method.",
    "406": "The API answers in JSON only.",
    "409": "The ticket is closed, cannot be merged, takes no canned reply, or cannot be solved yet.",
    "415": "The body is neither JSON nor, where files go, multipart/form-data.",
    "422": "The Idempotency-Key was used for another request.",
    "429": "Too many requests: wait for Retry-After seconds.",
    "500": "Our fault: logged.",
}


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "comptoir.api.authentication.BearerTokenAuthentication"
    name = "PersonalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (cpt_…), made in the profile: Authorization: Bearer cpt_…",
        }


def problems_everywhere(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: every operation's errors, the rate-limit headers, the agents' fields.

    The fields only agents read are left out of what a requester reads, so
    they are optional in the Ticket component.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    problem = {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    ticket = components.get("Ticket")
    if ticket is not None:
        ticket["required"] = [name for name in ticket.get("required", []) if name not in AGENT_ONLY_TICKET_FIELDS]
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
            for code, description in PROBLEMS.items():
                headers = dict(RATE_LIMIT_HEADERS)
                if code == "429":
                    headers["Retry-After"] = {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                responses.setdefault(code, {"description": description, **problem, "headers": headers})
    return result
