"""The error tracker's scrubber: no e-mail address, link token or credential leaves in an event."""

from __future__ import annotations

import json

import sentry_sdk
from sentry_sdk.transport import Transport

from comptoir.core.sentry import scrub_event, sentry_start


def test_it_scrubs_addresses_tokens_and_credentials_wherever_they_sit():
    event = {
        "message": "Reply from alice.martin+work@example.org to ticket 1042",
        "user": {"email": "alice@example.org", "ip_address": "198.51.100.4"},
        "exception": {"values": [{"type": "ValueError", "value": "bad link /t/Lk7sQ2vX9pR4mN8b/ for bob@example.com"}]},
        "request": {
            "url": "https://help.example.com/surveys/Sv3yT0k3nAbCdEf/",
            "headers": {"Authorization": "Bearer api_Zq8Rt5Yw2Xv7", "Cookie": "sessionid=abc", "Accept": "text/html"},
        },
        "breadcrumbs": {"values": [{"message": "SELECT ... WHERE email = 'carol@example.net'"}]},
        "extra": {"body_text": "My account number is 4711", "attempts": 3},
    }

    cleaned = scrub_event(event, {})
    text = json.dumps(cleaned)

    for secret in ("alice", "bob@", "carol@", "Lk7sQ2vX9pR4mN8b", "Sv3yT0k3nAbCdEf", "api_Zq8Rt5Yw2Xv7", "abc", "4711"):
        assert secret not in text
    assert "user" not in cleaned
    assert cleaned["message"] == "Reply from [email] to ticket 1042"
    assert cleaned["request"]["headers"]["Accept"] == "text/html"
    assert cleaned["request"]["headers"]["Authorization"] == "[scrubbed]"
    assert cleaned["extra"]["attempts"] == 3


class Captured(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[str] = []

    def capture_envelope(self, envelope) -> None:  # type: ignore[no-untyped-def]
        self.envelopes.append(envelope.serialize().decode())


def test_sentry_sends_scrubbed_events_and_no_personal_data():
    transport = Captured()
    sentry_start("https://public@sentry.invalid/1", transport=transport, default_integrations=False)
    assert sentry_sdk.get_client().options["send_default_pii"] is not True
    try:
        try:
            raise RuntimeError("could not send to dana@example.org")
        except RuntimeError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init()  # no DSN: the SDK sends nothing more in this process
    (sent,) = transport.envelopes
    assert "RuntimeError" in sent and "dana@example.org" not in sent and "[email]" in sent
