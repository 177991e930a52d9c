"""Nobody signs up with, or is given, one of the help desk's own addresses."""

from __future__ import annotations

import pytest

from comptoir.accounts.addresses import is_help_desk_address
from comptoir.accounts.models import Role, User
from comptoir.mail.addressing import reply_address
from comptoir.mail.models import Mailbox

PASSWORD = "a-long-and-unusual-passphrase"
REFUSAL = "This is one of our own support addresses: please enter your own e-mail address."
ADMIN_REFUSAL = "This is one of the help desk&#x27;s own addresses"


@pytest.fixture
def ours(settings, db):
    settings.COMPTOIR_SUPPORT_EMAIL = "support@example.com"
    settings.COMPTOIR_REPLY_DOMAIN = ""
    settings.COMPTOIR_OWN_ADDRESSES = frozenset({"help@example.com"})
    Mailbox.objects.create(name="inbox", host="imap.example.net", username="inbox@example.net", password="x")


OURS = ["support@example.com", "SUPPORT+billing@example.com", "reply", "help@example.com", "Inbox@Example.net"]


def address(value: str) -> str:
    return reply_address(1042) if value == "reply" else value


@pytest.mark.parametrize("value", OURS)
def test_signing_up_with_one_of_our_addresses_is_refused(client, ours, value):
    response = client.post(
        "/accounts/signup/",
        {"email": address(value), "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert not User.objects.exists()


def test_signing_up_with_another_address_of_our_domain_goes_on(client, ours):
    response = client.post(
        "/accounts/signup/", {"email": "camille@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302
    assert User.objects.filter(email="camille@example.com").exists()


def test_our_addresses_include_the_reply_domain_s_reply_addresses(settings, ours):
    settings.COMPTOIR_REPLY_DOMAIN = "reply.example.com"

    assert is_help_desk_address(reply_address(1042))
    assert not is_help_desk_address("someone@reply.example.com")
    assert not is_help_desk_address("inbox")


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root@example.com"))
    # The admin speaks the browser's language (French by default): these pages are read in English.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT])
def test_the_admin_creates_nobody_with_one_of_our_addresses(admin_client, ours, role):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"email": "support@example.com", "name": "Support", "role": role, "password1": "", "password2": ""},
    )

    assert response.status_code == 200
    assert ADMIN_REFUSAL in response.content.decode()
    assert not User.objects.filter(email="support@example.com").exists()


def change(admin_client, person: User, email: str):
    return admin_client.post(
        f"/admin/accounts/user/{person.pk}/change/",
        {
            "email": email,
            "name": "Renamed",
            "role": "requester",
            "is_active": "on",
            "date_joined_0": "2026-11-01",
            "date_joined_1": "10:00:00",
        },
    )


def test_the_admin_changes_nobody_s_address_to_one_of_ours(admin_client, ours):
    person = User.objects.create_user("alice@example.org")

    response = change(admin_client, person, "help@example.com")

    assert response.status_code == 200
    assert ADMIN_REFUSAL in response.content.decode()
    person.refresh_from_db()
    assert person.email == "alice@example.org"


def test_a_person_who_already_has_one_of_our_addresses_stays_editable(admin_client, ours):
    person = User.objects.create_user("help@example.com")

    assert change(admin_client, person, "help@example.com").status_code == 302
    person.refresh_from_db()
    assert person.name == "Renamed"
