"""The agent workspace through its views: who gets in, the lists, one submit per action."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import (
    EventKind,
    Macro,
    Message,
    Priority,
    Status,
    SupportGroup,
    Survey,
    Ticket,
    TicketPresence,
    TicketType,
)
from comptoir.tickets.satisfaction import survey_answer
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from comptoir.workspace import selectors
from comptoir.workspace.models import built_in_views_restore
from tests.conftest import png_upload

pytestmark = pytest.mark.django_db

WORKSPACE_URLS = [
    ("get", "agent_tickets", False),
    ("get", "agent_ticket", True),
    ("post", "agent_ticket_update", True),
    ("post", "agent_ticket_take", True),
    ("post", "agent_presence", True),
    ("get", "agent_ticket_macros", True),
    ("get", "agent_organisation_suggestions", False),
]


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def ticket_url(name: str, ticket: Ticket) -> str:
    return url(name, ticket.reference)


def references(response) -> list[int]:
    """The ticket references of the list's rows, in order."""
    return [int(ref) for ref in re.findall(r'<span class="ref">#(\d+)</span>', response.content.decode())]


def submit(client, ticket: Ticket, **data):
    """POST the agent form as the page sends it: current properties, then what the agent changed."""
    ticket.refresh_from_db()
    fields = {
        "visibility": "public",
        "body": "",
        "status": "",
        "priority": ticket.priority,
        "type": ticket.type,
        "assignee": ticket.assignee_id or "",
        "group": ticket.group_id or "",
        **data,
    }
    return client.post(ticket_url("agent_ticket_update", ticket), fields)


def queued(kind: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=kind))


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def colleague(db) -> User:
    return User.objects.create_user("dominique@example.com", password="x", name="Dominique", role=Role.AGENT)


# --- Who gets in ----------------------------------------------------------------


@pytest.mark.parametrize(("method", "name", "per_ticket"), WORKSPACE_URLS, ids=[u[1] for u in WORKSPACE_URLS])
def test_it_sends_a_visitor_to_log_in(client, make_ticket, method, name, per_ticket):
    ticket = make_ticket()
    address = ticket_url(name, ticket) if per_ticket else url(name)
    response = getattr(client, method)(address)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/?next=")
    assert Ticket.objects.get().status == Status.NEW


@pytest.mark.parametrize(("method", "name", "per_ticket"), WORKSPACE_URLS, ids=[u[1] for u in WORKSPACE_URLS])
def test_it_refuses_a_logged_in_requester(client, make_ticket, method, name, per_ticket):
    ticket = make_ticket()
    client.force_login(ticket.requester)
    address = ticket_url(name, ticket) if per_ticket else url(name)
    response = getattr(client, method)(address, {"visibility": "public", "body": "I am an agent now"})
    assert response.status_code == 403
    assert Message.objects.count() == 1
    assert not TicketPresence.objects.exists()


@pytest.mark.parametrize("name", ["agent_ticket_update", "agent_ticket_take", "agent_presence"])
def test_it_answers_405_to_a_get_on_a_post_only_address(agent_client, make_ticket, name):
    ticket = make_ticket()
    assert agent_client.get(ticket_url(name, ticket)).status_code == 405
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (None, Status.NEW)


def test_it_sends_an_agent_to_the_workspace_and_a_requester_to_my_tickets_after_login(client, agent, requester):
    from comptoir.accounts.services import email_address_record

    requester.set_password("requester-pass")
    requester.save()
    email_address_record(user=requester, verified=True)
    response = client.post("/accounts/login/", {"login": "agent@example.com", "password": "agent"})
    assert response.headers["Location"] == "/accounts/welcome/"
    welcome = client.get("/accounts/welcome/", HTTP_ACCEPT_LANGUAGE="en")
    assert welcome.headers["Location"] == url("agent_tickets")
    client.logout()
    client.post("/accounts/login/", {"login": "alice@example.org", "password": "requester-pass"})
    welcome = client.get("/accounts/welcome/", HTTP_ACCEPT_LANGUAGE="en")
    assert welcome.headers["Location"] == url("my_tickets")


# --- Taking and answering -------------------------------------------------------------


def test_it_shows_a_new_ticket_in_unassigned_and_moves_it_to_mine_when_taken(agent_client, agent, make_ticket):
    ticket = make_ticket()
    unassigned = url("agent_tickets") + "?view=unassigned"
    assert references(agent_client.get(unassigned)) == [ticket.reference]
    assert references(agent_client.get(url("agent_tickets") + "?view=mine")) == []

    response = agent_client.post(ticket_url("agent_ticket_take", ticket))

    assert response.headers["Location"] == ticket_url("agent_ticket", ticket)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, Status.OPEN)
    assert references(agent_client.get(url("agent_tickets") + "?view=mine")) == [ticket.reference]
    assert references(agent_client.get(unassigned)) == []
    events = list(ticket.events.values_list("kind", "actor", "new_value"))
    assert (EventKind.ASSIGNEE, agent.pk, "Camille") in events
    assert (EventKind.STATUS, agent.pk, Status.OPEN) in events
    page = agent_client.get(ticket_url("agent_ticket", ticket)).content.decode()
    assert "Assigned to Camille" in page
    assert "Camille · Assignee changed: Camille" in page


def test_it_sends_a_public_reply_with_a_file_and_waits_for_the_requester(agent_client, make_ticket):
    ticket = make_ticket()
    response = submit(
        agent_client,
        ticket,
        body="Could you send us the export log?",
        status="pending",
        attachments=[png_upload("steps.png")],
    )

    reply = Message.objects.filter(ticket=ticket).last()
    assert response.headers["Location"] == ticket_url("agent_ticket", ticket) + f"#message-{reply.pk}"
    assert (reply.body, reply.is_public) == ("Could you send us the export log?", True)
    assert [a.filename for a in reply.attachments.all()] == ["steps.png"]
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    [email] = queued(OutboundKind.AGENT_REPLY)
    assert (email.to_address, email.ticket_message) == ("alice@example.org", reply)


def test_it_keeps_an_internal_note_inside_and_labels_it_on_the_agent_page(agent_client, make_ticket):
    ticket = make_ticket()
    submit(agent_client, ticket, visibility="note", body="The customer is on the legacy plan.")

    note = Message.objects.get(ticket=ticket, is_public=False)
    assert note.body == "The customer is on the legacy plan."
    assert OutboundEmail.objects.exclude(kind=OutboundKind.TICKET_CREATED).count() == 0
    page = agent_client.get(ticket_url("agent_ticket", ticket)).content.decode()
    item = page.split(f'id="message-{note.pk}"')[0].rsplit("<li ", 1)[1]
    assert "message-note" in item
    note_html = page.split(f'id="message-{note.pk}"')[1].split("</li>")[0]
    assert '<span class="tag tag-note">Internal note</span>' in note_html
    assert "The customer is on the legacy plan." in note_html


def test_it_never_shows_an_internal_note_on_the_requester_page(client, agent, make_ticket):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Secret: refund approved by Max", is_public=False)
    ticket_update_by_agent(ticket, agent=agent, body="We are looking into it.")

    redirect = client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    page = client.get(redirect.headers["Location"])

    assert page.status_code == 200
    content = page.content.decode()
    assert "We are looking into it." in content
    assert "Secret: refund approved by Max" not in content


def test_it_sends_the_solved_email_when_submitted_as_solved(agent_client, make_ticket):
    ticket = make_ticket()
    submit(agent_client, ticket, body="Fixed in version 2.3.", status="solved")

    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    [email] = queued(OutboundKind.TICKET_SOLVED)
    assert email.to_address == "alice@example.org"
    assert email.ticket_message.body == "Fixed in version 2.3."
    assert queued(OutboundKind.AGENT_REPLY) == []
    assert Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True).count() == 1


def test_it_saves_field_changes_and_shows_them_in_the_history(agent_client, make_ticket, colleague):
    ticket = make_ticket()
    group = SupportGroup.objects.create(name="Billing team")

    response = submit(agent_client, ticket, priority="urgent", type="incident", assignee=colleague.pk, group=group.pk)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.type, ticket.assignee, ticket.group) == (
        Priority.URGENT,
        TicketType.INCIDENT,
        colleague,
        group,
    )
    assert queued(OutboundKind.AGENT_REPLY) == []
    page = agent_client.get(ticket_url("agent_ticket", ticket)).content.decode()
    history = page.split('id="history-title"')[1]
    assert "Priority changed: Normal → Urgent" in history
    assert "Type changed: Question → Incident" in history
    assert "Assignee changed: Dominique" in history
    assert "Group changed: Billing team" in history


def test_the_selects_show_the_ticket_s_assignee_and_group_among_the_team_s(agent_client, make_ticket, colleague):
    ticket = make_ticket()
    group = SupportGroup.objects.create(name="Billing <team>")
    SupportGroup.objects.create(name="Sales")
    submit(agent_client, ticket, assignee=colleague.pk, group=group.pk)

    page = agent_client.get(ticket_url("agent_ticket", ticket)).content.decode()

    assignee = page.split('<select name="assignee"')[1].split("</select>")[0]
    assert f'<option value="{colleague.pk}" selected>Dominique</option>' in assignee
    assert '<option value="">Nobody</option>' in assignee
    groups = page.split('<select name="group"')[1].split("</select>")[0]
    assert f'<option value="{group.pk}" selected>Billing &lt;team&gt;</option>' in groups
    assert groups.count("<option") == 3  # "No group", Billing, Sales


def test_it_refuses_an_assignee_who_is_no_longer_an_agent(agent_client, make_ticket, colleague):
    ticket = make_ticket()
    User.objects.filter(pk=colleague.pk).update(is_active=False)

    response = submit(agent_client, ticket, assignee=colleague.pk)

    assert response.status_code == 400
    page = response.content.decode()
    select = page.split('<select name="assignee"')[1].split(">")[0]
    # Django links the select to its error by "<id>_error": the list of errors carries that id.
    assert 'aria-invalid="true"' in select and 'aria-describedby="id_assignee_error"' in select
    errors = page.split('id="id_assignee_error"')[1].split("</ul>")[0]
    assert "Select a valid choice" in errors
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- Closed tickets ----------------------------------------------------------------------


def test_it_refuses_a_public_reply_on_a_closed_ticket_and_says_why(agent_client, make_ticket):
    ticket = make_ticket()
    ticket_set_status(ticket, Status.CLOSED, actor=None)

    response = submit(agent_client, ticket, body="Any news?")

    assert response.status_code == 400
    summary = response.content.decode().split('class="error-summary"')[1].split("</div>")[0]
    assert "This ticket is closed: only internal notes can be added." in summary
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert queued(OutboundKind.AGENT_REPLY) == []


def test_it_accepts_an_internal_note_on_a_closed_ticket(agent_client, make_ticket):
    ticket = make_ticket()
    ticket_set_status(ticket, Status.CLOSED, actor=None)
    page = agent_client.get(ticket_url("agent_ticket", ticket)).content.decode()
    # The closed page's form holds the note and the submit button, no property fields.
    assert 'name="priority"' not in page

    response = agent_client.post(
        ticket_url("agent_ticket_update", ticket),
        {"visibility": "note", "body": "Customer called, nothing to do.", "status": ""},
    )

    assert response.status_code == 302, "an internal note on a closed ticket is refused"
    note = Message.objects.get(ticket=ticket, is_public=False)
    assert note.body == "Customer called, nothing to do."
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_it_accepts_a_note_from_a_page_left_open_while_the_ticket_was_closed(agent_client, make_ticket):
    ticket = make_ticket()
    ticket_set_status(ticket, Status.CLOSED, actor=None)

    # The open page sends its property fields too, unchanged: only the note is new.
    response = submit(agent_client, ticket, visibility="note", body="Called back.")

    assert response.status_code == 302
    assert Message.objects.get(ticket=ticket, is_public=False).body == "Called back."


def test_it_refuses_a_field_change_on_a_closed_ticket_and_says_why(agent_client, make_ticket):
    ticket = make_ticket()
    ticket_set_status(ticket, Status.CLOSED, actor=None)

    response = submit(agent_client, ticket, visibility="note", body="Bump it.", priority="urgent")

    assert response.status_code == 400
    assert "This ticket is closed: only internal notes can be added." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority != "urgent"
    assert not Message.objects.filter(ticket=ticket, is_public=False).exists()


# --- The list ------------------------------------------------------------------------------


def test_it_filters_by_assignee_and_priority_and_sorts_by_priority(agent_client, agent, make_ticket):
    low = make_ticket(subject="Low")
    urgent = make_ticket(subject="Urgent")
    high = make_ticket(subject="High")
    normal = make_ticket(subject="Normal")
    for ticket, priority in ((low, "low"), (urgent, "urgent"), (high, "high")):
        ticket_update_by_agent(ticket, agent=agent, priority=priority)
    ticket_update_by_agent(high, agent=agent, assignee=agent)
    address = url("agent_tickets") + "?view=all"

    assert references(agent_client.get(address + "&sort=-priority")) == [
        urgent.reference,
        high.reference,
        normal.reference,
        low.reference,
    ]
    assert sorted(references(agent_client.get(address + "&assignee=none"))) == sorted(
        [low.reference, urgent.reference, normal.reference]
    )
    assert references(agent_client.get(address + f"&assignee={agent.pk}")) == [high.reference]
    assert references(agent_client.get(address + "&priority=urgent")) == [urgent.reference]
    assert references(agent_client.get(address + "&priority=high&assignee=none")) == []


def test_it_ignores_invalid_filter_values(agent_client, agent, make_ticket):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=agent)

    response = agent_client.get(
        url("agent_tickets") + "?view=bogus&status=nope&assignee=abc&group=999&priority=max&sort=sideways&page=zz"
    )

    assert response.status_code == 200
    # The agent's own unsolved tickets, where every agent lands.
    assert references(response) == [ticket.reference]
    assert response.context["view_key"] == "mine"


def link(response, rel: str) -> str | None:
    """The address of the list's "next" or "prev" link, or None."""
    found = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_it_pages_the_list_by_25_from_where_the_last_page_ended(agent_client, make_ticket):
    tickets = [make_ticket(subject=f"Ticket {n}") for n in range(26)]
    # Two tickets updated in the same microsecond: their ids decide, and neither is lost between pages.
    Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[1].pk]).update(updated_at=tickets[1].updated_at)
    address = url("agent_tickets")

    first = agent_client.get(address + "?view=unassigned")
    second = agent_client.get(address + link(first, "next"))
    back = agent_client.get(address + link(second, "prev"))

    assert len(references(first)) == 25
    assert references(second) == [tickets[0].reference]
    assert set(references(first)) | set(references(second)) == {t.reference for t in tickets}
    assert link(second, "next") is None
    assert "First page" in second.content.decode() and "First page" not in first.content.decode()
    assert references(back) == references(first)
    assert link(back, "prev") is None


def test_a_cursor_that_is_not_one_shows_the_first_page(agent_client, make_ticket):
    make_ticket()

    for cursor in ("after=x", "after=1.2.3.4", "before=99999999999999999999999.1", "after=" + "1" * 200):
        assert len(references(agent_client.get(url("agent_tickets") + "?view=unassigned&" + cursor))) == 1, cursor


def test_it_marks_the_tickets_where_the_requester_spoke_last(agent_client, agent, make_ticket):
    waiting = make_ticket(subject="Waiting")
    answered = make_ticket(subject="Answered")
    ticket_update_by_agent(answered, agent=agent, body="Done on our side.")
    ticket_update_by_agent(waiting, agent=agent, body="Internal only", is_public=False)

    content = agent_client.get(url("agent_tickets") + "?view=all").content.decode()

    rows = {int(ref): row for ref, row in re.findall(r'<span class="ref">#(\d+)</span>(.*?)</tr>', content, re.S)}
    assert "Requester spoke last" in rows[waiting.reference]
    assert "Requester spoke last" not in rows[answered.reference]


def test_it_counts_every_view(agent_client, agent, make_ticket):
    built_in_views_restore()
    make_ticket()
    mine = make_ticket()
    ticket_update_by_agent(mine, agent=agent, assignee=agent, status="pending")

    shared = agent_client.get(url("agent_tickets")).context["shared_views"]
    counts = {view.key: str(count) for view, count in shared}

    assert counts == {
        "unassigned": "1",
        "mine": "1",
        "open": "1",
        "pending": "1",
        "on_hold": "0",
        "solved": "0",
        "all": "2",
        "spam": "0",
        "breaching": "0",  # no service-level policy here
    }


def test_a_count_past_the_cap_says_so_instead_of_reading_every_row(agent_client, make_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    built_in_views_restore()
    for _ in range(3):
        make_ticket()

    response = agent_client.get(url("agent_tickets") + "?view=all")

    counts = {view.key: count for view, count in response.context["shared_views"]}
    assert (str(counts["all"]), counts["all"].more) == ("2+", True)
    assert (str(counts["solved"]), counts["solved"].more) == ("0", False)
    assert '<span class="muted">(2+)</span>' in response.content.decode()


# --- The ticket page -------------------------------------------------------------------------


def test_it_reports_other_agents_viewing_and_replying(client, agent, colleague, make_ticket):
    from django.test import Client

    ticket = make_ticket()
    theirs = Client()
    theirs.force_login(colleague)
    client.force_login(agent)
    address = ticket_url("agent_presence", ticket)

    assert "Dominique" not in theirs.post(address).content.decode()
    client.post(address)
    assert "Camille is viewing this ticket." in theirs.post(address).content.decode()
    client.post(address, {"composing": "on"})
    seen = theirs.post(address).content.decode()
    assert "Camille is replying to this ticket." in seen
    assert "Dominique" not in seen
    # Gone for longer than the window: no longer reported.
    TicketPresence.objects.filter(agent=agent).update(seen_at=timezone.now() - timedelta(seconds=60))
    assert "Camille" not in theirs.post(address).content.decode()


def test_it_fills_in_macro_placeholders_and_leaves_attribute_access_alone(agent_client, make_ticket):
    ticket = make_ticket(subject="Export fails")
    Macro.objects.create(
        title="Greeting",
        body="Hi {requester_name}, about {ticket_reference} ({ticket_subject}). {agent_name} "
        "{ticket_subject.__class__} {0} {unknown}",
    )
    Macro.objects.create(title="Retired", body="Old text", is_active=False)

    response = agent_client.get(ticket_url("agent_ticket_macros", ticket))
    page = response.content.decode()

    assert response.headers["Cache-Control"] == "no-store"
    expected = (
        f"Hi Alice Martin, about #{ticket.reference} (Export fails). Camille "
        "{ticket_subject.__class__} {0} {unknown}"
    )
    assert f'data-text="{expected}"' in page
    assert "&lt;class" not in page
    assert "Old text" not in page


def test_a_canned_reply_inserts_its_text_in_the_tickets_language(agent_client, make_ticket):
    french = make_ticket(subject="Export", language="fr")
    english = make_ticket(email="bob@example.org", subject="Export", language="en")
    Macro.objects.create(
        title="Thanks",
        body="Merci {requester_name} / Thanks {requester_name}",
        body_fr="Merci {requester_name}.",
        body_en="Thank you {requester_name}.",
    )
    Macro.objects.create(title="Only one", body="Toujours {ticket_reference}", body_en="  ")

    french_options = agent_client.get(ticket_url("agent_ticket_macros", french)).content.decode()
    english_options = agent_client.get(ticket_url("agent_ticket_macros", english)).content.decode()

    assert 'data-text="Merci Alice Martin."' in french_options
    assert 'data-text="Thank you Alice Martin."' in english_options
    # No text of its own in the ticket's language (blank counts as none): the canned reply's text.
    assert f'data-text="Toujours #{english.reference}"' in english_options


def test_it_lists_the_requesters_other_tickets(agent_client, make_ticket):
    earlier = make_ticket(subject="Invoice missing")
    make_ticket(email="bob@example.org", subject="Bob's own problem")
    ticket = make_ticket()

    page = agent_client.get(ticket_url("agent_ticket", ticket)).content.decode()

    others = page.split('id="requester-title"')[1].split("</section>")[0]
    assert f"#{earlier.reference} Invoice missing" in others
    assert "Bob's own problem" not in others
    assert f"#{ticket.reference} " not in others


def test_it_shows_the_satisfaction_rating_in_the_list_and_on_the_page(agent_client, agent, make_ticket):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status="solved")
    survey_answer(Survey.objects.get(ticket=ticket), rating=4, comment="Quick and kind")

    content = agent_client.get(url("agent_tickets") + "?view=solved").content.decode()
    page = agent_client.get(ticket_url("agent_ticket", ticket)).content.decode()

    row = content.split(f"#{ticket.reference}</span>")[1].split("</tr>")[0]
    assert '<span class="rating">4/5</span>' in row
    assert "Rated 4/5" in page
    satisfaction = page.split('id="satisfaction-title"')[1].split("</section>")[0]
    assert "4/5" in satisfaction and "Quick and kind" in satisfaction


def test_the_list_writes_its_rows_in_the_page_s_language_with_escaped_values(agent_client, agent, make_ticket):
    ticket = make_ticket(subject="<img src=x onerror=alert(1)>", name="Zoé <b>Martin</b>")
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, priority="urgent", body="Vu.", status="pending")
    ticket.refresh_from_db()
    with translation.override("fr"):
        address = reverse("agent_tickets") + "?view=all"

    content = agent_client.get(address).content.decode()

    row = content.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert f'href="/fr/agent/tickets/{ticket.reference}/"' in row
    assert "&lt;img src=x onerror=alert(1)&gt;" in row and "<img" not in row
    assert "Zoé &lt;b&gt;Martin&lt;/b&gt;" in row
    assert '<span class="badge badge-pending">En attente</span>' in row
    assert '<span class="priority priority-urgent">Urgente</span>' in row
    local = timezone.localtime(ticket.updated_at)
    with translation.override("fr"):
        exact = formats.date_format(local, "SHORT_DATETIME_FORMAT")  # "4 déc. 2026, 18:18"
    assert exact.startswith(f"{local.day} ") and exact.endswith(f"{local.year}, {local:%H:%M}")
    assert f'<time datetime="{local.isoformat()}" title="{exact}">' in row
