"""Rules that e-mail: to the requester, the assignee, the group or an address, in each one's language.

The e-mail is written when the rule fires (its placeholders filled in), recorded with the rule's
change (RULE_EMAIL and its RuleTelling), and queued by the notifications subscriber: the changes are
handed over as the write's transaction ends (tests/conftest.py), so it is queued when the service
that set the rule off returns.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind, OutboundStatus
from comptoir.mail.outbound import email_deliver
from comptoir.mail.suppressions import address_suppress
from comptoir.rules.engine import dry_run, rules_run
from comptoir.rules.models import Outcome, Rule, RuleRun, RunWarning
from comptoir.rules.validation import rule_errors
from comptoir.tickets.models import EventKind, RuleRecipient, RuleTelling, Status, Ticket, TicketEvent
from comptoir.tickets.services import (
    PropertyChanges,
    RuleTold,
    ticket_reply_by_requester,
    ticket_rule_tell,
    ticket_update_by_agent,
    tickets_update_in_bulk,
)

pytestmark = pytest.mark.django_db


def email(to: str = "requester", *, subject: Any = None, body: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "to": to,
        "subject": subject if subject is not None else {"fr": "Bien reçu {ticket_reference}", "en": "Got it"},
        "body": body if body is not None else {"fr": "Bonjour {requester_name}", "en": "Hello {requester_name}"},
        **extra,
    }


def url(name: str, *args: Any, language: str = "en") -> str:
    with translation.override(language):
        return "http://127.0.0.1:8000" + reverse(name, args=args)


def queued(kind: str = OutboundKind.RULE_EMAIL) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=kind).order_by("id"))


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.COMPTOIR_BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def zoe(db) -> User:
    return User.objects.create_user("zoe@example.com", name="Zoé Martin", role=Role.AGENT, language="en")


@pytest.fixture
def max_(db) -> User:
    return User.objects.create_user("max@example.com", name="Max", role=Role.AGENT)


# --- What an admin may save -----------------------------------------------------------------------


def errors_of(action: dict[str, Any], *, kind: str = "trigger") -> dict[str, list[str]]:
    rule = Rule(
        name="R",
        kind=kind,
        events=[] if kind == "automation" else ["created"],
        conditions=[{"field": "hours_in_status", "operator": "at_least", "value": 96}]
        if kind == "automation"
        else [{"field": "subject", "operator": "contains", "value": "facture"}],
        actions=[action],
    )
    with translation.override("en"):
        return rule_errors(rule)


def test_each_recipient_kind_and_every_placeholder_can_be_saved(zoe):
    every = " ".join(
        [
            "{requester_name}",
            "{ticket_reference}",
            "{ticket_subject}",
            "{ticket_status}",
            "{ticket_priority}",
            "{ticket_group}",
            "{assignee_name}",
            "{latest_message}",
            "{ticket_url}",
        ]
    )
    for to in ("requester", "assignee", "group"):
        assert errors_of({"action": "send_email", "value": email(to, body={"en": every})}) == {}
    assert errors_of({"action": "send_email", "value": email("address", address="boss@example.org")}) == {}
    for value in ({"to": "assignee"}, {"to": "group", "message": "Urgent"}, {"to": "agent", "agent": zoe.pk}):
        assert errors_of({"action": "notify_agents", "value": value}) == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            email("boss"),
            "“boss” is not someone an e-mail can go to (the requester, the assignee, the group or an address).",
        ),
        (email("address", address="boss@"), "“boss@” is not a valid e-mail address."),
        (email("address"), "“None” is not a valid e-mail address."),
        (email("requester", address="boss@example.org"), "an address is given only to e-mail that address."),
        (email(subject={"fr": " ", "en": ""}), "the e-mail's subject is empty."),
        (email(body={"en": "  "}), "the e-mail's text is empty."),
        (
            email(subject={"de": "Hallo"}),
            'an e-mail\'s subject and text are written by language: {"fr": "…", "en": "…"}.',
        ),
        (email(subject={"en": "x" * 201}), "the e-mail's subject is longer than 200 characters."),
        (email(body={"en": "x" * 5001}), "the e-mail's text is longer than 5000 characters."),
        (
            email(subject={"en": "About {ticket_number}"}, body={"en": "Hi {name}, {requester_name} {name}"}),
            "unknown placeholders: {ticket_number}, {name} (known: {requester_name}, {ticket_reference}, "
            "{ticket_subject}, {ticket_status}, {ticket_priority}, {ticket_group}, {assignee_name}, "
            "{latest_message}, {ticket_url}).",
        ),
    ],
)
def test_an_e_mail_that_cannot_be_sent_is_refused_with_the_reason(value, message):
    assert errors_of({"action": "send_email", "value": value}) == {"actions": [f"Action 1: {message}"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"to": "everyone"}, "“everyone” is not someone a notice can go to (the assignee, the group or an agent)."),
        ({"to": "agent"}, "“None” does not name an agent."),
        ({"to": "group", "agent": 3}, "an agent is named only to notify that agent."),
        ({"to": "group", "message": "x" * 1001}, "the notice's message is longer than 1000 characters."),
    ],
)
def test_a_notice_that_cannot_be_sent_is_refused_with_the_reason(value, message):
    assert errors_of({"action": "notify_agents", "value": value}) == {"actions": [f"Action 1: {message}"]}


def test_a_notice_to_an_agent_who_is_not_one_is_refused(requester):
    value = {"to": "agent", "agent": requester.pk}
    assert errors_of({"action": "notify_agents", "value": value}) == {
        "actions": [f"No agent has the id {requester.pk}."]
    }


def test_only_an_automation_closes(db):
    close = {"action": "set_status", "value": "closed"}
    assert errors_of(close, kind="automation") == {}
    assert errors_of(close) == {"actions": ["Only an automation closes tickets: closed is final, and comes with time."]}


# --- What is sent ---------------------------------------------------------------------------------


def test_the_requester_is_e_mailed_in_the_tickets_language_placeholders_filled_and_escaped(
    make_rule, make_ticket, mailoutbox
):
    rule = make_rule(
        "Welcome",
        events=["created"],
        actions=[
            (
                "send_email",
                email(
                    subject={
                        "fr": "{ticket_reference} : {ticket_subject}",
                        "en": "{ticket_reference}: {ticket_subject}",
                    },
                    body={
                        "fr": "Bonjour {requester_name},\n{ticket_subject} est {ticket_status}.\n{latest_message}\n"
                        "{ticket_url}",
                        "en": "Hello {requester_name}, it is {ticket_status}. {ticket_url}",
                    },
                ),
            )
        ],
    )

    ticket = make_ticket(
        subject="Facture <b>mars</b>",
        description="<script>alert(1)</script> & rien",
        language="fr",
    )

    [sent] = queued()
    assert (sent.to_address, sent.language, sent.ticket_id, sent.status) == (
        "alice@example.org",
        "fr",
        ticket.pk,
        OutboundStatus.QUEUED,
    )
    assert sent.subject == f"#{ticket.reference} : Facture <b>mars</b>"
    link = url("link_request", language="fr")  # never a secret link: the page that e-mails fresh ones
    assert sent.body_text.startswith(
        f"Bonjour Alice Martin,\nFacture <b>mars</b> est Nouveau.\n<script>alert(1)</script> & rien\n{link}\n"
    )
    # Plain text in, escaped in the HTML part: the requester's words cannot write markup.
    assert "Facture &lt;b&gt;mars&lt;/b&gt; est Nouveau" in sent.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; rien" in sent.body_html
    assert "<script>" not in sent.body_html and "<b>mars" not in sent.body_html
    # The history says a rule e-mailed the requester, without their address (it outlives an erasure).
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.RULE_EMAIL)
    assert (event.actor_id, event.old_value, event.new_value) == (None, RuleRecipient.REQUESTER, "")
    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    assert (run.outcome, run.warning, run.produced_change) == (Outcome.FIRED, "", event.change)
    assert run.changes == {"emails": [{"to": "requester", "subject": "{ticket_reference} : {ticket_subject}"}]}
    # Queued, the filled-in texts are not kept beside the history (the queue keeps its copy until it leaves).
    assert RuleTelling.objects.get(event=event).texts == {}

    assert email_deliver(sent.pk) is True
    message = mailoutbox[-1]
    assert message.subject == f"#{ticket.reference} : Facture <b>mars</b>"
    assert message.to == ["alice@example.org"]
    html = message.alternatives[0][0]
    assert "&lt;script&gt;" in html and "<script>" not in html
    # Threaded with the ticket: a reply comes back to it.
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert str(ticket.reference) in message.reply_to[0]


def test_a_requester_who_chose_a_language_reads_it_and_english_falls_back_when_missing(make_rule, make_ticket):
    make_rule("Welcome", events=["created"], actions=[("send_email", email(body={"fr": "Bonjour"}))])
    User.objects.create_user("bob@example.org", name="Bob", language="en")

    make_ticket(email="bob@example.org", language="fr")

    [sent] = queued()
    # The person's own choice wins, as for every e-mail to them; no English text: the French one.
    assert (sent.language, sent.subject, sent.body_text.split("\n")[0]) == ("en", "Got it", "Bonjour")


def test_the_assignee_is_e_mailed_in_their_language_with_the_workspace_link(make_rule, make_ticket, zoe):
    make_rule(
        "Assign and tell",
        events=["created"],
        actions=[
            ("set_assignee", zoe.pk),
            (
                "send_email",
                email("assignee", body={"fr": "{assignee_name} : {ticket_url}", "en": "{assignee_name}: {ticket_url}"}),
            ),
        ],
    )

    ticket = make_ticket(language="fr")

    [sent] = queued(OutboundKind.RULE_EMAIL_AGENT)
    # The e-mail reads the ticket as the rule's other actions left it: assigned to Zoé.
    assert (sent.to_address, sent.language) == ("zoe@example.com", "en")
    link = url("agent_ticket", ticket.reference)
    assert sent.body_text.startswith(f"Zoé Martin: {link}\n")
    assert link in sent.body_html  # the "Open the ticket" button
    assert not queued(OutboundKind.RULE_EMAIL)
    assign, told = TicketEvent.objects.filter(ticket=ticket, actor__isnull=True).order_by("id")
    assert (assign.kind, told.kind, told.old_value, told.new_value) == (
        EventKind.ASSIGNEE,
        EventKind.RULE_EMAIL,
        "assignee",
        "Zoé Martin",
    )
    assert assign.change == told.change  # one firing, one change


def test_the_group_is_every_active_agent_member_each_in_their_language(make_rule, make_ticket, billing, zoe, max_):
    gone = User.objects.create_user("gone@example.com", name="Gone", role=Role.AGENT, is_active=False)
    billing.members.add(zoe, max_, gone)
    make_rule("Billing knows", events=["created"], actions=[("set_group", billing.pk), ("send_email", email("group"))])

    ticket = make_ticket(language="en")

    sent = queued(OutboundKind.RULE_EMAIL_AGENT)
    # Max chose no language: the site's (French).
    assert sorted((row.to_address, row.language, row.subject) for row in sent) == [
        ("max@example.com", "fr", f"Bien reçu #{ticket.reference}"),
        ("zoe@example.com", "en", "Got it"),
    ]
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.RULE_EMAIL)
    with translation.override("en"):
        assert event.told == "the group's agents (Billing)"


def test_an_address_is_e_mailed_in_the_tickets_language(make_rule, make_ticket):
    make_rule(
        "Tell the boss",
        events=["created"],
        actions=[("send_email", email("address", address="boss@example.org"))],
    )

    ticket = make_ticket(language="fr")

    [sent] = queued()
    assert (sent.to_address, sent.language, sent.subject) == (
        "boss@example.org",
        "fr",
        f"Bien reçu #{ticket.reference}",
    )
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.RULE_EMAIL)
    with translation.override("en"):
        assert event.told == "an address (boss@example.org)"


@pytest.mark.parametrize(
    ("to", "warning"),
    [("assignee", RunWarning.NO_ASSIGNEE), ("group", RunWarning.NO_GROUP)],
)
def test_nobody_to_e_mail_is_a_warning_and_the_other_actions_go_ahead(make_rule, make_ticket, to, warning):
    tagging = make_rule(
        "Tag and tell", events=["created"], actions=[("add_tags", "seen"), ("send_email", email(to))], position=1
    )
    telling = make_rule("Only tell", events=["created"], actions=[("send_email", email(to))], position=2)

    ticket = make_ticket()

    assert set(ticket.tags.values_list("name", flat=True)) == {"seen"}
    assert not OutboundEmail.objects.filter(kind__in=(OutboundKind.RULE_EMAIL, OutboundKind.RULE_EMAIL_AGENT))
    assert not TicketEvent.objects.filter(kind=EventKind.RULE_EMAIL).exists()
    tagged = RuleRun.objects.get(rule=tagging, ticket=ticket)
    assert (tagged.outcome, tagged.warning) == (Outcome.FIRED, warning)
    told = RuleRun.objects.get(rule=telling, ticket=ticket)
    assert (told.outcome, told.warning, told.produced_change) == (Outcome.NOT_FIRED, warning, None)


def test_a_group_without_active_agents_is_a_warning(make_rule, make_ticket, billing):
    billing.members.add(User.objects.create_user("gone@example.com", role=Role.AGENT, is_active=False))
    rule = make_rule(
        "Tell Billing", events=["created"], actions=[("set_group", billing.pk), ("send_email", email("group"))]
    )

    ticket = make_ticket()

    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    assert (run.outcome, run.warning) == (Outcome.FIRED, RunWarning.GROUP_EMPTY)
    assert Ticket.objects.get(pk=ticket.pk).group == billing
    assert not queued(OutboundKind.RULE_EMAIL_AGENT)


def test_an_agent_no_longer_active_when_it_is_sent_is_skipped(make_ticket, zoe, max_):
    ticket = make_ticket()
    User.objects.filter(pk=max_.pk).update(is_active=False)
    told = RuleTold(
        kind=EventKind.RULE_EMAIL,
        rule_name="Tell them",
        recipient=RuleRecipient.GROUP,
        name="Billing",
        agent_ids=[zoe.pk, max_.pk],
        texts={"fr": {"subject": "Sujet", "body": "Texte"}, "en": {"subject": "Subject", "body": "Text"}},
    )

    ticket_rule_tell(ticket.pk, [told])

    assert [(row.to_address, row.subject) for row in queued(OutboundKind.RULE_EMAIL_AGENT)] == [
        ("zoe@example.com", "Subject")
    ]


def test_the_e_mail_sent_is_the_one_the_rule_said_when_it_fired(make_rule, make_ticket):
    rule = make_rule("Welcome", events=["created"], actions=[("send_email", email(subject={"en": "First words"}))])

    with transaction.atomic():
        ticket = make_ticket()
        created = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED)
        # The rules run on the change (as the backbone will once more after commit), then the admin edits the rule.
        [run] = rules_run(created.change)
        assert run.outcome == Outcome.FIRED
        Rule.objects.filter(pk=rule.pk).update(
            actions=[{"action": "send_email", "value": email(subject={"en": "Second"})}]
        )

    # Handed over after commit: the rule fired already in this chain and sends nothing more, the e-mail
    # queued says what it said then, and nothing warns of a loop.
    assert [row.subject for row in queued()] == ["First words"]
    assert list(RuleRun.objects.filter(rule=rule).values_list("outcome", "warning")) == [(Outcome.FIRED, "")]


def test_a_rule_that_tags_and_e_mails_is_not_taken_for_a_loop(make_rule, make_ticket):
    rule = make_rule(
        "Tag and tell",
        events=["updated"],
        conditions=[("priority", "is", "urgent")],
        actions=[("add_tags", "urgent"), ("send_email", email())],
    )
    ticket = make_ticket()

    tickets_update_in_bulk([ticket.pk], agent=None, changes=PropertyChanges(priority="urgent"))

    # Its own change (a tag) runs the triggers again: it matches, has nothing left to change, and is silent.
    assert len(queued()) == 1
    assert list(RuleRun.objects.filter(rule=rule).values_list("outcome", "warning")) == [(Outcome.FIRED, "")]


# --- The outbound queue's guards ------------------------------------------------------------------


def test_the_loop_cap_holds_rule_e_mails_to_the_requester(make_rule, make_ticket, agent, settings):
    settings.COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR = 2
    make_rule("Thanks", events=["requester_message"], actions=[("send_email", email())])
    ticket = make_ticket()  # the confirmation: the first automatic e-mail to Alice this hour
    ticket_update_by_agent(ticket, agent=agent, body="Which browser?", status=Status.PENDING)

    ticket_reply_by_requester(ticket=ticket, body="Firefox.", channel="web")
    ticket_reply_by_requester(ticket=ticket, body="Firefox 128.", channel="web")

    first, second = queued()
    assert first.status == OutboundStatus.QUEUED
    assert second.status == OutboundStatus.SUPPRESSED
    assert second.last_error == "loop guard: 2 automatic e-mails to alice@example.org in the last hour"
    assert (second.subject, second.body_text) == ("", "")  # a text never sent is not kept


def test_an_address_that_bounced_or_a_person_who_turned_e_mails_off_is_not_e_mailed(make_rule, make_ticket):
    make_rule(
        "Tell",
        events=["created"],
        actions=[("send_email", email()), ("send_email", email("address", address="boss@example.org"))],
    )
    address_suppress("boss@example.org", "550 no such user", days=30)
    make_ticket()
    alice = User.objects.get(email="alice@example.org")
    alice.notify_by_email = False
    alice.save(update_fields=["notify_by_email"])
    make_ticket(subject="Again")

    rows = [(row.to_address, row.status, row.last_error.split(" (")[0][:24]) for row in queued()]
    assert rows == [
        ("alice@example.org", OutboundStatus.QUEUED, ""),
        ("boss@example.org", OutboundStatus.SUPPRESSED, "boss@example.org bounced"),
        ("alice@example.org", OutboundStatus.SUPPRESSED, "the person turned notifi"),
        ("boss@example.org", OutboundStatus.SUPPRESSED, "boss@example.org bounced"),
    ]


# --- The dry run ----------------------------------------------------------------------------------


def test_the_dry_run_says_whom_it_would_e_mail_and_notify_and_writes_nothing(make_ticket, zoe):
    ticket = make_ticket(subject="Facture", language="fr")
    rule = Rule(
        name="Invoices",
        events=["created"],
        conditions=[{"field": "subject", "operator": "contains", "value": "facture"}],
        actions=[
            {"action": "send_email", "value": email("address", address="boss@example.org")},
            {"action": "notify_agents", "value": {"to": "agent", "agent": zoe.pk, "message": "Regarde"}},
        ],
    )
    rule.full_clean()
    events_before, emails_before = TicketEvent.objects.count(), OutboundEmail.objects.count()

    with CaptureQueriesContext(connection) as captured:
        [row] = dry_run(rule, [ticket])

    assert [q["sql"] for q in captured if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")] == []
    assert len(captured) == 2
    assert dict(row.plan.changes) == {
        "emails": [{"to": "address", "address": "boss@example.org", "subject": "Bien reçu {ticket_reference}"}],
        "notices": [{"to": "agent", "agent": zoe.pk, "message": "Regarde"}],
    }
    assert (TicketEvent.objects.count(), OutboundEmail.objects.count()) == (events_before, emails_before)
    assert not RuleRun.objects.exists()


# --- Closing --------------------------------------------------------------------------------------


def automation(name: str, *, conditions: list[tuple[str, str, Any]], actions: list[tuple[str, Any]]) -> Rule:
    rule = Rule(
        name=name,
        kind="automation",
        conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions],
        actions=[{"action": a, "value": v} for a, v in actions],
    )
    rule.full_clean()
    rule.save()
    return rule


def test_an_automation_closes_a_solved_ticket_through_the_status_services(make_ticket, agent):
    from comptoir.rules.automations import automations_run

    rule = automation(
        "Close the solved",
        conditions=[("status", "is", "solved"), ("hours_in_status", "at_least", 96)],
        actions=[("set_status", "closed"), ("send_email", email(subject={"en": "Closed"}, body={"en": "Closed."}))],
    )
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status=Status.SOLVED)
    emails_before = OutboundEmail.objects.exclude(kind=OutboundKind.RULE_EMAIL).count()

    assert automations_run(now=timezone.now() + timedelta(hours=95)) == 0
    assert automations_run(now=timezone.now() + timedelta(hours=97)) == 1

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    status, told = TicketEvent.objects.filter(ticket=ticket).order_by("-id")[:2][::-1]
    assert (status.kind, status.old_value, status.new_value, status.actor_id) == (
        EventKind.STATUS,
        Status.SOLVED,
        Status.CLOSED,
        None,
    )
    # Its e-mail goes with the change that closed the ticket; closing itself e-mails nobody, as the job's.
    assert (told.kind, told.change) == (EventKind.RULE_EMAIL, status.change)
    assert [row.subject for row in queued()] == ["Closed"]
    assert OutboundEmail.objects.exclude(kind=OutboundKind.RULE_EMAIL).count() == emails_before
    run = RuleRun.objects.get(rule=rule, ticket=ticket)
    assert (run.outcome, run.changes["status"]) == (Outcome.FIRED, ["solved", "closed"])
    # Closed is final: nothing more for the automation there.
    assert automations_run(now=timezone.now() + timedelta(days=30)) == 0


def test_agents_still_cannot_close_in_bulk(make_ticket, agent):
    ticket = make_ticket()
    with pytest.raises(ValueError, match="agents cannot set the status"):
        tickets_update_in_bulk([ticket.pk], agent=agent, changes=PropertyChanges(), status=Status.CLOSED)


def test_the_workspace_history_says_what_the_rule_sent(make_rule, make_ticket, client, agent, billing, zoe):
    billing.members.add(zoe)
    make_rule(
        "Tell Billing",
        events=["created"],
        actions=[("set_group", billing.pk), ("send_email", email()), ("notify_agents", {"to": "group"})],
    )
    ticket = make_ticket()
    client.force_login(agent)

    page = client.get(url("agent_ticket", ticket.reference).removeprefix("http://127.0.0.1:8000")).content.decode()

    assert "E-mail sent: the requester" in page
    assert "Agents notified: the group&#x27;s agents (Billing)" in page
    assert page.count("By rule “Tell Billing”") == 3  # the group, the e-mail, the notice
