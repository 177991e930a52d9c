"""Who reaches what through the API, as one table: every endpoint, every kind of caller, the tickets of each.

Issue 18. Requester A and requester B each have a ticket (with an internal
note); an agent and an administrator see both. A read-only token (the
agent's) reads everything and writes nothing; a revoked or an expired token
(the agent's too, the strongest) opens nothing. A refused caller gets the same
404 as for a ticket that does not exist, and changes nothing. Rows are
compared with what comptoir.tickets.access says, so the table and the web's
rules cannot drift apart unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from comptoir.accounts.models import ApiScope
from comptoir.tickets.models import Message, Ticket, TicketEvent
from tests.api.conftest import INTERNAL_NOTE, People, expired_token, revoked_token, token_for

pytestmark = pytest.mark.django_db

TOKENS: dict[str, Callable[[People], str | None]] = {
    "anonymous": lambda people: None,
    "requester_a": lambda people: token_for(people.requester_a),
    "requester_b": lambda people: token_for(people.requester_b),
    "agent": lambda people: token_for(people.agent),
    "admin": lambda people: token_for(people.admin),
    "read_only": lambda people: token_for(people.agent, ApiScope.READ),
    "revoked": lambda people: revoked_token(people.agent),
    "expired": lambda people: expired_token(people.agent),
}

ACTIONS = ("detail", "messages", "reply", "note", "update")

# What each caller gets on each ticket: a status code, and for reads what it lists.
OK, CREATED = 200, 201
NO = 404  # as for a ticket that does not exist
DENIED = 403  # a ticket the caller sees, an action they may not take
INVALID = 400  # a requester asking for what only agents do (a note): the values are refused
ANON = 401
# The problem type of each refusal that names one.
KIND = {
    "anonymous": "not-authenticated",
    "revoked": "token-revoked",
    "expired": "token-expired",
    "read_only": "read-only-token",
}

# fmt: off
TABLE: list[tuple[str, str, int, int, int, int, int]] = [
    # caller        ticket detail messages reply    note     update
    ("anonymous",   "A",   ANON,  ANON,    ANON,    ANON,    ANON),
    ("anonymous",   "B",   ANON,  ANON,    ANON,    ANON,    ANON),
    ("requester_a", "A",   OK,    OK,      CREATED, INVALID, DENIED),
    ("requester_a", "B",   NO,    NO,      NO,      NO,      NO),
    ("requester_b", "A",   NO,    NO,      NO,      NO,      NO),
    ("requester_b", "B",   OK,    OK,      CREATED, INVALID, DENIED),
    ("agent",       "A",   OK,    OK,      CREATED, CREATED, OK),
    ("agent",       "B",   OK,    OK,      CREATED, CREATED, OK),
    ("admin",       "A",   OK,    OK,      CREATED, CREATED, OK),
    ("admin",       "B",   OK,    OK,      CREATED, CREATED, OK),
    ("read_only",   "A",   OK,    OK,      DENIED,  DENIED,  DENIED),
    ("read_only",   "B",   OK,    OK,      DENIED,  DENIED,  DENIED),
    ("revoked",     "A",   ANON,  ANON,    ANON,    ANON,    ANON),
    ("revoked",     "B",   ANON,  ANON,    ANON,    ANON,    ANON),
    ("expired",     "A",   ANON,  ANON,    ANON,    ANON,    ANON),
    ("expired",     "B",   ANON,  ANON,    ANON,    ANON,    ANON),
]
# Requests that name no ticket: the list (which tickets it holds), opening a ticket, who am I.
OWN: dict[str, tuple[object, int, int]] = {
    # caller        list            create   me
    "anonymous":   (ANON,           ANON,    ANON),
    "requester_a": (("A",),         CREATED, OK),
    "requester_b": (("B",),         CREATED, OK),
    "agent":       (("A", "B"),     CREATED, OK),
    "admin":       (("A", "B"),     CREATED, OK),
    "read_only":   (("A", "B"),     DENIED,  OK),
    "revoked":     (ANON,           ANON,    ANON),
    "expired":     (ANON,           ANON,    ANON),
}
# fmt: on

CELLS = [
    (caller, action, key, expected)
    for caller, key, *row in TABLE
    for action, expected in zip(ACTIONS, row, strict=True)
]


def test_the_table_covers_every_caller_on_both_tickets():
    assert sorted((caller, key) for caller, key, *_ in TABLE) == sorted((c, k) for c in TOKENS for k in "AB")
    assert sorted(OWN) == sorted(TOKENS)


class Footprint(NamedTuple):
    """Everything a write on a ticket could change."""

    status: str
    priority: str
    messages: int
    events: int
    tickets: int


def footprint(ticket: Ticket) -> Footprint:
    ticket.refresh_from_db()
    return Footprint(
        status=ticket.status,
        priority=ticket.priority,
        messages=Message.objects.filter(ticket=ticket).count(),
        events=TicketEvent.objects.filter(ticket=ticket).count(),
        tickets=Ticket.objects.count(),
    )


def perform(api: Any, action: str, token: str | None, reference: int) -> Any:
    base = f"/api/v1/tickets/{reference}/"
    if action == "detail":
        return api("get", base, token)
    if action == "messages":
        return api("get", base + "messages/", token)
    if action == "reply":
        return api("post", base + "messages/", token, {"body": "Any news?"})
    if action == "note":
        return api("post", base + "messages/", token, {"body": "Checked the logs.", "public": False})
    if action == "update":
        return api("patch", base, token, {"priority": "urgent"})
    raise AssertionError(action)


def assert_refusal(response: Any, expected: int, caller: str) -> None:
    assert response.status_code == expected, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == expected
    if caller in KIND and expected in (ANON, DENIED):
        assert problem["type"] == f"/api/v1/problems/{KIND[caller]}"
    if expected == ANON:
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(("caller", "action", "key", "expected"), CELLS, ids=[f"{c}-{a}-{k}" for c, a, k, _ in CELLS])
def test_access_matrix(api, people, caller, action, key, expected):
    ticket = people.ticket_a if key == "A" else people.ticket_b
    token = TOKENS[caller](people)
    before = footprint(ticket)

    response = perform(api, action, token, ticket.reference)

    if expected not in (OK, CREATED):
        assert_refusal(response, expected, caller)
        assert footprint(ticket) == before
        return
    assert response.status_code == expected, response.content
    body = response.json()
    agent_side = caller in ("agent", "admin", "read_only")
    if action == "detail":
        assert (body["reference"], body["subject"]) == (ticket.reference, ticket.subject)
        # The fields about who works on it are for agents only.
        assert ("priority" in body, "tags" in body, "assignee" in body) == (agent_side,) * 3
    elif action == "messages":
        bodies = [message["body"] for message in body["results"]]
        assert "The export button does nothing." in bodies
        assert (INTERNAL_NOTE in bodies) is agent_side
    elif action in ("reply", "note"):
        message = Message.objects.get(pk=body["id"])
        assert message.ticket_id == ticket.pk
        assert message.is_public is (action == "reply")
        assert message.channel == "api"
        assert footprint(ticket).messages == before.messages + 1
    elif action == "update":
        assert body["priority"] == "urgent"
        assert footprint(ticket).priority == "urgent"


@pytest.mark.parametrize("caller", list(TOKENS))
def test_the_list_holds_exactly_the_tickets_the_caller_sees(api, people, caller):
    token = TOKENS[caller](people)
    listed, _create, _me = OWN[caller]
    response = api("get", "/api/v1/tickets/?status=unsolved", token)
    if listed == ANON:
        assert_refusal(response, ANON, caller)
        return
    assert response.status_code == 200
    rows = response.json()["results"]
    references = {row["reference"] for row in rows}
    assert all(("tags" in row) is (caller in ("agent", "admin", "read_only")) for row in rows)
    expected = {(people.ticket_a if key == "A" else people.ticket_b).reference for key in listed}  # type: ignore[union-attr]
    assert references == expected


@pytest.mark.parametrize("caller", list(TOKENS))
def test_opening_a_ticket(api, people, caller):
    token = TOKENS[caller](people)
    _listed, expected, _me = OWN[caller]
    tickets = Ticket.objects.count()
    data: dict[str, str] = {"subject": "Lost parcel", "body": "Order 77 never came."}
    if caller in ("agent", "admin", "read_only"):
        data["requester_email"] = "carla@example.org"
    response = api("post", "/api/v1/tickets/", token, data)
    if expected != CREATED:
        assert_refusal(response, expected, caller)
        assert Ticket.objects.count() == tickets
        return
    assert response.status_code == CREATED, response.content
    ticket = Ticket.objects.get(pk=Ticket.pk_from_reference(response.json()["reference"]))
    if caller.startswith("requester"):
        # A requester opens a ticket for themselves, whatever they might wish.
        assert ticket.requester == (people.requester_a if caller == "requester_a" else people.requester_b)
    else:
        assert ticket.requester.email == "carla@example.org"


@pytest.mark.parametrize("caller", list(TOKENS))
def test_who_am_i(api, people, caller):
    token = TOKENS[caller](people)
    _listed, _create, expected = OWN[caller]
    response = api("get", "/api/v1/me/", token)
    if expected != OK:
        assert_refusal(response, expected, caller)
        return
    owner = {
        "requester_a": people.requester_a,
        "requester_b": people.requester_b,
        "admin": people.admin,
    }.get(caller, people.agent)
    assert (response.status_code, response.json()["email"]) == (OK, owner.email)


def test_a_refused_ticket_looks_exactly_like_a_missing_one(api, people):
    token = token_for(people.requester_b)
    refused = api("get", f"/api/v1/tickets/{people.ticket_a.reference}/", token)
    missing = api("get", "/api/v1/tickets/999999/", token)
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
