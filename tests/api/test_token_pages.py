"""The profile's API tokens page: make a token (shown once), list them, revoke one; agents and requesters alike."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.api_tokens import api_token_create
from comptoir.accounts.models import ApiScope, ApiToken, Role, User
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"cpt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def url(name: str = "api_tokens", *args: object, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture(params=["requester", "agent"])
def person(request, client, db) -> User:
    role = Role.AGENT if request.param == "agent" else Role.REQUESTER
    user = User.objects.create_user(f"{request.param}@example.org", name="Sam", role=role)
    client.force_login(user)
    return user


def make(client: Client, **fields: str):
    return client.post(url(), {"name": "CRM", "scope": "read", "lifetime": "90", **fields})


def test_a_visitor_is_sent_to_log_in(client, db):
    response = client.get(url())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_new_token_is_shown_once_and_kept_only_as_a_hash(client, person):
    response = make(client)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = SECRET.findall(response.content.decode())
    assert len(shown) == 1
    token = ApiToken.objects.get(owner=person)
    assert (token.name, token.scope) == ("CRM", ApiScope.READ)
    assert token.secret_hash == hashlib.sha256(shown[0].encode()).hexdigest()
    assert token.expires_at is not None
    # The page afterwards lists the token by its public prefix, never its secret.
    again = client.get(url()).content.decode()
    assert SECRET.findall(again) == []
    assert f"cpt_{token.prefix}_" in again
    # And the token works.
    assert Client().get("/api/v1/me/", **bearer(shown[0])).json()["email"] == person.email


def test_a_token_without_expiry_and_with_write_access(client, person):
    make(client, scope="write", lifetime="never")
    token = ApiToken.objects.get(owner=person)
    assert (token.scope, token.expires_at) == (ApiScope.WRITE, None)


def test_a_form_with_a_mistake_makes_nothing_and_says_so(client, person):
    response = make(client, name="", scope="everything")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "scope"}
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_lists_only_the_person_s_own_tokens(client, person):
    other = User.objects.create_user("other@example.org")
    api_token_create(owner=other, name="Someone else's", scope=ApiScope.WRITE)
    api_token_create(owner=person, name="Nightly export", scope=ApiScope.READ)
    html = client.get(url()).content.decode()
    assert "Nightly export" in html
    assert "Someone else&#x27;s" not in html and "Someone else's" not in html


def test_revoking_a_token(client, person):
    made = api_token_create(owner=person, name="CRM", scope=ApiScope.WRITE)
    response = client.post(url("api_token_revoke", made.token.pk))
    assert (response.status_code, response["Location"]) == (302, url())
    made.token.refresh_from_db()
    assert made.token.revoked_at is not None
    assert Client().get("/api/v1/me/", **bearer(made.secret)).status_code == 401
    assert "Revoked" in client.get(url()).content.decode()


def test_someone_else_s_token_cannot_be_revoked(client, person):
    other = User.objects.create_user("other@example.org")
    made = api_token_create(owner=other, name="theirs", scope=ApiScope.WRITE)
    assert client.post(url("api_token_revoke", made.token.pk)).status_code == 404
    made.token.refresh_from_db()
    assert made.token.revoked_at is None


def test_revoking_takes_a_post(client, person):
    made = api_token_create(owner=person, name="CRM", scope=ApiScope.WRITE)
    assert client.get(url("api_token_revoke", made.token.pk)).status_code == 405
    made.token.refresh_from_db()
    assert made.token.revoked_at is None


@pytest.mark.parametrize("action", ["make", "revoke"])
def test_a_post_without_the_csrf_token_is_refused(db, action):
    client = Client(enforce_csrf_checks=True)
    user = User.objects.create_user("sam@example.org")
    client.force_login(user)
    made = api_token_create(owner=user, name="CRM", scope=ApiScope.WRITE)
    address = url() if action == "make" else url("api_token_revoke", made.token.pk)
    assert client.post(address, {"name": "x", "scope": "read", "lifetime": "30"}).status_code == 403
    made.token.refresh_from_db()
    assert (ApiToken.objects.count(), made.token.revoked_at) == (1, None)
    # With the token the page gave, the same post goes through: the 403 was the missing token.
    csrf = str(client.get(url()).context["csrf_token"])
    accepted = client.post(address, {"name": "x", "scope": "read", "lifetime": "30", "csrfmiddlewaretoken": csrf})
    assert accepted.status_code in (200, 302)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_is_in_the_person_s_language_and_reached_from_the_account_menu(client, person, language):
    html = client.get(url(language=language)).content.decode()
    assert f'<html lang="{language}">' in html
    profile = client.get(url("profile", language=language)).content.decode()
    assert f'href="{url(language=language)}"' in profile


def test_the_page_costs_the_same_queries_whatever_the_number_of_tokens(client, person, django_assert_num_queries):
    api_token_create(owner=person, name="one", scope=ApiScope.READ)
    # The session, the person, their tokens (the allauth layout's menu asks for nothing more).
    with django_assert_num_queries(3):
        client.get(url())
    for n in range(5):
        api_token_create(owner=person, name=str(n), scope=ApiScope.WRITE)
    with django_assert_num_queries(3):
        assert client.get(url()).status_code == 200
