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
from django.utils import timezone

from comptoir.accounts.models import ApiScope, Organisation
from comptoir.api.models import Upload
from comptoir.editor.models import ArticleRevision
from comptoir.helpcenter.models import Article, Section, SectionTranslation
from comptoir.helpcenter.services import article_translation_save
from comptoir.ticketforms.models import FieldKind, TicketField
from comptoir.ticketforms.services import ticket_values_record
from comptoir.tickets.models import Macro, Message, SupportGroup, Survey, Ticket, TicketEvent
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.workspace.models import SavedView
from tests.api.conftest import INTERNAL_NOTE, People, bearer, expired_token, revoked_token, token_for
from tests.conftest import png_attachment, png_bytes, png_upload

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
# Requests that name no ticket: the list (which tickets it holds), opening a ticket, who am I, uploading a file.
OWN: dict[str, tuple[object, int, int, int]] = {
    # caller        list            create   me     upload
    "anonymous":   (ANON,           ANON,    ANON,  ANON),
    "requester_a": (("A",),         CREATED, OK,    CREATED),
    "requester_b": (("B",),         CREATED, OK,    CREATED),
    "agent":       (("A", "B"),     CREATED, OK,    CREATED),
    "admin":       (("A", "B"),     CREATED, OK,    CREATED),
    "read_only":   (("A", "B"),     DENIED,  OK,    DENIED),
    "revoked":     (ANON,           ANON,    ANON,  ANON),
    "expired":     (ANON,           ANON,    ANON,  ANON),
}
# Downloading each ticket's files: the one of a public reply, the one of an internal note.
FILES: list[tuple[str, str, int, int]] = [
    # caller        ticket public   note
    ("anonymous",   "A",   ANON,    ANON),
    ("anonymous",   "B",   ANON,    ANON),
    ("requester_a", "A",   OK,      NO),
    ("requester_a", "B",   NO,      NO),
    ("requester_b", "A",   NO,      NO),
    ("requester_b", "B",   OK,      NO),
    ("agent",       "A",   OK,      OK),
    ("agent",       "B",   OK,      OK),
    ("admin",       "A",   OK,      OK),
    ("admin",       "B",   OK,      OK),
    ("read_only",   "A",   OK,      OK),
    ("read_only",   "B",   OK,      OK),
    ("revoked",     "A",   ANON,    ANON),
    ("revoked",     "B",   ANON,    ANON),
    ("expired",     "A",   ANON,    ANON),
    ("expired",     "B",   ANON,    ANON),
]
# Agents' own: a ticket's service-level clocks, merging it into the other ticket; the tags and groups lists.
# A requester's token is refused outright (403, whichever ticket it names: that tells nothing).
AGENTS: dict[str, tuple[int, ...]] = {
    # caller        sla     merge   tags    groups  requesters agents organisations satisfaction
    "anonymous":   (ANON,   ANON,   ANON,   ANON,   ANON,      ANON,  ANON,         ANON),
    "requester_a": (DENIED, DENIED, DENIED, DENIED, DENIED,    DENIED, DENIED,      DENIED),
    "requester_b": (DENIED, DENIED, DENIED, DENIED, DENIED,    DENIED, DENIED,      DENIED),
    "agent":       (OK,     OK,     OK,     OK,     OK,        OK,    OK,           OK),
    "admin":       (OK,     OK,     OK,     OK,     OK,        OK,    OK,           OK),
    "read_only":   (OK,     DENIED, OK,     OK,     OK,        OK,    OK,           OK),
    "revoked":     (ANON,   ANON,   ANON,   ANON,   ANON,      ANON,  ANON,         ANON),
    "expired":     (ANON,   ANON,   ANON,   ANON,   ANON,      ANON,  ANON,         ANON),
}
# The Help Center: public, as on the web; a dead token is still refused. Draft articles are nobody's.
HELP_CENTER: dict[str, int] = {
    "anonymous": OK, "requester_a": OK, "requester_b": OK, "agent": OK, "admin": OK, "read_only": OK,
    "revoked": ANON, "expired": ANON,
}
AGENT_ACTIONS = ("sla", "merge", "tags", "groups", "requesters", "agents", "organisations", "satisfaction")
# The agents' tools: the saved views, running the agent's own view (another agent's own is a 404, as a
# missing one), the canned replies, applying one to ticket A; writing an article (editors: the admin).
TOOLS: dict[str, tuple[int, ...]] = {
    # caller        views   run     macros  apply   article create  unpublish
    "anonymous":   (ANON,   ANON,   ANON,   ANON,   ANON,   ANON,   ANON),
    "requester_a": (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    "requester_b": (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED),
    "agent":       (OK,     OK,     OK,     OK,     DENIED, DENIED, DENIED),
    "admin":       (OK,     NO,     OK,     OK,     OK,     CREATED, OK),
    "read_only":   (OK,     OK,     OK,     DENIED, DENIED, DENIED, DENIED),
    "revoked":     (ANON,   ANON,   ANON,   ANON,   ANON,   ANON,   ANON),
    "expired":     (ANON,   ANON,   ANON,   ANON,   ANON,   ANON,   ANON),
}
TOOL_ACTIONS = ("views", "run", "macros", "apply", "article", "create", "unpublish")
# The ticket fields (GET /api/v1/ticket-fields/), and their values on the caller's own ticket: a field visible to
# customers ("order") for everyone who sees the ticket, an agent-only one ("risk") for agents only.
TICKET_FIELDS: dict[str, object] = {
    "anonymous": ANON, "requester_a": ("order",), "requester_b": ("order",), "agent": ("order", "risk"),
    "admin": ("order", "risk"), "read_only": ("order", "risk"), "revoked": ANON, "expired": ANON,
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
    assert sorted(AGENTS) == sorted(TOKENS)
    assert sorted(HELP_CENTER) == sorted(TOKENS)
    assert sorted(TOOLS) == sorted(TOKENS)
    assert sorted(TICKET_FIELDS) == sorted(TOKENS)
    assert sorted((caller, key) for caller, key, *_ in FILES) == sorted((c, k) for c in TOKENS for k in "AB")


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
    listed, _create, _me, _upload = OWN[caller]
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
    _listed, expected, _me, _upload = OWN[caller]
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
    _listed, _create, expected, _upload = OWN[caller]
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


@pytest.mark.parametrize("caller", list(TOKENS))
def test_uploading_a_file(client, people, caller):
    token = TOKENS[caller](people)
    _listed, _create, _me, expected = OWN[caller]
    headers = bearer(token) if token else {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client.post("/api/v1/uploads/", {"file": png_upload()}, **headers)
    if expected != CREATED:
        assert_refusal(response, expected, caller)
        assert not Upload.objects.exists()
        return
    assert response.status_code == CREATED, response.content
    owner = {"requester_a": people.requester_a, "requester_b": people.requester_b, "admin": people.admin}
    assert Upload.objects.get(key=response.json()["id"]).owner == owner.get(caller, people.agent)


FILE_CELLS = [
    (caller, kind, key, expected)
    for caller, key, *row in FILES
    for kind, expected in zip(("public", "note"), row, strict=True)
]


@pytest.mark.parametrize(
    ("caller", "kind", "key", "expected"), FILE_CELLS, ids=[f"{c}-{k}-{t}" for c, k, t, _ in FILE_CELLS]
)
def test_downloading_a_file(api, people, caller, kind, key, expected):
    ticket = people.ticket_a if key == "A" else people.ticket_b
    message = ticket_update_by_agent(
        ticket, agent=people.agent, body="File", is_public=kind == "public", files=[png_attachment()]
    )
    assert message is not None
    attachment = message.attachments.get()
    token = TOKENS[caller](people)

    response = api("get", f"/api/v1/tickets/{ticket.reference}/attachments/{attachment.pk}/", token)

    if expected != OK:
        assert_refusal(response, expected, caller)
        return
    assert response.status_code == OK
    assert b"".join(response.streaming_content) == png_bytes()


AGENT_CELLS = [
    (caller, action, key, row[index])
    for caller, row in AGENTS.items()
    for index, action in enumerate(AGENT_ACTIONS)
    for key in ("AB" if action in ("sla", "merge") else "-")
]


@pytest.mark.parametrize(
    ("caller", "action", "key", "expected"), AGENT_CELLS, ids=[f"{c}-{a}-{k}" for c, a, k, _ in AGENT_CELLS]
)
def test_what_only_agents_reach(api, people, caller, action, key, expected):
    ticket, other = (people.ticket_a, people.ticket_b) if key != "B" else (people.ticket_b, people.ticket_a)
    SupportGroup.objects.create(name="Level 2")
    Organisation.objects.create(name="Acme")
    Survey.objects.create(ticket=ticket, rating=5, answered_at=timezone.now())
    ticket_update_by_agent(ticket, agent=people.agent, add_tags=["vip"])
    token = TOKENS[caller](people)
    before = footprint(ticket)
    if action == "merge":
        response = api("post", f"/api/v1/tickets/{ticket.reference}/merge/", token, {"into": other.reference})
    elif action == "sla":
        response = api("get", f"/api/v1/tickets/{ticket.reference}/sla/", token)
    else:
        response = api("get", f"/api/v1/{action}/", token)

    if expected != OK:
        assert_refusal(response, expected, caller)
        assert footprint(ticket) == before
        ticket.refresh_from_db()
        assert ticket.merged_into_id is None
        return
    assert response.status_code == OK, response.content
    body = response.json()
    if action == "merge":
        ticket.refresh_from_db()
        assert (ticket.merged_into_id, body["reference"]) == (other.pk, other.reference)
    elif action == "tags":
        assert body["results"] == [{"name": "vip", "tickets": 1}]
    elif action == "groups":
        assert [row["name"] for row in body["results"]] == ["Level 2"]
    elif action == "requesters":
        assert [row["email"] for row in body["results"]] == ["alice@example.org", "bob@example.net"]
    elif action == "agents":
        assert [row["email"] for row in body["results"]] == ["ada@example.com", "agent@example.com"]
    elif action == "organisations":
        assert [row["name"] for row in body["results"]] == ["Acme"]
    elif action == "satisfaction":
        assert [(row["ticket"], row["rating"]) for row in body["results"]] == [(ticket.reference, 5)]
    else:
        assert body["results"] == []


@pytest.mark.parametrize("caller", list(TOKENS))
def test_the_ticket_fields_and_their_values(api, people, caller):
    order = TicketField.objects.create(key="order", kind=FieldKind.TEXT, label_en="Order")
    risk = TicketField.objects.create(key="risk", kind=FieldKind.TEXT, label_en="Risk", visible_to_customers=False)
    for ticket in (people.ticket_a, people.ticket_b):
        ticket_values_record(ticket=ticket, values={order: "CMD-1", risk: "high"})
    token = TOKENS[caller](people)
    expected = TICKET_FIELDS[caller]

    listed = api("get", "/api/v1/ticket-fields/", token)

    if expected == ANON:
        assert_refusal(listed, ANON, caller)
        return
    assert listed.status_code == OK
    assert tuple(row["key"] for row in listed.json()["results"]) == expected
    own = people.ticket_b if caller == "requester_b" else people.ticket_a
    detail = api("get", f"/api/v1/tickets/{own.reference}/", token).json()
    assert tuple(detail["fields"]) == expected


@pytest.mark.parametrize("caller", list(TOKENS))
def test_reading_the_help_center(api, people, caller):
    section = Section.objects.create(key="start", position=1)
    SectionTranslation.objects.create(section=section, language="en", title="Start", slug="start")
    published = Article.objects.create(key="hello", section=section)
    draft = Article.objects.create(key="secret", section=section, is_published=False)
    for made in (published, draft):
        article_translation_save(
            article=made, language="en", title=made.key, slug=made.key, summary="", body_markdown="Text."
        )
    token = TOKENS[caller](people)
    expected = HELP_CENTER[caller]

    answers = {
        "sections": api("get", "/api/v1/helpcenter/sections/", token),
        "articles": api("get", "/api/v1/helpcenter/articles/", token),
        "article": api("get", f"/api/v1/helpcenter/articles/{published.pk}/", token),
        "draft": api("get", f"/api/v1/helpcenter/articles/{draft.pk}/", token),
    }

    if expected != OK:
        for response in answers.values():
            assert_refusal(response, expected, caller)
        return
    assert [row["title"] for row in answers["sections"].json()["results"]] == ["Start"]
    assert [row["id"] for row in answers["articles"].json()["results"]] == [published.pk]
    assert answers["article"].json()["title"] == "hello"
    assert_refusal(answers["draft"], NO, caller)


def test_a_refused_ticket_looks_exactly_like_a_missing_one(api, people):
    token = token_for(people.requester_b)
    refused = api("get", f"/api/v1/tickets/{people.ticket_a.reference}/", token)
    missing = api("get", "/api/v1/tickets/999999/", token)
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()


TOOL_CELLS = [
    (caller, action, row[index]) for caller, row in TOOLS.items() for index, action in enumerate(TOOL_ACTIONS)
]


@pytest.mark.parametrize(("caller", "action", "expected"), TOOL_CELLS, ids=[f"{c}-{a}" for c, a, _ in TOOL_CELLS])
def test_the_agents_tools(api, people, caller, action, expected):
    view = SavedView.objects.create(owner=people.agent, name="Mine", params="view=all")
    macro = Macro.objects.create(title="Thanks", body="Thank you, {requester_name}.")
    section = Section.objects.create(key="start", position=1)
    article = Article.objects.create(key="hello", section=section)
    token = TOKENS[caller](people)
    before = footprint(people.ticket_a)
    if action == "views":
        response = api("get", "/api/v1/views/", token)
    elif action == "run":
        response = api("get", f"/api/v1/views/{view.pk}/tickets/", token)
    elif action == "macros":
        response = api("get", "/api/v1/macros/", token)
    elif action == "apply":
        response = api("post", f"/api/v1/tickets/{people.ticket_a.reference}/macros/{macro.pk}/apply/", token, {})
    elif action == "article":
        data = {"title": "Hello", "body_markdown": "Text.", "published": True}
        response = api("put", f"/api/v1/helpcenter/articles/{article.pk}/translations/en/", token, data)
    elif action == "create":
        data = {"section": section.pk, "language": "en", "title": "New", "body_markdown": "Text."}
        response = api("post", "/api/v1/helpcenter/articles/", token, data)
    else:
        response = api("post", f"/api/v1/helpcenter/articles/{article.pk}/unpublish/", token, {})

    if expected not in (OK, CREATED):
        assert_refusal(response, expected, caller)
        assert footprint(people.ticket_a) == before
        assert not ArticleRevision.objects.exists()
        assert list(Article.objects.values_list("key", "is_published")) == [("hello", True)]
        return
    assert response.status_code == expected, response.content
    body = response.json()
    if action == "views":
        # Another agent's own view is not listed either.
        assert (view.pk in [row["id"] for row in body["results"]]) is (caller != "admin")
    elif action == "run":
        assert {row["reference"] for row in body["results"]} == {people.ticket_a.reference, people.ticket_b.reference}
    elif action == "macros":
        assert [row["title"] for row in body["results"]] == ["Thanks"]
    elif action == "apply":
        assert footprint(people.ticket_a).messages == before.messages + 1
        assert Message.objects.filter(ticket=people.ticket_a, body="Thank you, Alice.").exists()
    elif action == "article":
        assert ArticleRevision.objects.get(article=article).author == people.admin
    elif action == "create":
        made = Article.objects.get(pk=body["article"])
        assert (made.section_id, made.is_published, made.revisions.get().author) == (section.pk, False, people.admin)
    else:
        article.refresh_from_db()
        assert (body["published"], article.is_published) == (False, False)
