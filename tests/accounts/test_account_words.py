"""Every account page speaks the product's words, in both languages: "e-mail", never "email" or "mail",
sentence case, never allauth's "Password Reset" or "Sign Out"."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Iterator

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.test import Client
from django.urls import reverse

from comptoir.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"

# allauth's words that Comptoir says otherwise ("Log in", "Change password", "E-mail address"...).
TITLE_CASE = [
    "Password Reset",
    "Reset My Password",
    "Remember Me",
    "Request Code",
    "Change Password",
    "Current Password",
    "New Password",
    "Set Password",
    "Sign Out",
    "Sign In",
    "Two-Factor Authentication",
    "Authenticator App",
    "Recovery Codes",
    "Confirm Access",
    "Account Inactive",
    "Enter Sign-In Code",
    "Email Verification",
    "Bad Token",
    "Email Addresses",
    "Verify Your Email Address",
]
# Proper nouns and abbreviations a heading may capitalise after its first word.
CAPITALISED = {"Comptoir", "Help", "Center", "Customer", "Care", "FR", "EN", "API", "I"}


def visible_text(page: str) -> str:
    """What a person reads, addresses left out: text, and the labels, placeholders and titles of controls."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    attributes = re.findall(r'\b(?:placeholder|aria-label|title|alt)="([^"]*)"', page)
    text = " ".join([re.sub(r"<[^>]+>", " ", page), *attributes])
    words = html_module.unescape(text).split()
    return " ".join(word for word in words if "@" not in word)


def headings(page: str) -> list[str]:
    found = re.findall(r"(?s)<(h1|h2|title|button|label)\b[^>]*>(.*?)</\1>", page)
    return [" ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", inner)).split()) for _tag, inner in found]


def person(email: str = "sam@example.org") -> User:
    user = User.objects.create_user(email, password=PASSWORD, name="Sam Petit")
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def account_pages(client: Client, language: str, settings) -> Iterator[tuple[str, str]]:
    """(what, page) for every account page a person can reach, visited as they would."""

    def get(address: str) -> str:
        response = client.get(address, HTTP_ACCEPT_LANGUAGE=language, follow=True)
        assert response.status_code == 200, address
        return response.content.decode()

    def post(address: str, data: dict[str, str]) -> str:
        response = client.post(address, data, HTTP_ACCEPT_LANGUAGE=language, follow=True)
        assert response.status_code == 200, address
        return response.content.decode()

    user = person()
    for name in ("account_login", "account_signup", "account_reset_password", "account_request_login_code"):
        yield name, get(reverse(name))
    yield "account_reset_password_done", get(reverse("account_reset_password_done"))
    yield "account_inactive", get(reverse("account_inactive"))
    yield "login: wrong password", post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    yield "reset: not an address", post(reverse("account_reset_password"), {"email": "nobody"})
    yield "reset: a used link", get(reverse("account_reset_password_from_key", kwargs={"uidb36": "x", "key": "bad"}))
    key = {"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)}
    yield "reset: a new password", get(reverse("account_reset_password_from_key", kwargs=key))
    yield "login code: the code", post(reverse("account_request_login_code"), {"email": user.email})
    client.logout()
    signup = {"email": f"new-{language}@example.org", "password1": PASSWORD, "password2": PASSWORD}
    yield "signup: the code", post(reverse("account_signup"), signup)
    client.logout()
    settings.COMPTOIR_SIGNUP_OPEN = False
    yield "signup: closed", get(reverse("account_signup"))
    settings.COMPTOIR_SIGNUP_OPEN = True

    assert client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}).status_code == 302
    for name in ("account_change_password", "account_logout", "account_email", "mfa_index"):
        yield name, get(reverse(name))
    yield "password: mistakes", post(reverse("account_change_password"), {"oldpassword": "x", "password1": "a"})
    yield "two-factor: confirm it is you", get(reverse("mfa_activate_totp"))
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    yield "two-factor: set up", get(reverse("mfa_activate_totp"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_account_page_says_email_or_title_case(client, settings, language):
    for what, page in account_pages(client, language, settings):
        text = visible_text(page)
        for words in TITLE_CASE:
            assert words not in text, f"{what}: {words!r}"
        for heading in headings(page):
            later = heading.replace("·", " ").split()[1:]
            shouted = [word for word in later if word[:1].isupper() and word.strip("?:.!,()") not in CAPITALISED]
            assert not shouted, f"{what}: {heading!r} is not in sentence case"
        if language == "en":
            assert not re.search(r"\bemails?\b", text, re.IGNORECASE), f"{what}: 'email' in {text!r}"
        else:
            assert not re.search(r"(?<![-\w])mails?\b", text, re.IGNORECASE), f"{what}: 'mail' in {text!r}"
            assert "courriel" not in text.lower(), f"{what}: 'courriel'"


def test_the_labels_say_e_mail_address_and_sentence_case(client):
    html = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<label for="id_login">E-mail address <span class="required">*</span></label>' in html
    assert 'placeholder="E-mail address"' in html
    assert '<label for="id_remember">Remember me</label>' in html


def test_a_mistyped_address_is_told_in_the_product_s_words(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody"}, HTTP_ACCEPT_LANGUAGE="en")

    assert "Enter a valid e-mail address, such as name@example.com." in response.content.decode()


def test_the_password_pages_name_their_fields_in_sentence_case(client):
    user = person()
    client.force_login(user)

    html = client.get(reverse("account_change_password"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for label in ("Current password", "New password", "New password (again)"):
        assert f">{label} <span" in html, label
    assert "<h1>Change password</h1>" in html
