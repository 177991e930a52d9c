"""The public form runs a fixed number of statements per accepted ticket."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import tests.conftest
from comptoir.tickets.models import Ticket
from tests.tickets.test_ticket_form import form_url, valid_data

pytestmark = pytest.mark.django_db

# 1 the sender's IP counted (one upsert), 2 whether the address is one of our mailboxes,
# 3 the captcha's challenge spent, 4 the address counted (one upsert), 5-8 the person looked
# for, created, and their e-mail address looked for and recorded, 9 the ticket, 10 its message,
# 11 its event, 12 the backbone's delivery, 13-14 the new session that carries the reference to
# the confirmation page. Savepoints are not counted. The confirmation e-mail is the worker's.
FORM_STATEMENTS = 14


def test_an_accepted_ticket_costs_a_fixed_number_of_statements(client, monkeypatch):
    monkeypatch.setattr(tests.conftest, "dispatch_ticket", lambda ticket_id: None)

    with CaptureQueriesContext(connection) as captured:
        response = client.post(form_url(), valid_data())

    assert response.status_code == 302
    assert Ticket.objects.count() == 1
    written = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(written) == FORM_STATEMENTS, "\n".join(written)
