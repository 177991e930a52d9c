"""The e-mail quarantine in a real browser, in French and English: inspect, then add to the ticket."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.gateway.inbound import ingest
from comptoir.mail.models import InboundStatus
from comptoir.tickets.models import TicketCC
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.mail.test_ingest import raw_message
from tests.workspace.test_inbound_email_page import html_email_with_inline_image

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_agent_inspects_a_stranger_message_and_adds_it_to_the_ticket(site, new_page, make_ticket, language):
    User.objects.create_user("camille@example.com", password="pw-camille", name="Camille", role=Role.AGENT)
    ticket = make_ticket(subject="Export broken", language=language)
    stranger = raw_message(
        sender="Dana Colleague <dana@example.org>",
        subject=f"Re: [#{ticket.reference}] Export broken <script>alert(1)</script>",
        body=b"I see the same problem on my side.\r\n",
        message_id="<dana-1@example.org>",
    )
    row = ingest(stranger, source="test")
    assert row.status == InboundStatus.QUARANTINED
    ingest(html_email_with_inline_image(), source="test")  # a processed one, with a formatted version

    page = new_page("fr-FR" if language == "fr" else "en-GB")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, site.url, "camille@example.com", "pw-camille", language)
    page.goto(f"{site.url}/{language}/agent/")
    page.locator(f"a[href='/{language}/agent/mail/quarantine/']").click()
    expect(page.locator(".ticket-table tbody tr")).to_have_count(1)
    assert_accessible(page)

    page.locator(".ticket-table tbody a").first.click()
    expect(page.locator(".quarantine-card")).to_contain_text("dana@example.org")
    expect(page.locator("pre.email-text")).to_contain_text("I see the same problem")
    assert_accessible(page)

    page.locator("button[name=action][value=accept]").click()
    page.wait_for_url(re.compile(rf"/{language}/agent/tickets/{ticket.reference}/$"))
    expect(page.locator(".conversation")).to_contain_text("I see the same problem on my side.")
    expect(page.locator(".flash")).to_be_visible()
    assert TicketCC.objects.filter(ticket=ticket, email="dana@example.org").exists()
    assert_accessible(page)

    page.locator(".conversation a.small").last.click()  # "Original e-mail"
    expect(page.locator("h2#headers-title")).to_be_visible()
    assert_accessible(page)
    assert dialogs == []
