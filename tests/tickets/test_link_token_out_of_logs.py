"""The secret link's token stays out of what servers log: it travels after "#" and comes back in a POST."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.mail.models import OutboundEmail
from comptoir.mail.outbound import email_deliver
from comptoir.portal.log_filters import REQUEST_LOGGERS
from comptoir.tickets.links import link_issue, link_url
from comptoir.tickets.models import Ticket
from tests.conftest import solved_captcha

pytestmark = pytest.mark.django_db


def ticket_address(ticket: Ticket) -> str:
    with translation.override(ticket.language):
        return reverse("ticket_detail", args=[ticket.reference])


def test_the_emailed_link_carries_its_token_only_after_the_hash(client, mailoutbox, settings):
    settings.COMPTOIR_BASE_URL = "http://testserver"
    data = {"email": "a@example.org", "name": "A", "ticket_type": "question", "subject": "S", "description": "D"}
    client.post(reverse("ticket_new"), {**data, "altcha": solved_captcha()})
    email_deliver(OutboundEmail.objects.get().pk)

    (link,) = set(re.findall(r"http://testserver/t/\S*", mailoutbox[0].body))
    path, hash_mark, token = link.removeprefix("http://testserver").partition("#")
    # What a browser requests, and a server or proxy logs, is the path alone.
    assert (path, hash_mark) == ("/t/", "#")
    assert len(token) >= 40
    page = client.get(path)
    assert page.status_code == 200
    assert token not in page.content.decode()
    assert page.headers["Cache-Control"] == "no-store"

    # The page's script posts the token; the ticket opens at an address without it.
    opened = client.post(path, {"link": token})
    ticket = Ticket.objects.get()
    assert opened.status_code == 302
    assert opened.headers["Location"] == ticket_address(ticket)
    assert client.get(opened.headers["Location"]).status_code == 200


def test_the_link_page_opens_a_ticket_only_through_a_csrf_protected_post(make_ticket):
    ticket = make_ticket()
    token = link_issue(ticket)
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(reverse("ticket_link"), {"link": token}).status_code == 403
    assert browser.get(ticket_address(ticket)).status_code == 404
    browser.get(reverse("ticket_link"))
    csrf = browser.cookies["csrftoken"].value
    opened = browser.post(reverse("ticket_link"), {"link": token, "csrfmiddlewaretoken": csrf})
    assert opened.status_code == 302
    assert browser.get(ticket_address(ticket)).status_code == 200


@pytest.mark.parametrize("pasted", ["new link", "older link", "token alone"])
def test_a_link_pasted_by_hand_opens_the_ticket_without_javascript(client, make_ticket, pasted):
    ticket = make_ticket()
    token = link_issue(ticket)
    form = client.get(reverse("ticket_link")).content.decode()
    assert 'name="link"' in form
    text = {
        "new link": f"  {link_url(token)} ",
        "older link": f"http://127.0.0.1:8000/t/{token}/",
        "token alone": token,
    }[pasted]

    response = client.post(reverse("ticket_link"), {"link": text})

    assert response.status_code == 302
    assert client.get(ticket_address(ticket)).status_code == 200


def test_a_wrong_or_empty_link_opens_nothing(client, make_ticket):
    make_ticket()
    wrong = client.post(reverse("ticket_link"), {"link": "http://testserver/t/#" + "x" * 43}, HTTP_ACCEPT_LANGUAGE="en")
    empty = client.post(reverse("ticket_link"), {"link": ""})

    assert wrong.status_code == 404
    assert "This link no longer works" in wrong.content.decode()
    assert empty.status_code == 400
    assert 'name="link"' in empty.content.decode()


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def request_logs():
    kept = Kept()
    loggers = [logging.getLogger(name) for name in REQUEST_LOGGERS]
    for logger in loggers:
        logger.addHandler(kept)
    yield kept
    for logger in loggers:
        logger.removeHandler(kept)


def test_request_logs_never_show_the_token_of_a_link_emailed_before(client, make_ticket, request_logs):
    expired = "x" * 43
    # Django logs a 404 with its path.
    assert client.get(reverse("ticket_link_redeem", args=[expired])).status_code == 404
    # What gunicorn's access log and runserver write for a link that worked.
    token = link_issue(make_ticket())
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s "%(f)s"', {"h": "192.0.2.1", "r": f"GET /t/{token}/ HTTP/1.1", "s": "302", "f": "-"}
    )
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /t/{token}/ HTTP/1.1", "302", "0")

    logged = "\n".join(request_logs.lines)
    assert expired not in logged and token not in logged
    assert "Not Found: /t/***/" in logged
    assert '192.0.2.1 "GET /t/***/ HTTP/1.1" 302 "-"' in logged
    assert '"GET /t/***/ HTTP/1.1" 302 0' in logged


def test_request_logs_never_show_the_token_of_a_survey_link(request_logs):
    token = "s" * 43
    logging.getLogger("gunicorn.access").info('"%(r)s"', {"r": f"GET /fr/surveys/{token}/?rating=5 HTTP/1.1"})

    assert request_logs.lines == ['"GET /fr/surveys/***/?rating=5 HTTP/1.1"']


def test_a_survey_post_refused_for_its_csrf_token_logs_no_token(request_logs, db):
    token = "c" * 43
    browser = Client(enforce_csrf_checks=True)
    with translation.override("fr"):
        address = reverse("survey", args=[token])
    assert browser.post(address, {"rating": "5"}).status_code == 403

    logged = "\n".join(request_logs.lines)
    assert "Forbidden (CSRF cookie not set.): /fr/surveys/***/" in logged
    assert token not in logged


def test_request_logs_keep_other_paths_whole(request_logs):
    logging.getLogger("gunicorn.access").info('"%(r)s"', {"r": "GET /fr/tickets/1042/ HTTP/1.1"})
    logging.getLogger("gunicorn.access").info('"%(r)s"', {"r": "POST /t/ HTTP/1.1"})

    assert request_logs.lines == ['"GET /fr/tickets/1042/ HTTP/1.1"', '"POST /t/ HTTP/1.1"']
