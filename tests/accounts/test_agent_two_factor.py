"""Agents turn on two-factor authentication (TOTP); the administrator may require it of every agent."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.test import Client

from comptoir.accounts.models import User

AGENT_PAGE = "/en/agent/"


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def log_in(client, email: str = "agent@example.com", password: str = "agent"):
    return client.post("/accounts/login/", {"login": email, "password": password})


def activate_totp(client, password: str = "agent") -> str:
    # Turning on a second factor asks for the password again.
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": password})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


@pytest.fixture
def required(settings):
    settings.COMPTOIR_REQUIRE_AGENT_2FA = True


def test_an_agent_turns_on_totp_and_is_asked_for_a_code_at_the_next_sign_in(client, agent):
    log_in(client)
    secret = activate_totp(client)
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    client.post("/accounts/logout/")

    response = log_in(client)

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    wrong = client.post(
        "/accounts/2fa/authenticate/", {"code": "000000" if current_code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_it_is_optional_by_default(client, agent):
    log_in(client)

    assert client.get(AGENT_PAGE).status_code == 200


def test_when_required_an_agent_without_it_can_only_set_it_up(client, agent, required):
    log_in(client)

    response = client.get(AGENT_PAGE)

    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    activate_totp(client)
    assert client.get(AGENT_PAGE).status_code == 200


def test_when_required_an_agent_who_signed_in_with_a_code_goes_through(client, agent, required):
    log_in(client)
    secret = activate_totp(client)
    client.post("/accounts/logout/")
    log_in(client)
    client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})

    assert client.get(AGENT_PAGE).status_code == 200


def test_requesters_are_not_asked_for_it(client, required, db):
    customer = User.objects.create_user("customer@example.org", password="a-long-and-unusual-passphrase")
    customer.emailaddress_set.update(verified=True)
    client.force_login(customer)

    assert client.get("/en/").status_code == 200


def test_an_administrator_requires_it_in_the_admin_and_agents_must_set_it_up(client, agent, db):
    admin_side = Client()
    admin_side.force_login(User.objects.create_superuser("root@example.com", password="root-passphrase"))
    page = admin_side.get("/admin/accounts/securitypolicy/", follow=True)
    assert page.status_code == 200 and 'name="require_agent_two_factor"' in page.content.decode()
    log_in(client)
    assert client.get(AGENT_PAGE).status_code == 200

    saved = admin_side.post("/admin/accounts/securitypolicy/1/change/", {"require_agent_two_factor": "on"})

    assert saved.status_code == 302
    assert client.get(AGENT_PAGE)["Location"] == "/accounts/2fa/totp/activate/"
    # The administrator is held to it as well.
    assert admin_side.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_who_are_not_agents_are_held_to_it_too(client, db, required):
    client.force_login(User.objects.create_user("ops@example.com", is_staff=True))

    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
