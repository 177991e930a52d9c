"""The webhook settings in a real browser, in French and English: an administrator's round, axe-clean."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from comptoir.accounts.models import Role, User
from comptoir.tickets.services import ticket_create
from comptoir.webhooks.models import Webhook, WebhookDelivery
from tests.browser.conftest import assert_accessible
from tests.browser.test_conversation import log_in
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_subscribes_a_webhook_and_reads_its_deliveries(site, new_page, settings, language):
    receiver = Receiver()
    receiver.start()
    try:
        User.objects.create_user("ada@example.com", password="pw-ada", name="Ada", role=Role.ADMIN)
        page = new_page("fr-FR" if language == "fr" else "en-GB")
        log_in(page, site.url, "ada@example.com", "pw-ada", language)
        page.goto(f"{site.url}/{language}/agent/settings/webhooks/")
        assert_accessible(page)

        page.goto(f"{site.url}/{language}/agent/settings/webhooks/new/")
        assert_accessible(page)
        page.locator("#id_url").fill(receiver.url)  # loopback, refused while the setting is empty
        page.locator("input[value='ticket.created']").check()
        page.locator("#webhook-form button[type=submit]").click()
        expect(page.locator("#webhook-form .has-error")).to_be_visible()
        assert_accessible(page)
        assert not Webhook.objects.exists()

        settings.COMPTOIR_WEBHOOK_ALLOWED_ADDRESSES = ["127.0.0.1"]
        page.locator("#webhook-form button[type=submit]").click()
        expect(page.locator("#webhook-secret")).to_be_visible()
        assert page.locator("#webhook-secret").input_value() == Webhook.objects.get().secret
        assert_accessible(page)

        ticket_create(
            email="alice@example.org", subject="Printer on fire", name="Alice", description="Smoke.", language=language
        )
        deadline = time.monotonic() + 20
        while not WebhookDelivery.objects.filter(state="delivered").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(receiver.received) == 1
        page.reload()
        expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once
        page.locator("a.mono", has_text="ticket.created").click()
        expect(page.locator("pre.email-raw").last).to_contain_text("Printer on fire")
        assert_accessible(page)
    finally:
        receiver.stop()
