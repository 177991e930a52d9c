"""An agent sees on each inbound e-mail whether its sender was verified, and why not."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.gateway.inbound import ingest
from tests.conftest import TRUSTED_MTA as MTA

pytestmark = pytest.mark.django_db


def message(*, headers: str = "", message_id: str = "<check@example.org>") -> bytes:
    return (
        f"{headers}From: Alice Martin <alice@example.org>\r\nTo: support@comptoir.localhost\r\n"
        f"Subject: Export fails\r\nMessage-ID: {message_id}\r\n\r\nIt still fails.\r\n"
    ).encode()


def page(client, agent, row) -> str:
    client.force_login(agent)
    with translation.override("en"):
        address = reverse("agent_inbound", args=[row.pk])
    response = client.get(address)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_says_a_sender_is_unverified_and_why(client, agent):
    row = ingest(message(), source="test")

    content = page(client, agent, row)

    assert "Unverified sender" in content
    assert "Why not" in content
    assert "no DKIM signature, and no trusted mail server checked the message" in content
    assert "Comptoir, from the message's DKIM signatures" in content


def test_the_page_names_the_mail_server_that_verified_the_sender(client, agent, settings):
    settings.COMPTOIR_TRUSTED_AUTHSERV_IDS = frozenset({MTA})
    results = (
        f"Authentication-Results: {MTA}; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org\r\n"
    )
    row = ingest(message(headers=results), source="stdin")

    content = page(client, agent, row)

    assert "Verified sender" in content
    assert f"the receiving mail server {MTA}" in content
    assert f"{MTA}: DMARC passes for example.org" in content


def test_what_the_message_wrote_into_the_reason_is_escaped(client, agent):
    signature = (
        "DKIM-Signature: v=1; a=rsa-sha256; d=<script>alert(1)</script>.example; s=x; h=from; bh=YQ==; b=YQ==\r\n"
    )
    row = ingest(message(headers=signature, message_id="<escaped@example.org>"), source="test")
    assert "<script>" in row.verification_reason

    content = page(client, agent, row)

    assert "&lt;script&gt;alert(1)&lt;/script&gt;.example" in content
    assert "<script>alert(1)" not in content


def test_a_message_stored_before_sender_checks_says_it_was_not_checked(client, agent):
    row = ingest(message(message_id="<old@example.org>"), source="test")
    type(row).objects.filter(pk=row.pk).update(sender_verified=None, verification_reason="")

    content = page(client, agent, row)

    assert "Not checked" in content
    assert "Why not" not in content
