"""The Python example of docs/api.md ("Webhooks") verifies a real delivery, and refuses a forged one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from comptoir.webhooks.services import deliveries_send_due

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _example() -> str:
    section = DOCS.read_text(encoding="utf-8").split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


def test_the_documented_receiver_verifies_a_delivery_once(webhook, receiver, make_ticket, capsys):
    ticket = make_ticket()
    deliveries_send_due()
    [request] = receiver.received
    namespace: dict = {}
    exec(_example().replace('"whsec_..."', repr(webhook.secret)), namespace)  # noqa: S102

    event = namespace["handle"](request.body, request.headers)
    assert event["type"] == "ticket.created"
    assert event["data"]["ticket"]["reference"] == ticket.reference
    assert namespace["handle"](request.body, request.headers) is None  # the same webhook-id again

    with pytest.raises(PermissionError):
        namespace["handle"](request.body.replace(b"Export", b"Exp0rt"), request.headers)
