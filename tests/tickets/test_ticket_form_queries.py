"""The public form runs a fixed number of statements per accepted ticket, in one write transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import tests.conftest
from comptoir.tickets.models import Ticket
from tests.tickets.test_ticket_form import form_url, valid_data

# 1 the sender's IP counted (one upsert), 2 whether the address is one of our mailboxes,
# 3 whether it is blocked (comptoir.tickets.blocks), 4 the captcha's challenge spent (one
# INSERT ... ON CONFLICT DO NOTHING: a replay inserts nothing, no savepoint needed), 5 the
# address counted (one upsert), 6-9 the person looked for, created, and their e-mail address
# looked for and recorded, 10 the ticket, 11 its message, 12 its event, 13 the backbone's
# delivery, 14 the ticket forms offered (comptoir.ticketforms: none here, so the usual form).
# Savepoints are not counted. No session: the confirmation page reads a signed
# cookie (comptoir/portal/receipt.py). The confirmation e-mail is the worker's.
FORM_STATEMENTS = 14
# Savepoints, each a SAVEPOINT and a RELEASE: the view's transaction (a savepoint here only
# because the test runs in one), ticket_create, person_save_new and the address's get_or_create.
# None for the ticket fields when the form asks none (the usual form).
FORM_SAVEPOINTS = 4

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.mark.django_db
def test_an_accepted_ticket_costs_a_fixed_number_of_statements(client, monkeypatch):
    monkeypatch.setattr(tests.conftest, "dispatch_ticket", lambda ticket_id: None)

    with CaptureQueriesContext(connection) as captured:
        response = client.post(form_url(), valid_data())

    assert response.status_code == 302
    assert Ticket.objects.count() == 1
    written = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(written) == FORM_STATEMENTS, "\n".join(written)
    savepoints = [q["sql"] for q in captured.captured_queries if q["sql"].upper().startswith("SAVEPOINT")]
    assert len(savepoints) == FORM_SAVEPOINTS, "\n".join(q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_an_accepted_ticket_is_written_in_one_transaction(client, monkeypatch):
    """Every write inside one atomic block, committed once: none in autocommit, none after."""
    monkeypatch.setattr(tests.conftest, "dispatch_ticket", lambda ticket_id: None)
    commits: list[int] = []
    writes_outside: list[str] = []
    commit = connection.commit

    def counted_commit() -> None:
        commits.append(1)
        commit()

    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(WRITES) and not connection.in_atomic_block:
            writes_outside.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(connection, "commit", counted_commit)
    with connection.execute_wrapper(watch):
        response = client.post(form_url(), valid_data())

    assert response.status_code == 302
    assert Ticket.objects.count() == 1
    assert writes_outside == []
    assert len(commits) == 1
