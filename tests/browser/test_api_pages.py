"""The API's pages in a real browser: the tokens page (accessible, French and English) and the reference page.

The reference page runs Swagger UI under the site's own Content-Security-Policy:
no violation, no request to another site.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from comptoir.accounts.models import ApiToken, User
from tests.api.test_schema import OPERATIONS
from tests.browser.conftest import CHROMIUM, assert_accessible
from tests.browser.test_profile_page import LOCALES, PASSWORD, sign_in

pytestmark = pytest.mark.browser

SECRET = re.compile(r"^cpt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_making_and_revoking_a_token_is_accessible(site, new_page, language: str) -> None:
    user = User.objects.create_user("sam@example.org", password=PASSWORD, name="Sam Petit")
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    page = new_page(LOCALES[language])
    sign_in(page, site.url, user.email)

    page.goto(f"{site.url}/{language}/my/profile/")
    page.locator(f".account-nav a[href='/{language}/my/profile/api-tokens/']").click()
    page.wait_for_load_state()
    expect(page.locator(".account-nav [aria-current=page]")).to_have_attribute(
        "href", f"/{language}/my/profile/api-tokens/"
    )
    assert_accessible(page)

    # A mistake first: the form says so, accessibly.
    page.locator(".account-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.locator("#id_name").fill("Nightly export")
    page.locator("input[name=scope][value=write]").check()
    page.locator(".account-form button[type=submit]").click()
    page.wait_for_load_state()
    secret = page.locator("#new-token").input_value()
    assert SECRET.match(secret)
    assert_accessible(page)
    page.screenshot(path=f"/tmp/api-tokens-{language}.png", full_page=True)
    assert ApiToken.objects.get(owner=user).scope == "write"

    page.locator("table button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("table .badge")).to_have_count(1)
    assert_accessible(page)
    assert ApiToken.objects.get(owner=user).revoked_at is not None


def test_the_reference_page_runs_under_the_site_s_content_security_policy(site, browser) -> None:
    # Not the new_page fixture: that one bypasses the policy to inject axe-core.
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    elsewhere: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(site.url) else elsewhere.append(request.url))
    try:
        page.goto(f"{site.url}/api/v1/docs/")
        # Swagger UI drew every operation it read from the schema.
        expect(page.locator(".swagger-ui .opblock")).to_have_count(len(OPERATIONS), timeout=20_000)
        expect(page.locator(".swagger-ui").get_by_text("/api/v1/tickets/{reference}/messages/").first).to_be_visible()
        page.screenshot(path="/tmp/api-docs.png", full_page=False)
    finally:
        context.close()
    assert [problem for problem in problems if "Content Security Policy" in problem or "Refused" in problem] == []
    assert problems == []
    assert elsewhere == []
    assert CHROMIUM
