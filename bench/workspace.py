"""How fast the workspace's search, a saved view and a bulk action answer at a million tickets, beside a baseline.

    .venv/bin/python bench/workspace.py [--size L|S|<tickets>] [--database-url URL] [--repeat 30]
                                        [--bulk 1000] [--bulk-repeat 5] [--timeout 60] [--reuse] [--keep]
                                        [--only TEXT ...]

The database ``--database-url`` names (PostgreSQL; its name must contain
``bench``) is dropped, made again, migrated and filled by ``bench/dataset.py``
(``--size``, 1,000,000 tickets by default), then kept with ``--keep``.
``--reuse`` measures a database a former run kept (or ``bench/dataset.py
--keep`` built) as it is, after ``migrate``.

The agent is the one with the most active tickets, as in ``bench/agent_list.py``.
Each read case is a real request through Django's test client, signed in,
DEBUG off, the template rendered:

- the search box on "All tickets", ``/en/agent/?view=all&q=...``, newest first
  (the default sort), then ranked (``&sort=relevance``, when
  ``TicketFilterForm.sort`` offers it; "not available" otherwise), for a rare
  word, a common word and a phrase of the dataset's text (``RARE_WORD``,
  ``COMMON_WORD``, ``PHRASE``: how many tickets each finds is printed), the
  address of the requester with the most tickets as ``requester:<address>``
  and bare, and a ticket number ``#<n>`` (the list answers it with a redirect
  to the ticket: that redirect is what is timed);
- "All tickets" with nothing searched, for reference (no target);
- a saved view of three filters (status, group, priority: ``SAVED_PARAMS``),
  made for the agent by this run and deleted at its end, opened as
  ``/en/agent/?saved=<id>``. While it exists every page counts it in the side
  bar, as it would for an agent who keeps one.

Every statement is cancelled past ``--timeout`` seconds (``statement_timeout``):
a case that runs one that long is reported as timed out and left out of the
rounds, with the plan of the statement cut short.

Beside each, in the same rounds, the baseline of ``bench/agent_list.py``: a bare
view behind the same middleware (``/bench-bare/<case>/``) that runs the SQL
statements the page ran (captured once, parameters written in) and fetches
every row. The p95 of each case is held against the issue's targets (search
newest first 50 ms, ranked 150 ms, saved view 25 ms). Then the side bar's
counts (``selectors.workspace_counts``) without and with the saved view,
beside an exact ``COUNT(*)`` of the saved view.

Then, for each read case, ``EXPLAIN (ANALYZE, BUFFERS)`` of its statements:
the execution time of each, and the plan of the rows' query and of any
statement over ``SLOW_STATEMENT_MS``, flagged when it scans a big table, sorts
more than a page or spills to disk.

Last, the bulk action: ``tickets_update_in_bulk`` on the ``--bulk`` most
recently updated open tickets (priority high, assigned to the agent, a tag
added), in one call (the service takes any number) and in calls of
``BULK_MAX`` (100, what the list's form accepts per request), beside a plain
``UPDATE ... WHERE id IN (...)`` of the same columns on the same rows, with
the time its statements took in the database. Each round runs in a
transaction rolled back at its end, so every round changes the same tickets
from the same state; the hand-offs the service leaves for after COMMIT (one
Celery task per ticket, to the in-memory broker here) run inside the timed
block (a row of its own leaves them out), the COMMIT itself is not timed on
either side. The tables written are
vacuumed afterwards, so the kept database reads as before.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from comptoir.accounts.models import User
    from comptoir.workspace.models import SavedView

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_workspace"
# From bench/dataset.py's text. The rare word is a subject of the sales topic (one ticket in a hundred);
# the common one is in most agents' answers, French and English; the phrase's words are each in many
# tickets, together only in the agent's sentence that asks for a screenshot.
RARE_WORD = "charities"
COMMON_WORD = "message"
PHRASE = "send us a screenshot"
# Neither rare nor common: the sales topic's "Hello, could you send us a quote?" (about 2.6 % of tickets),
# whose words the planner takes for independent, as it does two words that always come together (the
# billing topic's "the card payment keeps failing"). A requester's name misspelt ("Dubois"), which no
# ticket holds: the list shows the look-alikes (pg_trgm) instead.
MID_PHRASE = "send us a quote"
CORRELATED_WORDS = "card payment"
MISSPELT_NAME = "Dubios"
# Three filters: open, the billing group (bench/dataset.py's first), high priority.
SAVED_PARAMS = {"view": "all", "status": "open", "priority": "high"}
SAVED_GROUP = "Facturation / Billing"
SAVED_NAME = "bench/workspace.py: open, billing, high"
BULK_TAG = "bench-bulk"
TARGETS_MS = {"newest": 50.0, "ranked": 150.0, "saved view": 25.0}
SLOW_STATEMENT_MS = 5.0
BIG_TABLES = ("tickets_ticket", "tickets_message", "accounts_user", "tickets_ticketevent")


@dataclass
class Case:
    name: str
    kind: str  # a key of TARGETS_MS, or "reference" (no target)
    address: str
    available: bool = True
    # Why the case has no figures (no ranked sort, a statement past --timeout).
    missing: str = ""
    status: int = 0
    statements: list[str] = field(default_factory=list)
    # Each statement's milliseconds in the captured request (one past --timeout is the one cut short).
    statement_ms: list[float] = field(default_factory=list)
    comptoir: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)


@dataclass
class Timed:
    name: str
    run: Callable[[], object]
    queries: int = 0
    times: list[float] = field(default_factory=list)
    # Of one run, captured: the time its statements took in the database, and the longest of them.
    sql_ms: float = 0.0
    longest: tuple[float, str] = (0.0, "")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from dataset import size_from_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", type=size_from_text, default=size_from_text("L"))
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=30, help="rounds of the read cases (30)")
    parser.add_argument("--bulk", type=int, default=1000, help="tickets of the bulk action (1,000; 0: not measured)")
    parser.add_argument("--bulk-repeat", type=int, default=5, help="rounds of the bulk action (5)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds a statement may run before the case is given up (60)"
    )
    parser.add_argument("--reuse", action="store_true", help="measure the kept database as it is")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="measure only the searches whose label holds this text (repeatable); the reference, the saved view,"
        " the counts and the bulk action are measured all the same unless --bulk 0",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database for a later --reuse")
    return parser.parse_args(argv)


# --- What is searched -------------------------------------------------------------


def busiest_agent() -> User:
    from django.db.models import Count, Q

    from comptoir.accounts.models import Role, User
    from comptoir.tickets.statuses import ACTIVE_STATUSES

    agent = (
        User.objects.filter(role__in=(Role.AGENT, Role.ADMIN), is_active=True)
        .annotate(active=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=ACTIVE_STATUSES)))
        .order_by("-active", "pk")
        .first()
    )
    if agent is None:
        raise SystemExit("no agent in the database: is it a bench/dataset.py help desk?")
    return agent


def busiest_requester() -> str:
    """The address of the requester with the most tickets (the lowest id among equals)."""
    from django.db.models import Count

    from comptoir.accounts.models import User
    from comptoir.tickets.models import Ticket

    top = Ticket.objects.values("requester").annotate(n=Count("pk")).order_by("-n", "requester").first()
    if top is None:
        raise SystemExit("no tickets")
    return str(User.objects.get(pk=top["requester"]).email)


def middle_reference() -> int:
    from comptoir.tickets.models import Ticket

    ids = Ticket.objects.order_by("pk").values_list("pk", flat=True)
    middle = ids[ids.count() // 2]
    return int(Ticket(pk=middle).reference)


def searches() -> list[tuple[str, str]]:
    """(label, what is typed in the box)."""
    address, reference = busiest_requester(), middle_reference()
    return [
        (f"rare word {RARE_WORD}", RARE_WORD),
        (f"common word {COMMON_WORD}", COMMON_WORD),
        (f'phrase "{PHRASE}"', f'"{PHRASE}"'),
        (f'mid-frequency phrase "{MID_PHRASE}"', f'"{MID_PHRASE}"'),
        (f"correlated words {CORRELATED_WORDS}", CORRELATED_WORDS),
        (f"misspelt name {MISSPELT_NAME}", MISSPELT_NAME),
        ("requester:<address>", f"requester:{address}"),
        ("bare address", address),
        (f"ticket number #{reference}", f"#{reference}"),
    ]


def matching(typed: str, agent: User) -> tuple[int, int]:
    """How many tickets of "All tickets" the typed query finds, and when none, how many look-alikes (exact counts)."""
    from comptoir.tickets.models import Ticket
    from comptoir.tickets.search import lookalike_search, search_condition
    from comptoir.tickets.search_index import typo_threshold_set
    from comptoir.tickets.search_query import parse_search
    from comptoir.workspace.selectors import view_filter

    query = parse_search(typed)
    listed = Ticket.objects.filter(view_filter("all", agent))
    found = listed.filter(search_condition(query, agent).condition).count()
    alike = lookalike_search(query, agent) if not found else None
    if alike is None:
        return found, 0
    typo_threshold_set()
    return found, listed.filter(alike.condition).count()


def ranked_sort_available() -> bool:
    """Whether the list's form offers the ranked sort (another change adds it)."""
    from comptoir.workspace.forms import TicketFilterForm

    choices = getattr(TicketFilterForm.base_fields["sort"], "choices", ())
    return any(value == "relevance" for value, _label in choices)


def saved_view_made(agent: User) -> SavedView:
    """The agent's saved view of three filters, made again (a former run's left behind is deleted first)."""
    from comptoir.tickets.models import SupportGroup
    from comptoir.workspace.models import SavedView

    SavedView.objects.filter(name=SAVED_NAME).delete()
    group = SupportGroup.objects.get(name=SAVED_GROUP)
    return SavedView.objects.create(
        name=SAVED_NAME, owner=agent, params=urlencode({**SAVED_PARAMS, "group": group.pk}), position=0
    )


def make_cases(typed_searches: Sequence[tuple[str, str]], saved: SavedView, *, ranked: bool) -> list[Case]:
    # The same list with nothing searched: what any page of it costs.
    cases = [Case("all tickets, nothing searched", "reference", "/en/agent/?view=all")]
    for label, typed in typed_searches:
        address = "/en/agent/?" + urlencode({"view": "all", "q": typed})
        cases.append(Case(label, "newest", address))
        missing = "" if ranked else "no sort=relevance in TicketFilterForm.sort"
        cases.append(Case(f"{label}, ranked", "ranked", address + "&sort=relevance", not missing, missing))
    cases.append(Case("saved view (3 filters)", "saved view", f"/en/agent/?saved={saved.pk}"))
    return cases


# --- Measuring the pages ------------------------------------------------------------


def limit_statements(seconds: float) -> None:
    """Every statement of this run is cancelled after ``seconds`` (statement_timeout), from the next connection on.

    A page that slow is reported as such rather than waited for in every round.
    """
    import logging

    from django.db import connections

    # Django logs the cancelled request's traceback; the table says it timed out.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    connections.close_all()
    options = connections["default"].settings_dict.setdefault("OPTIONS", {})
    options["options"] = f"-c statement_timeout={round(seconds * 1000)}"


def give_up(case: Case, timeout: float) -> None:
    case.available = False
    case.missing = f"a statement ran past --timeout ({timeout:.0f} s): timed out"
    case.comptoir, case.bare = [], []


def capture(client: Any, case: Case, timeout: float) -> None:
    """The statements the page runs, with their parameters written in, their times and the status it answers."""
    from django.db import OperationalError, connection
    from django.test.utils import CaptureQueriesContext

    # The statement cut short is captured too (Django logs a query when it ends, in error or not).
    with CaptureQueriesContext(connection) as captured:
        try:
            response = client.get(case.address, secure=True)
        except OperationalError:  # statement_timeout: psycopg's QueryCanceled
            response = None
    case.statements = [query["sql"] for query in captured.captured_queries]
    case.statement_ms = [float(query["time"]) * 1000 for query in captured.captured_queries]
    if response is None:
        give_up(case, timeout)
        return
    if response.status_code not in (200, 302):
        raise SystemExit(f"{case.address} answered {response.status_code}")
    case.status = response.status_code


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

    urls = types.ModuleType("bench_workspace_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("bench-bare/<str:case>/", bare),
        # Comptoir's own, i18n_patterns included (which cannot be include()d).
        *import_module(settings.ROOT_URLCONF).urlpatterns,
    ]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    clear_url_caches()


def measure(client: Any, cases: Sequence[Case], repeat: int, timeout: float) -> None:
    """Every round runs every case, bare then Comptoir, after a warm-up round, so a change of load hits both."""
    from django.db import OperationalError

    measured = [(number, case) for number, case in enumerate(cases) if case.available]
    serve_bare_views(cases)
    for round_number in range(repeat + 1):
        for number, case in measured:
            if not case.available:
                continue
            try:
                before = time.perf_counter()
                bare = client.get(f"/bench-bare/{number}/", secure=True)
                bare_ms = (time.perf_counter() - before) * 1000
                before = time.perf_counter()
                response = client.get(case.address, secure=True)
                comptoir_ms = (time.perf_counter() - before) * 1000
            except OperationalError:  # statement_timeout
                give_up(case, timeout)
                continue
            assert bare.status_code == 200
            assert response.status_code == case.status, (case.address, response.status_code)
            if round_number:
                case.bare.append(bare_ms)
                case.comptoir.append(comptoir_ms)


def print_table(cases: Sequence[Case]) -> None:
    from benchdb import percentile

    print(
        f"\n  {'case':<40} {'queries':>7} {'median ms':>10} {'p95 ms':>8} {'bare median':>12} {'bare p95':>9} "
        f"{'p95 ratio':>9}  {'target p95':<18}"
    )
    for case in cases:
        target = TARGETS_MS.get(case.kind)
        if not case.available:
            print(f"  {case.name:<40} {len(case.statements):>7}   {case.missing}")
            continue
        p95, bare_p95 = percentile(case.comptoir, 0.95), percentile(case.bare, 0.95)
        verdict = "(reference)" if target is None else f"<= {target:.0f} ms {'met' if p95 <= target else 'MISSED'}"
        print(
            f"  {case.name:<40} {len(case.statements):>7} {statistics.median(case.comptoir):>10.2f} {p95:>8.2f} "
            f"{statistics.median(case.bare):>12.2f} {bare_p95:>9.2f} {p95 / bare_p95:>8.2f}x  {verdict}"
        )
    redirects = [case.name for case in cases if case.available and case.status == 302]
    if redirects:
        print(f"  answered with a redirect to the ticket (302): {', '.join(redirects)}")


# --- The side bar's counts -------------------------------------------------------------


def timed_rounds(
    steps: Sequence[Timed], repeat: int, *, around: Callable[[], AbstractContextManager[None]] = nullcontext
) -> None:
    """Every round runs every step in turn, after a warm-up round; ``around`` wraps each run (a transaction)."""
    for round_number in range(repeat + 1):
        for step in steps:
            with around():
                before = time.perf_counter()
                step.run()
                elapsed = (time.perf_counter() - before) * 1000
            if round_number:
                step.times.append(elapsed)


def print_timed(title: str, steps: Sequence[Timed]) -> None:
    from benchdb import percentile

    print(f"\n  {title:<48} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for step in steps:
        print(
            f"  {step.name:<48} {step.queries:>7} {statistics.median(step.times):>10.2f} "
            f"{percentile(step.times, 0.95):>8.2f}"
        )


def measure_counts(agent: User, saved: SavedView, repeat: int) -> None:
    """The side bar's one query on the saved view's page, with and without the saved view, beside an exact count."""
    from django.db import connection
    from django.http import QueryDict

    from comptoir.tickets.models import SupportGroup
    from comptoir.workspace import selectors
    from comptoir.workspace.listing import listing
    from comptoir.workspace.models import views_for

    agents, groups = list(selectors.agents()), list(SupportGroup.objects.all())

    def rows_of(params: str) -> Any:
        return listing(QueryDict(params), agent, agents=agents, groups=groups).rows

    # The list the saved view's page shows, and the saved view as the side bar counts it: the same rows.
    saved_rows = rows_of(saved.params)
    others = [rows_of(view.params) for view in views_for(agent) if view.pk != saved.pk]

    def exact() -> object:
        sql, params = saved_rows.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608 - Django's compiled SQL
            row = cursor.fetchone()
        return row[0] if row else 0

    steps = [
        Timed("exact COUNT(*) of the saved view", exact, queries=1),
        Timed(
            f"workspace_counts, {len(others)} other views", lambda: selectors.workspace_counts(saved_rows, others), 1
        ),
        Timed(
            "workspace_counts, and the saved view",
            lambda: selectors.workspace_counts(saved_rows, [*others, saved_rows]),
            queries=1,
        ),
    ]
    timed_rounds(steps, repeat)
    print_timed("counts (the saved view's page)", steps)
    shown = selectors.workspace_counts(saved_rows, [*others, saved_rows]).saved[-1]
    print(f"  the saved view shows {shown} in the side bar; exact count {exact()}")


# --- The bulk action ------------------------------------------------------------------------


def measure_bulk(agent: User, size: int, repeat: int) -> None:
    from django.db import connection
    from django.test import TestCase
    from django.test.utils import CaptureQueriesContext

    from comptoir.tickets.models import Priority, Status, Ticket
    from comptoir.tickets.services import PropertyChanges, tickets_update_in_bulk
    from comptoir.workspace.forms import BULK_MAX

    ids = list(
        Ticket.objects.filter(status=Status.OPEN, spam=False)
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)[:size]
    )
    if len(ids) < size:
        raise SystemExit(f"only {len(ids)} open tickets for a bulk action of {size}")
    changes = PropertyChanges(priority=Priority.HIGH, assignee=agent, add_tags=(BULK_TAG,))

    def service(batch: int, *, hand_off: bool = True) -> Callable[[], object]:
        def run() -> object:
            changed = 0
            # What the request does after COMMIT (hand the changes to Celery) is run here, in the timed block.
            with TestCase.captureOnCommitCallbacks(execute=hand_off):
                for start in range(0, len(ids), batch):
                    changed += len(
                        tickets_update_in_bulk(ids[start : start + batch], agent=agent, changes=changes).changed
                    )
            assert changed == len(ids), f"{changed} of {len(ids)} tickets changed"
            return changed

        return run

    def plain_update() -> object:
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE tickets_ticket SET priority = %s, assignee_id = %s, updated_at = now() WHERE id IN ({marks})",  # noqa: S608
                [Priority.HIGH, agent.pk, *ids],
            )
            assert cursor.rowcount == len(ids)
        return cursor.rowcount

    steps = [
        Timed(f"plain UPDATE ... WHERE id IN ({size:,} ids)", plain_update),
        Timed(f"tickets_update_in_bulk, 1 call of {size:,}", service(size)),
        Timed("  the same, hand-offs after COMMIT not run", service(size, hand_off=False)),
        Timed(f"tickets_update_in_bulk, {-(-size // BULK_MAX)} calls of {BULK_MAX}", service(BULK_MAX)),
    ]

    for step in steps:
        with rolled_back(), CaptureQueriesContext(connection) as captured:
            step.run()
        step.queries = len(captured.captured_queries)
        statements = [(float(query["time"]) * 1000, query["sql"]) for query in captured.captured_queries]
        step.sql_ms = sum(ms for ms, _sql in statements)
        step.longest = max(statements)
    timed_rounds(steps, repeat, around=rolled_back)
    print_timed(f"bulk action, {size:,} open tickets, rolled back", steps)
    print(f"  each: priority high, assignee {agent.email}, tag {BULK_TAG!r} added; {repeat} rounds")
    print("  time in the database, one run with its statements captured:")
    for step in steps:
        ms, sql = step.longest
        print(f"    {step.name}: {step.sql_ms:.0f} ms; longest {ms:.0f} ms: {sql[:90]}...")
    vacuum_written_tables()


def vacuum_written_tables() -> None:
    """Rolled-back rounds leave dead rows and pages no longer all-visible: vacuumed, the tables read as before."""
    from django.db import connection

    from comptoir.events.models import EventDelivery
    from comptoir.tickets.models import Tag, Ticket, TicketEvent

    tables = [
        Ticket._meta.db_table,
        Ticket.tags.through._meta.db_table,
        Tag._meta.db_table,
        TicketEvent._meta.db_table,
        EventDelivery._meta.db_table,
    ]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM " + ", ".join(connection.ops.quote_name(table) for table in tables))


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction undone at its end: each round changes the same rows from the same state."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- Plans ------------------------------------------------------------------------------------


def print_plans(cases: Sequence[Case], timeout: float) -> None:
    print("\nPlans (EXPLAIN (ANALYZE, BUFFERS)) of each page's statements on the tickets:")
    for case in cases:
        if not case.statements:
            continue
        timings: list[tuple[float | None, int, list[str]]] = []
        for number, sql in enumerate(case.statements):
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or not any(t in sql for t in BIG_TABLES):
                continue
            cut_short = case.statement_ms[number] >= 0.95 * timeout * 1000
            lines = None if cut_short else _explain(sql, analyse=True)
            if lines is None:  # past --timeout: the plan the planner chose, not run
                timings.append((None, number, _explain(sql, analyse=False) or []))
            else:
                timings.append((_execution_ms(lines), number, lines))
        summary = ", ".join(
            f"#{number + 1} {'>' + format(timeout, '.0f') + ' s' if ms is None else format(ms, '.1f')}"
            for ms, number, _ in timings
        )
        print(f"\n  {case.name}: statements on the tickets, ms of execution: {summary}")
        rows_query = next(
            (number for _, number, _ in timings if '"tickets_ticket"."subject"' in case.statements[number]), None
        )
        for ms, number, lines in timings:
            if number != rows_query and ms is not None and ms < SLOW_STATEMENT_MS:
                continue
            warnings = _warnings("\n".join(lines))
            if ms is None:
                warnings.insert(0, f"ran past --timeout ({timeout:.0f} s): EXPLAIN without ANALYZE")
            role = "rows" if number == rows_query else "slow"
            print(f"\n    statement #{number + 1} ({role}){'  <- ' + ', '.join(warnings) if warnings else ''}")
            for line in lines:
                if _plan_line_worth_showing(line):
                    print(f"      {line}")


def _explain(sql: str, *, analyse: bool) -> list[str] | None:
    """The plan's lines; None when running it (ANALYZE) went past the statement timeout."""
    from django.db import OperationalError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyse else "EXPLAIN ") + sql)
            return [str(row[0]) for row in cursor.fetchall()]
    except OperationalError:
        return None


def _execution_ms(lines: Sequence[str]) -> float:
    for line in reversed(lines):
        found = re.search(r"Execution Time: ([\d.]+) ms", line)
        if found:
            return float(found[1])
    return 0.0


def _warnings(text: str) -> list[str]:
    warnings = []
    if "Sort Method: external" in text or "Disk:" in text:
        warnings.append("SORT SPILLS TO DISK")
    scanned = sorted(set(re.findall(r"Seq Scan on (\w+)", text)) & set(BIG_TABLES))
    if scanned:
        warnings.append(f"scans {', '.join(scanned)}")
    # The "who spoke last" subquery sorts a ticket's few messages; anything bigger is a sort an index could spare.
    sorted_rows = [
        int(rows) for rows in re.findall(r"->  Sort .*?actual time=\S+ rows=(\d+)", text.split("SubPlan")[0])
    ]
    if any(rows > 2 * 26 for rows in sorted_rows):
        warnings.append(f"sorts {max(sorted_rows):,} rows for a page")
    return warnings


def _plan_line_worth_showing(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("Output:", "Planning:", "Filter: (U0.is_public)"))


def main(argv: Sequence[str] | None = None) -> int:
    from benchdb import RefusedDatabase, setup_django
    from dataset import analyse_database, bench_database, build, scratch_database

    arguments = parse_arguments(argv)
    try:
        database = bench_database(arguments.database_url)
        if database.is_sqlite:
            raise RefusedDatabase("this benchmark measures PostgreSQL's text search: a postgres:// URL")
    except RefusedDatabase as error:
        print(f"bench/workspace.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    with scratch_database(database, "comptoir-bench-workspace-", create=not arguments.reuse, keep=arguments.keep):
        setup_django()
        from django.conf import settings
        from django.core.management import call_command
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
        call_command("collectstatic", interactive=False, verbosity=0)
        limit_statements(arguments.timeout)
        version = ".".join(str(part) for part in connection.get_database_version())
        agent = busiest_agent()
        ranked = ranked_sort_available()
        print(
            f"Comptoir workspace: {Ticket.objects.count():,} tickets, {Message.objects.count():,} messages, "
            f"{connection.display_name} {version}, database {database.name}; agent {agent.email}; "
            f"{arguments.repeat} rounds of reads, {arguments.bulk_repeat} of the bulk action; "
            f"ranked sort {'offered' if ranked else 'NOT offered by TicketFilterForm.sort'}"
        )
        typed_searches = [
            (label, typed)
            for label, typed in searches()
            if not arguments.only or any(text in label for text in arguments.only)
        ]
        print("\nSearched on All tickets (tickets found, counted once):")
        for label, typed in typed_searches:
            found, alike = matching(typed, agent)
            shown = f"{found:>9,} tickets" + (f", {alike:,} look-alikes listed instead" if alike else "")
            print(f"  {label:<40} q={typed!r:<48} {shown}")
        saved = saved_view_made(agent)
        try:
            print(f"  saved view {saved.pk}: {saved.params}")
            client = Client()
            client.force_login(agent)
            cases = make_cases(typed_searches, saved, ranked=ranked)
            client.get(cases[0].address, secure=True)  # a first request fills what a running site keeps in its cache
            for case in cases:
                if case.available:
                    capture(client, case, arguments.timeout)
            measure(client, cases, arguments.repeat, arguments.timeout)
            print_table(cases)
            measure_counts(agent, saved, arguments.repeat)
            print_plans(cases, arguments.timeout)
            # Last: its rounds leave dead rows behind (then vacuumed), which the reads must not meet.
            if arguments.bulk:
                measure_bulk(agent, arguments.bulk, arguments.bulk_repeat)
        finally:
            saved.delete()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory of this process (ru_maxrss): {peak:.0f} MiB")
        return 0


if __name__ == "__main__":
    sys.exit(main())
