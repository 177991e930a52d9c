"""Two agents on one ticket: each is warned that the other is viewing or replying."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/agent/"))


def test_agents_see_each_other_on_the_same_ticket(site, new_page, make_ticket):
    ticket = make_ticket()
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    User.objects.create_user("sam@example.com", password="pw-sam", name="Sam", role=Role.AGENT)
    camille, sam = new_page("en-GB"), new_page("en-GB")
    log_in(camille, site.url, "camille@example.com", "pw-camille")
    log_in(sam, site.url, "sam@example.com", "pw-sam")
    url = f"{site.url}/en/agent/tickets/{ticket.reference}/"

    camille.goto(url)
    expect(camille.locator("#presence")).to_be_empty()
    sam.goto(url)
    expect(sam.locator("#presence")).to_contain_text("Camille is viewing this ticket.")
    assert_accessible(sam)

    # Typing is reported at once, not at the next periodic check-in.
    with sam.expect_response(lambda response: response.url.endswith("/presence/")) as check_in:
        sam.locator("textarea[name=body]").fill("Hello")
    assert check_in.value.ok
    camille.reload()
    expect(camille.locator("#presence")).to_contain_text("Sam is replying to this ticket.")
