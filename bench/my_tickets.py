"""How fast "My tickets" answers at scale: the queries of /<lang>/my/tickets/ over generated tickets on PostgreSQL.

    .venv/bin/python bench/my_tickets.py [--tickets 200000] [--repeat 30] [--database-url URL] [--keep]

The script creates its own database (by default ``comptoir_bench_my_tickets`` on
127.0.0.1:5432, dropped and created again at the start, dropped at the end
unless ``--keep``), migrates it and writes, with COPY through psycopg (not the
services, which would take hours), a seeded help desk:

- one requester for every 20 tickets (``accounts_user``, role requester) and a
  few agents;
- a few organisations: one shares its tickets (``shares_tickets``) and has 50
  members, the others do not share and hold a share of the other requesters;
- ``--tickets`` tickets spread at random over the requesters and over two years,
  recent ones still open, older ones mostly solved or closed;
- on each ticket 2 or 3 public messages (the requester's, an agent's answer,
  sometimes the requester again), an internal note on one in ten, a "created"
  event and 1 to 3 "status" events;

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
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from comptoir.accounts.models import User
    from comptoir.tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_my_tickets"
SEED = 2711
# Every timestamp is counted back from here, so each run writes the same rows.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SPAN_DAYS = 730
TICKETS_PER_REQUESTER = 20
SHARED_MEMBERS = 50
# Organisations that do not share; together they hold this fraction of the other requesters.
OTHER_ORGANISATIONS = 4
OTHER_ORGANISATION_FRACTION = 0.2
AGENTS = 25
SEARCH_WORD = "invoice"
PLAN_LINES = 18
ACTIVE = ("new", "open", "pending", "on_hold")


# --- Generated help desk --------------------------------------------------------

SUBJECTS = {
    "fr": [
        "Facture introuvable", "Impossible de me connecter", "Mot de passe oublié", "Erreur au paiement",
        "Question sur mon abonnement", "Export des rapports", "Pièce jointe refusée", "Remboursement en attente",
        "Notification non reçue", "Changer mon adresse e-mail", "Le tableau de bord ne charge pas",
        "Double prélèvement", "Demande de devis", "Compte bloqué", "Problème d'affichage sur mobile",
    ],
    "en": [
        "Missing invoice", "Cannot log in", "Forgot my password", "Payment error", "Question about my subscription",
        "Report export", "Attachment rejected", "Refund pending", "Notification not received",
        "Change my email address", "Dashboard does not load", "Charged twice", "Invoice address is wrong",
        "Account locked", "Display problem on mobile",
    ],
}  # fmt: skip
SENTENCES = {
    "fr": [
        "Bonjour, je n'arrive pas à retrouver ma facture du mois dernier.",
        "Le message d'erreur apparaît dès que je clique sur le bouton.",
        "Pouvez-vous vérifier mon compte ?", "Merci pour votre retour rapide.",
        "J'ai essayé avec un autre navigateur, sans succès.", "Voici une capture d'écran du problème.",
        "Nous avons corrigé le paramètre de votre compte.", "Pouvez-vous réessayer et nous dire si cela fonctionne ?",
        "Le remboursement sera visible sous cinq jours ouvrés.", "Tout fonctionne à nouveau, merci.",
    ],
    "en": [
        "Hello, I cannot find last month's invoice anywhere.", "The error shows as soon as I click the button.",
        "Could you check my account?", "Thanks for the quick reply.", "I tried another browser, no luck.",
        "Here is a screenshot of the problem.", "We fixed the setting on your account.",
        "Could you try again and tell us whether it works?", "The refund will show within five working days.",
        "Everything works again, thank you.",
    ],
}  # fmt: skip


@dataclass
class Counts:
    requesters: int = 0
    agents: int = 0
    organisations: int = 0
    tickets: int = 0
    messages: int = 0
    events: int = 0


def body(rng: random.Random, language: str) -> str:
    return " ".join(rng.sample(SENTENCES[language], rng.randint(2, 4)))


def final_status(rng: random.Random, age_days: float) -> str:
    """Recent tickets are still being worked; old ones are mostly solved or closed."""
    draw = rng.random()
    if age_days < 14:
        return rng.choice(ACTIVE)
    if age_days < 60:
        return "solved" if draw < 0.5 else "closed" if draw < 0.7 else rng.choice(ACTIVE[1:])
    return "closed" if draw < 0.85 else "solved" if draw < 0.95 else rng.choice(("pending", "on_hold"))


def status_path(status: str) -> list[str]:
    """The statuses a ticket went through after "new", up to ``status``."""
    if status == "new":
        return []
    if status == "closed":
        return ["open", "solved", "closed"]
    return ["open"] if status == "open" else ["open", status]


def generate(url: str, ticket_count: int) -> Counts:
    """Users, organisations, tickets, messages and events, written with COPY in one transaction."""
    import psycopg

    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not a secret
    counts = Counts()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        # Every row gets its id here: a table the migrations filled stays untouched.
        next_ids: dict[str, int] = {}
        for table in ("accounts_organisation", "accounts_user", "tickets_ticket"):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - fixed names
            row = cursor.fetchone()
            next_ids[table] = int(row[0]) if row else 1

        organisation_ids = list(
            range(next_ids["accounts_organisation"], next_ids["accounts_organisation"] + 1 + OTHER_ORGANISATIONS)
        )
        shared_organisation = organisation_ids[0]
        with cursor.copy("COPY accounts_organisation (id, name, shares_tickets, created_at) FROM STDIN") as copy:
            for number, pk in enumerate(organisation_ids):
                copy.write_row((pk, f"Bench organisation {number}", number == 0, NOW - timedelta(days=SPAN_DAYS)))
        counts.organisations = len(organisation_ids)

        requester_count = max(ticket_count // TICKETS_PER_REQUESTER, SHARED_MEMBERS * 2)
        first_user = next_ids["accounts_user"]
        agent_ids = list(range(first_user, first_user + AGENTS))
        requester_ids = list(range(first_user + AGENTS, first_user + AGENTS + requester_count))
        user_columns = (
            "id, password, last_login, is_superuser, email, name, role, language, is_active, is_staff, "
            "date_joined, notify_by_email, organisation_id"
        )
        with cursor.copy(f"COPY accounts_user ({user_columns}) FROM STDIN") as copy:
            joined = NOW - timedelta(days=SPAN_DAYS + 1)
            for number, pk in enumerate(agent_ids):
                copy.write_row(
                    (pk, "!", None, False, f"agent{number}@bench.example", f"Agent {number}", "agent", "en", True,
                     True, joined, True, None)
                )  # fmt: skip
            for number, pk in enumerate(requester_ids):
                if number < SHARED_MEMBERS:
                    organisation: int | None = shared_organisation
                elif rng.random() < OTHER_ORGANISATION_FRACTION:
                    organisation = rng.choice(organisation_ids[1:])
                else:
                    organisation = None
                copy.write_row(
                    (pk, "!", None, False, f"requester{number}@bench.example", f"Requester {number}", "requester",
                     rng.choice(("fr", "en")), True, False, joined, True, organisation)
                )  # fmt: skip
        counts.agents, counts.requesters = len(agent_ids), len(requester_ids)

        ticket_rows: list[tuple[Any, ...]] = []
        message_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []
        ticket_id = next_ids["tickets_ticket"]
        for _ in range(ticket_count):
            requester = rng.choice(requester_ids)
            agent = rng.choice(agent_ids)
            language = rng.choice(("fr", "en"))
            age = rng.random() * SPAN_DAYS
            created = NOW - timedelta(days=age)
            status = final_status(rng, age)
            channel = rng.choice(("web", "web", "email"))
            # The requester's question, the agent's answer, sometimes the requester again.
            moment = created
            message_rows.append((ticket_id, requester, "requester", True, channel, body(rng, language), moment))
            moment += timedelta(minutes=rng.randint(5, 60 * 24 * min(3, max(1, int(age)))))
            if status != "new":
                message_rows.append((ticket_id, agent, "agent", True, "web", body(rng, language), moment))
            else:
                moment = created + timedelta(minutes=rng.randint(1, 30))
                message_rows.append((ticket_id, requester, "requester", True, channel, body(rng, language), moment))
            if rng.random() < 0.5:
                moment += timedelta(minutes=rng.randint(5, 600))
                message_rows.append((ticket_id, requester, "requester", True, channel, body(rng, language), moment))
            if rng.random() < 0.1:
                note = created + timedelta(minutes=rng.randint(1, 120))
                message_rows.append((ticket_id, agent, "agent", False, "web", body(rng, language), note))
            # History: created, then each status change.
            event_rows.append((ticket_id, requester, "created", "", "new", created))
            previous, changed, solved, closed = "new", created, None, None
            for step in status_path(status):
                changed = (
                    created + timedelta(minutes=rng.randint(5, 120))
                    if step == "open"
                    else changed + timedelta(hours=rng.randint(1, 72))
                )
                event_rows.append((ticket_id, agent, "status", previous, step, changed))
                solved = changed if step == "solved" else solved
                closed = changed if step == "closed" else closed
                previous = step
            updated = max(moment, changed)
            subject = rng.choice(SUBJECTS[language])
            ticket_rows.append(
                (ticket_id, subject, "question", "normal", status, channel, language, created, updated, solved, closed,
                 None if status == "new" else agent, requester)
            )  # fmt: skip
            ticket_id += 1

        ticket_columns = (
            "id, subject, type, priority, status, channel, language, created_at, updated_at, solved_at, closed_at, "
            "assignee_id, requester_id"
        )
        copy_rows(cursor, f"COPY tickets_ticket ({ticket_columns}) FROM STDIN", ticket_rows)
        copy_rows(
            cursor,
            "COPY tickets_message (ticket_id, author_id, author_role, is_public, channel, body, created_at) FROM STDIN",
            message_rows,
        )
        copy_rows(
            cursor,
            "COPY tickets_ticketevent (ticket_id, actor_id, kind, old_value, new_value, created_at) FROM STDIN",
            event_rows,
        )
        counts.tickets, counts.messages, counts.events = len(ticket_rows), len(message_rows), len(event_rows)
        # The identities go on after the rows written with their id, for whoever uses a --keep database.
        for table in ("accounts_organisation", "accounts_user", "tickets_ticket"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            )
        connection.commit()
    return counts


def copy_rows(cursor: Any, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "accounts_organisation",
            "accounts_user",
            "tickets_ticket",
            "tickets_message",
            "tickets_ticketevent",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


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
        counts = generate(arguments.database_url, arguments.tickets)
        generated = time.perf_counter() - before
        before = time.perf_counter()
        analyse()
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
