"""The filter by a ticket field's value (issue 20's fields in the reports), on the hand-built week of conftest.py.

The rollups hold no field: with a field filter the figures are counted from the tickets' events and facts
in the database. A filter every ticket passes must therefore give what the rollups give.
"""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from django.utils import translation

from comptoir.reports.selectors import Filters, agents, satisfaction_by_group, speed, volume
from comptoir.ticketforms.models import TicketField
from comptoir.ticketforms.services import ticket_values_record
from tests.reports.conftest import WEEK, Week

# Monday 8 to Sunday 14 June, as conftest.py builds it (T1 to T4).
WEEK_ADDRESS = {"period": "custom", "from": "2026-06-08", "to": "2026-06-14"}


def test_a_filter_every_ticket_passes_counts_as_the_rollups_do(week: Week, vip: TicketField):
    # No ticket is ticked VIP: "not ticked" holds all four, so the figures read from the events must
    # be those of the rollups, day by day (created, solved, reopened, into and out of the backlog).
    everyone = Filters(field=vip.pk, field_value="no")
    rolled, counted = volume(WEEK, Filters()), volume(WEEK, everyone)
    compared = ("created", "solved", "reopened", "entered", "left", "offered", "rated", "good")
    assert [[day.counts[name] for name in compared] for day in counted.days] == [
        [day.counts[name] for name in compared] for day in rolled.days
    ]
    assert [day.backlog for day in counted.days] == [day.backlog for day in rolled.days]
    assert counted.totals == rolled.totals
    assert counted.totals["created"] == 4  # the week is not empty: the comparison means something
    assert counted.totals["solved"] == 3  # T1 once, T2 twice
    assert speed(WEEK, everyone) == speed(WEEK, Filters())
    assert [(line.agent_id, line.solved, line.rated, line.good) for line in agents(WEEK, everyone)] == [
        (week.agent.pk, 2, 1, 1)  # T1 and T2, each counted once (their last resolution); T1 rated 5 at last
    ]
    ticked = Filters(field=vip.pk, field_value="yes")
    assert volume(WEEK, ticked).totals["created"] == 0


def test_a_drop_down_value_narrows_every_figure_to_its_tickets(week: Week, product: TicketField):
    ticket_values_record(ticket=week.one_touch, values={product: "Printer"})
    ticket_values_record(ticket=week.reopened, values={product: "scanner"})
    printer = Filters(field=product.pk, field_value="printer")

    figures = volume(WEEK, printer)
    # T1 alone: created Monday, solved Monday (in the backlog until then), rated 5 on Tuesday.
    assert figures.totals["created"] == 1
    assert figures.totals["solved"] == 1
    assert figures.totals["reopened"] == 0
    assert [day.backlog for day in figures.days] == [0, 0, 0, 0, 0, 0, 0]
    assert (figures.totals["rated"], figures.totals["good"]) == (1, 1)
    this_week, _before = speed(WEEK, printer)
    assert (this_week.solved, this_week.one_touch) == (1, 1)
    [group] = satisfaction_by_group(WEEK, printer)
    assert (group.group_id, group.offered, group.rated, group.good) == (week.billing.pk, 1, 1, 1)

    scanner = volume(WEEK, Filters(field=product.pk, field_value="scanner"))
    # T2: solved twice, reopened once, still counted in the backlog between.
    assert (scanner.totals["created"], scanner.totals["solved"], scanner.totals["reopened"]) == (1, 2, 1)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_page_offers_the_fields_and_links_to_the_search_with_the_value(
    client, lead, week: Week, product: TicketField, vip: TicketField
):
    ticket_values_record(ticket=week.one_touch, values={product: "Printer", vip: True})
    client.force_login(lead)
    with translation.override("en"):
        url = reverse("agent_reports")
    page = client.get(url, {**WEEK_ADDRESS, "field": f"{product.pk}:printer"}).content.decode()
    assert f'<option value="{product.pk}:printer" selected>Product: Printer</option>' in page
    assert f'<option value="{vip.pk}:yes">VIP: Ticked</option>' in page
    assert "field%3Aproduct%3Dprinter" in page  # the created count links to field:product=printer

    volume_rows = _csv(client.get(url, {**WEEK_ADDRESS, "field": f"{vip.pk}:yes", "csv": "volume"}))
    assert sum(int(row[1]) for row in volume_rows[1:]) == 1
    # A value the field does not offer, or an unknown field, is no filter.
    for unknown in (f"{product.pk}:fax", "999:yes", "x"):
        volume_rows = _csv(client.get(url, {**WEEK_ADDRESS, "field": unknown, "csv": "volume"}))
        assert sum(int(row[1]) for row in volume_rows[1:]) == 4
