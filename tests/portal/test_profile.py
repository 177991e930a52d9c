from __future__ import annotations

import io
import json
import zipfile

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import email_address_record
from comptoir.gateway.inbound import ingest
from comptoir.mail.models import EmailSuppression, InboundEmail, OutboundEmail, OutboundKind, OutboundStatus
from comptoir.mail.outbound import WrittenEmail, email_deliver, email_queue
from comptoir.portal.export import requester_data_export, safe_filename
from comptoir.tickets.links import link_issue, link_redeem
from comptoir.tickets.models import Attachment, EventKind, Status, Survey, Ticket, TicketAccessToken, TicketCC
from comptoir.tickets.satisfaction import survey_answer
from comptoir.tickets.services import ticket_add_ccs, ticket_update_by_agent
from tests.conftest import png_attachment, png_bytes

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def url(name: str = "profile", *args, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture
def verified(client, requester) -> User:
    """Alice, a guest who signed in with a code: her address is proven, she has no password."""
    email_address_record(user=requester, verified=True)
    client.force_login(requester)
    return requester


@pytest.fixture
def member(client, db) -> User:
    """Béa, who signed up with a password and confirmed her address."""
    user = User.objects.create_user("bea@example.org", password=PASSWORD, name="Béa Durand", language="")
    email_address_record(user=user, verified=True)
    client.force_login(user)
    return user


def save_profile(client, **fields) -> object:
    data = {"name": "Béa Durand", "language": "", "notify_by_email": "on", **fields}
    return client.post(url(), {key: value for key, value in data.items() if value is not None})


def exported(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


# The page and the preferences


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get(url())
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=" + url()


def test_it_shows_the_current_preferences_in_the_account_pages(client, member):
    User.objects.filter(pk=member.pk).update(language="fr", notify_by_email=False)
    response = client.get(url())
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="{url()}" aria-current="page">Profile</a>' in page
    assert 'value="Béa Durand"' in page
    assert '<option value="fr" selected>Français</option>' in page
    assert '<option value="">Same as the site</option>' in page
    assert 'name="notify_by_email"' in page and "checked" not in page.split('name="notify_by_email"')[1][:40]
    assert "The confirmation of a new ticket and the e-mail saying it is solved are always sent." in page


def test_saving_changes_the_preferences_and_says_so(client, member):
    response = save_profile(client, name="  Béatrice Durand ", language="fr", notify_by_email=None)
    assert response.status_code == 302
    assert response.headers["Location"] == url()
    member.refresh_from_db()
    assert (member.name, member.language, member.notify_by_email) == ("Béatrice Durand", "fr", False)
    page = client.get(url()).content.decode()
    assert "Your profile is saved." in page


def test_a_form_with_errors_keeps_what_was_typed_and_changes_nothing(client, member):
    response = save_profile(client, name="Béatrice", language="de", notify_by_email=None)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="Béatrice"' in page
    assert "Select a valid choice" in page
    member.refresh_from_db()
    assert (member.name, member.language, member.notify_by_email) == ("Béa Durand", "", True)


def test_notifications_off_stop_replies_but_not_the_solved_e_mail(client, member, make_ticket, agent, mailoutbox):
    ticket = make_ticket(email=member.email, name="Béa Durand")
    save_profile(client, notify_by_email=None)

    ticket_update_by_agent(ticket, agent=agent, body="Could you send a screenshot?")
    ticket_update_by_agent(ticket, agent=agent, body="Fixed now.", status=Status.SOLVED)

    reply = OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY)
    solved = OutboundEmail.objects.get(kind=OutboundKind.TICKET_SOLVED)
    assert reply.status == OutboundStatus.SUPPRESSED
    assert "turned notification e-mails off" in reply.last_error
    assert solved.status == OutboundStatus.QUEUED
    assert email_deliver(solved.pk) is True
    assert [message.to for message in mailoutbox] == [[member.email]]


def test_e_mails_follow_the_preferred_language(client, member, make_ticket, agent, mailoutbox):
    ticket = make_ticket(email=member.email, name="Béa Durand", language="en")
    save_profile(client, language="fr")

    ticket_update_by_agent(ticket, agent=agent, body="Voici la réponse.")

    email = OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY)
    assert email.language == "fr"
    email_deliver(email.pk)
    assert "Bonjour Béa Durand," in mailoutbox[0].body


def test_a_guest_s_e_mails_follow_each_ticket_until_they_choose_a_language(client, make_ticket, agent):
    english = make_ticket(email="noa@example.org", language="en")
    french = make_ticket(email="noa@example.org", language="fr", subject="Facture")
    guest = english.requester
    assert (guest.has_usable_password(), guest.language) == (False, "")

    ticket_update_by_agent(english, agent=agent, body="Here you are.")
    ticket_update_by_agent(french, agent=agent, body="Voici.")
    assert sorted(OutboundEmail.objects.filter(kind=OutboundKind.AGENT_REPLY).values_list("language", flat=True)) == [
        "en",
        "fr",
    ]

    # Signed in by an e-mailed code (no password), Noa chooses French on her profile: every e-mail follows it.
    email_address_record(user=guest, verified=True)
    client.force_login(guest)
    save_profile(client, name="Noa", language="fr")
    OutboundEmail.objects.all().delete()
    ticket_update_by_agent(english, agent=agent, body="And another thing.")
    assert OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY).language == "fr"


def test_my_tickets_links_to_the_profile(client, verified):
    page = client.get(url("my_tickets")).content.decode()
    assert f'<a href="{url()}">' in page


# The copy of one's data


@pytest.fixture
def alice_tickets(make_ticket, agent) -> tuple[Ticket, Ticket]:
    first = make_ticket(subject="Export fails", files=[png_attachment("screen shot.png")])
    ticket_update_by_agent(first, agent=agent, body="We are looking into it.")
    ticket_update_by_agent(
        first, agent=agent, body="SECRET NOTE: blame the intern", is_public=False, files=[png_attachment("note.png")]
    )
    second = make_ticket(subject="Invoice missing")
    ticket_update_by_agent(second, agent=agent, body="Here it is.", status=Status.SOLVED)
    survey_answer(Survey.objects.get(ticket=second), rating=4, comment="Quick, thanks")
    make_ticket(email="bob@example.org", name="Bob", subject="Bob's own ticket", description="Bob's problem")
    return first, second


def test_the_export_holds_one_s_own_tickets_public_messages_and_files(client, verified, alice_tickets):
    first, second = alice_tickets
    response = client.post(url("profile_export"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="comptoir-data-')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    archive = exported(response)
    names = archive.namelist()
    attachment = Attachment.objects.get(filename="screen shot.png")
    assert sorted(names) == sorted(
        [
            "profile.json",
            f"tickets/{first.reference}/ticket.json",
            f"tickets/{first.reference}/conversation.txt",
            f"tickets/{first.reference}/attachments/{attachment.pk}-screen shot.png",
            f"tickets/{second.reference}/ticket.json",
            f"tickets/{second.reference}/conversation.txt",
        ]
    )
    profile = json.loads(archive.read("profile.json"))
    assert profile["email"] == "alice@example.org"
    assert profile["name"] == "Alice Martin"
    assert profile["notification_emails"] is True
    record = json.loads(archive.read(f"tickets/{first.reference}/ticket.json"))
    assert (record["reference"], record["subject"], record["status"]) == (first.reference, "Export fails", "open")
    assert [m["body"] for m in record["messages"]] == ["The export button does nothing.", "We are looking into it."]
    assert [m["author"] for m in record["messages"]] == ["You", "Camille (Customer Care)"]
    assert archive.read(f"tickets/{first.reference}/attachments/{attachment.pk}-screen shot.png") == png_bytes()
    everything = b"".join(archive.read(name) for name in names)
    assert b"SECRET NOTE" not in everything
    assert b"note.png" not in everything
    assert b"Bob" not in everything
    assert "We are looking into it." in archive.read(f"tickets/{first.reference}/conversation.txt").decode()
    answers = json.loads(archive.read(f"tickets/{second.reference}/ticket.json"))["survey_answers"]
    assert [(a["rating"], a["comment"]) for a in answers] == [(4, "Quick, thanks")]
    assert "priority" not in record  # the agents' own field


def test_attachment_names_cannot_leave_their_ticket_s_folder(client, verified, make_ticket):
    ticket = make_ticket(files=[png_attachment("shot.png")])
    attachment = Attachment.objects.get()
    Attachment.objects.filter(pk=attachment.pk).update(filename="../../..\\..\\etc/passwd.png")

    names = exported(client.post(url("profile_export"))).namelist()

    stored = [name for name in names if "/attachments/" in name]
    assert stored == [f"tickets/{ticket.reference}/attachments/{attachment.pk}-passwd.png"]
    assert all(".." not in name.split("/") and "\\" not in name for name in names)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("..", "file"),
        ("passwd\x00.png", "passwd.png"),  # PostgreSQL stores no NUL; a name from elsewhere might hold one
        ("<script>.png", "_script_.png"),
        ("a" * 300 + ".png", "a" * 96 + ".png"),
    ],
)
def test_safe_filename_keeps_only_a_harmless_last_part(name, safe):
    assert safe_filename(name) == safe


def test_the_export_costs_the_same_queries_for_one_ticket_or_many(verified, make_ticket, agent):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            requester_data_export(user=verified).close()
        return len(queries)

    ticket = make_ticket(files=[png_attachment()])
    ticket_update_by_agent(ticket, agent=agent, body="Hello")
    one = count()
    for number in range(3):
        more = make_ticket(subject=f"Other {number}", files=[png_attachment()])
        ticket_update_by_agent(more, agent=agent, body="Hello again")
    # The tickets, their public messages with authors, those messages' attachments, the values of the fields
    # customers see, their survey answers.
    assert one == count() == 5


def test_an_unverified_address_gets_no_export(client, requester, make_ticket):
    make_ticket(subject="Secret invoice")
    client.force_login(requester)
    page = client.get(url()).content.decode()
    assert "Download my data" not in page
    assert "Confirm your e-mail address first" in page
    response = client.post(url("profile_export"))
    assert response.status_code == 403
    assert b"Secret invoice" not in response.content


def test_the_export_is_rate_limited(client, verified, monkeypatch):
    monkeypatch.setattr("comptoir.portal.profile_views.EXPORTS_PER_WINDOW", 1)
    assert client.post(url("profile_export")).status_code == 200
    assert client.post(url("profile_export")).status_code == 429


# Erasing the account


@pytest.fixture
def bea_everywhere(member, make_ticket, agent) -> Ticket:
    """Béa's ticket, opened by e-mail, answered; Béa copied on Bob's ticket; a reply waiting to go."""
    raw = (
        b"From: =?utf-8?q?B=C3=A9a?= <BEA@Example.org>\r\nTo: support@comptoir.localhost\r\n"
        b"Subject: Printer on fire, call bea@example.org\r\nMessage-ID: <bea-1@example.org>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe printer is on fire. Write to bea@example.org.\r\n"
    )
    row = ingest(raw, source="test")
    assert row.ticket is not None
    ticket = row.ticket
    link_issue(ticket)
    bob_ticket = make_ticket(email="bob@example.org", name="Bob", subject="Bob's ticket")
    ticket_add_ccs(bob_ticket, [("Béa Durand", "bea@example.org")], actor=agent)
    ticket_update_by_agent(ticket, agent=agent, body="We sent a technician.")
    EmailSuppression.objects.create(email="bea@example.org", reason="mailbox full", until=timezone.now())
    OutboundEmail.objects.filter(ticket=bob_ticket, to_address="bea@example.org").update(
        status=OutboundStatus.FAILED, last_error="bea@example.org bounced (mailbox full)"
    )
    Authenticator.objects.create(user=member, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    return ticket


def test_erasing_anonymises_the_person_everywhere_and_keeps_the_tickets(client, member, bea_everywhere):
    ticket = bea_everywhere
    token = link_issue(ticket)
    other = Client()
    other.force_login(member)
    # A browser that followed a link before: its grant must go too, not only the unused links.
    followed = Client()
    followed.get(reverse("ticket_link_redeem", args=[token]))
    assert followed.get(url("ticket_detail", ticket.reference)).status_code == 200

    response = client.post(url("profile_erase"), {"confirmation": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == url("home")
    member.refresh_from_db()
    placeholder = member.email
    assert placeholder.startswith(f"erased-{member.pk}-") and placeholder.endswith("@invalid.invalid")
    assert (member.name, member.language, member.notify_by_email) == ("", "", False)
    assert (member.is_active, member.has_usable_password(), member.organisation_id) == (False, False, None)
    assert member.get_full_name() == "Erased requester"
    assert not EmailAddress.objects.filter(user=member).exists()
    assert not Authenticator.objects.filter(user=member).exists()
    # Nothing left anywhere under the old address.
    assert not User.objects.filter(email__iexact="bea@example.org").exists()
    assert not EmailAddress.objects.filter(email__iexact="bea@example.org").exists()
    assert not OutboundEmail.objects.filter(to_address__iexact="bea@example.org").exists()
    assert not TicketCC.objects.filter(email__iexact="bea@example.org").exists()
    assert not EmailSuppression.objects.filter(email__iexact="bea@example.org").exists()
    assert not InboundEmail.objects.filter(from_address__iexact="bea@example.org").exists()
    inbound = InboundEmail.objects.get(ticket=ticket)
    assert inbound.from_address == placeholder
    assert b"bea@example.org" not in bytes(inbound.raw).lower()
    assert f"Write to {placeholder}.".encode() in bytes(inbound.raw)
    assert inbound.subject == f"Printer on fire, call {placeholder}"
    assert not OutboundEmail.objects.filter(last_error__icontains="bea@example.org").exists()
    assert followed.get(url("ticket_detail", ticket.reference)).status_code == 404
    assert TicketCC.objects.get().email == placeholder
    assert not TicketAccessToken.objects.filter(ticket=ticket).exists()
    assert link_redeem(token) is None
    # The reply waiting to go never leaves.
    reply = OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY)
    assert (reply.status, reply.to_address) == (OutboundStatus.SUPPRESSED, placeholder)
    assert email_deliver(reply.pk) is False
    # The conversation and its history stay, and say what happened.
    ticket.refresh_from_db()
    assert ticket.requester_id == member.pk
    bodies = [message.body for message in ticket.messages.all()]
    assert bodies == [f"The printer is on fire. Write to {placeholder}.", "We sent a technician."]
    assert ticket.events.filter(kind=EventKind.REQUESTER_ERASED).count() == 1
    # Both sessions are over.
    assert client.get(url()).status_code == 302
    assert other.get(url()).status_code == 302


def test_erasing_logs_out_and_the_old_address_can_no_longer_sign_in(client, member):
    response = client.post(url("profile_erase"), {"confirmation": PASSWORD}, follow=True)
    assert "Your account is closed and your personal data erased." in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert "_auth_user_id" not in client.session
    assert Client().login(email="bea@example.org", password=PASSWORD) is False
    login = Client().post(reverse("account_login"), {"login": "bea@example.org", "password": PASSWORD})
    assert login.status_code == 200  # the form again, with its error: no redirect into the account


def test_agents_still_read_the_ticket_of_an_erased_requester(client, member, bea_everywhere, agent):
    client.post(url("profile_erase"), {"confirmation": PASSWORD})
    client.force_login(agent)

    response = client.get(url("agent_ticket", bea_everywhere.reference))

    page = response.content.decode()
    first = bea_everywhere.messages.first()
    assert response.status_code == 200
    assert "<p><strong>Erased requester</strong>" in page
    assert f'<strong id="message-{first.pk}-author">Erased requester</strong>' in page
    assert User.objects.get(pk=member.pk).email in page
    assert "The printer is on fire." in page
    assert "bea@example.org" not in page.lower()
    assert "Béa" not in page


def test_nothing_is_sent_to_an_erased_requester_any_more(client, member, bea_everywhere, agent):
    client.post(url("profile_erase"), {"confirmation": PASSWORD})
    # The solved e-mail goes even to people who turned notifications off: not to this one.
    ticket_update_by_agent(bea_everywhere, agent=agent, body="Closing this.", status=Status.SOLVED)
    solved = OutboundEmail.objects.get(kind=OutboundKind.TICKET_SOLVED)
    assert solved.status == OutboundStatus.SUPPRESSED
    assert "the requester erased their account" in solved.last_error


def test_an_account_e_mail_waiting_to_leave_loses_its_text_when_the_person_erases_their_account(client, member):
    waiting = email_queue(
        kind=OutboundKind.ACCOUNT,
        to=member.email,
        language="en",
        content=WrittenEmail(subject="Your sign-in code", text="Your code: 123456", html="<p>123456</p>"),
    )
    client.post(url("profile_erase"), {"confirmation": PASSWORD})

    waiting.refresh_from_db()
    assert waiting.status == OutboundStatus.SUPPRESSED
    assert (waiting.subject, waiting.body_text, waiting.body_html) == ("", "", "")


def test_a_wrong_password_changes_nothing_and_says_why(client, member, bea_everywhere):
    response = client.post(url("profile_erase"), {"confirmation": "not my password"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "This is not your current password." in page
    member.refresh_from_db()
    assert (member.email, member.name, member.is_active) == ("bea@example.org", "Béa Durand", True)
    assert EmailAddress.objects.filter(user=member, verified=True).exists()
    assert TicketCC.objects.get().email == "bea@example.org"
    assert OutboundEmail.objects.get(kind=OutboundKind.AGENT_REPLY).status == OutboundStatus.QUEUED
    assert client.get(url()).status_code == 200


def test_a_guest_without_password_confirms_with_her_address(client, verified, make_ticket):
    make_ticket()
    page = client.get(url()).content.decode()
    assert "type the address you sign in with to confirm" in page

    wrong = client.post(url("profile_erase"), {"confirmation": "someone@example.org"})
    assert wrong.status_code == 400
    assert "This is not the address of your account." in wrong.content.decode()
    assert User.objects.get(pk=verified.pk).is_active

    client.post(url("profile_erase"), {"confirmation": " Alice@Example.org "})
    assert User.objects.get(pk=verified.pk).is_erased


def test_agents_cannot_erase_their_account_here(client, agent):
    client.force_login(agent)
    page = client.get(url()).content.decode()
    assert "Erase my account" not in page
    assert "an administrator closes it" in page

    response = client.post(url("profile_erase"), {"confirmation": "agent"})

    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.is_active and agent.email == "agent@example.com"


def test_an_administrator_cannot_erase_their_account_here(client, db):
    admin = User.objects.create_user("boss@example.com", password="boss", role=Role.ADMIN)
    client.force_login(admin)
    assert client.post(url("profile_erase"), {"confirmation": "boss"}).status_code == 403
    assert User.objects.get(pk=admin.pk).is_active


def test_an_unverified_address_cannot_erase(client, requester):
    client.force_login(requester)
    response = client.post(url("profile_erase"), {"confirmation": "alice@example.org"})
    assert response.status_code == 403
    assert User.objects.get(pk=requester.pk).is_active


@pytest.mark.parametrize("name", ["profile_export", "profile_erase"])
def test_the_data_endpoints_take_only_a_post(client, member, name):
    assert client.get(url(name)).status_code == 405


@pytest.mark.parametrize(
    ("name", "data"), [("profile", {"name": "Mallory"}), ("profile_erase", {"confirmation": PASSWORD})]
)
def test_a_post_without_the_csrf_token_is_refused(member, name, data):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    assert browser.post(url(name), data).status_code == 403
    member.refresh_from_db()
    assert (member.name, member.is_active) == ("Béa Durand", True)
