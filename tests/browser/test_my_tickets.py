"""A requester with an account follows their tickets in "My tickets", in French and in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Status
from comptoir.tickets.services import ticket_create, ticket_set_status
from tests.browser.conftest import assert_accessible
from tests.conftest import png_bytes

pytestmark = pytest.mark.browser

PASSWORD = "a-long-Passw0rd!"


def requester_with_tickets(language: str) -> None:
    user = User.objects.create_user("mia@example.org", password=PASSWORD, name="Mia Rossi", language=language)
    email_address_record(user=user, verified=True)
    for subject, description, status in (
        ("Export fails", "The CSV button does nothing.", Status.NEW),
        ("Invoice for March", "I cannot find my invoice.", Status.PENDING),
        ("Password reset mail", "It never arrived.", Status.SOLVED),
    ):
        ticket = ticket_create(
            email=user.email, name=user.name, subject=subject, description=description, language=language
        )
        if status != Status.NEW:
            ticket_set_status(ticket, status, actor=None)
    ticket_create(email="other@example.org", name="Other", subject="Not mine", description="Hidden", language=language)


def subjects(page) -> list[str]:
    return sorted(page.locator(".my-tickets-table .subject-cell a").all_inner_texts())


def submit_filters(page) -> None:
    with page.expect_navigation():
        page.locator(".my-tickets-filters button[type=submit]").click()


@pytest.mark.parametrize(("language", "locale"), [("fr", "fr-FR"), ("en", "en-GB")])
def test_it_signs_in_lists_filters_searches_and_replies(site, new_page, language, locale, tmp_path):
    requester_with_tickets(language)
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(png_bytes(32, 24))
    page = new_page(locale)

    # My tickets needs an account: the login page comes first, then back here.
    page.goto(f"{site.url}/{language}/my/tickets/")
    assert "/accounts/login/" in page.url
    page.locator("input[name=login]").fill("mia@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(rf"/{language}/my/tickets/$"))
    # Open ones first: the solved ticket and other people's wait elsewhere.
    assert subjects(page) == ["Export fails", "Invoice for March"]
    expect(page.locator(f"header a[href='/{language}/my/tickets/']")).to_be_visible()
    assert_accessible(page)

    page.locator("#my-tickets-status").select_option("done")
    submit_filters(page)
    assert subjects(page) == ["Password reset mail"]
    with page.expect_navigation():
        page.locator(".status-tabs a[href*='status=all']").click()
    assert subjects(page) == ["Export fails", "Invoice for March", "Password reset mail"]
    assert_accessible(page)

    page.locator("#my-tickets-q").fill("invoice")
    submit_filters(page)
    assert subjects(page) == ["Invoice for March"]
    assert_accessible(page)

    # The badge explains itself on the statuses page.
    with page.expect_navigation():
        page.locator(".my-tickets-table .status-cell a.badge").click()
    assert page.url.endswith(f"/{language}/statuses/#status-pending")
    expect(page.locator("#status-pending")).to_be_visible()
    assert_accessible(page)
    page.go_back()

    with page.expect_navigation():
        page.get_by_role("link", name="Invoice for March").click()
    assert re.search(rf"/{language}/tickets/\d+/$", page.url), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice for March")
    # Signed in: no offer to create the account they already have.
    expect(page.locator(".account-card")).to_have_count(0)
    assert_accessible(page)
    page.locator("textarea[name=body]").fill("Here is a screenshot of the billing page.")
    page.locator("input[name=attachments]").set_input_files(str(shot))
    page.locator("form[action$='/reply/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"#message-\d+$"))
    assert "Here is a screenshot of the billing page." in page.locator(".conversation").inner_text()
    expect(page.get_by_role("link", name=re.compile("screenshot.png"))).to_be_visible()
    # The reply brought the pending ticket back to the agents.
    expect(page.locator(".status-box a.badge")).to_have_attribute("href", f"/{language}/statuses/#status-open")


@pytest.mark.parametrize(("language", "locale"), [("fr", "fr-FR"), ("en", "en-GB")])
def test_it_lets_a_guest_solve_rate_and_ask_for_an_account_from_the_ticket_page(site, new_page, language, locale):
    ticket = ticket_create(
        email="noa@example.org", name="Noa", subject="Printer offline", description="It blinks.", language=language
    )
    page = new_page(locale)
    page.goto(f"{site.url}/t/{link_issue(ticket)}/")
    page.wait_for_url(re.compile(rf"/{language}/tickets/{ticket.reference}/$"))
    expect(page.locator(".account-card")).to_be_visible()
    assert_accessible(page)

    with page.expect_navigation():
        page.locator("form[action$='/solved/'] button[type=submit]").click()
    expect(page.locator(".status-box a.badge")).to_have_attribute("href", f"/{language}/statuses/#status-solved")
    expect(page.locator(".ticket-survey")).to_be_visible()
    assert_accessible(page)
    page.locator(".ticket-survey input[name=rating][value='5']").check()
    with page.expect_navigation():
        page.locator(".ticket-survey button[type=submit]").click()
    expect(page.locator(".ticket-survey")).to_have_count(0)
    expect(page.locator(".flash")).to_be_visible()

    with page.expect_navigation():
        page.locator("form[action$='/account/'] button[type=submit]").click()
    expect(page.locator("[role=status]").first).to_contain_text("n•••@example.org")
    assert_accessible(page)
