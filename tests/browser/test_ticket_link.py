"""The e-mailed link, /t/#<token>, in a real browser: one click with JavaScript, a pasted link without it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir.tickets.links import link_issue, link_url
from comptoir.tickets.services import ticket_create
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

LOCALES = [("fr", "fr-FR"), ("en", "en-GB")]


def a_ticket(language: str):
    return ticket_create(
        email="noa@example.org", name="Noa", subject="Printer offline", description="It blinks.", language=language
    )


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_the_link_opens_the_ticket_in_one_click_and_the_guest_signs_out(site, new_page, language, locale):
    ticket = a_ticket(language)
    token = link_issue(ticket)
    page = new_page(locale)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(link_url(token))

    page.wait_for_url(re.compile(rf"/{language}/tickets/{ticket.reference}/$"))
    expect(page.get_by_role("heading", name="Printer offline")).to_be_visible()
    # The token reached the server in a POST body only: no address requested holds it, nor does the history.
    assert not [url for url in requests if token in url]
    page.go_back()
    assert token not in page.url
    page.go_forward()
    page.wait_for_url(re.compile(rf"/{language}/tickets/{ticket.reference}/$"))

    expect(page.locator(".sign-out-card")).to_be_visible()
    assert_accessible(page)
    with page.expect_navigation():
        page.locator(".sign-out-card button[type=submit]").click()
    assert page.url == f"{site.url}/{language}/"
    expect(page.locator(".flash")).to_be_visible()
    assert_accessible(page)
    response = page.goto(f"{site.url}/{language}/tickets/{ticket.reference}/")
    assert response is not None and response.status == 404


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_without_javascript_the_pasted_link_opens_the_ticket(site, browser, new_page, language, locale):
    ticket = a_ticket(language)
    link = link_url(link_issue(ticket))
    context = browser.new_context(locale=locale, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(link)
        assert page.url.endswith("/t/#" + link.partition("#")[2])
        page.locator("input[name=link]").fill(link)
        with page.expect_navigation():
            page.locator("form[data-ticket-link] button[type=submit]").click()
        assert page.url == f"{site.url}/{language}/tickets/{ticket.reference}/"
        expect(page.get_by_role("heading", name="Printer offline")).to_be_visible()
    finally:
        context.close()
    # The page the link opens, as people without JavaScript see it, is accessible.
    page = new_page(locale)
    page.goto(f"{site.url}/t/")
    expect(page.locator("input[name=link]")).to_be_visible()
    assert_accessible(page)
