"""How fast "My tickets" answers at scale: the queries of /<lang>/my/tickets/ over generated tickets on PostgreSQL.

    .venv/bin/python bench/my_tickets.py [--tickets 200000] [--repeat 30] [--database-url URL] [--keep]

The script creates its own database (by default ``comptoir_bench_my_tickets`` on
127.0.0.1:5432, dropped and created again at the start, dropped at the end
unless ``--keep``), migrates it and writes, with ``bench/dataset.py`` (COPY
through psycopg, not the services, which would take hours), a seeded help desk
of ``--tickets`` tickets shaped for this page:

- one requester for every 20 tickets (``accounts_user``, role requester) and 25
  agents;
- five organisations: one shares its tickets (``shares_tickets``) and has 50
  members, the four others do not share and hold a fifth of the other requesters;
- the tickets spread at random over the requesters and over the two years before
  ``NOW``: all those of the last two weeks still waiting (new, open, pending or
  on hold), 30 % of the next six weeks' and 5 % of older ones (``BACKLOG``), the
  others solved or closed; each with its conversation (about 4 messages, an
  internal note on some) and its history ("created", replies, every status
  change), as ``bench/dataset.py`` describes;

then ANALYZE. Each case is what the page runs for one person: the Paginator of
``PAGE_SIZE`` (25) over ``comptoir.portal.selectors.requester_tickets`` (its
COUNT, then the first page, evaluated) and ``tab_counts``:

(a) a requester with about 20 tickets and no organisation, "Open" tab;
(b) a member of the sharing organisation (the tickets of its 50 members), "Open" tab;
(c) the same person and tab with a search word;
(d) the same person, "All" tab, page 1.

Beside each, in the same run, the baseline: the same queries written the
straightforward way, ``Ticket.objects.filter(Q(requester=user) |
Q(requester__organisation_id=org, requester__organisation__shares_tickets=True))``
with the same annotations and search (``baseline_requester_tickets`` and
``baseline_tab_counts`` below: the selectors' own ``listed_tickets`` and ``counts_by_tab`` given that filter).
For (a), where the person has no organisation, the baseline is plain
``filter(requester=user)``, which is what ``visible_to`` gives too: the ratio
there should be about 1 and shows the noise of the measure.

Every repetition runs every case through the baseline, then the selectors, after
one warm-up pass, so a change of load on the machine hits both alike. The table
gives, per case and step (COUNT, first page, tab counts, and the whole of them),
the median and p95 milliseconds of both forms and the ratio baseline median /
selector median: above 1, the selector is faster. Absolute figures move with the
machine; the ratio much less. Both forms must find the same count, page and tab
counts, or the script exits with status 1. Last come the top lines of the plans
(EXPLAIN, not ANALYZE) of the COUNT of cases (b) and (d) in both forms. Under
``requester IN (...)`` the planner finds the ~50 people first, then their tickets
through the requester index; under the OR across the join it must read every
ticket of the tab in the whole help desk and join each to its requester before
the filter can tell: all open tickets through the status index for (b), all
tickets of the table for (d) (a full scan of the table or, as the planner may
prefer, of the requester index). Nothing is timed in a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchdb import (
    RefusedDatabase,
    bench_database_name,
    configure_environment,
    drop_database,
    percentile,
    recreate_database,
    server_version,
    setup_django,
)
from dataset import Backlog, Organisations, Size, analyse_database, build

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from comptoir.accounts.models import User
    from comptoir.tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_my_tickets"
SEED = 2711
# Every timestamp is counted back from here, so each run writes the same rows.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TICKETS_PER_REQUESTER = 20
SHARED_MEMBERS = 50
# Organisations that do not share; together they hold this fraction of the other requesters.
OTHER_ORGANISATIONS = 4
OTHER_ORGANISATION_FRACTION = 0.2
AGENTS = 25
# Still waiting, by age (under two weeks, up to two months, older): enough open tickets for the "Open" tab.
BACKLOG = Backlog(recent=1.0, month=0.3, older=0.05)
SEARCH_WORD = "invoice"
PLAN_LINES = 18


# --- The two forms --------------------------------------------------------------


def baseline_visible_to(user: User) -> Any:
    """The straightforward filter: own tickets OR the organisation's when it shares them, across the join."""
    from django.db.models import Q

    if user.organisation_id is None:
        return Q(requester=user)
    return Q(requester=user) | Q(
        requester__organisation_id=user.organisation_id, requester__organisation__shares_tickets=True
    )


def baseline_tab_counts(user: User) -> dict[str, int]:
    """selectors.tab_counts with baseline_visible_to."""
    from comptoir.portal.selectors import counts_by_tab

    return counts_by_tab(baseline_visible_to(user))


def baseline_requester_tickets(*, user: User, key: str = "active", query: str = "") -> QuerySet[Ticket]:
    """selectors.requester_tickets, the same annotations and search, with baseline_visible_to."""
    from comptoir.portal.selectors import listed_tickets

    return listed_tickets(baseline_visible_to(user), key=key, query=query)


def selector_requester_tickets(*, user: User, key: str = "active", query: str = "") -> QuerySet[Ticket]:
    from comptoir.portal.selectors import requester_tickets

    return requester_tickets(user=user, key=key, query=query)


def selector_tab_counts(user: User) -> dict[str, int]:
    from comptoir.portal.selectors import tab_counts

    return tab_counts(user)


# --- Measuring ------------------------------------------------------------------

STEPS = ("COUNT", "page 1", "tab_counts", "page view")


@dataclass(frozen=True)
class Case:
    label: str
    user: User
    key: str
    query: str
    visible: int  # tickets the person sees, all statuses


@dataclass
class Form:
    label: str
    tickets: Callable[..., QuerySet[Ticket]]
    tab_counts: Callable[[User], dict[str, int]]
    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    answers: dict[str, tuple[int, list[int], dict[str, int]]] = field(default_factory=dict)

    def view(self, case: Case, record: bool) -> None:
        """What my_tickets runs: Paginator(...).get_page(1) (the COUNT), the page's rows, the tab counts."""
        from django.core.paginator import Paginator

        from comptoir.portal.views import PAGE_SIZE

        first = time.perf_counter()
        page = Paginator(self.tickets(user=case.user, key=case.key, query=case.query), PAGE_SIZE).get_page(1)
        counted = time.perf_counter()
        rows = list(page.object_list)
        listed = time.perf_counter()
        tabs = self.tab_counts(case.user)
        last = time.perf_counter()
        if not record:
            self.answers[case.label] = (page.paginator.count, [ticket.pk for ticket in rows], tabs)
            return
        for step, seconds in zip(STEPS, (counted - first, listed - counted, last - listed, last - first), strict=True):
            self.times.setdefault((case.label, step), []).append(seconds)


def measure(cases: Sequence[Case], forms: Sequence[Form], repeat: int) -> None:
    # Warm-up: caches, connection, Django's query compilation; answers kept for the check, nothing timed.
    for case in cases:
        for form in forms:
            form.view(case, record=False)
    for _ in range(repeat):
        for case in cases:
            for form in forms:
                form.view(case, record=True)


def print_table(cases: Sequence[Case], baseline: Form, selector: Form) -> None:
    print(
        f"  {'case':<38}{'step':<12}{'baseline median':>16}{'p95':>9}{'selector median':>16}{'p95':>9}{'speed-up':>10}"
    )
    for case in cases:
        for step in STEPS:
            slow, fast = baseline.times[(case.label, step)], selector.times[(case.label, step)]
            print(
                f"  {case.label if step == STEPS[0] else '':<38}{step:<12}{1000 * statistics.median(slow):>16.2f}"
                f"{1000 * percentile(slow, 0.95):>9.2f}{1000 * statistics.median(fast):>16.2f}"
                f"{1000 * percentile(fast, 0.95):>9.2f}{statistics.median(slow) / statistics.median(fast):>9.2f}x"
            )
    print(
        "  milliseconds; page view: COUNT + page 1 + tab_counts, as the page runs them; "
        "speed-up: baseline median / selector median"
    )


def count_plan(queryset: QuerySet[Ticket]) -> list[str]:
    """EXPLAIN (not ANALYZE) of the COUNT the Paginator runs over ``queryset``."""
    from django.db import connection

    captured: list[tuple[str, Any]] = []

    def capture(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        queryset.count()
    sql, params = captured[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return [str(row[0]) for row in cursor.fetchall()]


def pick_cases() -> list[Case]:
    from django.db.models import Count

    from comptoir.accounts.models import Organisation, User
    from comptoir.portal.selectors import visible_to
    from comptoir.tickets.models import Ticket

    # (a) the requester without organisation whose number of tickets is nearest 20.
    alone = (
        User.objects.filter(role="requester", organisation__isnull=True)
        .annotate(tickets=Count("requested_tickets"))
        .filter(tickets__gte=TICKETS_PER_REQUESTER)
        .order_by("tickets", "pk")
        .first()
    )
    shared = Organisation.objects.get(shares_tickets=True)
    member = User.objects.filter(organisation=shared).order_by("pk").first()
    if alone is None or member is None:
        raise SystemExit("bench/my_tickets.py: no requester to measure; try more --tickets")

    def visible(user: User) -> int:
        return Ticket.objects.filter(visible_to(user)).count()

    return [
        Case("(a) own ~20 tickets, Open tab", alone, "active", "", visible(alone)),
        Case("(b) sharing organisation, Open tab", member, "active", "", visible(member)),
        Case(f"(c) (b) searching '{SEARCH_WORD}'", member, "active", SEARCH_WORD, visible(member)),
        Case("(d) sharing organisation, All tab", member, "all", "", visible(member)),
    ]


# --- Running --------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=200_000, help="tickets generated (default 200000)")
    parser.add_argument("--repeat", type=int, default=30, help="timed repetitions of every case (default 30)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database to drop, create and use; its name must contain 'bench' "
        f"(default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database at the end (it is still dropped at the start)"
    )
    arguments = parser.parse_args(argv)
    if arguments.tickets < 1 or arguments.repeat < 1:
        parser.error("--tickets and --repeat must be at least 1")
    return arguments


def plan_lines(lines: Sequence[str]) -> Iterator[str]:
    yield from lines[:PLAN_LINES]
    if len(lines) > PLAN_LINES:
        yield f"... ({len(lines) - PLAN_LINES} more lines)"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.perf_counter()
    try:
        name = bench_database_name(arguments.database_url)
    except RefusedDatabase as error:
        print(f"bench/my_tickets.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    var_dir = Path(tempfile.mkdtemp(prefix="comptoir-bench-my-tickets-"))
    created = False
    try:
        configure_environment(var_dir, arguments.database_url)
        recreate_database(arguments.database_url, name)
        created = True
        setup_django()

        import django
        from django.db import connection

        print(f"Comptoir 'My tickets' benchmark: Python {sys.version.split()[0]}, Django {django.get_version()}")
        print(f"server: {server_version()}")
        print(f"database: {name} on {connection.settings_dict.get('HOST') or 'local socket'}; {os.cpu_count()} CPUs")

        before = time.perf_counter()
        counts = build(
            arguments.database_url,
            Size(arguments.tickets, requesters_per_ticket=1 / TICKETS_PER_REQUESTER, agents=AGENTS, admins=0),
            seed=SEED,
            organisations=Organisations(
                sharing=(SHARED_MEMBERS,), others=OTHER_ORGANISATIONS, others_fraction=OTHER_ORGANISATION_FRACTION
            ),
            backlog=BACKLOG,
            now=NOW,
            analyse=False,
        )
        generated = time.perf_counter() - before
        before = time.perf_counter()
        analyse_database(arguments.database_url)
        analysed = time.perf_counter() - before
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cursor.fetchone()
        print(
            f"tickets: {counts.tickets}, {counts.messages} messages, {counts.events} events; "
            f"{counts.requesters} requesters, {counts.agents} agents, {counts.organisations} organisations "
            f"(one sharing, {SHARED_MEMBERS} members); database {size[0] if size else '?'}"
        )
        print(f"generated in {generated:.1f} s (COPY), VACUUM ANALYZE {analysed:.1f} s")

        cases = pick_cases()
        for case in cases:
            print(f"  {case.label}: user {case.user.pk}, sees {case.visible} tickets, tab {case.key!r}")
        baseline = Form("baseline (OR across the join)", baseline_requester_tickets, baseline_tab_counts)
        selector = Form("selectors (requester IN ...)", selector_requester_tickets, selector_tab_counts)
        before = time.perf_counter()
        measure(cases, [baseline, selector], arguments.repeat)
        print(
            f"\n{arguments.repeat} repetitions of every case through both forms in turn after a warm-up pass; "
            f"{time.perf_counter() - before:.1f} s"
        )
        print_table(cases, baseline, selector)

        different = [case.label for case in cases if baseline.answers[case.label] != selector.answers[case.label]]
        for case in cases:
            total, page, tabs = selector.answers[case.label]
            print(f"  {case.label}: COUNT {total}, {len(page)} rows on page 1, tabs {tabs}")
        if different:
            print(f"\nbench/my_tickets.py: the two forms disagree on {', '.join(different)}", file=sys.stderr)
            return 1
        print("  both forms found the same COUNT, page 1 and tab counts in every case")

        for case in (cases[1], cases[3]):
            for form in (baseline, selector):
                print(f"\nEXPLAIN of the COUNT of {case.label[:3]} ({case.key!r} tab), {form.label}:")
                for line in plan_lines(count_plan(form.tickets(user=case.user, key=case.key, query=case.query))):
                    print(f"  {line}")

        page_view = [selector.times[(case.label, "page view")] for case in cases]
        baseline_view = [baseline.times[(case.label, "page view")] for case in cases]
        print(
            "\npage view, selector against baseline, median ms: "
            + "; ".join(
                f"{case.label[:3]} {1000 * statistics.median(fast):.2f} against {1000 * statistics.median(slow):.2f}"
                for case, fast, slow in zip(cases, page_view, baseline_view, strict=True)
            )
        )
        print(f"\ntotal run time {time.perf_counter() - started:.1f} s")
        return 0
    except RefusedDatabase as error:
        print(f"bench/my_tickets.py: {error}", file=sys.stderr)
        return 2
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created and not arguments.keep:
            drop_database(arguments.database_url, name)
        elif created:
            print(f"kept database {name}")
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
