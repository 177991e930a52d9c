"""Who reaches what on the requester's side, as one table: every ticket page and download, every kind of visitor.

Issue 5. A refused visitor gets the same 404 as for a ticket that does not
exist (nothing tells them it does) and changes nothing. The agent-only pages
are found by walking the URL resolver, so a new one is covered the day it is
added: a visitor is sent to log in, a requester is refused with 403.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.contrib import admin
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern
from django.utils import timezone, translation

from comptoir.accounts.models import Organisation, Role, User
from comptoir.accounts.services import email_address_record
from comptoir.helpcenter.models import Article, Section
from comptoir.mail.models import InboundEmail, OutboundEmail
from comptoir.rules.models import Rule
from comptoir.sla.models import BusinessSchedule, SlaPolicy
from comptoir.ticketforms.models import FieldKind, TicketField, TicketForm
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Attachment, Message, Status, Survey, Ticket, TicketCC
from comptoir.tickets.services import ticket_update_by_agent
from comptoir.webhooks.models import Webhook, WebhookDelivery
from comptoir.workspace.models import BulkJob, SavedView, Visibility
from tests.conftest import account_mail_delivered, png_attachment, png_bytes, stored_inbound_email
from tests.mail.test_ingest import with_attachments

pytestmark = pytest.mark.django_db

REPLY = "Sent from the access matrix."
INTERNAL_NOTE = "Server log, agents only."


def page(name: str, *args: object) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def login_address(path: str) -> str:
    return "/accounts/login/?next=" + path


# --- The people and their tickets -------------------------------------------------------------


@dataclass
class World:
    """Ticket A (Alice, of Acme) and ticket B (Bob, in no organisation), each with a public and an internal file."""

    acme: Organisation
    globex: Organisation
    agent: User
    tickets: dict[str, Ticket]
    public_files: dict[str, Attachment]
    internal_files: dict[str, Attachment]


@pytest.fixture
def world(make_ticket) -> World:
    # No password anywhere in this file: hashing one costs a fifth of a second, times every cell.
    agent = User.objects.create_user("agent@example.com", name="Camille", role=Role.AGENT)
    acme = Organisation.objects.create(name="Acme")
    globex = Organisation.objects.create(name="Globex", shares_tickets=True)
    a = make_ticket(email="alice@acme.example", subject="Printer on fire", files=[png_attachment("a.png")])
    a.requester.organisation = acme
    a.requester.save(update_fields=["organisation"])
    b = make_ticket(email="bob@example.org", name="Bob", subject="Invoice missing", files=[png_attachment("b.png")])
    tickets = {"A": a, "B": b}
    for ticket in tickets.values():
        ticket_update_by_agent(ticket, agent=agent, body=INTERNAL_NOTE, is_public=False, files=[png_attachment()])
    return World(
        acme=acme,
        globex=globex,
        agent=agent,
        tickets=tickets,
        public_files={key: Attachment.objects.get(ticket=t, message__is_public=True) for key, t in tickets.items()},
        internal_files={key: Attachment.objects.get(ticket=t, message__is_public=False) for key, t in tickets.items()},
    )


def verified_member(email: str, organisation: Organisation | None) -> User:
    user = User.objects.create_user(email, organisation=organisation)
    email_address_record(user=user, verified=True)
    return user


def anonymous(client: Client, world: World) -> None:
    pass


def guest_of_a(client: Client, world: World) -> None:
    """Followed the secret link of ticket A: a grant for A, and for A only, in the session."""
    response = client.get(reverse("ticket_link_redeem", args=[link_issue(world.tickets["A"])]))
    assert response.status_code == 302


def owner_of_a(client: Client, world: World) -> None:
    email_address_record(user=world.tickets["A"].requester, verified=True)
    client.force_login(world.tickets["A"].requester)


def owner_of_a_unverified(client: Client, world: World) -> None:
    # A ticket opened from the form leaves its address on record unverified.
    client.force_login(world.tickets["A"].requester)


def owner_of_b(client: Client, world: World) -> None:
    """Another requester, verified, with a ticket of their own."""
    email_address_record(user=world.tickets["B"].requester, verified=True)
    client.force_login(world.tickets["B"].requester)


def colleague_sharing(client: Client, world: World) -> None:
    world.acme.shares_tickets = True
    world.acme.save(update_fields=["shares_tickets"])
    client.force_login(verified_member("carol@acme.example", world.acme))


def colleague_not_sharing(client: Client, world: World) -> None:
    client.force_login(verified_member("carol@acme.example", world.acme))


def other_organisation(client: Client, world: World) -> None:
    """A verified member of Globex, which shares its own tickets: that opens nothing of Acme's."""
    world.acme.shares_tickets = True
    world.acme.save(update_fields=["shares_tickets"])
    client.force_login(verified_member("dave@globex.example", world.globex))


def as_agent(client: Client, world: World) -> None:
    client.force_login(world.agent)


ACTORS: dict[str, Callable[[Client, World], None]] = {
    "anonymous": anonymous,
    "guest_of_a": guest_of_a,
    "owner_of_a": owner_of_a,
    "owner_of_a_unverified": owner_of_a_unverified,
    "owner_of_b": owner_of_b,
    "colleague_sharing": colleague_sharing,
    "colleague_not_sharing": colleague_not_sharing,
    "other_organisation": other_organisation,
    "agent": as_agent,
}

# --- The table --------------------------------------------------------------------------------

OK = "ok"  # 200, or a redirect back to the ticket, and the change is made
NO = 404  # the same answer as for a ticket that does not exist, and nothing changes
LISTED, HIDDEN, LOGIN, UNVERIFIED = "listed", "hidden", "login", "unverified"  # on My tickets
BACK = "back"  # the account offer, for someone already signed in: back to the ticket, nothing sent

ACTIONS = ("detail", "reply", "solve", "survey", "account", "public_file", "internal_file", "my_tickets")

# fmt: off
TABLE: list[tuple[str, str, object, object, object, object, object, object, object, str]] = [
    # actor                   ticket detail reply solve survey account public internal my_tickets
    ("anonymous",             "A",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      LOGIN),
    ("anonymous",             "B",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      LOGIN),
    ("guest_of_a",            "A",   OK,    OK,   OK,   OK,    OK,     OK,    NO,      LOGIN),
    ("guest_of_a",            "B",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      LOGIN),
    ("owner_of_a",            "A",   OK,    OK,   OK,   OK,    BACK,     OK,    NO,      LISTED),
    ("owner_of_a",            "B",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      HIDDEN),
    ("owner_of_a_unverified", "A",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      UNVERIFIED),
    ("owner_of_a_unverified", "B",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      UNVERIFIED),
    ("owner_of_b",            "A",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      HIDDEN),
    ("owner_of_b",            "B",   OK,    OK,   OK,   OK,    BACK,     OK,    NO,      LISTED),
    ("colleague_sharing",     "A",   OK,    OK,   OK,   OK,    BACK,     OK,    NO,      LISTED),
    ("colleague_sharing",     "B",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      HIDDEN),
    ("colleague_not_sharing", "A",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      HIDDEN),
    ("colleague_not_sharing", "B",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      HIDDEN),
    ("other_organisation",    "A",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      HIDDEN),
    ("other_organisation",    "B",   NO,    NO,   NO,   NO,    NO,     NO,    NO,      HIDDEN),
    # An agent reads the requester's page and every file, but never speaks, solves or rates as the requester.
    ("agent",                 "A",   OK,    NO,   NO,   NO,    NO,     OK,    OK,      HIDDEN),
    ("agent",                 "B",   OK,    NO,   NO,   NO,    NO,     OK,    OK,      HIDDEN),
]
# fmt: on

CELLS = [
    (actor, action, ticket, expected)
    for actor, ticket, *row in TABLE
    for action, expected in zip(ACTIONS, row, strict=True)
]


def test_the_table_covers_every_actor_on_both_tickets():
    assert sorted((actor, ticket) for actor, ticket, *_ in TABLE) == sorted(
        (actor, ticket) for actor in ACTORS for ticket in "AB"
    )


# --- What each action does, and what "allowed" means for it -----------------------------------


def prepare(action: str, world: World, ticket: Ticket) -> None:
    if action == "survey":
        # A survey waits on the page once an agent has solved the ticket.
        ticket_update_by_agent(ticket, agent=world.agent, body="Fixed in 4.3.", status=Status.SOLVED)
        assert Survey.objects.filter(ticket=ticket, answered_at__isnull=True).exists()


def perform(action: str, client: Client, world: World, key: str) -> HttpResponse:
    reference = world.tickets[key].reference
    if action == "detail":
        return client.get(page("ticket_detail", reference))
    if action == "reply":
        return client.post(page("ticket_reply", reference), {"body": REPLY})
    if action == "solve":
        return client.post(page("ticket_solve", reference))
    if action == "survey":
        return client.post(page("ticket_survey", reference), {"rating": "5", "comment": "Quick"})
    if action == "account":
        return client.post(page("ticket_account", reference))
    if action == "public_file":
        return client.get(page("attachment_download", reference, world.public_files[key].pk))
    if action == "internal_file":
        return client.get(page("attachment_download", reference, world.internal_files[key].pk))
    if action == "my_tickets":
        return client.get(page("my_tickets") + "?status=all")
    raise AssertionError(f"unknown action {action}")


class Footprint(NamedTuple):
    """Everything a requester's action could change."""

    status: str
    messages: int
    answered_surveys: int
    queued_mail: int
    sent_mail: int


def footprint(ticket: Ticket) -> Footprint:
    ticket.refresh_from_db()
    return Footprint(
        status=ticket.status,
        messages=Message.objects.filter(ticket=ticket).count(),
        answered_surveys=Survey.objects.filter(ticket=ticket, answered_at__isnull=False).count(),
        queued_mail=OutboundEmail.objects.count(),
        sent_mail=len(account_mail_delivered()),
    )


def assert_allowed(
    action: str, response: HttpResponse, world: World, key: str, before: Footprint, expected: object = OK
) -> None:
    ticket = world.tickets[key]
    detail = page("ticket_detail", ticket.reference)
    if action == "detail":
        assert response.status_code == 200
        html = response.content.decode()
        assert ticket.subject in html
        assert INTERNAL_NOTE not in html
    elif action == "reply":
        assert response.status_code == 302
        assert response.headers["Location"].startswith(detail + "#message-")
        assert Message.objects.filter(ticket=ticket, body=REPLY, is_public=True).count() == 1
    elif action == "solve":
        assert (response.status_code, response.headers["Location"]) == (302, detail)
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED
    elif action == "survey":
        assert (response.status_code, response.headers["Location"]) == (302, detail)
        assert Survey.objects.get(ticket=ticket).rating == 5
    elif action == "account" and expected == BACK:
        assert (response.status_code, response.headers["Location"]) == (302, detail)
        assert footprint(ticket) == before
    elif action == "account":
        assert response.status_code == 200
        assert len(account_mail_delivered()) == before.sent_mail + 1
        assert mail.outbox[-1].to == [ticket.requester.email]
    elif action in ("public_file", "internal_file"):
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == png_bytes()
    else:
        raise AssertionError(f"unknown action {action}")


def assert_my_tickets(expected: str, response: HttpResponse, ticket: Ticket) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"] == login_address(page("my_tickets") + "%3Fstatus%3Dall")
        return
    assert response.status_code == 200
    html = response.content.decode()
    if expected == UNVERIFIED:
        assert "portal/unverified.html" in [template.name for template in response.templates]
        assert "rows" not in response.context
        assert ticket.subject not in html
        return
    references = [row["ticket"].reference for row in response.context["rows"]]
    if expected == LISTED:
        assert ticket.reference in references
        assert f"#{ticket.reference}" in html and ticket.subject in html
    else:
        assert ticket.reference not in references
        assert ticket.subject not in html


@pytest.mark.parametrize(
    ("actor", "action", "key", "expected"), CELLS, ids=[f"{actor}-{action}-{key}" for actor, action, key, _ in CELLS]
)
def test_access_matrix(client, world, actor, action, key, expected):
    ticket = world.tickets[key]
    prepare(action, world, ticket)
    ACTORS[actor](client, world)
    before = footprint(ticket)

    response = perform(action, client, world, key)

    if action == "my_tickets":
        assert_my_tickets(expected, response, ticket)
    elif expected in (OK, BACK):
        assert_allowed(action, response, world, key, before, expected)
    else:
        assert response.status_code == NO
        assert footprint(ticket) == before


# --- Around the table -------------------------------------------------------------------------


def without_address_and_token(response: HttpResponse, reference: int) -> str:
    """The page as the person sees it, less its own address and the per-page CSRF mask."""
    html = response.content.decode().replace(f"/tickets/{reference}/", "/tickets/N/")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("actor", ["anonymous", "owner_of_b", "colleague_not_sharing", "owner_of_a_unverified"])
def test_a_refused_ticket_looks_exactly_like_a_missing_one(client, world, actor):
    ACTORS[actor](client, world)
    reference = world.tickets["A"].reference
    missing = client.get(page("ticket_detail", 999_999))
    refused = client.get(page("ticket_detail", reference))
    assert missing.status_code == refused.status_code == 404
    assert without_address_and_token(missing, 999_999) == without_address_and_token(refused, reference)


@pytest.mark.parametrize("actor", ["guest_of_a", "owner_of_a", "colleague_sharing"])
def test_a_file_of_another_ticket_is_not_reached_through_an_allowed_ticket_s_address(client, world, actor):
    ACTORS[actor](client, world)
    a, b = world.tickets["A"], world.tickets["B"]
    assert client.get(page("attachment_download", a.reference, world.public_files["A"].pk)).status_code == 200
    assert client.get(page("attachment_download", a.reference, world.public_files["B"].pk)).status_code == 404
    assert client.get(page("attachment_download", b.reference, world.public_files["A"].pk)).status_code == 404


def test_a_guest_who_replied_on_a_still_reaches_nothing_else(client, world):
    """Replying with the link of A keeps the grant for A only: B stays closed."""
    guest_of_a(client, world)
    client.post(page("ticket_reply", world.tickets["A"].reference), {"body": REPLY})
    assert client.get(page("ticket_detail", world.tickets["B"].reference)).status_code == 404
    assert client.get(page("my_tickets"))["Location"] == login_address(page("my_tickets"))


WRITERS = [("guest_of_a", "alice"), ("owner_of_a", "alice"), ("colleague_sharing", "carol")]


@pytest.mark.parametrize(("actor", "author"), WRITERS)
def test_a_reply_is_written_in_the_name_of_whoever_sent_it(client, world, actor, author):
    ACTORS[actor](client, world)
    client.post(page("ticket_reply", world.tickets["A"].reference), {"body": REPLY})
    assert Message.objects.get(body=REPLY).author.email.split("@")[0] == author


POSTS = ("reply", "solve", "survey", "account")


@pytest.mark.parametrize("action", POSTS)
def test_a_post_without_the_csrf_token_is_refused(world, action):
    client = Client(enforce_csrf_checks=True)
    ticket = world.tickets["A"]
    prepare(action, world, ticket)
    # The account offer is for guests who came by the link; the rest for the signed-in owner.
    (guest_of_a if action == "account" else owner_of_a)(client, world)
    before = footprint(ticket)

    refused = perform(action, client, world, "A")

    assert refused.status_code == 403
    assert footprint(ticket) == before
    # The same browser, with the token its page gave it, gets through: the 403 was the missing token.
    token = str(client.get(page("ticket_detail", ticket.reference)).context["csrf_token"])
    reference = ticket.reference
    data = {"body": REPLY, "rating": "5", "csrfmiddlewaretoken": token}
    accepted = client.post(page(f"ticket_{action}", reference), data)
    assert accepted.status_code in (200, 302)
    assert footprint(ticket) != before


# --- Agent-only pages -------------------------------------------------------------------------

ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def walk(patterns: Sequence[URLPattern | URLResolver], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern with its full route; the language prefix is written {lang}/."""
    for entry in patterns:
        route = "{lang}/" if isinstance(entry.pattern, LocalePrefixPattern) else str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + route)
        else:
            yield prefix + route, entry


AGENT_PAGES = sorted(
    (route, entry) for route, entry in walk(get_resolver().url_patterns) if route.startswith("{lang}/agent/")
)


def test_the_walk_finds_the_agent_pages_we_know():
    names = {entry.name for _route, entry in AGENT_PAGES}
    assert {"agent_tickets", "agent_ticket", "editor_articles", "agent_deflection", "agent_quarantine"} <= names
    assert None not in names


@dataclass
class AgentObjects:
    ticket: Ticket
    cc: TicketCC
    article_pk: int
    inbound: InboundEmail
    saved_view: SavedView
    administrator: User
    bulk_job: BulkJob
    schedule: BusinessSchedule
    policy: SlaPolicy
    rule: Rule
    webhook: Webhook
    delivery: WebhookDelivery
    ticket_field: TicketField
    ticket_form: TicketForm


@pytest.fixture
def agent_objects(make_ticket) -> AgentObjects:
    ticket = make_ticket()
    raw = with_attachments([("shot.png", "image/png", png_bytes())])
    section = Section.objects.create(key="accounts", position=1)
    administrator = User.objects.create_superuser("root@example.com")
    schedule = BusinessSchedule.objects.create(name="Office")
    webhook = Webhook.objects.create(
        owner=administrator, url="https://hooks.example.org/comptoir", description="CRM", event_types=["ticket.created"]
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        ticket_id=ticket.pk,
        event_type="ticket.created",
        message_id="msg_matrix",
        body="{}",
        state="failed",
        created_at=timezone.now(),
    )
    return AgentObjects(
        ticket=ticket,
        cc=TicketCC.objects.create(ticket=ticket, email="dana@example.org"),
        article_pk=Article.objects.create(key="password", section=section).pk,
        inbound=stored_inbound_email(raw, dedup_key="mid:x", source="test"),
        # Shared, so that an administrator may move or delete it.
        saved_view=SavedView.objects.create(
            name="Everyone's", owner=ticket.requester, visibility=Visibility.EVERYONE, params="view=all"
        ),
        administrator=administrator,
        # A job is its agent's alone: the administrator's, so that they get it.
        bulk_job=BulkJob.objects.create(agent=administrator, ticket_ids=[ticket.pk]),
        schedule=schedule,
        policy=SlaPolicy.objects.create(name="Standard", schedule=schedule),
        rule=Rule.objects.create(name="Invoices", events=["created"], actions=[{"action": "add_tags", "value": "x"}]),
        webhook=webhook,
        delivery=delivery,
        ticket_field=TicketField.objects.create(key="order", kind=FieldKind.TEXT, label_en="Order"),
        ticket_form=TicketForm.objects.create(slug="billing", title_en="Billing"),
    )


def agent_page_address(route: str, entry: URLPattern, objects: AgentObjects) -> str:
    """The page's address, its path arguments filled with real objects so that an agent really gets it."""
    values: dict[str, object] = {
        "reference": objects.ticket.reference,
        "cc_id": objects.cc.pk,
        "index": 0,
        "language": "en",
        "job_id": objects.bulk_job.pk,
        "schedule_id": objects.schedule.pk,
        "policy_id": objects.policy.pk,
        "rule_id": objects.rule.pk,
        "webhook_id": objects.webhook.pk,
        "delivery_id": objects.delivery.pk,
        "field_id": objects.ticket_field.pk,
        "form_id": objects.ticket_form.pk,
    }
    # A "pk" names whatever the view's module is about.
    pk_by_module = {
        "comptoir.editor.views": objects.article_pk,
        "comptoir.workspace.mail_views": objects.inbound.pk,
        "comptoir.workspace.view_views": objects.saved_view.pk,
    }
    if entry.callback.__module__ in pk_by_module:
        values["pk"] = pk_by_module[entry.callback.__module__]
    kwargs = {}
    for argument in ARGUMENT.findall(route):
        assert argument in values, f"{entry.name}: no real object for <{argument}>; add one to agent_page_address"
        kwargs[argument] = values[argument]
    with translation.override("en"):
        return reverse(entry.name, kwargs=kwargs)


def visit(client: Client, address: str) -> HttpResponse:
    """GET, or POST when the page takes only POST (the method check comes before the access check)."""
    response = client.get(address)
    return client.post(address) if response.status_code == 405 else response


AGENT_IDS = [entry.name for _route, entry in AGENT_PAGES]


@pytest.mark.parametrize(("route", "entry"), AGENT_PAGES, ids=AGENT_IDS)
def test_an_agent_page_sends_a_visitor_to_log_in(client, world, agent_objects, route, entry):
    address = agent_page_address(route, entry, agent_objects)
    guest_of_a(client, world)  # a ticket's secret link is no sign-in
    response = visit(client, address)
    assert response.status_code == 302
    assert response.headers["Location"] == login_address(address)


@pytest.mark.parametrize(("route", "entry"), AGENT_PAGES, ids=AGENT_IDS)
@pytest.mark.parametrize("actor", ["owner_of_a", "colleague_sharing"])
def test_an_agent_page_refuses_a_requester(client, world, agent_objects, route, entry, actor):
    ACTORS[actor](client, world)
    before = footprint(agent_objects.ticket)
    assert visit(client, agent_page_address(route, entry, agent_objects)).status_code == 403
    assert footprint(agent_objects.ticket) == before


@pytest.mark.parametrize(("route", "entry"), AGENT_PAGES, ids=AGENT_IDS)
def test_an_agent_page_opens_to_an_administrator(client, agent_objects, route, entry):
    """The other side of the 403: the address and its objects are real, so the refusal above can fail."""
    client.force_login(agent_objects.administrator)
    response = visit(client, agent_page_address(route, entry, agent_objects))
    assert response.status_code not in (403, 404)
    assert not response.headers.get("Location", "").startswith("/accounts/login/")


def admin_addresses() -> list[str]:
    """The admin's index and the list page of every registered model."""
    return [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]


@pytest.mark.parametrize("actor", ["anonymous", "owner_of_a", "colleague_sharing", "agent"])
def test_the_admin_sends_everyone_but_staff_to_its_login(client, world, actor):
    ACTORS[actor](client, world)
    for address in admin_addresses():
        response = client.get(address)
        assert response.status_code == 302, address
        assert response.headers["Location"] == "/admin/login/?next=" + address


def test_the_admin_opens_to_a_superuser(client, db):
    client.force_login(User.objects.create_superuser("root@example.com"))
    for address in admin_addresses():
        # A one-row model's list leads straight to its row.
        assert client.get(address, follow=True).status_code == 200, address


def test_the_development_outbox_does_not_exist_without_debug(client, world, settings):
    owner_of_a(client, world)
    addresses = [page("outbox_list"), page("outbox_detail", 1), page("outbox_html", 1)]
    settings.DEBUG = False
    assert [client.get(address).status_code for address in addresses] == [404, 404, 404]
    settings.DEBUG = True
    assert client.get(page("outbox_list")).status_code == 200
