"""The new-ticket form for a signed-in requester, for an agent, and the rules the page checks files against."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from comptoir.portal.capture import capture_rules
from comptoir.tickets.files import ACCEPT_ATTRIBUTE
from comptoir.tickets.models import Attachment, SenderBlock, Ticket
from tests.conftest import png_upload, solved_captcha

pytestmark = pytest.mark.django_db


def form_url(language: str = "en") -> str:
    with translation.override(language):
        return reverse("ticket_new")


def ticket_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "ticket_type": "incident",
        "subject": "Export to CSV fails",
        "description": "I click Export and nothing happens.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def known(client, requester) -> User:
    """Alice, signed in, her address proven."""
    email_address_record(user=requester, verified=True)
    client.force_login(requester)
    return requester


def test_it_shows_a_known_requester_their_account_and_no_captcha(client, known):
    page = client.get(form_url()).content.decode()
    assert "alice@example.org" in page and "Alice Martin" in page
    assert 'name="email"' not in page
    assert 'name="name"' not in page
    assert "<altcha-widget" not in page
    assert 'name="website"' not in page


def test_it_files_under_the_account_whatever_address_the_post_names(client, known):
    response = client.post(
        form_url(), ticket_data(email="bob@example.org", name="Bob Mistyped", attachments=[png_upload()])
    )
    assert response.status_code == 302
    ticket = Ticket.objects.select_related("requester").get()
    assert ticket.requester == known
    assert ticket.requester.name == "Alice Martin"
    assert not User.objects.filter(email="bob@example.org").exists()
    assert Attachment.objects.get().message.ticket == ticket


def test_it_sends_a_known_requesters_ticket_without_any_captcha(client, known):
    response = client.post(form_url(), ticket_data())
    assert response.status_code == 302
    assert Ticket.objects.get().requester == known


def test_it_still_counts_a_known_requester_against_the_limit_per_address(client, known, settings):
    settings.COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL = 1
    assert client.post(form_url(), ticket_data()).status_code == 302
    assert client.post(form_url(), ticket_data()).status_code == 429
    assert Ticket.objects.count() == 1


def test_it_refuses_a_blocked_account_as_it_refuses_a_blocked_guest(client, known, agent):
    SenderBlock.objects.create(pattern=known.email, created_by=agent)
    response = client.post(form_url(), ticket_data())
    assert response.status_code == 200
    assert "New tickets from this address are not accepted" in response.content.decode()
    assert not Ticket.objects.exists()


def test_it_asks_an_unproven_account_for_the_captcha_and_still_files_under_it(client, requester):
    client.force_login(requester)
    page = client.get(form_url()).content.decode()
    assert "<altcha-widget" in page
    assert 'name="email"' not in page
    refused = client.post(form_url(), ticket_data(email="bob@example.org"))
    assert refused.status_code == 200
    assert refused.context["form"].errors["altcha"][0].startswith("Please tick")
    assert not Ticket.objects.exists()
    sent = client.post(form_url(), ticket_data(email="bob@example.org", altcha=solved_captcha(), website=""))
    assert sent.status_code == 302
    assert Ticket.objects.get().requester == requester


def test_it_keeps_what_a_known_requester_typed_when_a_field_is_wrong(client, known):
    response = client.post(form_url(), ticket_data(subject=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert "I click Export and nothing happens." in page
    assert "alice@example.org" in page
    assert not Ticket.objects.exists()


def test_it_gives_an_agent_the_guest_form_and_points_to_the_workspace(client, agent):
    client.force_login(agent)
    page = client.get(form_url()).content.decode()
    assert 'name="email"' in page and "<altcha-widget" in page
    with translation.override("en"):
        assert f'href="{reverse("agent_ticket_new")}"' in page


def test_it_leaves_a_visitor_the_guest_form(client):
    page = client.get(form_url()).content.decode()
    assert 'name="email"' in page and "<altcha-widget" in page
    assert "notice-agent" not in page
    assert "data-signed-in-as" not in page


# The page checks files before they leave (attachments.js), against the rules the server holds.


def dropzone(page: str) -> str:
    found = re.search(r"<div class=\"dropzone\"[^>]*>", page)
    assert found is not None
    return found.group(0)


def test_it_hands_the_page_the_servers_file_rules(client, settings):
    settings.COMPTOIR_ATTACHMENT_MAX_BYTES = 3 * 1024 * 1024
    settings.COMPTOIR_ATTACHMENT_MAX_FILES = 4
    zone = dropzone(client.get(form_url()).content.decode())
    assert f'data-max-bytes="{3 * 1024 * 1024}"' in zone
    assert 'data-max-files="4"' in zone
    assert "files can be at most 3\u00a0MB each" in zone
    assert "At most 4 files can be attached." in zone
    assert "is not a file type we accept. Accepted types: png, jpeg" in zone
    assert "%(name)s" in zone
    page = client.get(form_url()).content.decode()
    assert f'accept="{ACCEPT_ATTRIBUTE}"' in page


def test_it_hands_the_page_the_recordings_limits(client, settings):
    settings.COMPTOIR_SCREEN_RECORDING_MAX_SECONDS = 120
    settings.COMPTOIR_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    page = client.get(form_url()).content.decode()
    rules = capture_rules()
    assert 'data-max-seconds="120"' in page
    assert f'data-stop-bytes="{rules["stop_bytes"]}"' in page
    assert "Recordings stop after 2\u00a0minutes." in page  # in words (issue 22), the clock keeps "2:00"
    # Two minutes at the bit rate chosen fit the size limit.
    assert int(str(rules["bits_per_second"])) * 120 / 8 < 10 * 1024 * 1024


def test_it_sizes_a_long_recording_within_a_small_limit(settings):
    settings.COMPTOIR_SCREEN_RECORDING_MAX_SECONDS = 300
    settings.COMPTOIR_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    rules = capture_rules()
    assert rules["max_duration"] == "5:00"
    assert int(str(rules["bits_per_second"])) * 300 / 8 <= 0.8 * 20 * 1024 * 1024
