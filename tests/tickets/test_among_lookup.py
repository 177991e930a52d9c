"""status__among writes its fixed values into the SQL, so that SQLite can use the views' partial indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from comptoir.tickets.models import Status, Ticket
from comptoir.tickets.statuses import ACTIVE_STATUSES

pytestmark = pytest.mark.django_db


def test_it_filters_as_in_does(make_ticket, agent):
    from comptoir.tickets.services import ticket_update_by_agent

    waiting = make_ticket()
    solved = make_ticket()
    ticket_update_by_agent(solved, agent=agent, body="Done.", status=Status.SOLVED)

    assert list(Ticket.objects.filter(status__among=ACTIVE_STATUSES)) == [waiting]
    assert list(Ticket.objects.filter(status__among=(Status.SOLVED,))) == [solved]


def test_it_writes_the_values_into_the_sql_as_the_partial_index_does():
    sql, params = Ticket.objects.filter(status__among=ACTIVE_STATUSES).query.sql_with_params()

    assert "\"status\" IN ('new', 'open', 'pending', 'on_hold')" in sql
    assert params == ()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the planner question is SQLite's")
def test_sqlite_reads_the_unassigned_view_from_its_partial_index(agent):
    from comptoir.workspace.selectors import ticket_rows

    sql, params = ticket_rows("unassigned", agent, {}).order_by("-updated_at", "-id")[:26].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())

    # One of the partial indexes on active tickets, which only a literal IN lets SQLite use.
    assert "ticket_unassigned_updated" in plan or "ticket_assigned_updated" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan.split("CORRELATED")[0], plan


@pytest.mark.parametrize("values", [("new'); DROP TABLE x; --",), (), ("Open",)])
def test_it_refuses_anything_but_a_few_plain_choices(values):
    with pytest.raises(ValueError, match="among takes a few fixed choices"):
        list(Ticket.objects.filter(status__among=values))
