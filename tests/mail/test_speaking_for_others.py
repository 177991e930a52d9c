"""Issue 13: nobody speaks for someone else by e-mail.

Each regression test is built from a finding's reproducer and runs the real
path: raw bytes into ingest() (or the MTA pipe command), the ticket services,
the notifications queued. DNS is the one thing from outside: a test publishes
the records it needs (tests/mail/dns.py), and the DKIM signatures are real,
made with keys openssl generated.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from comptoir.accounts.models import User
from comptoir.gateway.inbound import ingest, quarantine_accept, quarantine_new_ticket
from comptoir.mail.addressing import reply_address
from comptoir.mail.models import (
    InboundStatus,
    Mailbox,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
    QuarantineKind,
)
from comptoir.mail.outbound import email_deliver
from comptoir.mail.parsing import parse_email
from comptoir.tickets.models import AuthorRole, Message, Status, Ticket, TicketCC
from comptoir.tickets.services import ticket_add_ccs, ticket_update_by_agent
from tests.conftest import MTA_PASSES, with_mta_results
from tests.conftest import TRUSTED_MTA as MTA
from tests.mail.dns import PublishedRecords, SigningDomain
from tests.mail.test_reply_by_email import deliver, ingest_from_stdin

pytestmark = pytest.mark.django_db

SUPPORT = "support@comptoir.localhost"
ALICE = "Alice Martin <alice@example.org>"


def mail(
    *from_lines: str,
    to: str = SUPPORT,
    subject: str = "Re: Export fails",
    headers: Sequence[str] = (),
    body: bytes = b"Please close my account and send the data to this address.\r\n",
    message_id: str = "<forged@mail.evil.example>",
) -> bytes:
    """A message exactly as written: every From line given (none, one, several), then the rest."""
    lines = [*(f"From: {line}" for line in from_lines), f"To: {to}", f"Subject: {subject}"]
    lines += ["Date: Tue, 03 Jun 2025 10:00:00 +0200", f"Message-ID: {message_id}", *headers]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def tagged(ticket: Ticket) -> str:
    return f"Re: [#{ticket.reference}] Export fails"


@pytest.fixture
def waiting_ticket(make_ticket, agent, mailoutbox) -> Ticket:
    """Alice's ticket, pending on her answer to an agent reply we really sent."""
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Which browser do you use?", status=Status.PENDING)
    deliver(OutboundKind.AGENT_REPLY, mailoutbox)
    ticket.refresh_from_db()
    return ticket


def left_alone(ticket: Ticket) -> tuple[str, int, int]:
    """What a message that must not speak on the ticket could change: status, public messages, e-mail queued."""
    ticket.refresh_from_db()
    return ticket.status, ticket.messages.filter(is_public=True).count(), OutboundEmail.objects.count()


def kept_as_unverified_note(row, ticket: Ticket) -> Message:
    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, ticket)
    note = ticket.messages.get(inbound_email=row)
    assert (note.is_public, note.author, note.author_role) == (False, None, AuthorRole.SYSTEM)
    assert note.body.startswith("Unverified sender: this e-mail says it is from alice@example.org")
    return note


# --- Finding 1: a CC planted in a new ticket's headers (the "Ticket Trick") ------------------


@pytest.fixture
def planted_ticket(ingest_vouched) -> Ticket:
    """A stranger's ticket by e-mail, copying a service's no-reply address: DMARC vouches for her own domain."""
    opened = mail("Mallory <mallory@evil.example>", subject="Question", headers=["Cc: noreply@some-saas.example"])
    ticket = ingest_vouched(opened).ticket
    assert ticket.ccs.filter(email="noreply@some-saas.example").exists()
    return ticket


@pytest.mark.parametrize("robot_headers", [[], ["Auto-Submitted: auto-generated"]], ids=["plain", "auto-submitted"])
def test_a_planted_cc_cannot_post_a_robot_s_code_publicly(planted_ticket, robot_headers):
    # The stranger signs up at the service with the ticket's reply address: the code goes there.
    code = mail(
        "SomeSaaS <noreply@some-saas.example>",
        to=reply_address(planted_ticket.reference),
        subject="Your verification code",
        headers=robot_headers,
        body=b"Your SomeSaaS verification code is 493817.\r\n",
        message_id="<code-493817@some-saas.example>",
    )

    row = ingest(code, source="test")

    assert (row.status, row.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.UNCONFIRMED_CC)
    assert row.candidate_ticket == planted_ticket
    assert "noreply@some-saas.example" in row.quarantine_reason
    assert not Message.objects.filter(ticket=planted_ticket, body__contains="493817").exists()


def test_the_requester_is_told_who_her_emailed_ticket_copies(mailoutbox, ingest_vouched):
    row = ingest_vouched(mail(ALICE, subject="Printer on fire", headers=["Cc: Dana <dana@example.net>"]))

    notice = OutboundEmail.objects.get(kind=OutboundKind.CCS_ADDED)
    assert (notice.to_address, notice.ticket) == ("alice@example.org", row.ticket)
    assert email_deliver(notice.pk) is True
    assert "dana@example.net" in mailoutbox[-1].body


def test_an_automatic_message_from_a_cc_copied_by_email_stays_an_internal_note(planted_ticket, agent):
    first = mail("noreply@some-saas.example", to=reply_address(planted_ticket.reference), message_id="<one@saas>")
    quarantine_accept(ingest(first, source="test"), agent=agent)  # an agent let a first message in
    before = left_alone(planted_ticket)
    robot = mail(
        "noreply@some-saas.example",
        to=reply_address(planted_ticket.reference),
        headers=["Auto-Submitted: auto-generated"],
        body=b"Your new code is 771204.\r\n",
        message_id="<two@saas>",
    )

    row = ingest(robot, source="test")

    assert row.status == InboundStatus.PROCESSED
    note = planted_ticket.messages.get(inbound_email=row)
    assert (note.is_public, note.author_role) == (False, AuthorRole.SYSTEM)
    assert note.body.startswith("Automatic message from noreply@some-saas.example")
    assert "771204" in note.body
    assert left_alone(planted_ticket) == before


def test_a_new_ticket_from_an_unverified_sender_copies_nobody_and_tells_the_agents_who_was_named():
    # A forged From naming its author in Cc would send every answer to Alice to Mallory too.
    forged = mail(ALICE, subject="Password reset", headers=["Cc: Mallory <mallory@evil.example>, dana@example.net"])

    row = ingest(forged, source="test")

    ticket = row.ticket
    assert row.sender_verified is False
    assert not ticket.ccs.exists()
    assert not OutboundEmail.objects.filter(kind=OutboundKind.CCS_ADDED).exists()
    note = ticket.messages.get(is_public=False)
    assert (note.author, note.author_role) == (None, AuthorRole.SYSTEM)
    assert note.body.startswith("Not copied on this ticket: mallory@evil.example, dana@example.net.")
    assert f"its sender is not verified ({row.verification_reason})" in note.body


def test_an_agent_opening_a_ticket_from_the_quarantine_vouches_for_the_people_it_copies(settings, make_ticket, agent):
    settings.COMPTOIR_INBOUND_STRANGERS = "quarantine"
    ticket = make_ticket()
    stranger = mail("Zoe <zoe@example.net>", subject=tagged(ticket), headers=["Cc: Dana <dana@example.net>"])
    row = ingest(stranger, source="test")
    assert (row.status, row.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.STRANGER)

    opened = quarantine_new_ticket(row, agent=agent)

    assert opened.ticket.requester.email == "zoe@example.net"
    assert list(opened.ticket.ccs.values_list("email", flat=True)) == ["dana@example.net"]


def test_someone_an_agent_copied_writes_publicly_from_the_first_message(waiting_ticket, agent):
    ticket_add_ccs(waiting_ticket, [("Dana", "dana@example.net")], actor=agent)

    row = ingest(mail("Dana <dana@example.net>", to=reply_address(waiting_ticket.reference)), source="test")

    answer = waiting_ticket.messages.get(inbound_email=row)
    assert (answer.is_public, answer.author.email) == (True, "dana@example.net")


@pytest.fixture
def dana_s_copy(waiting_ticket, agent, mailoutbox):
    """The agent's next answer as Dana, copied by an agent, received it: its Reply-To and Message-ID are hers."""
    ticket_add_ccs(waiting_ticket, [("Dana", "dana@example.net")], actor=agent)
    ticket_update_by_agent(waiting_ticket, agent=agent, body="Try the beta, please.", status=Status.PENDING)
    for email in OutboundEmail.objects.filter(status=OutboundStatus.QUEUED):
        email_deliver(email.pk)
    (sent,) = [message for message in mailoutbox if message.to == ["dana@example.net"]]
    return sent.reply_to[0], sent.extra_headers["Message-ID"]


@pytest.mark.parametrize("by", ["reply-address", "message-id"])
def test_a_cc_answering_as_the_requester_with_her_copy_s_references_is_an_unverified_note(
    waiting_ticket, dana_s_copy, by
):
    address, message_id = dana_s_copy
    assert address != reply_address(waiting_ticket.reference)
    before = left_alone(waiting_ticket)
    # Dana writes with Alice's address in From, through the references only CCs were given.
    forged = (
        mail(ALICE, to=address)
        if by == "reply-address"
        else mail(ALICE, headers=[f"In-Reply-To: {message_id}", f"References: {message_id}"])
    )

    row = ingest(forged, source="test")

    assert row.matched_by == "copied_reference"
    kept_as_unverified_note(row, waiting_ticket)
    assert left_alone(waiting_ticket) == before


def test_a_cc_answering_with_her_own_address_through_her_copy_is_public(waiting_ticket, dana_s_copy):
    address, message_id = dana_s_copy

    row = ingest(mail("Dana <dana@example.net>", to=address, headers=[f"In-Reply-To: {message_id}"]), source="test")

    answer = waiting_ticket.messages.get(inbound_email=row)
    assert (row.matched_by, answer.is_public, answer.author.email) == ("reply_address", True, "dana@example.net")


# --- Finding 2: a From read differently from what DMARC checks -------------------------------


@pytest.mark.parametrize(
    "from_header",
    ["customer@example.com <attacker@evil.example>", "customer@example.com, attacker@evil.example"],
    ids=["address-as-display-name", "two-mailboxes"],
)
def test_a_from_that_reads_as_another_sender_elsewhere_is_quarantined_never_attributed(from_header):
    row = ingest(mail(from_header, subject="Please change my bank details"), source="test")

    assert (row.status, row.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.AMBIGUOUS_FROM)
    assert "attributed to nobody" in row.quarantine_reason
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="customer@example.com").exists()


@pytest.mark.parametrize(
    ("from_lines", "problem"),
    [
        (["Alice Martin <alice@example.org>"], ""),
        (["Alice B. Martin <alice@example.org>"], ""),  # an unquoted dot: obsolete, harmless
        (['"Martin, Alice" <alice@example.org>'], ""),
        (["=?utf-8?q?Fran=C3=A7ois?= <francois@example.fr>"], ""),
        (["alice@example.org (Alice)"], ""),
        (["customer@example.com <attacker@evil.example>"], "leniently"),
        (["alice@example.org, mallory@evil.example"], "2 mailboxes"),
        (["<@evil.example:alice@example.org>"], "route"),
        (["team: alice@example.org;"], "group syntax"),
        (["alice@example.org <>"], "malformed"),
        (["=?utf-8?q?alice@example.org?= <m@evil.example>"], "leniently"),
        (["alice@example.org", "mallory@evil.example"], "2 From header fields"),
    ],
)
def test_the_parser_names_a_from_that_does_not_read_as_one_sender(from_lines, problem):
    parsed = parse_email(mail(*from_lines))

    assert (problem in parsed.from_problem) if problem else parsed.from_problem == ""
    assert bool(parsed.from_problem) is bool(problem)


# --- Finding 3: a forged From and the requester's own Message-ID ----------------------------


def test_a_forged_from_with_the_requester_s_own_message_id_copies_nobody():
    opened = ingest(mail(ALICE, subject="Printer on fire", message_id="<first@mail.example.org>"), source="test")
    ticket = opened.ticket
    OutboundEmail.objects.all().delete()
    # Everyone Alice copied saw her Message-ID: it proves nothing.
    forged = mail(ALICE, headers=["In-Reply-To: <first@mail.example.org>", "Cc: mallory@evil.example"])

    row = ingest(forged, source="test")

    assert (row.ticket, row.matched_by) == (ticket, "stored_reference")
    assert not TicketCC.objects.filter(email="mallory@evil.example").exists()
    kept_as_unverified_note(row, ticket)
    assert not OutboundEmail.objects.exists()


def test_the_requester_is_told_when_her_signed_reply_copies_people(waiting_ticket):
    raw = mail(ALICE, to=reply_address(waiting_ticket.reference), headers=["Cc: Dana <dana@example.net>"])

    ingest(raw, source="test")

    assert waiting_ticket.ccs.filter(email="dana@example.net").exists()
    notice = OutboundEmail.objects.get(kind=OutboundKind.CCS_ADDED)
    assert (notice.to_address, notice.ticket) == ("alice@example.org", waiting_ticket)


# --- Finding 4: a forged From with [#1042] in the subject -------------------------------------


def plain(ticket: Ticket, evil: SigningDomain) -> bytes:
    return mail(ALICE, subject=tagged(ticket))


def reply_to_elsewhere(ticket: Ticket, evil: SigningDomain) -> bytes:
    return mail(ALICE, subject=tagged(ticket), headers=["Reply-To: mallory@evil.example"])


def sender_elsewhere(ticket: Ticket, evil: SigningDomain) -> bytes:
    return mail(ALICE, subject=tagged(ticket), headers=["Sender: mallory@evil.example"])


def signed_by_another_domain(ticket: Ticket, evil: SigningDomain) -> bytes:
    # A valid DKIM signature, of the attacker's own domain: it vouches for evil.example only.
    return evil.sign(mail(ALICE, subject=tagged(ticket)))


def route_syntax(ticket: Ticket, evil: SigningDomain) -> bytes:
    return mail("<@evil.example:alice@example.org>", subject=tagged(ticket))


def two_addresses(ticket: Ticket, evil: SigningDomain) -> bytes:
    return mail("alice@example.org, mallory@evil.example", subject=tagged(ticket))


def two_from_fields(ticket: Ticket, evil: SigningDomain) -> bytes:
    return mail(ALICE, "Mallory <mallory@evil.example>", subject=tagged(ticket))


def address_as_display_name(ticket: Ticket, evil: SigningDomain) -> bytes:
    return mail("alice@example.org <mallory@evil.example>", subject=tagged(ticket))


@pytest.mark.parametrize(
    ("build", "outcome"),
    [
        (plain, "note"),
        (reply_to_elsewhere, "note"),
        (sender_elsewhere, "note"),
        (signed_by_another_domain, "note"),
        (route_syntax, "quarantine"),
        (two_addresses, "quarantine"),
        (two_from_fields, "quarantine"),
        (address_as_display_name, "quarantine"),
    ],
    ids=lambda value: value.__name__.replace("_", "-") if callable(value) else value,
)
def test_a_forged_from_with_a_subject_tag_neither_speaks_publicly_nor_reopens(
    waiting_ticket, published_dns, evil_example, build, outcome
):
    evil_example.publish(published_dns)
    before = left_alone(waiting_ticket)

    row = ingest(build(waiting_ticket, evil_example), source="test")

    assert left_alone(waiting_ticket) == before  # still pending, nothing public, nobody told
    if outcome == "note":
        assert row.matched_by == "subject_tag"
        assert row.sender_verified is False
        kept_as_unverified_note(row, waiting_ticket)
    else:
        assert (row.status, row.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.AMBIGUOUS_FROM)
        assert row.candidate_ticket == waiting_ticket
        assert not waiting_ticket.messages.filter(inbound_email=row).exists()


def test_a_reply_by_our_signed_reply_address_keeps_today_s_behaviour_unverified(waiting_ticket):
    row = ingest(mail(ALICE, to=reply_address(waiting_ticket.reference)), source="test")

    assert (row.sender_verified, row.matched_by) == (False, "reply_address")
    assert waiting_ticket.messages.get(inbound_email=row).is_public
    waiting_ticket.refresh_from_db()
    assert waiting_ticket.status == Status.OPEN


# --- The sender policy, path 1: a trusted MTA's Authentication-Results ---------------------------

PASSES = MTA_PASSES.format(domain="example.org")


@pytest.mark.parametrize(
    ("results", "public"),
    [
        (PASSES, True),
        ("spf=fail smtp.mailfrom=alice@example.org; dkim=none; dmarc=fail header.from=example.org", False),
        # The MTA checked SPF and DKIM but not DMARC: Comptoir judges the alignment.
        ("spf=none; dkim=pass header.d=example.org", True),
        ("spf=pass smtp.mailfrom=bounce@evil.example; dkim=pass header.d=evil.example", False),
        # DMARC passed for another domain than the From Comptoir read.
        ("dmarc=pass header.from=evil.example", False),
    ],
    ids=["dmarc-pass", "dmarc-fail", "aligned-dkim", "unaligned", "dmarc-for-another-domain"],
)
def test_the_pipe_reads_the_trusted_mta_s_results_for_a_subject_tag_reply(
    settings, monkeypatch, waiting_ticket, results, public
):
    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset({MTA})
    before = left_alone(waiting_ticket)

    ingest_from_stdin(monkeypatch, with_mta_results(mail(ALICE, subject=tagged(waiting_ticket)), results))

    row = waiting_ticket.inbound_emails.get()
    assert (row.source, row.verified_by, row.sender_verified) == ("stdin", MTA, public)
    waiting_ticket.refresh_from_db()
    if public:
        assert row.dmarc_result == "pass"
        assert waiting_ticket.messages.get(inbound_email=row).is_public
        assert waiting_ticket.status == Status.OPEN
    else:
        kept_as_unverified_note(row, waiting_ticket)
        assert left_alone(waiting_ticket) == before


def test_the_results_of_the_mta_are_recorded_on_the_stored_message(settings, monkeypatch, waiting_ticket):
    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset({MTA})

    ingest_from_stdin(monkeypatch, with_mta_results(mail(ALICE, subject=tagged(waiting_ticket)), PASSES))

    row = waiting_ticket.inbound_emails.get()
    assert (row.spf_result, row.dkim_result, row.dmarc_result) == ("pass", "pass", "pass")
    assert row.verification_reason == f"{MTA}: DMARC passes for example.org"


@pytest.mark.parametrize(
    ("source", "authserv_id", "trusted"),
    [
        ("test", MTA, False),  # a channel that is not the pipe: anyone could have written the header
        ("webhook:mailgun", MTA, False),
        ("stdin", "mx.elsewhere.example", False),  # a server we do not trust
        ("stdin", MTA, True),
    ],
)
def test_authentication_results_count_only_from_a_trusted_server_on_a_trusted_channel(
    settings, waiting_ticket, source, authserv_id, trusted
):
    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset({MTA})
    raw = with_mta_results(mail(ALICE, subject=tagged(waiting_ticket)), PASSES, authserv_id)

    row = ingest(raw, source=source)

    assert row.sender_verified is trusted
    assert waiting_ticket.messages.get(inbound_email=row).is_public is trusted


def test_a_header_the_sender_planted_under_the_mta_s_own_is_ignored(settings, waiting_ticket):
    # The MTA writes its results on top; one further down came with the message.
    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset({MTA})
    planted = with_mta_results(mail(ALICE, subject=tagged(waiting_ticket)), PASSES)
    raw = with_mta_results(planted, "spf=fail smtp.mailfrom=mallory@evil.example; dkim=none; dmarc=fail")

    row = ingest(raw, source="stdin")

    assert (row.sender_verified, row.dmarc_result) == (False, "fail")
    kept_as_unverified_note(row, waiting_ticket)


@pytest.mark.parametrize("trust", [True, False], ids=["trusted-mailbox", "untrusted-mailbox"])
def test_an_imap_mailbox_s_results_count_when_an_admin_trusts_them(settings, waiting_ticket, trust):
    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset({MTA})
    Mailbox.objects.create(
        name="support", host="imap.example.net", username="u", password="p", trust_authentication_results=trust
    )

    row = ingest(with_mta_results(mail(ALICE, subject=tagged(waiting_ticket)), PASSES), source="imap:support")

    assert row.sender_verified is trust
    assert waiting_ticket.messages.get(inbound_email=row).is_public is trust


def test_a_mailbox_cannot_trust_results_before_an_authserv_id_is_configured(settings):
    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset()
    mailbox = Mailbox(name="support", host="h", username="u", password="p", trust_authentication_results=True)

    with pytest.raises(Exception, match="COMPTOIR_TRUSTED_AUTHSERV_IDS"):
        mailbox.clean()


# --- The sender policy, path 2: DKIM checked by Comptoir ------------------------------------------


def test_a_subject_tag_reply_signed_by_the_requester_s_domain_is_public(waiting_ticket, published_dns, example_org):
    example_org.publish(published_dns)

    row = ingest(example_org.sign(mail(ALICE, subject=tagged(waiting_ticket))), source="test")

    assert (row.sender_verified, row.dkim_result, row.dmarc_result, row.verified_by) == (
        True,
        "pass",
        "pass",
        "comptoir",
    )
    assert row.verification_reason == "DKIM vouches for example.org"
    assert waiting_ticket.messages.get(inbound_email=row).is_public
    waiting_ticket.refresh_from_db()
    assert waiting_ticket.status == Status.OPEN


def test_a_signed_reply_changed_on_the_way_stays_a_note(waiting_ticket, published_dns, example_org):
    example_org.publish(published_dns)
    signed = example_org.sign(mail(ALICE, subject=tagged(waiting_ticket)))
    changed = signed.replace(b"send the data to this address", b"send the data to mallory@evil.example")
    before = left_alone(waiting_ticket)

    row = ingest(changed, source="test")

    assert (row.sender_verified, row.dkim_result) == (False, "fail")
    assert "does not verify" in row.verification_reason
    kept_as_unverified_note(row, waiting_ticket)
    assert left_alone(waiting_ticket) == before


@pytest.mark.parametrize(
    ("dmarc", "verified"),
    [(None, True), (b"v=DMARC1; p=reject", True), (b"v=DMARC1; p=reject; adkim=s", False)],
    ids=["no-record-relaxed", "relaxed", "strict"],
)
def test_a_signature_of_the_organisational_domain_counts_unless_the_domain_asks_for_strict(
    make_ticket, published_dns, example_org, dmarc, verified
):
    # Alice writes from mail.example.org; her company signs as example.org.
    example_org.publish(published_dns, dmarc=dmarc)
    ticket = make_ticket(email="alice@mail.example.org")

    row = ingest(example_org.sign(mail("Alice <alice@mail.example.org>", subject=tagged(ticket))), source="test")

    assert (row.sender_verified, row.dkim_result) == (verified, "pass")
    assert ticket.messages.get(inbound_email=row).is_public is verified


def test_a_key_nobody_published_or_a_dns_that_does_not_answer_verifies_nobody(
    waiting_ticket, published_dns, example_org
):
    signed = example_org.sign(mail(ALICE, subject=tagged(waiting_ticket), message_id="<a@example.org>"))
    missing = ingest(signed, source="test")
    PublishedRecords.unreachable = True
    example_org.publish(published_dns)
    silent = ingest(example_org.sign(mail(ALICE, subject=tagged(waiting_ticket), message_id="<b@x>")), source="test")

    assert (missing.sender_verified, missing.dkim_result) == (False, "permerror")
    assert "publishes no DKIM key for selector s2026" in missing.verification_reason
    assert (silent.sender_verified, silent.dmarc_result) == (False, "temperror")
    assert "the DNS server did not answer" in silent.verification_reason
    for row in (missing, silent):
        kept_as_unverified_note(row, waiting_ticket)


def test_a_message_without_a_signature_asks_dns_nothing(waiting_ticket, published_dns):
    ingest(mail(ALICE, subject=tagged(waiting_ticket)), source="test")

    assert PublishedRecords.lookups == []


# --- The policy setting ---------------------------------------------------------------------------------


def test_unverified_senders_can_be_quarantined_for_an_agent_to_accept(settings, waiting_ticket, agent):
    settings.COMPTOIR_UNVERIFIED_SENDERS = "quarantine"
    before = left_alone(waiting_ticket)

    row = ingest(mail(ALICE, subject=tagged(waiting_ticket)), source="test")

    assert (row.status, row.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.UNVERIFIED_SENDER)
    assert "subject_tag" in row.quarantine_reason
    assert left_alone(waiting_ticket) == before
    quarantine_accept(row, agent=agent)
    assert waiting_ticket.messages.get(inbound_email=row).is_public


def test_public_trusts_the_from_address_as_before(settings, waiting_ticket):
    settings.COMPTOIR_UNVERIFIED_SENDERS = "public"

    row = ingest(mail(ALICE, subject=tagged(waiting_ticket)), source="test")

    assert row.sender_verified is False
    assert waiting_ticket.messages.get(inbound_email=row).is_public
