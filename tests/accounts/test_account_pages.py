"""The account pages (django-allauth) inside the Help Center: our layout, both languages, accessible fields."""

from __future__ import annotations

import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from comptoir.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"

LOG_IN = {"fr": "Se connecter", "en": "Log in"}


def person(email: str = "sam@example.org") -> User:
    user = User.objects.create_user(email, password=PASSWORD, name="Sam Petit")
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def logged_in(client: Client, user: User) -> Client:
    """Logged in through the login form, so allauth counts it as a recent authentication."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def page(client: Client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def assert_in_our_layout(html: str, language: str) -> None:
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html
    assert 'name="language" value="fr"' in html and 'name="language" value="en"' in html
    assert 'class="site-footer"' in html
    # allauth's bare layout is not used.
    assert "Menu:" not in html


def assert_every_input_labelled(html: str) -> None:
    for input_id in re.findall(r'<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html):
        assert f'for="{input_id}"' in html, f"#{input_id} has no label"


ENTRANCE_PAGES = ["account_login", "account_signup", "account_reset_password", "account_request_login_code"]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", ENTRANCE_PAGES)
def test_it_renders_the_entrance_pages_in_our_layout(client, name, language):
    html = page(client, reverse(name), language)

    assert_in_our_layout(html, language)
    assert 'class="card account-card"' in html
    assert html.count("<h1>") == 1
    assert_every_input_labelled(html)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_follows_the_language_cookie(client, language):
    client.cookies["django_language"] = language

    html = client.get(reverse("account_login")).content.decode()

    assert f'<html lang="{language}">' in html
    assert f"<h1>{LOG_IN[language]}</h1>" in html


def test_it_offers_the_three_ways_in_on_the_login_page(client):
    html = page(client, reverse("account_login"), "en")

    assert 'type="password"' in html
    assert f'href="{reverse("account_reset_password")}">Forgot your password?</a>' in html
    assert f'href="{reverse("account_request_login_code")}">Send me a sign-in code</a>' in html
    assert f'href="{reverse("account_signup")}">Create an account</a>' in html


def test_it_links_the_signup_page_back_to_login(client):
    html = page(client, reverse("account_signup"), "en")

    assert f'<a href="{reverse("account_login")}">Log in</a>' in html


def test_it_links_signup_errors_to_their_fields_and_keeps_the_address(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new.person@example.org", "password1": "short", "password2": "short"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert '<a href="#id_password1">Password: ' in html
    field = re.search(r'<input[^>]*name="password1"[^>]*>', html)
    assert field is not None
    assert 'aria-invalid="true"' in field.group()
    assert 'aria-describedby="id_password1_helptext id_password1_error"' in field.group()
    assert 'id="id_password1_error"' in html and 'id="id_password1_helptext"' in html
    assert 'value="new.person@example.org"' in html
    assert html.count("Please check the form") == 1


def test_it_shows_a_wrong_password_in_the_summary(client):
    user = person()

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="fr"
    )

    html = response.content.decode()
    assert "Merci de vérifier le formulaire" in html
    # Comptoir's words (accounts.adapter), not allauth's "The email address and/or password...".
    with translation.override("fr"):
        assert gettext("This e-mail address and password do not match an account.") in html
    assert f'value="{user.email}"' in html


def test_it_shows_flash_messages_once(client):
    user = person()

    logged_in(client, user)

    html = page(client, reverse("account_change_password"), "en")
    again = page(client, reverse("account_change_password"), "en")

    assert html.count('<p class="flash flash-success">') == 1
    assert "Messages:" not in html
    assert 'class="flash' not in again


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_renders_the_code_confirmation_page(client, language):
    user = person()
    response = client.post(reverse("account_request_login_code"), {"email": user.email}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302

    html = page(client, response["Location"], language)

    assert_in_our_layout(html, language)
    assert 'name="code"' in html
    assert_every_input_labelled(html)
    assert 'class="button button-primary"' in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_renders_the_pages_reached_from_e_mails(client, language):
    user = person()
    # Signed up, waiting for the code mailed to the address.
    client.post("/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD})
    html = page(client, reverse("account_email_verification_sent"), language)
    assert 'name="code"' in html
    assert_every_input_labelled(html)
    reset_key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"

    for url in [
        reverse("account_email_verification_sent"),
        reverse("account_reset_password_done"),
        reverse("account_reset_password_from_key", kwargs={"uidb36": "x", "key": "bad"}),
    ]:
        assert_in_our_layout(page(client, url, language), language)

    uid, _, token = reset_key.partition("-")
    html = page(client, reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": token}), language)
    assert_in_our_layout(html, language)
    assert 'name="password1"' in html
    assert_every_input_labelled(html)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_renders_the_account_pages_with_their_menu(client, language):
    logged_in(client, person())

    for name in ["account_change_password", "account_logout", "mfa_index"]:
        html = page(client, reverse(name), language)
        assert_in_our_layout(html, language)
        assert 'class="account-nav"' in html
        assert f'href="{reverse("mfa_index")}"' in html
        assert f'href="{reverse("account_email")}"' not in html
        assert_every_input_labelled(html)


def test_it_asks_for_the_password_again_before_two_factor_setup(client):
    logged_in(client, person())

    html = page(client, reverse("mfa_activate_totp"), "en")

    assert_in_our_layout(html, "en")
    assert 'class="card account-card"' in html
    assert 'name="password"' in html
    assert_every_input_labelled(html)


def test_it_marks_the_current_account_page_and_shows_the_qr_code(client):
    logged_in(client, person())
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302

    html = page(client, reverse("mfa_activate_totp"), "en")

    assert f'<a href="{reverse("mfa_index")}" aria-current="page">Two-factor authentication</a>' in html
    assert '<img src="data:image/svg+xml' in html


def test_it_renders_the_second_factor_step_of_the_login(client):
    user = person()
    TOTP.activate(user, generate_totp_secret())

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="fr", follow=True
    )

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert_in_our_layout(html, "fr")
    assert 'name="code"' in html
    assert_every_input_labelled(html)


def test_it_no_longer_ships_the_old_login_template():
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    with pytest.raises(TemplateDoesNotExist):
        get_template("accounts/login.html")
