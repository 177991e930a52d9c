"""The account pages (django-allauth) in a real browser: our layout, no axe-core violation, in French and English."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from comptoir.accounts.models import User
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}
PASSWORD = "a long enough passphrase 42"


def person(email: str = "sam@example.org") -> User:
    user = User.objects.create_user(email, password=PASSWORD, name="Sam Petit")
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def submit(page: Page) -> None:
    page.locator("form.account-form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_be_visible()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_shows_accessible_entrance_pages_and_their_errors(site, new_page, language: str) -> None:
    page = new_page(LOCALES[language])

    page.goto(f"{site.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".site-header .segmented")).to_be_visible()
    assert_accessible(page)
    submit(page)
    expect(page.locator("#id_login")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto(f"{site.url}/accounts/signup/")
    assert_accessible(page)
    page.locator("#id_email").fill("new.person@example.org")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    submit(page)
    expect(page.locator("#id_email")).to_have_value("new.person@example.org")
    expect(page.locator("#id_password1")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto(f"{site.url}/accounts/password/reset/")
    assert_accessible(page)
    page.locator("#id_email").fill("not an address")
    submit(page)
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto(f"{site.url}/accounts/login/code/")
    assert_accessible(page)
    submit(page)
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_it_leads_from_the_login_page_to_the_other_ways_in(site, new_page) -> None:
    page = new_page("en-GB")
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(f"{site.url}/accounts/password/reset/")
    page.go_back()
    page.get_by_role("link", name="Send me a sign-in code").click()
    expect(page).to_have_url(f"{site.url}/accounts/login/code/")
    page.go_back()
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(f"{site.url}/accounts/signup/")
    page.get_by_role("link", name="Log in", exact=True).last.click()
    expect(page).to_have_url(f"{site.url}/accounts/login/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_shows_accessible_code_and_account_pages(site, new_page, language: str) -> None:
    user = person()
    page = new_page(LOCALES[language])

    page.goto(f"{site.url}/accounts/login/code/")
    page.locator("#id_email").fill(user.email)
    page.locator("form.account-form button[type=submit]").click()
    page.wait_for_url("**/accounts/login/code/confirm/")
    assert_accessible(page)
    page.locator("#id_code").fill("WRONG")
    submit(page)
    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.locator("form.account-form button[form=logout-from-stage]").click()
    page.wait_for_url("**/accounts/login/")

    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.account-form button[type=submit]").click()
    page.wait_for_load_state()

    for path in ["password/change/", "2fa/", "logout/"]:
        page.goto(f"{site.url}/accounts/{path}")
        expect(page.locator(".account-nav [aria-current=page]")).to_have_count(1)
        assert_accessible(page)

    page.goto(f"{site.url}/accounts/2fa/totp/activate/")
    assert_accessible(page)  # allauth first asks for the password again
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.account-form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert_accessible(page)
    page.locator("#id_code").fill("000000")
    submit(page)
    assert_accessible(page)
