"""JSON log lines (COMPTOIR_LOG_FORMAT=json): request id and ticket on each, never a secret."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from comptoir.core.logging_json import JsonFormatter
from comptoir.gateway.inbound import ingest
from tests.core.test_settings import _manage

pytestmark = pytest.mark.django_db

LINK_TOKEN = "Lk7sQ2vX9pR4mN8bT1cY6wZ3"
BEARER = "api_Zq8Rt5Yw2Xv7Nm4Kp1Lc9Hs6"
SESSION = "sess9f8e7d6c5b4a3f2e1d0c9b8a"


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, object]]]:
    """The lines the console handler of settings.LOGGING writes (JSON in the tests, where DEBUG is off)."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    lines: list[dict[str, object]] = []
    yield lines
    handler.setStream(previous)


def read(lines: list[dict[str, object]], text: str) -> None:
    lines.extend(json.loads(line) for line in text.splitlines())


def written() -> str:
    handler = next(h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter))
    stream = handler.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def test_a_request_s_line_has_its_id_and_none_of_its_secrets(client, log_lines, caplog):
    response = client.get(
        f"/t/{LINK_TOKEN}/",
        HTTP_AUTHORIZATION=f"Bearer {BEARER}",
        HTTP_COOKIE=f"sessionid={SESSION}",
        HTTP_X_REQUEST_ID="chosen-by-the-client",
    )
    assert response.status_code == 404
    # The record itself carries the whole request, secrets included: the formatter must leave it out.
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert BEARER in record.request.headers["Authorization"]  # type: ignore[attr-defined]

    text = written()
    read(log_lines, text)
    (line,) = log_lines
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert line["message"] == "Not Found: /t/***/"
    assert line["status"] == 404 and line["client"] == "127.0.0.1"
    # Not the client's own id: only a trusted proxy's is taken.
    assert line["request_id"] == response["X-Request-ID"] != "chosen-by-the-client"
    assert re.fullmatch(r"[0-9a-f]{32}", str(line["request_id"]))
    for secret in (LINK_TOKEN, BEARER, SESSION):
        assert secret not in text


def test_a_wrong_metrics_token_is_not_logged(client, settings, log_lines):
    settings.COMPTOIR_METRICS_TOKEN = "the-right-one"
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {BEARER}").status_code == 401
    text = written()
    assert "Unauthorized: /metrics" in text and BEARER not in text


def test_a_ticket_page_s_lines_name_the_ticket(client, make_ticket, log_lines):
    ticket = make_ticket()
    assert client.get(f"/en/tickets/{ticket.reference}/").status_code == 404  # no access: not even "it exists"
    read(log_lines, written())
    assert [line.get("ticket") for line in log_lines] == [ticket.reference]


def test_a_trusted_proxy_s_request_id_is_kept_and_echoed(client, settings, log_lines):
    settings.COMPTOIR_TRUSTED_PROXIES = ["10.0.0.0/8"]
    response = client.get(
        "/nowhere/", REMOTE_ADDR="10.0.0.1", HTTP_X_REQUEST_ID="edge-4f2a9c", HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert response["X-Request-ID"] == "edge-4f2a9c"
    read(log_lines, written())
    assert [(line["request_id"], line["client"]) for line in log_lines] == [("edge-4f2a9c", "198.51.100.4")]

    # One that could forge a log line is replaced, even from a trusted proxy.
    response = client.get("/healthz", REMOTE_ADDR="10.0.0.1", HTTP_X_REQUEST_ID="a\nb")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_the_formatter_scrubs_whatever_logger_writes(log_lines):
    logger = logging.getLogger("comptoir.somewhere")
    logger.warning("Opening /t/%s/ for %s", LINK_TOKEN, "alice")
    logger.warning("Headers: {'Authorization': 'Bearer %s', 'Cookie': 'sessionid=%s'}", BEARER, SESSION)
    try:
        raise ValueError(f"bad link /surveys/{LINK_TOKEN}/")
    except ValueError:
        logger.exception("Survey failed")
    text = written()
    read(log_lines, text)
    assert log_lines[0]["message"] == "Opening /t/***/ for alice"
    assert "ValueError: bad link /surveys/***/" in str(log_lines[2]["exception"])
    assert "request_id" not in log_lines[0]  # outside a request
    for secret in (LINK_TOKEN, BEARER, SESSION):
        assert secret not in text


def test_an_e_mail_s_body_is_never_logged(log_lines):
    body = "My account number is 4711-SECRET-BODY"
    raw = (
        "From: support@comptoir.localhost\r\nTo: support@comptoir.localhost\r\nSubject: Loop\r\n"
        f"Message-ID: <loop@example.org>\r\n\r\n{body}\r\n"
    ).encode()
    ingest(raw, source="pipe")
    logging.getLogger("comptoir.gateway").info("ingested", extra={"body": body, "raw": raw})
    text = written()
    assert "ingested" in text and "4711-SECRET-BODY" not in text


def test_text_logs_can_be_chosen_and_a_bad_format_is_refused():
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "COMPTOIR_ENV_FILE": ""}
    show = "from django.conf import settings; print(settings.LOGGING['handlers']['console'].get('formatter'))"
    assert _manage("shell", "--no-imports", "-c", show, **production).stdout.strip() == "json"
    assert (
        _manage("shell", "--no-imports", "-c", show, COMPTOIR_LOG_FORMAT="text", **production).stdout.strip() == "None"
    )
    refused = _manage("check", COMPTOIR_LOG_FORMAT="xml", **production)
    assert refused.returncode != 0 and "COMPTOIR_LOG_FORMAT" in refused.stderr
