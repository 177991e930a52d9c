"""The profile page in a real browser: the account layout, its errors, no axe-core violation."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from comptoir.accounts.models import User
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}
PASSWORD = "a long enough passphrase 42"


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.account-form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_profile_page_and_its_errors_are_accessible(site, new_page, language: str) -> None:
    user = User.objects.create_user("sam@example.org", password=PASSWORD, name="Sam Petit")
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    page = new_page(LOCALES[language])
    sign_in(page, site.url, user.email)

    page.goto(f"{site.url}/{language}/my/profile/")
    expect(page.locator(".account-nav [aria-current=page]")).to_have_count(1)
    assert_accessible(page)

    page.locator("#id_confirmation").fill("not the password")
    page.locator(".profile-erase button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#id_confirmation")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.locator("#id_name").fill("Sam P.")
    page.locator(".profile-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#id_name")).to_have_value("Sam P.")
    assert_accessible(page)
    page.screenshot(path=f"/tmp/profile-{language}.png", full_page=True)
