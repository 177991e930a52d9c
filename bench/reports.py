"""How fast the reports page answers for a quarter, filtered and not, beside a plain GROUP BY over the raw tables.

    .venv/bin/python bench/reports.py [--tickets L|S|<n>] [--database-url URL] [--repeat 30]
                                      [--reuse [--prepare]] [--keep]

The database ``--database-url`` names (PostgreSQL, or a SQLite file; its name must
contain ``bench``) is dropped, made again, migrated and filled by
``bench/dataset.py`` (``--tickets``, 1,000,000 by default), then the report
tables are built from the tickets' events by ``reports_rebuild`` (timed: the
dataset writes rows straight into the tables, so no subscriber saw them).
``--reuse`` measures a database a former run kept (``--keep``) as it is;
with ``--prepare``, a copy of a ``bench/dataset.py`` help desk is first given
what this run would have added (the service level clocks, unless it has some,
and the report tables and the daily service level attainment by ``reports_rebuild``,
timed), then analysed.

Each case is a real request through Django's test client, signed in as an
administrator, DEBUG off, the template rendered: the reports page for the last
whole quarter,

- unfiltered, per day and per week;
- filtered by group and priority (the dataset's billing group, high priority);
- filtered by the agent with the most tickets.

Beside each, in the same rounds, the baseline: what a help desk without rollups
runs for the same quarter and filters, a plain GROUP BY per day over the raw
tables (tickets created from ``tickets_ticket``; resolutions from
``tickets_ticketevent`` joined to their ticket), every row fetched. The page
shows far more than the baseline computes (percentiles, the backlog, service
levels, satisfaction, agents); the baseline says what the cheapest honest
answer to "how many came in and were solved" costs on this data.

Printed: queries per page, median and p95 milliseconds of each, the ratio, and
the p95 held against the issue's target (300 ms). The dataset has no surveys or
tags: those sections read empty (their queries still run). It has no service level
clocks either: on PostgreSQL two per ticket are added (``SLA_CLOCKS``), so that the
attainment and the latest breaches read a quarter's worth of them.
"""

from __future__ import annotations

# The baseline's SQL formats in only column names of this file; every value is a parameter.
# ruff: noqa: S608
import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_reports"
TARGET_P95_MS = 300.0
BILLING = "Facturation / Billing"


@dataclass
class Case:
    name: str
    address: str
    baseline: Callable[[], int]
    queries: int = 0
    page: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from dataset import size_from_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tickets", type=size_from_text, default=size_from_text("L"), help="S, L or a number")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=30, help="rounds (30)")
    parser.add_argument("--reuse", action="store_true", help="measure the kept database as it is")
    parser.add_argument("--keep", action="store_true", help="keep the database for a later --reuse")
    parser.add_argument(
        "--prepare", action="store_true", help="with --reuse: add the clocks and rebuild the report tables first"
    )
    return parser.parse_args(argv)


def baseline(first: Any, last: Any, where: dict[str, object]) -> Callable[[], int]:
    """Created and solved per day in the team's time zone, straight from the tickets and their events."""
    from django.conf import settings
    from django.db import connection

    from comptoir.reports.periods import Period

    period = Period(first, last)
    starts, ends = period.starts_at(), period.ends_before()
    conditions = "".join(f" AND t.{column} = %s" for column in where)
    values = list(where.values())
    # SQLite keeps UTC text: the offset of the zone at the range's start is near enough for a baseline.
    day = "(({column}) AT TIME ZONE %s)::date" if connection.vendor == "postgresql" else "date({column}, %s)"
    zone: object = settings.TIME_ZONE
    if connection.vendor != "postgresql":
        offset = starts.utcoffset()
        zone = f"{int(offset.total_seconds() // 3600):+d} hours" if offset else "+0 hours"
    created = (
        f"SELECT {day.format(column='t.created_at')} AS day, COUNT(*) FROM tickets_ticket t "
        f"WHERE t.created_at >= %s AND t.created_at < %s{conditions} GROUP BY 1 ORDER BY 1"
    )
    solved = (
        f"SELECT {day.format(column='e.created_at')} AS day, COUNT(*) FROM tickets_ticketevent e "
        "JOIN tickets_ticket t ON t.id = e.ticket_id "
        f"WHERE e.kind = 'status' AND e.new_value = 'solved' AND e.created_at >= %s AND e.created_at < %s{conditions} "
        "GROUP BY 1 ORDER BY 1"
    )

    def run() -> int:
        fetched = 0
        with connection.cursor() as cursor:
            for sql in (created, solved):
                cursor.execute(sql, [zone, starts, ends, *values])
                fetched += len(cursor.fetchall())
        return fetched

    return run


# Two service level clocks per ticket (first reply due in 8 hours, resolution in 3 days), met or missed
# by a fixed spread of outcomes, so that the attainment and breach queries read a quarter's worth of
# clocks (the dataset writes none). PostgreSQL only; one INSERT ... SELECT.
SLA_CLOCKS = """
WITH policy AS (
    INSERT INTO sla_slapolicy (name, position, is_active, priority, ticket_type, channel, tag, pause_on_hold,
                               warn_minutes, field_conditions)
    VALUES ('Bench standard', 0, true, '', '', '', '', true, 30, '[]') RETURNING id
)
INSERT INTO sla_ticketsla (ticket_id, policy_id, metric, cycle, started_at, due_at, warn_at, achieved_at, warned_at,
                           breached_at, paused_since, paused_total, stopped_at)
SELECT t.id, policy.id, m.metric, 0, t.created_at, t.created_at + m.target, t.created_at + m.target - interval '30 min',
       CASE WHEN t.status IN ('solved', 'closed') THEN t.created_at + m.target * (0.2 + 1.1 * r.x) END, NULL,
       CASE WHEN t.status IN ('solved', 'closed') AND 0.2 + 1.1 * r.x > 1
            THEN t.created_at + m.target + interval '1 minute' END,
       NULL, interval '0', NULL
FROM tickets_ticket t CROSS JOIN policy
CROSS JOIN (VALUES ('first_reply', interval '8 hours'), ('resolution', interval '3 days')) AS m(metric, target)
CROSS JOIN LATERAL (SELECT ((t.id * 7919 + length(m.metric) * 104729) % 1000) / 1000.0 AS x) AS r
"""


def add_sla_clocks() -> int:
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SLA_CLOCKS)
        return cursor.rowcount


def analyse_reports() -> None:
    """VACUUM ANALYZE the report tables, as autovacuum would on a settled database.

    The dataset's own analysis covers its tables only: without statistics the planner took a six-month
    range of facts for 4,000 rows (not 250,000) and read them through the heap, not the covering index.
    """
    from django.db import connection

    from comptoir.reports.models import BacklogTotal, DailyRollup, TeamRollup, TicketFacts
    from comptoir.sla.models import AttainmentCounted, DailyAttainment, TeamAttainment

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (
            TicketFacts,
            DailyRollup,
            TeamRollup,
            BacklogTotal,
            DailyAttainment,
            TeamAttainment,
            AttainmentCounted,
        ):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def make_cases(first: Any, last: Any) -> list[Case]:
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import translation

    from comptoir.tickets.models import SupportGroup, Ticket

    with translation.override("en"):
        page = reverse("agent_reports")
    quarter = {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}
    billing = SupportGroup.objects.filter(name=BILLING).values_list("pk", flat=True).first()
    busiest = (
        Ticket.objects.filter(assignee__isnull=False)
        .values("assignee")
        .annotate(n=Count("pk"))
        .order_by("-n", "assignee")
        .values_list("assignee", flat=True)
        .first()
    )
    cases = [
        Case("quarter, per day", f"{page}?{urlencode(quarter)}", baseline(first, last, {})),
        Case("quarter, per week", f"{page}?{urlencode({**quarter, 'by': 'week'})}", baseline(first, last, {})),
    ]
    if billing is not None:
        cases.append(
            Case(
                "quarter, billing group, high priority",
                f"{page}?{urlencode({**quarter, 'group': billing, 'priority': 'high'})}",
                baseline(first, last, {"group_id": billing, "priority": "high"}),
            )
        )
    if busiest is not None:
        cases.append(
            Case(
                "quarter, the busiest agent",
                f"{page}?{urlencode({**quarter, 'agent': busiest})}",
                baseline(first, last, {"assignee_id": busiest}),
            )
        )
    return cases


def measure(client: Any, cases: Sequence[Case], repeat: int) -> None:
    """Every round runs every case, baseline then page, after a warm-up round, so a change of load hits both."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for case in cases:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(case.address, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{case.address} answered {response.status_code}")
        case.queries = len(captured.captured_queries)
    for round_number in range(repeat + 1):
        for case in cases:
            before = time.perf_counter()
            case.baseline()
            bare_ms = (time.perf_counter() - before) * 1000
            before = time.perf_counter()
            response = client.get(case.address, secure=True)
            page_ms = (time.perf_counter() - before) * 1000
            assert response.status_code == 200
            if round_number:
                case.bare.append(bare_ms)
                case.page.append(page_ms)


def print_table(cases: Sequence[Case]) -> None:
    from benchdb import percentile

    print(
        f"\n{'case':<40} {'queries':>7} {'page median':>12} {'page p95':>9} "
        f"{'GROUP BY median':>16} {'GROUP BY p95':>13} {'p95 ratio':>10}  target p95 {TARGET_P95_MS:.0f} ms"
    )
    for case in cases:
        page_p95, bare_p95 = percentile(case.page, 0.95), percentile(case.bare, 0.95)
        verdict = "met" if page_p95 <= TARGET_P95_MS else "MISSED"
        print(
            f"{case.name:<40} {case.queries:>7} {statistics.median(case.page):>10.1f} ms {page_p95:>6.1f} ms "
            f"{statistics.median(case.bare):>13.1f} ms {bare_p95:>10.1f} ms {page_p95 / bare_p95:>9.2f}x  {verdict}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    from benchdb import RefusedDatabase, setup_django
    from dataset import analyse_database, bench_database, build, scratch_database

    arguments = parse_arguments(argv)
    try:
        database = bench_database(arguments.database_url)
    except RefusedDatabase as error:
        print(f"bench/reports.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    with scratch_database(database, "comptoir-bench-reports-", create=not arguments.reuse, keep=arguments.keep):
        setup_django()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection, connections
        from django.test import Client
        from django.utils import timezone

        from comptoir.accounts.models import Role, User
        from comptoir.reports.facts import team_zone
        from comptoir.reports.models import DailyRollup, TicketFacts
        from comptoir.reports.periods import preset_period
        from comptoir.reports.services import reports_rebuild
        from comptoir.sla.models import TicketSla
        from comptoir.tickets.models import Ticket

        if not arguments.reuse or arguments.prepare:
            connections.close_all()
            if not arguments.reuse:
                before = time.perf_counter()
                build(arguments.database_url, arguments.tickets, analyse=False)
                print(f"built in {time.perf_counter() - before:.0f} s")
            if not TicketSla.objects.exists():
                print(f"{add_sla_clocks():,} service level clocks added")
            before = time.perf_counter()
            reports_rebuild()
            print(f"reports_rebuild in {time.perf_counter() - before:.0f} s")
            connections.close_all()
            analyse_database(arguments.database_url)
            analyse_reports()
        settings.ALLOWED_HOSTS = ["*"]
        # As in production: DEBUG off serves the collected, hashed static files' names.
        call_command("collectstatic", interactive=False, verbosity=0)
        admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        if admin is None:
            raise SystemExit("no administrator in the database: is it a bench/dataset.py help desk?")
        quarter = preset_period("last_quarter", timezone.now().astimezone(team_zone()).date())
        in_quarter = Ticket.objects.filter(created_at__gte=quarter.starts_at(), created_at__lt=quarter.ends_before())
        version = ".".join(str(part) for part in connection.get_database_version())
        print(
            f"Comptoir reports: {Ticket.objects.count():,} tickets ({in_quarter.count():,} created in "
            f"{quarter.first} to {quarter.last}), {TicketFacts.objects.count():,} facts, "
            f"{DailyRollup.objects.count():,} rollup rows; {connection.display_name} {version}, "
            f"database {database.name}; {arguments.repeat} rounds"
        )
        client = Client()
        client.force_login(admin)
        cases = make_cases(quarter.first, quarter.last)
        measure(client, cases, arguments.repeat)
        print_table(cases)
        return 0


if __name__ == "__main__":
    sys.exit(main())
