"""Out-of-office replies that carry no RFC 3834 header, known by their words; and a storm of robots.

Outlook's client-side rules, older Exchange servers and many hosting panels
answer with nothing but "Automatic reply:", "Réponse automatique :",
"Abwesenheitsnotiz"... in the subject. They must be taken for the robots they
are (comptoir.mail.parsing.robots), and a person who mentions an absence must not.
"""

from __future__ import annotations

from email.header import Header

import pytest

from comptoir.gateway.inbound import ingest
from comptoir.mail.addressing import reply_address
from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundKind, OutboundStatus
from comptoir.mail.outbound import email_deliver
from comptoir.mail.parsing import parse_email
from comptoir.mail.parsing.robots import body_says_out_of_office, subject_says_out_of_office
from comptoir.tickets.models import Channel, Status, Ticket
from comptoir.tickets.services import ticket_set_status, ticket_take, ticket_update_by_agent
from tests.mail.test_ingest import raw_message
from tests.mail.test_loops_and_bounces import delivery_report

pytestmark = pytest.mark.django_db

ALICE = "Alice Martin <alice@example.org>"

# What autoresponders write at the start of the subject, with nothing else to tell them by.
SUBJECT_ONLY = {
    "en-outlook": "Automatic reply: Export fails",
    "en-old-outlook": "Out of Office: Export fails",
    "en-panel": "Autoreply: Export fails",
    "en-bracketed": "[Auto-Reply] Export fails",
    "fr-outlook": "Réponse automatique\u00a0: Export fails",
    "fr-old-outlook": "Absent(e) du bureau : Export fails",
    "de-notes": "Abwesenheitsnotiz",
    "de-outlook": "Automatische Antwort: Export fails",
    "es-outlook": "Respuesta automática: Export fails",
    "it-outlook": "Risposta automatica: Export fails",
    "nl-outlook": "Automatisch antwoord: Export fails",
    "notes-auto": "AUTO: Alice Martin is out of the office (returning 12/06/2025)",
}
# People who talk about being away, or about automatic replies: still people.
PEOPLE = {
    "was-away": ("Re: Export fails", "I was out of office last week, here is the log.\r\n"),
    "subject-was-away": ("Out of office last week, here is the log", "The export still fails.\r\n"),
    "about-the-feature": ("Automatic replies are not sent", "Your automatic reply never arrives.\r\n"),
    "away-but-writing": ("Re: Export fails", "I am out of the office today, but here is the log you asked for.\r\n"),
    "fr-was-away": ("Re: Export fails", "J'étais absente la semaine dernière, voici le journal.\r\n"),
}


def encoded(subject: str) -> str:
    """The subject as a mailer writes it in a header: RFC 2047 encoded words when it is not ASCII."""
    return subject if subject.isascii() else Header(subject, "utf-8").encode()


def out_of_office(subject: str, *, message_id: str, to: str, sender: str = ALICE) -> bytes:
    """An autoresponder's answer with no Auto-Submitted, X-Autoreply or Precedence header."""
    return raw_message(
        sender=sender,
        subject=encoded(subject),
        body=b"I am away until Monday with limited access to e-mail.\r\n",
        message_id=message_id,
    ).replace(b"To: support@comptoir.localhost", f"To: {to}".encode())


@pytest.fixture
def waiting_ticket(make_ticket, agent) -> Ticket:
    """Alice's ticket, taken by an agent who asked her a question: it waits for her answer."""
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=agent, body="Which browser?", status=Status.PENDING)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize("subject", SUBJECT_ONLY.values(), ids=SUBJECT_ONLY.keys())
def test_an_out_of_office_known_only_by_its_subject_is_taken_for_a_robot(subject):
    parsed = parse_email(out_of_office(subject, message_id="<ooo@example.org>", to="support@comptoir.localhost"))

    assert parsed.auto_submitted, f"{subject!r} taken for a person"


@pytest.mark.parametrize("subject", SUBJECT_ONLY.values(), ids=SUBJECT_ONLY.keys())
def test_an_out_of_office_known_only_by_its_subject_neither_reopens_nor_tells_anyone(waiting_ticket, subject):
    emails_before = OutboundEmail.objects.count()
    raw = out_of_office(subject, message_id="<ooo@example.org>", to=reply_address(waiting_ticket.reference))

    row = ingest(raw, source="test")

    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, waiting_ticket)
    waiting_ticket.refresh_from_db()
    assert waiting_ticket.status == Status.PENDING, "an out-of-office reopened the ticket"
    assert OutboundEmail.objects.count() == emails_before, "an out-of-office told someone"
    assert waiting_ticket.messages.filter(inbound_email=row).exists()


def test_an_out_of_office_known_only_by_its_subject_opens_no_follow_up_on_a_closed_ticket(waiting_ticket, agent):
    ticket_set_status(waiting_ticket, Status.CLOSED, actor=agent)
    emails_before = OutboundEmail.objects.count()
    raw = out_of_office(
        "Réponse automatique : Export fails", message_id="<ooo@example.org>", to=reply_address(waiting_ticket.reference)
    )

    row = ingest(raw, source="test")

    assert (row.status, row.candidate_ticket) == (InboundStatus.QUARANTINED, waiting_ticket)
    assert not Ticket.objects.filter(follow_up_of=waiting_ticket).exists()
    assert OutboundEmail.objects.count() == emails_before


def test_a_new_out_of_office_known_only_by_its_subject_gets_no_confirmation():
    raw = out_of_office(
        "Automatic reply: Your order",
        message_id="<ooo-new@example.net>",
        to="support@comptoir.localhost",
        sender="Robot <robot@example.net>",
    )

    ingest(raw, source="test")

    assert not OutboundEmail.objects.exists(), "an autoresponder got a ticket confirmation"


@pytest.mark.parametrize(("subject", "body"), PEOPLE.values(), ids=PEOPLE.keys())
def test_a_person_who_mentions_an_absence_is_still_a_person(waiting_ticket, agent, subject, body):
    raw = raw_message(sender=ALICE, subject=subject, body=body.encode(), message_id="<person@example.org>")
    raw = raw.replace(b"To: support@comptoir.localhost", f"To: {reply_address(waiting_ticket.reference)}".encode())

    assert not parse_email(raw).auto_submitted
    ingest(raw, source="test")

    waiting_ticket.refresh_from_db()
    assert waiting_ticket.status == Status.OPEN
    assert OutboundEmail.objects.filter(kind=OutboundKind.REQUESTER_REPLIED, to_address=agent.email).exists()


# The body alone, for the autoresponders that keep the subject they answer ("Re: ...").
OUT_OF_OFFICE_BODIES = {
    "en": "Hello, I am currently out of the office with limited access to e-mail. I will reply on my return.",
    "en-typographic": "Thank you. I\u2019m on annual leave until 12 June. For urgent matters, call 555.",
    "fr": "Bonjour, je suis absente jusqu'au 12 juin. Je vous répondrai à mon retour.",
    "de": "Vielen Dank. Ich bin bis zum 12. Juni nicht im Büro. In dringenden Fällen wenden Sie sich an Max.",
    "es": "Gracias. Estoy fuera de la oficina hasta el 12 de junio. Le responderé a mi regreso.",
    "it": "Grazie. Sono fuori ufficio fino al 12 giugno. Risponderò al mio rientro.",
    "nl": "Dank u. Ik ben tot 12 juni afwezig. Voor dringende zaken kunt u Jan bellen.",
}


@pytest.mark.parametrize("body", OUT_OF_OFFICE_BODIES.values(), ids=OUT_OF_OFFICE_BODIES.keys())
def test_an_out_of_office_body_announces_an_absence_and_defers_the_answer(body):
    assert body_says_out_of_office(body)
    assert not subject_says_out_of_office("Re: Export fails")


@pytest.mark.parametrize(("subject", "body"), PEOPLE.values(), ids=PEOPLE.keys())
def test_a_body_that_only_mentions_an_absence_is_a_person_s(subject, body):
    assert not subject_says_out_of_office(subject)
    assert not body_says_out_of_office(body)


def body_only_out_of_office(*, to: str, sender: str = ALICE, message_id: str = "<ooo-body@example.org>") -> bytes:
    """An autoresponder that keeps the subject it answers and says so only in its first lines."""
    raw = raw_message(
        sender=sender,
        subject="Re: Export fails",
        body=OUT_OF_OFFICE_BODIES["fr"].encode(),
        message_id=message_id,
    )
    return raw.replace(b"To: support@comptoir.localhost", f"To: {to}".encode())


def test_an_out_of_office_known_by_its_body_is_still_written_as_the_person_s_reply(waiting_ticket, agent):
    # It may be a person on holiday writing just that: the agent reads it, as any answer.
    row = ingest(body_only_out_of_office(to=reply_address(waiting_ticket.reference)), source="test")

    parsed = parse_email(bytes(row.raw))
    assert (parsed.auto_submitted, parsed.reads_as_out_of_office) == (False, True)
    answer = waiting_ticket.messages.get(inbound_email=row)
    assert (answer.is_public, answer.author.email) == (True, "alice@example.org")
    waiting_ticket.refresh_from_db()
    assert waiting_ticket.status == Status.OPEN
    assert OutboundEmail.objects.filter(kind=OutboundKind.REQUESTER_REPLIED, to_address=agent.email).exists()


def test_an_out_of_office_known_by_its_body_opens_no_follow_up_on_a_closed_ticket(waiting_ticket, agent):
    ticket_set_status(waiting_ticket, Status.CLOSED, actor=agent)
    emails_before = OutboundEmail.objects.count()

    row = ingest(body_only_out_of_office(to=reply_address(waiting_ticket.reference)), source="test")

    assert (row.status, row.candidate_ticket) == (InboundStatus.QUARANTINED, waiting_ticket)
    assert not Ticket.objects.filter(follow_up_of=waiting_ticket).exists()
    assert OutboundEmail.objects.count() == emails_before


def test_a_new_ticket_known_by_its_body_as_an_out_of_office_gets_no_confirmation():
    row = ingest(
        body_only_out_of_office(to="support@comptoir.localhost", sender="Zoe <zoe@example.net>"), source="test"
    )

    assert row.status == InboundStatus.PROCESSED
    assert row.ticket.messages.get().body.startswith("Bonjour, je suis absente")
    assert not OutboundEmail.objects.exists(), "an out-of-office got a ticket confirmation"


# --- A storm ----------------------------------------------------------------------------------------

# Subjects marking the robot's answer and nothing else, in four languages.
STORM_SUBJECTS = [
    "Automatic reply: {}",
    "Réponse automatique : {}",
    "Abwesenheitsnotiz: {}",
    "Respuesta automática: {}",
]
STORM_HEADERS = [
    ["Auto-Submitted: auto-replied"],
    ["X-Autoreply: yes"],
    ["Precedence: auto_reply"],
    ["Precedence: bulk"],
    ["Precedence: junk"],
]


@pytest.fixture
def tickets_in_every_status(make_ticket, agent) -> dict[str, tuple[Ticket, str]]:
    """One ticket per status, each taken by the agent, and the Message-ID of the last e-mail its requester got."""
    made: dict[str, Ticket] = {}
    for status in Status.values:
        email = f"{status.replace('_', '-')}@example.org"
        ticket = make_ticket(email=email, name=f"Requester {status}")
        if status != Status.NEW:
            ticket_take(ticket, agent=agent)
            ticket_update_by_agent(ticket, agent=agent, body="Could you send a screenshot?", status=Status.PENDING)
            ticket.refresh_from_db()
            if status != Status.PENDING:
                assert ticket_set_status(ticket, status, actor=agent)
        made[status] = ticket
    for email in OutboundEmail.objects.filter(status=OutboundStatus.QUEUED).order_by("pk"):
        assert email_deliver(email.pk) is True
    result = {}
    for status, ticket in made.items():
        ticket.refresh_from_db()
        assert ticket.status == status
        last = OutboundEmail.objects.filter(ticket=ticket, to_address=ticket.requester.email).latest("pk")
        result[status] = (ticket, last.message_id)
    return result


def storm(tickets: list[tuple[Ticket, str]]) -> list[bytes]:
    """300 robots' answers to our e-mails: 100 known only by their subject, 150 by a header, 50 delivery reports."""
    messages = []
    for n in range(300):
        ticket, our_message_id = tickets[n % len(tickets)]
        sender = f"{ticket.requester.name} <{ticket.requester.email}>"
        threading = [f"In-Reply-To: <{our_message_id}>", f"References: <{our_message_id}>"]
        if n < 100:
            subject = STORM_SUBJECTS[n % len(STORM_SUBJECTS)].format(ticket.subject)
            raw = raw_message(
                sender=sender,
                subject=encoded(subject),
                body="I am away. Je suis absente. Ich bin nicht im Büro.\r\n".encode(),
                message_id=f"<storm-subject-{n}@example.org>",
                headers=threading,
            )
        elif n < 250:
            raw = raw_message(
                sender=sender,
                subject=f"Re: {ticket.subject}",
                body=b"Thank you for your message.\r\n",
                message_id=f"<storm-header-{n}@example.org>",
                headers=[*STORM_HEADERS[n % len(STORM_HEADERS)], *threading],
            )
        else:
            permanent = n % 2 == 0
            raw = delivery_report(
                returned_message_id=our_message_id,
                recipient=ticket.requester.email,
                action="failed" if permanent else "delayed",
                status="5.2.2" if permanent else "4.4.1",
                diagnostic="smtp; 552 5.2.2 mailbox full" if permanent else "smtp; 421 4.4.1 timed out",
                report_id=f"<storm-dsn-{n}@mx.example.org>",
            )
        messages.append(raw)
    return messages


def test_a_storm_of_300_robot_answers_sends_nothing_reopens_nothing_and_opens_no_follow_up(
    tickets_in_every_status, mailoutbox
):
    tickets = list(tickets_in_every_status.values())
    statuses = {ticket.pk: ticket.status for ticket, _ in tickets}
    assert set(statuses.values()) == set(Status.values)
    tickets_before = Ticket.objects.count()
    emails_before = OutboundEmail.objects.count()
    mailoutbox.clear()

    rows = [ingest(raw, source="test") for raw in storm(tickets)]

    assert len({row.pk for row in rows}) == InboundEmail.objects.count() == 300
    assert {row.status for row in rows} <= {InboundStatus.PROCESSED, InboundStatus.QUARANTINED}
    new_emails = OutboundEmail.objects.order_by("pk")[emails_before:]
    assert [(email.kind, email.to_address) for email in new_emails] == [], "robots' answers were answered"
    # Whatever a worker would find waiting, nothing leaves.
    for email in OutboundEmail.objects.filter(status=OutboundStatus.QUEUED):
        email_deliver(email.pk)
    assert mailoutbox == []
    for ticket, _ in tickets:
        ticket.refresh_from_db()
        assert ticket.status == statuses[ticket.pk], f"the {statuses[ticket.pk]} ticket became {ticket.status}"
    assert not Ticket.objects.filter(follow_up_of__isnull=False).exists()
    assert Ticket.objects.count() == tickets_before
    # Kept, not lost: the robots' words are on the open tickets, set aside for the closed one.
    closed, _ = tickets_in_every_status[Status.CLOSED]
    on_closed = [row for row in rows if row.candidate_ticket_id == closed.pk]
    assert on_closed and all(row.status == InboundStatus.QUARANTINED for row in on_closed)
    pending, _ = tickets_in_every_status[Status.PENDING]
    assert pending.messages.filter(channel=Channel.EMAIL, inbound_email__isnull=False).count() >= 40
