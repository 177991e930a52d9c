"""Signing up, verifying, signing in by password or by code, and a guest becoming an account holder."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from comptoir.accounts.models import Role, User
from comptoir.mail.dkim import DkimEmail
from comptoir.tickets import access
from comptoir.tickets.models import Ticket
from tests.conftest import account_mail_delivered

PASSWORD = "a-long-and-unusual-passphrase"


def sent_to(address: str, subject_part: str) -> EmailMultiAlternatives:
    account_mail_delivered()
    found = [m for m in mail.outbox if address in m.to and subject_part in m.subject]
    assert len(found) == 1, [(m.to, m.subject) for m in mail.outbox]
    message = found[0]
    assert isinstance(message, EmailMultiAlternatives)
    return message


def link_in(message: EmailMultiAlternatives) -> str:
    match = re.search(r"http://testserver(/accounts/\S+)", message.body)
    assert match is not None, message.body
    return match.group(1)


def code_in(message: EmailMultiAlternatives) -> str:
    match = re.search(r"^\s*([A-Z0-9-]{6,})\s*$", message.body, re.M)
    assert match is not None, message.body
    return match.group(1)


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.COMPTOIR_BASE_URL = "http://testserver"


def sign_up(client, email: str, password: str = PASSWORD):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": password, "password2": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()


def test_it_signs_up_verifies_by_a_code_typed_in_the_same_page_and_signs_in(client, db):
    response = sign_up(client, "nina@example.org")

    assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")
    user = User.objects.get(email="nina@example.org")
    assert (user.role, user.language, verified(user)) == (Role.REQUESTER, "en", False)
    # Not signed in before the address is proven.
    assert "_auth_user_id" not in client.session
    message = sent_to("nina@example.org", "Confirm your e-mail address")
    assert "http" not in message.body  # a code, not a link anyone could follow anywhere

    assert client.get("/accounts/confirm-email/").status_code == 200
    confirmed = client.post("/accounts/confirm-email/", {"code": code_in(message)})

    assert confirmed.status_code == 302
    assert verified(user)
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_wrong_confirmation_code_verifies_nothing(client, db):
    sign_up(client, "nina@example.org")

    response = client.post("/accounts/confirm-email/", {"code": "WRONG-CODE"})

    assert response.status_code == 200
    assert not verified(User.objects.get(email="nina@example.org"))
    assert "_auth_user_id" not in client.session


def test_a_squatter_s_password_stops_working_when_the_owner_proves_the_address(client, db, make_ticket):
    """Someone signs up with another person's address and waits for their tickets to gather there."""
    sign_up(client, "victim@example.org", password="squatter-passphrase-1")
    client.logout()
    account_mail_delivered().clear()
    ticket = make_ticket(email="victim@example.org", subject="My salary slip")
    victim = ticket.requester
    assert victim.has_usable_password() and not verified(victim)

    # The owner signs in with a code sent to her mailbox, which proves the address.
    owner = client
    owner.post("/accounts/login/code/", {"email": "victim@example.org"}, HTTP_ACCEPT_LANGUAGE="en")
    owner.post("/accounts/login/code/confirm/", {"code": code_in(sent_to("victim@example.org", "sign-in code"))})

    victim.refresh_from_db()
    assert verified(victim) and not victim.has_usable_password()
    # Still signed in after the password was dropped, and her tickets show.
    page = owner.get(f"/en/tickets/{ticket.reference}/")
    assert page.status_code == 200 and "My salary slip" in page.content.decode()
    squatter = type(client)()
    refused = squatter.post("/accounts/login/", {"login": "victim@example.org", "password": "squatter-passphrase-1"})
    assert "_auth_user_id" not in squatter.session
    assert refused.status_code == 200


def test_signing_up_with_a_known_address_hashes_the_password_as_a_new_one_would(client, db, monkeypatch):
    from comptoir.accounts import forms

    hashed: list[str] = []
    real = forms.make_password
    monkeypatch.setattr(forms, "make_password", lambda password: hashed.append(password) or real(password))
    User.objects.create_user("owner@example.org", password=PASSWORD)

    sign_up(client, "owner@example.org", password="another-long-passphrase")

    assert hashed == ["another-long-passphrase"]


def test_an_unverified_account_cannot_sign_in(client, db):
    sign_up(client, "nina@example.org")
    client.logout()
    account_mail_delivered().clear()

    response = client.post(
        "/accounts/login/", {"login": "nina@example.org", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )

    # The code sent at sign-up is not repeated within three minutes, so nobody can flood
    # the inbox; until then the sign-in waits (allauth's answer, "try again later").
    assert response.status_code == 200
    assert "Try again later" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert account_mail_delivered() == []


def test_account_e_mails_are_signed_ours_in_the_person_s_language(client, db, settings):
    sign_up(client, "nina@example.org")
    message = sent_to("nina@example.org", "Confirm")

    assert isinstance(message, DkimEmail)
    assert settings.COMPTOIR_SUPPORT_EMAIL in message.from_email
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.extra_headers["Message-ID"]
    assert any(mimetype == "text/html" for _content, mimetype in message.alternatives)

    User.objects.filter(email="nina@example.org").update(language="fr")
    account_mail_delivered().clear()
    client.post("/accounts/password/reset/", {"email": "nina@example.org"}, HTTP_ACCEPT_LANGUAGE="en")
    assert sent_to("nina@example.org", "Choisissez un nouveau mot de passe").body.startswith("Bonjour,")


def test_links_in_account_e_mails_ignore_a_forged_host(client, db, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    User.objects.create_user("nina@example.org", password=PASSWORD)
    client.post(
        "/accounts/password/reset/", {"email": "nina@example.org"}, HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en"
    )

    message = sent_to("nina@example.org", "password")
    assert "evil.example" not in message.body
    assert "http://testserver/accounts/password/reset/key/" in message.body


def test_signing_up_with_a_taken_address_looks_the_same_and_mails_the_owner(client, db):
    owner = User.objects.create_user("owner@example.org", password=PASSWORD)
    EmailAddress.objects.filter(user=owner).update(verified=True)
    new = sign_up(client, "fresh@example.org")
    client.logout()

    taken = sign_up(client, "owner@example.org", password="another-long-passphrase")

    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert User.objects.filter(email="owner@example.org").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    sent_to("owner@example.org", "You already have an account")


def test_a_guest_who_signs_up_gets_a_link_to_choose_a_password_and_then_sees_her_tickets(client, make_ticket):
    ticket = make_ticket(email="guest@example.org")
    guest = ticket.requester
    assert not guest.has_usable_password() and not verified(guest)
    new = sign_up(client, "fresh@example.org")
    client.logout()
    account_mail_delivered().clear()

    response = sign_up(client, "guest@example.org")

    # Nothing tells the visitor the address was known.
    assert (response.status_code, response["Location"]) == (new.status_code, new["Location"])
    guest.refresh_from_db()
    assert not guest.has_usable_password()
    message = sent_to("guest@example.org", "Choose your password")
    form_url = client.get(link_in(message))["Location"]
    done = client.post(form_url, {"password1": PASSWORD, "password2": PASSWORD})

    assert done.status_code == 302
    guest.refresh_from_db()
    assert guest.check_password(PASSWORD)
    assert verified(guest)
    assert client.session["_auth_user_id"] == str(guest.pk)


def test_a_guest_signs_in_by_code_and_her_address_becomes_verified(client, make_ticket):
    guest = make_ticket(email="guest@example.org").requester

    client.post("/accounts/login/code/", {"email": "guest@example.org"}, HTTP_ACCEPT_LANGUAGE="en")
    code = code_in(sent_to("guest@example.org", "Your sign-in code"))
    response = client.post("/accounts/login/code/confirm/", {"code": code})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(guest.pk)
    assert verified(guest)


def test_a_wrong_code_signs_nobody_in(client, make_ticket):
    make_ticket(email="guest@example.org")
    client.post("/accounts/login/code/", {"email": "guest@example.org"})

    response = client.post("/accounts/login/code/confirm/", {"code": "WRONG1"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_asking_a_code_for_an_unknown_address_looks_the_same(client, make_ticket):
    make_ticket(email="guest@example.org")
    known = client.post("/accounts/login/code/", {"email": "guest@example.org"})
    client.cookies.clear()

    unknown = client.post("/accounts/login/code/", {"email": "nobody@example.org"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert not User.objects.filter(email="nobody@example.org").exists()


def test_a_password_reset_answers_the_same_for_any_address(client, make_ticket):
    make_ticket(email="guest@example.org")
    known = client.post("/accounts/password/reset/", {"email": "guest@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])


def test_repeated_wrong_passwords_lock_the_address_for_a_while(client, agent):
    for n in range(5):
        client.post("/accounts/login/", {"login": "agent@example.com", "password": f"wrong-{n}"})

    # Even the right password waits until the limit passes (5 failures per address in 5 minutes).
    response = client.post(
        "/accounts/login/", {"login": "agent@example.com", "password": "agent"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_an_attacker_failing_from_one_ip_does_not_lock_the_agent_out_from_another(client, agent):
    attacker = "203.0.113.7"
    for n in range(20):
        client.post("/accounts/login/", {"login": "agent@example.com", "password": f"wrong-{n}"}, REMOTE_ADDR=attacker)
    # The attacker has locked out only themselves: the right password waits there too.
    locked = client.post("/accounts/login/", {"login": "agent@example.com", "password": "agent"}, REMOTE_ADDR=attacker)
    assert "_auth_user_id" not in client.session
    assert locked.status_code in (200, 429)

    response = client.post(
        "/accounts/login/", {"login": "agent@example.com", "password": "agent"}, REMOTE_ADDR="198.51.100.20"
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_too_many_sign_in_attempts_from_one_address_get_a_429(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    statuses = [
        client.post("/accounts/login/", {"login": f"p{n}@example.org", "password": "x"}).status_code for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_agents_sign_in_through_the_same_page(client, agent):
    response = client.post("/accounts/login/", {"login": "agent@example.com", "password": "agent"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_an_account_created_for_a_colleague_is_trusted_and_a_requester_s_is_not(db):
    colleague = User.objects.create_user("colleague@example.com", password="x", role=Role.AGENT)
    customer = User.objects.create_user("customer@example.org", password="x")

    assert verified(colleague)
    assert not verified(customer)


def test_tickets_show_only_once_the_address_is_verified(rf, make_ticket):
    ticket: Ticket = make_ticket(email="guest@example.org")
    request = rf.get("/")
    request.session = {}
    request.user = ticket.requester

    assert not access.can_view_ticket(request, ticket)
    EmailAddress.objects.filter(user=ticket.requester).update(verified=True)
    request = rf.get("/")
    request.session = {}
    request.user = ticket.requester
    assert access.can_view_ticket(request, ticket)
    assert access.can_reply_as_requester(request, ticket)


def test_page_links_in_account_e_mails_ignore_a_forged_host_too(client, db, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    User.objects.create_user("owner@example.org", password=PASSWORD)
    forged = {"HTTP_HOST": "evil.example", "HTTP_ACCEPT_LANGUAGE": "en"}

    client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, **forged)
    client.post(
        "/accounts/signup/",
        {"email": "owner@example.org", "password1": "x-long-passphrase-2", "password2": "x-long-passphrase-2"},
        **forged,
    )

    unknown = sent_to("nobody@example.org", "No account")
    exists = sent_to("owner@example.org", "You already have an account")
    for message in (unknown, exists):
        assert "evil.example" not in message.body
        assert "http://testserver/accounts/" in message.body
