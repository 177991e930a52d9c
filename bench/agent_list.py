"""How fast the agent's ticket list answers at scale: every view, page 1 and a deep page, beside a bare view.

    .venv/bin/python bench/agent_list.py [--size L|S|<tickets>] [--database-url URL] [--repeat 30]
                                         [--deep-page 1000] [--reuse] [--keep]

The database ``--database-url`` names (its name must contain ``bench``;
PostgreSQL by default, or ``sqlite:////path/comptoir_bench.sqlite3``) is
dropped, made again, migrated and filled by ``bench/dataset.py`` (``--size``,
1,000,000 tickets by default), then kept with ``--keep``. ``--reuse`` takes a
database a former run kept (or ``bench/dataset.py --keep`` built) as it is,
after ``migrate``: building a million tickets takes minutes, measuring them a
minute.

The cases are what an agent opens: each view of ``comptoir.workspace.selectors``
(unassigned, mine, all open, pending, on hold, solved, all tickets) at page 1
and at page ``--deep-page`` (or its last page when it has fewer), then "all
tickets, highest priority first" at both depths. The agent is the one with
the most active tickets assigned, so "mine" is a busy agent's. Each case is a
real request through Django's test client to ``/en/agent/``, signed in, DEBUG
off, the template rendered.

Beside each, in the same run, the baseline: a bare view that runs the same SQL
statements the page ran (captured once, with their parameters written in) on a
cursor, fetches every row and returns a one-line response, requested through
the same test client and middleware at ``/bench-bare/<case>/``. Their ratio is
the cost of Comptoir's view code and templates over the SQL; the SQL's own cost
is in the plans printed below the table. Every repetition runs every case, bare then
Comptoir, after one warm-up pass, so a change of load hits both alike.

Then the counts alone: ``selectors.workspace_counts`` (every view, the
quarantine, the list, each capped at ``COUNT_CAP``) beside an exact ``GROUP BY
status`` over the table, the plain way to count views.

Last, for each view's page 1 and deep page, the plan of the rows' query:
``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite,
with a warning when it sorts (an index should give the order) or spills to
disk. The peak memory of the process (``ru_maxrss``) ends the report.

With ``--profile``, a cProfile of one request of the first case (the busy
agent's own view) first: its function calls, which unlike milliseconds do not
move with the machine's load, and the entries of most cumulative time.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_agent_list"


@dataclass
class Case:
    name: str
    address: str
    view: str
    sort: str
    statements: list[str] = field(default_factory=list)
    comptoir: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    rows_query: str = ""


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from dataset import size_from_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=size_from_text, default=size_from_text("L"))
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--deep-page", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="measure the kept database as it is")
    parser.add_argument("--keep", action="store_true", help="keep the database for a later --reuse")
    parser.add_argument("--profile", action="store_true", help="profile one request of the first case first")
    return parser.parse_args(argv)


def busiest_agent() -> Any:
    from django.db.models import Count, Q

    from comptoir.accounts.models import Role, User
    from comptoir.tickets.statuses import ACTIVE_STATUSES

    return (
        User.objects.filter(role__in=(Role.AGENT, Role.ADMIN), is_active=True)
        .annotate(active=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=ACTIVE_STATUSES)))
        .order_by("-active", "pk")
        .first()
    )


def deep_cursor(view: str, sort: str, agent: Any, page: int) -> tuple[str, int]:
    """The cursor that opens page ``page`` of the view (or its last page), found once with OFFSET; and that page."""
    from comptoir.workspace import selectors
    from comptoir.workspace.paging import cursor_of

    order = selectors.SORTS[sort]
    rows = selectors.ticket_rows(view, agent, {}).order_by(*order)
    total = rows.count()
    last_page = max(1, -(-total // selectors.PAGE_SIZE))
    # A full page, not the tail of the view, unless the view has no more.
    page = min(page, max(1, last_page - 1))
    if page == 1:
        return "", 1
    boundary = rows[(page - 1) * selectors.PAGE_SIZE - 1]
    return cursor_of(boundary, order), page


def make_cases(agent: Any, deep_page: int) -> list[Case]:
    from comptoir.workspace import selectors

    cases = []
    plans = [(view.key, "-updated") for view in selectors.VIEWS] + [("all", "-priority")]
    for view, sort in plans:
        base = f"/en/agent/?view={view}" + ("" if sort == "-updated" else f"&sort={sort}")
        label = view if sort == "-updated" else f"{view} {sort}"
        cases.append(Case(f"{label} p1", base, view, sort))
        cursor, page = deep_cursor(view, sort, agent, deep_page)
        if page > 1:
            cases.append(Case(f"{label} p{page:,}", f"{base}&after={cursor}", view, sort))
    return cases


def capture(client: Any, case: Case) -> None:
    """The statements the page runs, with their parameters written in, and which of them reads the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(case.address, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"{case.address} answered {response.status_code}")
    case.statements = [query["sql"] for query in captured.captured_queries]
    case.rows_query = next(sql for sql in case.statements if '"tickets_ticket"."subject"' in sql)


def serve_bare_views(cases: Sequence[Case]) -> None:
    """The baseline, served beside Comptoir's URLs: per case, the same SQL on a cursor, every row fetched."""
    import types
    from importlib import import_module

    from django.conf import settings
    from django.db import connection
    from django.http import HttpRequest, HttpResponse
    from django.urls import clear_url_caches, path

    statements = {str(number): case.statements for number, case in enumerate(cases)}

    def bare(request: HttpRequest, case: str) -> HttpResponse:
        fetched = 0
        with connection.cursor() as cursor:
            for sql in statements[case]:
                cursor.execute(sql)
                if cursor.description is not None:
                    fetched += len(cursor.fetchall())
        return HttpResponse(f"{fetched} rows")

    urls = types.ModuleType("bench_agent_list_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("bench-bare/<str:case>/", bare),
        # Comptoir's own, i18n_patterns included (which cannot be include()d).
        *import_module(settings.ROOT_URLCONF).urlpatterns,
    ]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    clear_url_caches()


def profile(client: Any, case: Case, top: int = 30) -> None:
    """One request of ``case`` under cProfile: its function calls, and where the time goes (cumulative)."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(case.address, secure=True)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"\ncProfile of one request, {case.name}: {stats.total_calls:,} function calls")  # type: ignore[attr-defined]
    print(out.getvalue().split("\n\n", 1)[-1].rstrip())


def measure(client: Any, cases: Sequence[Case], repeat: int) -> None:
    serve_bare_views(cases)
    for round_number in range(repeat + 1):
        for number, case in enumerate(cases):
            before = time.perf_counter()
            bare = client.get(f"/bench-bare/{number}/", secure=True)
            bare_ms = (time.perf_counter() - before) * 1000
            assert bare.status_code == 200
            before = time.perf_counter()
            response = client.get(case.address, secure=True)
            comptoir_ms = (time.perf_counter() - before) * 1000
            assert response.status_code == 200
            if round_number:  # the first round warms caches up
                case.bare.append(bare_ms)
                case.comptoir.append(comptoir_ms)


def print_table(cases: Sequence[Case]) -> None:
    from benchdb import percentile

    print(
        f"\n  {'case':<24} {'queries':>7} {'median ms':>10} {'p95 ms':>8} "
        f"{'bare median':>12} {'bare p95':>9} {'p95 ratio':>9}"
    )
    for case in cases:
        p95, bare_p95 = percentile(case.comptoir, 0.95), percentile(case.bare, 0.95)
        print(
            f"  {case.name:<24} {len(case.statements):>7} {statistics.median(case.comptoir):>10.2f} {p95:>8.2f} "
            f"{statistics.median(case.bare):>12.2f} {bare_p95:>9.2f} {p95 / bare_p95:>8.2f}x"
        )


def measure_counts(agent: Any, repeat: int) -> None:
    from benchdb import percentile
    from django.db import connection

    from comptoir.tickets.models import Ticket
    from comptoir.workspace import selectors

    listed = selectors.ticket_rows("unassigned", agent, {})
    # The team's built-in views are saved views: counted with the saved ones, in the same query.
    views = [Ticket.objects.filter(selectors.view_filter(view.key, agent)) for view in selectors.VIEWS]
    found = selectors.workspace_counts(listed, views)

    def group_by() -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status, COUNT(*) FROM tickets_ticket GROUP BY status")
            return cursor.fetchall()

    timings: dict[str, list[float]] = {"workspace_counts (capped)": [], "GROUP BY status (exact)": []}
    for round_number in range(repeat + 1):
        for name, run in (
            ("GROUP BY status (exact)", group_by),
            ("workspace_counts (capped)", lambda: selectors.workspace_counts(listed, views)),
        ):
            before = time.perf_counter()
            run()
            if round_number:
                timings[name].append((time.perf_counter() - before) * 1000)
    print(f"\n  {'counts':<28} {'median ms':>10} {'p95 ms':>8}")
    for name, times in timings.items():
        print(f"  {name:<28} {statistics.median(times):>10.2f} {percentile(times, 0.95):>8.2f}")
    shown = ", ".join(f"{view.key} {tally}" for view, tally in zip(selectors.VIEWS, found.saved, strict=True))
    print(f"  as shown: {shown}; quarantine {found.quarantined}")


def print_plans(cases: Sequence[Case]) -> None:
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    print(f"\nPlans of the rows' query ({prefix.strip()}):")
    for case in cases:
        with connection.cursor() as cursor:
            cursor.execute(prefix + case.rows_query)
            lines = [str(row[0] if postgres else row[-1]) for row in cursor.fetchall()]
        text = "\n".join(lines)
        warnings = []
        if "Sort Method: external" in text or "Disk:" in text:
            warnings.append("SORT SPILLS TO DISK")
        # The "who spoke last" subquery sorts a ticket's few messages; the rows themselves must come in index
        # order, or be a sort of the page's few rows (the tail of a view, where the planner may sort 2 rows).
        sorted_rows = [
            int(found) for found in re.findall(r"->  Sort .*?actual time=\S+ rows=(\d+)", text.split("SubPlan")[0])
        ]
        if any(rows > 2 * 26 for rows in sorted_rows) or "TEMP B-TREE FOR ORDER BY" in text.split("CORRELATED", 1)[0]:
            warnings.append("sorts more than a page (no index gives the order)")
        print(f"\n  {case.name}{'  <- ' + ', '.join(warnings) if warnings else ''}")
        for line in lines if not postgres else [line for line in lines if _plan_line_worth_showing(line)]:
            print(f"    {line}")


def _plan_line_worth_showing(line: str) -> bool:
    stripped = line.strip()
    # The plan's nodes, their index conditions and buffers, and the total; not every output column.
    return not stripped.startswith(("Output:", "Planning:", "Filter: (U0.is_public)")) and bool(stripped)


def main(argv: Sequence[str] | None = None) -> int:
    from benchdb import RefusedDatabase, setup_django
    from dataset import analyse_database, bench_database, build, scratch_database

    arguments = parse_arguments(argv)
    try:
        database = bench_database(arguments.database_url)
    except RefusedDatabase as error:
        print(f"bench/agent_list.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    with scratch_database(database, "comptoir-bench-agent-list-", create=not arguments.reuse, keep=arguments.keep):
        setup_django()
        from django.conf import settings
        from django.db import connection, connections
        from django.test import Client

        from comptoir.tickets.models import Message, Ticket

        if not arguments.reuse:
            connections.close_all()
            before = time.perf_counter()
            build(arguments.database_url, arguments.size, analyse=False)
            analyse_database(arguments.database_url)
            print(f"built in {time.perf_counter() - before:.0f} s")
        settings.ALLOWED_HOSTS = ["*"]
        # As in production: DEBUG off serves the collected, hashed static files' names.
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        version = ".".join(str(part) for part in connection.get_database_version())
        agent = busiest_agent()
        print(
            f"Comptoir agent list: {Ticket.objects.count():,} tickets, {Message.objects.count():,} messages, "
            f"{connection.display_name} {version}; agent {agent.email}; {arguments.repeat} rounds"
        )
        # As each web worker does as it starts, before any request (comptoir/wsgi.py): the collector's full
        # collections no longer walk the objects made at startup, a pause of ~90 ms now and then in one round.
        from comptoir.core.heap import settle

        settle(load_urls=True)
        client = Client()
        client.force_login(agent)
        cases = make_cases(agent, arguments.deep_page)
        client.get(cases[0].address, secure=True)  # a first request fills what a running site keeps in its cache
        for case in cases:
            capture(client, case)
        if arguments.profile:
            profile(client, cases[0])
        measure(client, cases, arguments.repeat)
        print_table(cases)
        measure_counts(agent, arguments.repeat)
        print_plans(cases)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory of this process (ru_maxrss): {peak:.0f} MiB")
        return 0


if __name__ == "__main__":
    sys.exit(main())
