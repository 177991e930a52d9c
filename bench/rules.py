"""What business rules cost each ticket event: 100 active triggers beside none, on the same writes, in one run.

    .venv/bin/python bench/rules.py [--events 100000] [--rules 100] [--tickets 500] [--batch 500] \
        [--database-url postgres://postgres@127.0.0.1:5432/comptoir_bench_rules] [--keep]

The script drops and creates the database the URL names (its name must hold
"bench"), migrates it, opens ``--tickets`` tickets through the services, and
writes ``--rules`` active triggers of the shapes a team writes (bench/README.md
lists them): most look at words of the subject or the message, a status, a
priority, a group, tags or the requester, and only a few match; those add a
tag or set a priority, so chains and the chain guard run too.

Then ``--events`` ticket events, in batches of ``--batch`` that alternate
between the two sides (rules on, rules off: every trigger turned off, so the
subscriber still runs its lookup of active triggers and finds none). Each
event is one write an agent makes on a ticket (a priority change or a reply,
turn about, through ``ticket_update_by_agent``) and the handing over of the
ticket's events to every subscriber (``dispatch_ticket``), as the worker does
after the commit; both are timed apart. The rules' cost per event is the
difference of the dispatch times: the write is the same on both sides.

Printed: per side, events, mean and median and p95 milliseconds of the write
and of the dispatch; the rules' cost per event (mean dispatch difference) and
the dispatch time with rules as a multiple of without; then how often the
rules fired, were held back by the chain guard or matched nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

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

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_rules"
# Words of the tickets' subjects and of the agents' replies; the rules look for these and for others.
SUBJECT_WORDS = ["export", "invoice", "password", "printer", "login", "refund", "délai", "facture"]
REPLY_WORDS = ["restart", "screenshot", "version", "browser", "cache", "settings"]
ABSENT_WORDS = [f"product{n}" for n in range(200)]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--batch", type=int, default=500, help="events per batch; batches alternate the sides")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    return parser.parse_args(argv)


def rule_specs(count: int, group_ids: Sequence[int]) -> list[dict[str, object]]:
    """``count`` triggers: a tenth match often and change something, the rest look and pass by."""
    specs: list[dict[str, object]] = []
    for n in range(count):
        shape = n % 10
        conditions: list[dict[str, object]]
        actions: list[dict[str, object]] = [{"action": "add_tags", "value": f"rule-{n}"}]
        events = ["updated"]
        if shape == 0:  # matches a priority change to high: fires, tags the ticket
            conditions = [{"field": "priority", "operator": "is", "value": "high"}]
        elif shape in (1, 2, 3):  # words nobody writes
            conditions = [{"field": "subject", "operator": "contains", "value": ABSENT_WORDS[n % len(ABSENT_WORDS)]}]
            events = ["created", "updated"]
        elif shape == 4:  # words of the replies, on agents' messages
            conditions = [
                {"field": "body", "operator": "contains", "value": REPLY_WORDS[n % len(REPLY_WORDS)]},
                {"field": "status", "operator": "is", "value": "solved"},
            ]
            events = ["agent_message"]
        elif shape == 5:  # a group and a tag
            conditions = [
                {"field": "group", "operator": "is", "value": group_ids[n % len(group_ids)]},
                {"field": "tags", "operator": "contains", "value": "vip"},
            ]
        elif shape == 6:  # any of two statuses, on status changes
            conditions = [{"field": "status", "operator": "in", "value": ["pending", "on_hold"]}]
            events = ["status_changed"]
        elif shape == 7:  # a requester's address
            conditions = [{"field": "requester", "operator": "is", "value": f"vip{n}@example.org"}]
        elif shape == 8:  # urgent words, any of them
            conditions = [
                {"field": "subject", "operator": "contains", "value": "urgent"},
                {"field": "body", "operator": "contains", "value": "asap"},
            ]
            events = ["created", "agent_message"]
        else:  # the language and the channel: French tickets come by the web here
            conditions = [
                {"field": "language", "operator": "is", "value": "fr"},
                {"field": "channel", "operator": "is", "value": "email"},
            ]
        specs.append(
            {"name": f"Rule {n}", "position": n, "events": events, "conditions": conditions, "actions": actions}
        )
    return specs


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        name = bench_database_name(arguments.database_url)
    except RefusedDatabase as error:
        print(f"bench/rules.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    recreate_database(arguments.database_url, name)
    try:
        with tempfile.TemporaryDirectory(prefix="comptoir-bench-rules-") as var_dir:
            configure_environment(Path(var_dir), arguments.database_url)
            setup_django()
            return run(arguments)
    finally:
        if not arguments.keep:
            drop_database(arguments.database_url, name)


def run(arguments: argparse.Namespace) -> int:
    from django.db import connection

    from comptoir.accounts.models import Role, User
    from comptoir.events.dispatch import dispatch_ticket
    from comptoir.rules.models import Outcome, Rule, RuleRun
    from comptoir.tickets.models import Priority, SupportGroup, Ticket
    from comptoir.tickets.services import ticket_create, ticket_update_by_agent

    agent = User.objects.create_user("agent@support.example", name="Agent", role=Role.AGENT)
    groups = [SupportGroup.objects.create(name=f"Team {n}") for n in range(4)]
    before = time.perf_counter()
    tickets: list[Ticket] = []
    for n in range(arguments.tickets):
        ticket = ticket_create(
            email=f"customer{n % 97}@example.org",
            name=f"Customer {n % 97}",
            subject=f"{SUBJECT_WORDS[n % len(SUBJECT_WORDS)]} question {n}",
            description="It does not work as the documentation says.",
            language="fr" if n % 3 == 0 else "en",
        )
        dispatch_ticket(ticket.pk)
        tickets.append(ticket)
    for spec in rule_specs(arguments.rules, [group.pk for group in groups]):
        rule = Rule(**spec)
        rule.full_clean()
        rule.save()
    print(
        f"Comptoir rules benchmark: {server_version().split(',')[0]}, database {connection.settings_dict['NAME']}; "
        f"{arguments.tickets:,} tickets opened in {time.perf_counter() - before:.1f} s; "
        f"{Rule.objects.filter(active=True).count()} active triggers; {arguments.events:,} events in batches of "
        f"{arguments.batch:,}, the sides alternating"
    )

    writes: dict[bool, list[float]] = {True: [], False: []}
    dispatches: dict[bool, list[float]] = {True: [], False: []}
    done = 0
    batch_index = 0
    while done < arguments.events:
        with_rules = batch_index % 2 == 0
        Rule.objects.update(active=with_rules)
        for _ in range(min(arguments.batch, arguments.events - done)):
            ticket = tickets[done % len(tickets)]
            started = time.perf_counter()
            if done % 2:
                ticket_update_by_agent(ticket, agent=agent, body=f"Please {REPLY_WORDS[done % 6]} and tell us.")
            else:
                high = (done // len(tickets)) % 2 == 0
                ticket_update_by_agent(ticket, agent=agent, priority=Priority.HIGH if high else Priority.NORMAL)
            written = time.perf_counter()
            dispatch_ticket(ticket.pk)
            dispatched = time.perf_counter()
            writes[with_rules].append((written - started) * 1000)
            dispatches[with_rules].append((dispatched - written) * 1000)
            done += 1
        batch_index += 1
        print(f"  {done:,}/{arguments.events:,} events", file=sys.stderr)

    print()
    write_columns = f"{'write mean':>10} {'median':>7} {'p95':>7}"
    dispatch_columns = f"{'dispatch mean':>13} {'median':>7} {'p95':>7}"
    print(f"  {'side':<24}{'events':>8}  {write_columns}  {dispatch_columns}")
    for side, label in ((False, "no active rule"), (True, f"{arguments.rules} active triggers")):
        w, d = writes[side], dispatches[side]
        if not w:
            continue
        print(
            f"  {label:<24}{len(w):>8,}  {statistics.fmean(w):>10.2f} {statistics.median(w):>7.2f} "
            f"{percentile(w, 0.95):>7.2f}  {statistics.fmean(d):>13.2f} {statistics.median(d):>7.2f} "
            f"{percentile(d, 0.95):>7.2f}"
        )
    if writes[True] and writes[False]:
        cost = statistics.fmean(dispatches[True]) - statistics.fmean(dispatches[False])
        ratio = statistics.fmean(dispatches[True]) / statistics.fmean(dispatches[False])
        whole = (statistics.fmean(writes[True]) + statistics.fmean(dispatches[True])) / (
            statistics.fmean(writes[False]) + statistics.fmean(dispatches[False])
        )
        print(
            f"\n  the rules' cost per event: {cost:.2f} ms (dispatch {ratio:.2f}x without rules; "
            f"write and dispatch together {whole:.2f}x)"
        )
    outcomes = {value: RuleRun.objects.filter(outcome=value).count() for value, _label in Outcome.choices}
    print("  rule runs kept: " + ", ".join(f"{value} {count:,}" for value, count in outcomes.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
