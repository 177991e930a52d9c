"""Comptoir beside django-helpdesk 2.6.1: the same help desk, the same scenarios, the same run, read as ratios.

    .venv/bin/python bench/compare_helpdesk.py [--size 50000|S|L|<tickets>] [--repeat 30] [--deep-page 1000]
        [--database-url sqlite:////path/comptoir_bench_compare.sqlite3
                        | postgres://postgres@127.0.0.1:5432/comptoir_bench_compare]
        [--helpdesk-mail smtp|locmem] [--broker redis://127.0.0.1:6379/0] [--only SCENARIO ...] [--keep]

django-helpdesk (PyPI ``django-helpdesk==2.6.1``) is installed into its own
virtualenv, ``var/helpdesk-venv`` (reused when it already holds the pinned
versions: the same Django and psycopg as Comptoir's), and runs in a minimal
project this script writes under ``var/helpdesk-project`` (not committed):
its installation guide's apps (sites, humanize, rest_framework, helpdesk), its
URLs under ``/helpdesk/``, DEBUG off, hashed static files collected, Django's
SMTP e-mail backend (or locmem with ``--helpdesk-mail locmem``) and, on
SQLite, the same connection options as Comptoir's settings.
Teams mode is off (``HELPDESK_TEAMS_MODE_ENABLED = False``: it needs
pinax-teams, and only changes the knowledge base). Everything else is
django-helpdesk's default.

The two cannot share a process (two settings modules), so each side is a
long-lived worker: this file run with ``--worker comptoir`` by ``.venv`` or
``--worker helpdesk`` by the helpdesk virtualenv, answering one JSON line per
request on stdin/stdout ("run this scenario once": elapsed seconds, queries).
The parent sends every scenario to both sides in turn, round after round
(who goes first alternates), so a change of load on the machine hits both.

Both databases hold the same help desk (``--size`` tickets, 50,000 by default).
Comptoir's is written by ``bench/dataset.py`` (see bench/README.md for its
shape), then three of its active tickets are brought to 5, 50 and 500 messages
and 60 others are kept as targets for e-mailed replies. django-helpdesk's is
copied from it, row by row into its own model, by bulk INSERT (COPY on
PostgreSQL) in one transaction: same ids, same agents (staff users, same ids),
support groups as queues (plus a "General" queue for the tickets without a
group, where the public form and new e-mails also go), requesters' addresses as
``submitter_email``, the first message as the description, every message a
follow-up (internal notes not public), every change of status, assignee or
group a ``TicketChange`` on the follow-up written with it (or on a follow-up of
its own, as the auto-close), Comptoir's statuses mapped to helpdesk's (new,
open, pending: Open; on hold: Open with ``on_hold``; solved: Resolved; closed:
Closed) and priorities (urgent 1, high 2, normal 3, low 4). Then ANALYZE
(VACUUM ANALYZE on PostgreSQL) on both.

Scenarios, each a request through Django's test client (agent pages signed in
as the agent with the most active tickets, who is staff on both sides):

- ``list page 1``: each side's default ticket list. Comptoir ``/en/agent/``
  (unassigned tickets, with every view's count); helpdesk ``/helpdesk/tickets/``
  (open and reopened tickets), plus the DataTables JSON its page fetches for
  its rows (``datatables_ticket_list``): both requests are the figure.
- ``list page N``: all tickets, newest first, page ``--deep-page`` (or the last
  full page). Comptoir ``?view=all&after=<cursor>``; helpdesk the list with
  every status, sorted by creation, newest first, and its JSON at
  ``start=(N-1)*25``.
- ``dashboard``: helpdesk's dashboard (the agent's tickets, the unassigned
  ones, counts and statistics) beside Comptoir's "Mine" view, the agent's
  tickets with the count of every view: Comptoir has no other dashboard.
- ``ticket, K messages``: the agent's ticket page at 5, 50 and 500 messages
  (Comptoir folds a conversation longer than 50 to its first and latest
  messages), then ``ticket, 500 all shown``: Comptoir's page unfolded
  (``?all=1``) beside helpdesk's same page.
- ``keyword search``: helpdesk's list with ``q=invoice`` and its JSON;
  Comptoir's list of all tickets with ``q=invoice`` (subjects and every
  message, by full-text index).
- ``mail: new ticket`` and ``mail: reply``: one e-mail (text and HTML, a new
  sender or the ticket's requester) through the code a mailbox poll runs per
  message: ``comptoir.gateway.inbound.ingest`` (a reply to the ticket's signed
  reply address, as our e-mails ask) and ``helpdesk.email.extract_email_metadata``
  (a reply with ``[queue-id]`` in its subject, as its e-mails ask).
- ``public form``: a new ticket through the public form, a new visitor (no
  cookie) each time. Comptoir: ``POST /en/tickets/new/`` with a captcha solved
  before the clock starts (the check is in the request, as in production) and
  the rate limits raised; helpdesk: ``POST /helpdesk/`` (its home page form).
- ``captcha challenge``: Comptoir only, ``GET /altcha/challenge/``, what the
  form's widget fetches once per ticket sent; it derives the key the POST then
  checks by HMAC (comptoir/core/captcha.py), so its cost is shown, not hidden.

django-helpdesk sends its e-mails inside the request, as production does: by
default by Django's SMTP backend to a real SMTP server (aiosmtpd) this process
runs on 127.0.0.1 (a connection per e-mail, a local MTA at its fastest; a
remote one costs more), or with ``--helpdesk-mail locmem`` to the locmem
backend (built, kept in memory, never sent). Comptoir queues them for its
worker in the broker ``--broker`` names: Redis by default, as production
(``filesystem://`` is a default install's); no worker reads it, and what the
rounds queued is purged at the end (give the bench a Redis database of its
own). The public form's
target is Comptoir at least 3x helpdesk's submit rate (submissions per second
over the timed runs) in the same run: the line after the table says whether it
is met, and how many e-mails helpdesk sent in each request.

After a warm-up round and a round that counts queries
(``CaptureQueriesContext``, savepoints included, on every side), ``--repeat``
timed rounds. The table gives, per scenario and side, the median and p95
(nearest rank) milliseconds and the queries, then the ratio helpdesk/Comptoir
of the medians and of the p95s (above 1: Comptoir is faster). Last: the commit,
the databases, the versions and each worker's peak memory (``ru_maxrss``), with
Comptoir's resident memory after the rounds, its peak once set up and the
scenarios that raised it. Static files are collected by ``manage.py
collectstatic`` in a process of its own, as a deployment does, so that the
worker's peak is a web process's. ``--only`` runs some scenarios only.

The databases: by default two SQLite files under ``var/compare-helpdesk/``;
with a PostgreSQL ``--database-url`` (its name must contain ``bench``) that
database for Comptoir and ``<name>_helpdesk`` beside it. Both are dropped and
made again at the start, dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
HELPDESK_VENV = VAR / "helpdesk-venv"
HELPDESK_PROJECT = VAR / "helpdesk-project"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR / 'compare-helpdesk' / 'comptoir_bench_compare.sqlite3'}"
HELPDESK_VERSION = "2.6.1"
SEED = 2711
LONG_TICKETS = (5, 50, 500)
REPLY_POOL = 60
SEARCH_WORD = "invoice"
PAGE_SIZE = 25  # both sides' default rows per page
MAIL_SOURCE = "bench-compare"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
FORM_TARGET = 3.0  # Comptoir's submit rate as a multiple of helpdesk's

# Scenario keys, in the order of the table.
SCENARIOS = (
    "list p1",
    "list deep",
    "dashboard",
    *(f"ticket {count}" for count in LONG_TICKETS),
    "ticket all",
    "search",
    "mail new",
    "mail reply",
    "form",
    "challenge",
)

# Comptoir's values as django-helpdesk holds them.
HELPDESK_STATUS = {"new": 1, "open": 1, "pending": 1, "on_hold": 1, "solved": 3, "closed": 4}
HELPDESK_STATUS_LABEL = {1: "Open", 2: "Reopened", 3: "Resolved", 4: "Closed", 5: "Duplicate"}
HELPDESK_PRIORITY = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
CHANGE_FIELDS = {"status": "Status", "assignee": "Owner", "group": "Queue", "priority": "Priority", "type": "Type"}
HELPDESK_TICKET_COLUMNS = (
    "id", "title", "queue_id", "created", "modified", "submitter_email", "assigned_to_id", "status", "on_hold",
    "description", "resolution", "priority", "due_date", "last_escalation", "secret_key", "kbitem_id", "merged_to_id",
)  # fmt: skip
HELPDESK_FOLLOWUP_COLUMNS = (
    "id", "ticket_id", "date", "title", "comment", "public", "user_id", "new_status", "message_id", "time_spent",
    "email_recipients",
)  # fmt: skip
HELPDESK_CHANGE_COLUMNS = ("followup_id", "field", "old_value", "new_value")


# --- What both workers share: the e-mails and the protocol ------------------------------------

MAIL_LINES = (
    "I cannot find last month's invoice in my account.",
    "The export button does nothing since this morning.",
    "I tried another browser and cleared the cache, with no luck.",
    "A colleague of mine has the same problem since Monday's update.",
    "Could you tell me when it will be fixed?",
    "It blocks us, as we have to send the documents before Friday.",
    "Here are the steps: Reports, then Export, then nothing happens.",
)
AGENT_TEXT = (
    "Hello,\n\nCould you tell us which browser you use, and send us a screenshot of the screen "
    "when the error appears?\n\nKind regards,\nCamille, support team"
)


def inbound_mail(
    *, number: int, sender: tuple[str, str], to: str, subject: str, headers: dict[str, str], quoting: bool
) -> bytes:
    """One message as a common mail client writes it: text and HTML, a reply quoting our last e-mail."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formataddr, formatdate
    from html import escape

    start = number % len(MAIL_LINES)
    lines = [MAIL_LINES[(start + step) % len(MAIL_LINES)] for step in range(3)]
    paragraphs = ["Hello,", " ".join(lines), f"Thanks,\n{sender[0]}"]
    text = "\n\n".join(paragraphs)
    html = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    if quoting:
        attribution = "On Monday, Support <support@support.example> wrote:"
        text += f"\n\n{attribution}\n" + "\n".join(f"> {line}" for line in AGENT_TEXT.split("\n"))
        html += (
            f'<div class="gmail_quote"><div class="gmail_attr">{escape(attribution)}</div>'
            f"<blockquote>{escape(AGENT_TEXT).replace(chr(10), '<br>')}</blockquote></div>"
        )
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr(sender)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<bench.{number}.{secrets.token_hex(6)}@{sender[1].partition('@')[2]}>"
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(f'<html><body><div dir="ltr">{html}</div></body></html>', subtype="html")
    return message.as_bytes()


def new_sender(number: int) -> tuple[str, str]:
    return f"Sender {number}", f"new.sender.{number}.{secrets.token_hex(3)}@mail.example"


def peak_mebibytes() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def resident_mebibytes() -> float | None:
    """The resident set now (Linux: /proc/self/status), beside the peak: what the process keeps."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class MemoryWatch:
    """Which scenario raised the worker's peak memory, and by how much, over every run."""

    def __init__(self) -> None:
        self.at_setup = 0.0
        self.raised: dict[str, float] = defaultdict(float)

    def ran(self, scenario: str, before: float) -> None:
        if (after := peak_mebibytes()) > before:
            self.raised[scenario] += after - before

    def stats(self) -> dict[str, Any]:
        top = sorted(self.raised.items(), key=lambda item: -item[1])[:3]
        return {
            "peak_mib": peak_mebibytes(),
            "now_mib": resident_mebibytes(),
            "setup_peak_mib": self.at_setup,
            "raised_by": [f"{name} +{mib:.0f}" for name, mib in top if mib >= 0.5],
        }


def serve(side: Any) -> int:
    """The worker's loop: one JSON request per line on stdin, one JSON answer per line on stdout.

    Whatever the code under test prints goes to stderr: stdout carries the protocol only.
    """
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        request = json.loads(line)
        operation = request.pop("op")
        if operation == "quit":
            protocol.write(json.dumps({"ok": True}) + "\n")
            break
        try:
            answer = {"ok": True, **getattr(side, operation)(**request)}
        except Exception:
            answer = {"ok": False, "error": traceback.format_exc()}
        protocol.write(json.dumps(answer, default=str) + "\n")
    side.close()
    return 0


class Timed:
    """One run of a scenario: untimed preparation is done; ``action`` is what the clock measures."""

    def __init__(self, action: Callable[[], Any], check: Callable[[Any], None] = lambda result: None) -> None:
        self.action = action
        self.check = check


def run_once(timed: Timed, capture: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = None
    if capture:
        with CaptureQueriesContext(connection) as captured:
            before = time.perf_counter()
            result = timed.action()
            seconds = time.perf_counter() - before
        queries = len(captured.captured_queries)
    else:
        before = time.perf_counter()
        result = timed.action()
        seconds = time.perf_counter() - before
    timed.check(result)
    return {"seconds": seconds, "queries": queries}


def expect_status(expected: int, *responses: Any) -> None:
    for response in responses:
        if response.status_code != expected:
            raise AssertionError(f"{response.request['PATH_INFO']} answered {response.status_code}, not {expected}")


# --- Comptoir's worker -------------------------------------------------------------------------


class ComptoirSide:
    """Comptoir in this process: settings from the environment, as bench/benchdb.py sets them."""

    def __init__(self) -> None:
        self.var_dir = Path(tempfile.mkdtemp(prefix="comptoir-bench-compare-"))
        self.scenarios: dict[str, Callable[[], Timed]] = {}
        self.numbers = iter(range(1, 10**9))
        self.memory = MemoryWatch()

    def configure(self, database_url: str) -> None:
        from benchdb import configure_environment

        configure_environment(self.var_dir, database_url)
        # Queued for a worker (none reads it here): Redis as in production, or another broker named by
        # --broker (filesystem:// is a default install's, under COMPTOIR_VAR_DIR).
        os.environ["CELERY_BROKER_URL"] = os.environ.get("COMPARE_BROKER_URL", "filesystem://")
        # A new ticket every run from one address: the limits would refuse them after 5 and 20.
        os.environ["COMPTOIR_RATE_LIMIT_TICKETS_PER_IP"] = str(10**9)
        os.environ["COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL"] = str(10**9)

    def seed(self, database_url: str, tickets: int, seed: int) -> dict[str, Any]:
        """Migrate, build the help desk with bench/dataset.py, then the long tickets; choose who and what to use."""
        from benchdb import setup_django
        from dataset import Size, analyse_database, build

        self.configure(database_url)
        before = time.perf_counter()
        setup_django()
        from django.conf import settings
        from django.db import connections

        connections.close_all()
        counts = build(database_url, Size(tickets), seed=seed, analyse=False)
        long_tickets = self.lengthen_tickets()
        connections.close_all()
        analyse_database(database_url)
        from agent_list import busiest_agent

        from comptoir.tickets.models import Message, Ticket

        agent = busiest_agent()
        pool = (
            Ticket.objects.filter(status__in=("pending", "open", "new"))
            .exclude(pk__in=long_tickets.values())
            .select_related("requester")
            .order_by("-status", "-pk")[:REPLY_POOL]
        )
        default = settings.DATABASES["default"]
        return {
            "seconds": time.perf_counter() - before,
            "tickets": counts.tickets,
            "messages": Message.objects.count(),
            "events": counts.events,
            "agent_id": agent.pk,
            "agent_email": agent.email,
            "long": long_tickets,
            "reply_pool": [
                {"id": t.pk, "email": t.requester.email, "name": t.requester.name, "subject": t.subject} for t in pool
            ],
            "options": default.get("OPTIONS", {}),
            "conn_max_age": default.get("CONN_MAX_AGE", 0),
            "database": self.database_label(),
        }

    def lengthen_tickets(self) -> dict[str, int]:
        """Three active, assigned tickets of at most 5 messages, brought to 5, 50 and 500: replies in turn."""
        import uuid
        from datetime import timedelta

        from dataset import AGENT_SENTENCES, REQUESTER_SENTENCES
        from django.db import transaction
        from django.db.models import Count, Max
        from django.utils import timezone

        from comptoir.tickets.models import EventKind, Message, Ticket, TicketEvent

        chosen = list(
            Ticket.objects.filter(status__in=("open", "pending"), assignee__isnull=False)
            .annotate(count=Count("messages"), last=Max("messages__created_at"))
            .filter(count__lte=min(LONG_TICKETS))
            .order_by("-pk")[: len(LONG_TICKETS)]
        )
        if len(chosen) < len(LONG_TICKETS):
            raise RuntimeError("not enough open, assigned tickets to lengthen: use a larger --size")
        # Written with the timestamps given, not the time of the run.
        for model in (Message, TicketEvent):
            model._meta.get_field("created_at").auto_now_add = False  # type: ignore[attr-defined]
        found: dict[str, int] = {}
        now = timezone.now()
        with transaction.atomic():
            for target, ticket in zip(LONG_TICKETS, chosen, strict=True):
                missing = target - ticket.count  # type: ignore[attr-defined]
                start = ticket.last  # type: ignore[attr-defined]
                step = (now - timedelta(hours=1) - start) / (missing + 1)
                messages = []
                for number in range(missing):
                    by_agent = number % 2 == 0
                    sentences = (AGENT_SENTENCES if by_agent else REQUESTER_SENTENCES)[ticket.language or "en"]
                    body = " ".join(sentences[(number + k) % len(sentences)] for k in range(3))
                    messages.append(
                        Message(
                            ticket=ticket,
                            author_id=ticket.assignee_id if by_agent else ticket.requester_id,
                            author_role="agent" if by_agent else "requester",
                            is_public=True,
                            channel="web" if by_agent else "email",
                            body=body,
                            created_at=start + step * (number + 1),
                        )
                    )
                Message.objects.bulk_create(messages)
                TicketEvent.objects.bulk_create(
                    TicketEvent(
                        ticket=ticket,
                        actor_id=message.author_id,
                        kind=EventKind.REPLY,
                        change=uuid.uuid4(),
                        message=message,
                        created_at=message.created_at,
                    )
                    for message in messages
                )
                if messages:
                    Ticket.objects.filter(pk=ticket.pk).update(updated_at=messages[-1].created_at)
                found[str(target)] = ticket.pk
        return found

    @staticmethod
    def database_label() -> str:
        from django.db import connection

        version = ".".join(str(part) for part in connection.get_database_version())
        return f"{connection.display_name} {version}, {connection.settings_dict['NAME']}"

    def setup(
        self, database_url: str, agent_id: int, long: dict[str, int], reply_pool: list[dict[str, Any]], deep_page: int
    ) -> dict[str, Any]:
        self.configure(database_url)
        import logging

        import django

        django.setup()
        import altcha
        from agent_list import deep_cursor
        from django.conf import settings
        from django.test import Client
        from django.urls import reverse
        from django.utils import translation

        from comptoir.accounts.models import User
        from comptoir.celery import app
        from comptoir.core import captcha
        from comptoir.gateway.inbound import ingest
        from comptoir.mail.addressing import reply_address, ticket_message_id
        from comptoir.mail.models import InboundStatus
        from comptoir.tickets.models import Ticket

        app.conf.task_always_eager = False
        # kombu warns that the broker's URL names no host, once, in the middle of the rounds.
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
        settings.ALLOWED_HOSTS = ["*"]
        # As in production: DEBUG off serves the collected, hashed static files' names. Collected by a
        # command of its own, as a deployment does, not in this process: its peak memory is a web worker's.
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "--verbosity=0"],
            cwd=ROOT,
            check=True,
        )
        agent = User.objects.get(pk=agent_id)
        client = Client()
        client.force_login(agent)
        cursor, page = deep_cursor("all", "-updated", agent, deep_page)
        with translation.override("en"):
            form_url = reverse("ticket_new")
            ticket_urls = {
                key: reverse("agent_ticket", args=[Ticket.objects.get(pk=pk).reference]) for key, pk in long.items()
            }
        challenge_url = reverse("altcha_challenge")
        visitor = Client()
        support = settings.COMPTOIR_SUPPORT_EMAIL
        pool = iter(reply_pool * 1000)

        def page_of(address: str) -> Callable[[], Timed]:
            def prepare() -> Timed:
                return Timed(lambda: client.get(address, secure=True), lambda response: expect_status(200, response))

            return prepare

        def processed(row: Any, *, reply: bool) -> None:
            if row.status != InboundStatus.PROCESSED or (reply and not row.matched_by):
                raise AssertionError(f"inbound e-mail {row.pk}: {row.status} {row.quarantine_reason!r}")

        def mail_new() -> Timed:
            number = next(self.numbers)
            raw = inbound_mail(
                number=number,
                sender=new_sender(number),
                to=support,
                subject=f"Export to PDF fails ({number})",
                headers={},
                quoting=False,
            )
            return Timed(lambda: ingest(raw, source=MAIL_SOURCE), lambda row: processed(row, reply=False))

        def mail_reply() -> Timed:
            number = next(self.numbers)
            target = next(pool)
            reference = Ticket(pk=target["id"]).reference
            ours = ticket_message_id(reference)
            raw = inbound_mail(
                number=number,
                sender=(target["name"], target["email"]),
                to=reply_address(reference),
                subject=f"Re: [#{reference}] {target['subject']}",
                headers={"In-Reply-To": f"<{ours}>", "References": f"<{ours}>"},
                quoting=True,
            )
            return Timed(lambda: ingest(raw, source=MAIL_SOURCE), lambda row: processed(row, reply=True))

        def form() -> Timed:
            number = next(self.numbers)
            # The challenge's GET is timed on its own ("challenge"): it derives the key the POST checks.
            challenge = altcha.Challenge.from_dict(captcha.new_challenge())
            solution = altcha.solve_challenge(challenge)  # the visitor's browser's work, before the clock
            if solution is None:
                raise AssertionError("the captcha could not be solved")
            # A new visitor: no cookie. One client, so the middleware is loaded once, as in a running process.
            visitor.cookies.clear()
            data = {
                "email": new_sender(number)[1],
                "name": f"Sender {number}",
                "ticket_type": "question",
                "subject": f"Export to CSV fails ({number})",
                "description": " ".join(MAIL_LINES[:3]),
                "altcha": altcha.Payload(challenge, solution).to_base64(),
                "website": "",
            }
            return Timed(
                lambda: visitor.post(form_url, data, secure=True), lambda response: expect_status(302, response)
            )

        def challenge() -> Timed:
            # What the form's widget fetches before the visitor can send it: once per ticket sent.
            return Timed(lambda: visitor.get(challenge_url, secure=True), lambda response: expect_status(200, response))

        self.scenarios = {
            "list p1": page_of("/en/agent/"),
            "list deep": page_of(f"/en/agent/?view=all&after={cursor}"),
            "dashboard": page_of("/en/agent/?view=mine"),
            "search": page_of(f"/en/agent/?view=all&q={SEARCH_WORD}"),
            **{f"ticket {key}": page_of(address) for key, address in ticket_urls.items()},
            # Comptoir folds a long conversation to its first and latest messages; unfolded:
            "ticket all": page_of(ticket_urls[str(LONG_TICKETS[-1])] + "?all=1"),
            "mail new": mail_new,
            "mail reply": mail_reply,
            "form": form,
            "challenge": challenge,
        }
        broker = app.connection_for_write()
        try:
            broker.ensure_connection(max_retries=1)
        finally:
            broker.release()
        self.memory.at_setup = peak_mebibytes()
        return {
            "broker": app.conf.broker_url.split("://")[0],
            "deep_page": page,
            "unsupported": {},
            "django": django.get_version(),
            "database": self.database_label(),
        }

    def run(self, name: str, capture: bool) -> dict[str, Any]:
        before = peak_mebibytes()
        result = run_once(self.scenarios[name](), capture)
        self.memory.ran(name, before)
        return result

    def stats(self) -> dict[str, Any]:
        return self.memory.stats()

    def close(self) -> None:
        if "django.apps" in sys.modules and sys.modules["django.apps"].apps.ready and self.scenarios:
            from django.db import connections

            from comptoir.celery import app

            # What the rounds queued for a worker that never came: the broker is left as it was found.
            app.control.purge()
            connections.close_all()
        shutil.rmtree(self.var_dir, ignore_errors=True)


# --- django-helpdesk's worker ------------------------------------------------------------------


class Source:
    """Comptoir's database, read with the driver alone (no Comptoir code in the helpdesk virtualenv)."""

    def __init__(self, vendor: str, location: str) -> None:
        self.vendor = vendor
        if vendor == "sqlite":
            import sqlite3

            self.connection: Any = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
        else:
            import psycopg

            self.connection = psycopg.connect(location.replace("pgsql://", "postgresql://", 1), autocommit=True)

    def rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.vendor == "sqlite":
            query = query.replace("%s", "?")
        return list(self.connection.execute(query, params).fetchall())

    def close(self) -> None:
        self.connection.close()


@dataclass
class Followup:
    date: Any
    title: str
    comment: str
    public: bool
    user_id: int | None
    new_status: int | None
    changes: list[tuple[str, str, str]] = field(default_factory=list)


class HelpdeskSide:
    """django-helpdesk in this process, under the project var/helpdesk-project holds."""

    def __init__(self) -> None:
        self.scenarios: dict[str, Callable[[], Timed]] = {}
        self.numbers = iter(range(1, 10**9))

    # Seeding: Comptoir's rows, as django-helpdesk's models hold them.

    def seed(self, source: dict[str, str], batch: int = 10_000) -> dict[str, Any]:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        before = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        self.check_schema()
        reader = Source(source["vendor"], source["location"])
        counts: dict[str, int] = defaultdict(int)
        try:
            with transaction.atomic():
                staff, general = self.copy_people_and_queues(reader, counts)
                low, high = reader.rows("SELECT MIN(id), MAX(id) FROM tickets_ticket")[0]
                next_followup = 1
                started = time.perf_counter()
                for first in range(low, high + 1, batch):
                    next_followup = self.copy_tickets(
                        reader, first, first + batch, staff, general, next_followup, counts
                    )
                    done = min(high, first + batch - 1) - low + 1
                    elapsed = time.perf_counter() - started
                    print(
                        f"helpdesk copy: {done:,}/{high - low + 1:,} tickets, {counts['followups']:,} follow-ups, "
                        f"{counts['changes']:,} changes, {elapsed:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )
                self.reset_sequences()
        finally:
            reader.close()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        return {"seconds": time.perf_counter() - before, **counts}

    @staticmethod
    def check_schema() -> None:
        """The columns written must be the tables' own: a new django-helpdesk column is refused by name."""
        from django.db import connection

        expected = {
            "helpdesk_ticket": set(HELPDESK_TICKET_COLUMNS),
            "helpdesk_followup": set(HELPDESK_FOLLOWUP_COLUMNS),
            "helpdesk_ticketchange": {"id", *HELPDESK_CHANGE_COLUMNS},
        }
        with connection.cursor() as cursor:
            for table, columns in expected.items():
                found = {column.name for column in connection.introspection.get_table_description(cursor, table)}
                if found != columns:
                    raise RuntimeError(f"{table} has columns {sorted(found ^ columns)} this script does not expect")

    @staticmethod
    def copy_people_and_queues(reader: Source, counts: dict[str, int]) -> tuple[set[int], int]:
        from django.contrib.auth import get_user_model
        from django.utils.text import slugify
        from helpdesk.models import Queue, UserSettings

        user_model = get_user_model()
        staff_rows = reader.rows(
            "SELECT id, email, name, role, is_active FROM accounts_user WHERE role IN ('agent', 'admin') ORDER BY id"
        )
        users = []
        for pk, email, name, role, active in staff_rows:
            first, _, last = str(name).partition(" ")
            user = user_model(pk=pk, username=email[:150], email=email, first_name=first, last_name=last)
            user.is_staff, user.is_superuser, user.is_active = True, role == "admin", bool(active)
            user.set_unusable_password()  # signed in by force_login, as Comptoir's agent
            users.append(user)
        user_model.objects.bulk_create(users)
        # What the post_save signal makes for each user (bulk_create sends none).
        UserSettings.objects.bulk_create(UserSettings(user_id=user.pk) for user in users)
        queues = []
        for pk, name in reader.rows("SELECT id, name FROM tickets_supportgroup ORDER BY id"):
            slug = slugify(str(name).split("/")[-1])[:50]
            queues.append(Queue(pk=pk, title=name, slug=slug, email_address=f"{slug}@support.example"))
        general = max((queue.pk for queue in queues), default=0) + 1
        # The queue the public form offers (the only one), and new e-mails land in.
        queues.append(
            Queue(
                pk=general,
                title="General",
                slug="general",
                email_address="general@support.example",
                allow_public_submission=True,
            )
        )
        for queue in queues:
            queue.allow_email_submission = True
        Queue.objects.bulk_create(queues)
        counts["staff users"], counts["queues"] = len(users), len(queues)
        return {user.pk for user in users}, general

    def copy_tickets(
        self,
        reader: Source,
        first: int,
        end: int,
        staff: set[int],
        general: int,
        next_followup: int,
        counts: dict[str, int],
    ) -> int:
        import uuid

        tickets = reader.rows(
            "SELECT t.id, t.subject, u.email, t.status, t.priority, t.assignee_id, t.group_id, t.created_at, "
            "t.updated_at FROM tickets_ticket t JOIN accounts_user u ON u.id = t.requester_id "
            "WHERE t.id >= %s AND t.id < %s ORDER BY t.id",
            [first, end],
        )
        messages: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in reader.rows(
            "SELECT m.ticket_id, m.id, m.author_id, m.author_role, m.is_public, m.channel, m.body, m.created_at, "
            "u.email FROM tickets_message m LEFT JOIN accounts_user u ON u.id = m.author_id "
            "WHERE m.ticket_id >= %s AND m.ticket_id < %s ORDER BY m.ticket_id, m.created_at, m.id",
            [first, end],
        ):
            messages[row[0]].append(row[1:])
        events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in reader.rows(
            "SELECT ticket_id, actor_id, kind, old_value, new_value, change, message_id, created_at "
            "FROM tickets_ticketevent WHERE ticket_id >= %s AND ticket_id < %s ORDER BY ticket_id, created_at, id",
            [first, end],
        ):
            events[row[0]].append(row[1:])
        ticket_rows, followup_rows, change_rows = [], [], []
        for pk, subject, email, status, priority, assignee, group, created, updated in tickets:
            conversation = messages.get(pk, [])
            description = conversation[0][5] if conversation else ""
            ticket_rows.append(
                (pk, subject[:200], group or general, created, updated, email, assignee, HELPDESK_STATUS[status],
                 status == "on_hold", description, None, HELPDESK_PRIORITY[priority], None, None, str(uuid.uuid4()),
                 None, None)
            )  # fmt: skip
            for followup in self.followups(conversation, events.get(pk, []), staff):
                followup_rows.append(
                    (next_followup, pk, followup.date, followup.title, followup.comment, followup.public,
                     followup.user_id, followup.new_status, None, None, None)
                )  # fmt: skip
                change_rows.extend((next_followup, *change) for change in followup.changes)
                next_followup += 1
        self.insert("helpdesk_ticket", HELPDESK_TICKET_COLUMNS, ticket_rows)
        self.insert("helpdesk_followup", HELPDESK_FOLLOWUP_COLUMNS, followup_rows)
        self.insert("helpdesk_ticketchange", HELPDESK_CHANGE_COLUMNS, change_rows)
        counts["tickets"] += len(ticket_rows)
        counts["followups"] += len(followup_rows)
        counts["changes"] += len(change_rows)
        return next_followup

    @staticmethod
    def followups(
        conversation: Sequence[tuple[Any, ...]], history: Sequence[tuple[Any, ...]], staff: set[int]
    ) -> list[Followup]:
        """A follow-up per message, with the changes written with it; one per change written without a message."""
        by_change: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
        change_of_message: dict[int, Any] = {}
        for event in history:
            by_change[event[4]].append(event)
            if event[5] is not None:
                change_of_message[event[5]] = event[4]

        def changes(group: Sequence[tuple[Any, ...]]) -> tuple[list[tuple[str, str, str]], int | None]:
            found, new_status = [], None
            for _actor, kind, old, new, _change, _message, _at in group:
                if kind == "status":
                    old_label = HELPDESK_STATUS_LABEL.get(HELPDESK_STATUS.get(old, 0), old)
                    new_label = HELPDESK_STATUS_LABEL[HELPDESK_STATUS[new]]
                    if old_label != new_label:
                        found.append(("Status", old_label, new_label))
                        new_status = HELPDESK_STATUS[new]
                elif kind in CHANGE_FIELDS:
                    found.append((CHANGE_FIELDS[kind], old, new))
            return found, new_status

        written: list[Followup] = []
        for index, (pk, author, role, public, channel, body, at, email) in enumerate(conversation):
            change = change_of_message.get(pk)
            found, new_status = changes(by_change.pop(change, []) if change is not None else [])
            if index == 0:
                title = "Ticket Opened Via Web" if channel == "web" else f"E-Mail Received from {email}"
            elif role == "requester" and channel == "email":
                title = f"E-Mail Received from {email}"
            else:
                title = HELPDESK_STATUS_LABEL[new_status] if new_status else "Comment"
            user = author if role == "agent" and author in staff else None
            written.append(Followup(at, title, body, bool(public), user, new_status, found))
        for group in by_change.values():
            found, new_status = changes(group)
            if found:
                actor = group[0][0]
                title = HELPDESK_STATUS_LABEL[new_status] if new_status else "Updated"
                written.append(
                    Followup(group[0][6], title, "", True, actor if actor in staff else None, new_status, found)
                )
        written.sort(key=lambda followup: followup.date)
        return written

    @staticmethod
    def insert(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        from django.db import connection

        if not rows:
            return
        names = ", ".join(columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("%s" for _ in columns)
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    @staticmethod
    def reset_sequences() -> None:
        from django.apps import apps
        from django.core.management.color import no_style
        from django.db import connection

        models = [*apps.get_app_config("helpdesk").get_models(), *apps.get_app_config("auth").get_models()]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)

    # Serving.

    def setup(
        self, agent_id: int, long: dict[str, int], reply_pool: list[dict[str, Any]], deep_page: int
    ) -> dict[str, Any]:
        import logging
        import re
        import warnings

        import django

        django.setup()
        # Its dashboard's statistics filter on naive dates: Django warns once per call site, between the rounds.
        warnings.filterwarnings("ignore", "DateTimeField .* received a naive datetime", RuntimeWarning)
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core import mail
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import reverse
        from helpdesk.email import extract_email_metadata
        from helpdesk.models import Queue, Ticket

        call_command("collectstatic", interactive=False, verbosity=0)
        agent = get_user_model().objects.get(pk=agent_id)
        client, visitor = Client(), Client()
        client.force_login(agent)
        general = Queue.objects.get(slug="general")
        quiet = logging.getLogger("bench.helpdesk.email")
        quiet.setLevel(logging.ERROR)
        list_url = reverse("helpdesk:list")
        pattern = re.compile(r"/datatables_ticket_list/([A-Za-z0-9+/=]*)")

        def rows_address(page: str, start: int) -> str:
            """The JSON address the list page's DataTables fetches first, as its script builds it."""
            response = client.get(page)
            expect_status(200, response)
            found = pattern.search(response.content.decode())
            if found is None:
                raise AssertionError(f"{page} names no datatables_ticket_list address")
            query = f"draw=1&start={start}&length={PAGE_SIZE}&search%5Bvalue%5D=&search%5Bregex%5D=false"
            return f"{reverse('helpdesk:datatables_ticket_list', args=[found.group(1)])}?{query}"

        def with_rows(page: str, start: int, rows: int | None) -> Callable[[], Timed]:
            data = rows_address(page, start)

            def check(responses: tuple[Any, Any]) -> None:
                expect_status(200, *responses)
                served = len(responses[1].json()["data"])
                if served != rows if rows is not None else served == 0:
                    raise AssertionError(f"{data} served {served} rows, not {rows or 'some'}")

            return lambda: Timed(lambda: (client.get(page), client.get(data)), check)

        def page_of(address: str) -> Callable[[], Timed]:
            return lambda: Timed(lambda: client.get(address), lambda response: expect_status(200, response))

        pool = iter(reply_pool * 1000)
        slugs = dict(Ticket.objects.filter(pk__in=[t["id"] for t in reply_pool]).values_list("pk", "queue__slug"))
        queues = {queue.slug: queue for queue in Queue.objects.all()}

        def mail_new() -> Timed:
            number = next(self.numbers)
            raw = inbound_mail(
                number=number,
                sender=new_sender(number),
                to=general.email_address,
                subject=f"Export to PDF fails ({number})",
                headers={},
                quoting=False,
            )

            def action() -> Any:
                # What the mailbox poll does with each message (process_queue, read as text).
                return extract_email_metadata(message=raw.decode("utf-8", "replace"), queue=general, logger=quiet)

            return Timed(action, lambda ticket: self.check_ticket(ticket, None))

        def mail_reply() -> Timed:
            number = next(self.numbers)
            target = next(pool)
            slug = slugs[target["id"]]
            raw = inbound_mail(
                number=number,
                sender=(target["name"], target["email"]),
                to=queues[slug].email_address,
                subject=f"Re: [{slug}-{target['id']}] {target['subject']}",
                headers={},
                quoting=True,
            )

            def action() -> Any:
                return extract_email_metadata(message=raw.decode("utf-8", "replace"), queue=queues[slug], logger=quiet)

            return Timed(action, lambda ticket: self.check_ticket(ticket, target["id"]))

        def form() -> Timed:
            number = next(self.numbers)
            visitor.cookies.clear()  # a new visitor, as on Comptoir's side
            data = {
                "queue": str(general.pk),
                "title": f"Export to CSV fails ({number})",
                "body": " ".join(MAIL_LINES[:3]),
                "priority": "3",
                "due_date": "",
                "submitter_email": new_sender(number)[1],
            }
            return Timed(lambda: visitor.post(reverse("helpdesk:home"), data), lambda r: expect_status(302, r))

        everything = "&".join(f"status={status}" for status in sorted(set(HELPDESK_STATUS_LABEL)))
        deep = f"{list_url}?{everything}&sort=created&sortreverse=on"
        self.scenarios = {
            "list p1": with_rows(list_url, 0, None),
            "list deep": with_rows(deep, (deep_page - 1) * PAGE_SIZE, PAGE_SIZE),
            "dashboard": page_of(reverse("helpdesk:dashboard")),
            **{f"ticket {key}": page_of(reverse("helpdesk:view", args=[pk])) for key, pk in long.items()},
            # helpdesk shows every follow-up: the same page.
            "ticket all": page_of(reverse("helpdesk:view", args=[long[str(LONG_TICKETS[-1])]])),
            "search": with_rows(f"{list_url}?q={SEARCH_WORD}", 0, None),
            "mail new": mail_new,
            "mail reply": mail_reply,
            "form": form,
        }
        mail.outbox = []  # the locmem backend's, made here so that run() can read it from the start
        self.outbox = mail
        import helpdesk

        version = ".".join(str(part) for part in connection.get_database_version())
        return {
            "django": django.get_version(),
            "helpdesk": getattr(helpdesk, "__version__", HELPDESK_VERSION),
            "database": f"{connection.display_name} {version}, {settings.DATABASES['default']['NAME']}",
        }

    @staticmethod
    def check_ticket(ticket: Any, expected: int | None) -> None:
        if ticket is None or (expected is not None and ticket.pk != expected):
            raise AssertionError(f"helpdesk filed the e-mail on {ticket!r}, not ticket {expected or 'new'}")

    def run(self, name: str, capture: bool) -> dict[str, Any]:
        outbox = getattr(self.outbox, "outbox", [])
        outbox.clear()
        result = run_once(self.scenarios[name](), capture)
        result["emails"] = len(outbox)  # built and handed to the e-mail backend inside the request
        outbox.clear()
        return result

    def stats(self) -> dict[str, Any]:
        return {"peak_mib": peak_mebibytes()}

    def close(self) -> None:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()


# --- The parent: install, databases, workers, rounds, table --------------------------------------


class WorkerError(Exception):
    pass


class Worker:
    """A worker subprocess and its line protocol."""

    def __init__(self, name: str, python: Path | str, side: str, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [str(python), str(Path(__file__).resolve()), "--worker", side],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env={**os.environ, **(env or {})},
        )

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        stdin: IO[str] | None = self.process.stdin
        stdout: IO[str] | None = self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps({"op": op, **fields}) + "\n")
            stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"{self.name} worker has exited ({self.process.poll()})") from None
        line = stdout.readline()
        if not line:
            raise WorkerError(f"{self.name} worker has exited ({self.process.wait()}) during {op}")
        answer: dict[str, Any] = json.loads(line)
        if not answer.pop("ok"):
            raise WorkerError(f"{self.name} worker failed during {op}:\n{answer['error']}")
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.call("quit")
                self.process.wait(timeout=30)
            except (WorkerError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


@contextmanager
def started(name: str, python: Path | str, side: str, env: dict[str, str] | None = None) -> Iterator[Worker]:
    worker = Worker(name, python, side, env)
    try:
        yield worker
    finally:
        worker.close()


class SetupError(Exception):
    pass


class SmtpSink:
    """A real SMTP server on 127.0.0.1 (aiosmtpd, as tests/mail/test_smtp_delivery.py runs) that counts what arrives.

    It speaks the whole protocol (EHLO, MAIL, RCPT, DATA with dot-unstuffing, QUIT)
    in its own thread of this (the parent) process, idle while a worker measures:
    a local MTA at its fastest. A remote one costs helpdesk more.
    """

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        sink = self
        self.received = 0

        class Counter:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.received += 1
                return "250 Message accepted for delivery"

        # The controller connects to its own port to know it is up: a free port, not port 0.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(Counter(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


def pinned_requirements() -> dict[str, str]:
    """django-helpdesk's release, and Comptoir's own Django and psycopg, so that only the application differs."""
    from importlib.metadata import version

    return {"django-helpdesk": HELPDESK_VERSION, "django": version("django"), "psycopg": version("psycopg")}


def installed_versions(python: Path) -> dict[str, str] | None:
    names = list(pinned_requirements())
    probe = f"import importlib.metadata as m, json\nprint(json.dumps({{name: m.version(name) for name in {names!r}}}))"
    found = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        return None
    versions: dict[str, str] = json.loads(found.stdout)
    return versions


def ensure_helpdesk_venv() -> Path:
    """var/helpdesk-venv with the pinned versions: reused when it has them, (re)installed otherwise."""
    python = HELPDESK_VENV / "bin" / "python"
    wanted = pinned_requirements()
    if python.exists() and installed_versions(python) == wanted:
        print(f"django-helpdesk {HELPDESK_VERSION}: reusing {HELPDESK_VENV.relative_to(ROOT)}", file=sys.stderr)
        return python
    requirements = [
        f"django-helpdesk=={wanted['django-helpdesk']}",
        f"Django=={wanted['django']}",
        f"psycopg[binary]=={wanted['psycopg']}",
    ]
    print(f"installing {' '.join(requirements)} into {HELPDESK_VENV.relative_to(ROOT)}", file=sys.stderr)
    steps = [] if python.exists() else [[sys.executable, "-m", "venv", str(HELPDESK_VENV)]]
    steps.append([str(python), "-m", "pip", "install", "--quiet", *requirements])
    for command in steps:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise SetupError(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{tail}")
    found = installed_versions(python)
    if found != wanted:
        raise SetupError(f"{HELPDESK_VENV} holds {found} after the install, not {wanted}")
    return python


HELPDESK_SETTINGS = """\
\"\"\"Written by bench/compare_helpdesk.py at each run: a minimal django-helpdesk site. Not committed.\"\"\"

import json
import os

SECRET_KEY = os.environ["HELPDESK_BENCH_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "helpdesk_bench.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.static",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
DATABASES = {"default": json.loads(os.environ["HELPDESK_BENCH_DATABASE"])}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = os.environ["HELPDESK_BENCH_STATIC_ROOT"]
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ["HELPDESK_BENCH_MEDIA_ROOT"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
# Each e-mail is built and handed to a backend inside the request: kept in memory, or sent by SMTP
# to the loopback sink bench/compare_helpdesk.py runs with --helpdesk-mail smtp.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if os.environ.get("HELPDESK_BENCH_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["HELPDESK_BENCH_SMTP_PORT"])
    EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = "helpdesk@support.example"
# Teams mode needs pinax-teams and changes only the knowledge base.
HELPDESK_TEAMS_MODE_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
"""

HELPDESK_URLS = """\
\"\"\"Written by bench/compare_helpdesk.py: django-helpdesk under /helpdesk/, as its installation guide mounts it.\"\"\"

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
"""


def write_helpdesk_project() -> None:
    package = HELPDESK_PROJECT / "helpdesk_bench"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(HELPDESK_SETTINGS)
    (package / "urls.py").write_text(HELPDESK_URLS)


def helpdesk_environment(database: dict[str, Any]) -> dict[str, str]:
    return {
        "PYTHONPATH": str(HELPDESK_PROJECT),
        "DJANGO_SETTINGS_MODULE": "helpdesk_bench.settings",
        "HELPDESK_BENCH_DATABASE": json.dumps(database),
        "HELPDESK_BENCH_SECRET_KEY": "bench-only-" + secrets.token_hex(24),
        "HELPDESK_BENCH_STATIC_ROOT": str(HELPDESK_PROJECT / "static"),
        "HELPDESK_BENCH_MEDIA_ROOT": str(HELPDESK_PROJECT / "media"),
    }


def helpdesk_database_url(url: str) -> str:
    """Beside Comptoir's: the SQLite file's name or the PostgreSQL database's with ``_helpdesk``."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        import dj_database_url

        path = Path(str(dj_database_url.parse(url)["NAME"])).resolve()
        return f"sqlite:///{path.with_name(f'{path.stem}_helpdesk{path.suffix}')}"
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_helpdesk"))


def helpdesk_database(url: str, seeded: dict[str, Any]) -> dict[str, Any]:
    """Django's DATABASES entry, with Comptoir's connection options and age (its settings, read by its worker)."""
    import dj_database_url

    database: dict[str, Any] = dict(dj_database_url.parse(url))
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = seeded["options"]
    database["CONN_MAX_AGE"] = seeded["conn_max_age"]
    return database


@dataclass
class Figures:
    seconds: list[float] = field(default_factory=list)
    queries: int | None = None
    emails: list[int] = field(default_factory=list)


def measure(
    sides: dict[str, Worker],
    unsupported: dict[str, dict[str, str]],
    repeat: int,
    sink: SmtpSink | None,
    scenarios: Sequence[str] = SCENARIOS,
) -> dict[str, dict[str, Figures]]:
    """A warm-up round, a round counting queries, then ``repeat`` timed rounds; who goes first alternates."""
    results: dict[str, dict[str, Figures]] = {name: defaultdict(Figures) for name in sides}
    names = list(sides)
    rounds = repeat + 2
    started = time.perf_counter()
    for number in range(rounds):
        order = names if number % 2 == 0 else names[::-1]
        for scenario in scenarios:
            for name in order:
                if scenario in unsupported[name]:
                    continue
                received = sink.received if sink is not None else 0
                answer = sides[name].call("run", name=scenario, capture=number == 1)
                if sink is not None and name == "helpdesk":
                    answer["emails"] = sink.received - received
                figures = results[name][scenario]
                if number == 1:
                    figures.queries = answer["queries"]
                elif number > 1:
                    figures.seconds.append(answer["seconds"])
                    if "emails" in answer:
                        figures.emails.append(answer["emails"])
        kind = "warm-up" if number == 0 else "counting queries" if number == 1 else "timed"
        print(f"round {number + 1}/{rounds} ({kind}), {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return results


def labels(deep_page: int) -> dict[str, str]:
    return {
        "list p1": "list page 1",
        "list deep": f"list page {deep_page:,}",
        "dashboard": "dashboard / counts",
        **{f"ticket {count}": f"ticket, {count} messages" for count in LONG_TICKETS},
        "ticket all": f"ticket, {LONG_TICKETS[-1]} all shown",
        "search": f"keyword search ({SEARCH_WORD})",
        "mail new": "mail: new ticket",
        "mail reply": "mail: reply",
        "form": "public form",
        "challenge": "captcha challenge (GET)",
    }


def print_table(results: dict[str, dict[str, Figures]], deep_page: int) -> None:
    from benchdb import percentile

    def cells(figures: Figures | None) -> tuple[str, str, str, float | None, float | None]:
        if figures is None or not figures.seconds:
            return "n/a", "n/a", "n/a", None, None
        median = statistics.median(figures.seconds) * 1000
        p95 = percentile(figures.seconds, 0.95) * 1000
        return f"{median:.2f}", f"{p95:.2f}", str(figures.queries), median, p95

    def ratio(helpdesk: float | None, comptoir: float | None) -> str:
        return f"{helpdesk / comptoir:.2f}x" if helpdesk is not None and comptoir is not None else "n/a"

    print(f"\n  {'':<26}{'Comptoir':^29}   {'django-helpdesk ' + HELPDESK_VERSION:^29}   {'helpdesk/Comptoir':^17}")
    print(
        f"  {'scenario':<26}{'median ms':>10}{'p95 ms':>10}{'queries':>9}   "
        f"{'median ms':>10}{'p95 ms':>10}{'queries':>9}   {'median':>8}{'p95':>9}"
    )
    for scenario, label in labels(deep_page).items():
        if scenario not in results["comptoir"] and scenario not in results["helpdesk"]:
            continue
        c_median, c_p95, c_queries, c_m, c_p = cells(results["comptoir"].get(scenario))
        h_median, h_p95, h_queries, h_m, h_p = cells(results["helpdesk"].get(scenario))
        print(
            f"  {label:<26}{c_median:>10}{c_p95:>10}{c_queries:>9}   {h_median:>10}{h_p95:>10}{h_queries:>9}   "
            f"{ratio(h_m, c_m):>8}{ratio(h_p, c_p):>9}"
        )


def print_form_verdict(results: dict[str, dict[str, Figures]], how: str) -> None:
    if "form" not in results["comptoir"]:
        return
    comptoir, helpdesk = results["comptoir"]["form"].seconds, results["helpdesk"]["form"].seconds
    comptoir_rate, helpdesk_rate = len(comptoir) / sum(comptoir), len(helpdesk) / sum(helpdesk)
    multiple = comptoir_rate / helpdesk_rate
    verdict = "met" if multiple >= FORM_TARGET else "NOT met"
    print(
        f"\npublic form, submissions per second over the timed runs: Comptoir {comptoir_rate:.1f}/s, "
        f"django-helpdesk {helpdesk_rate:.1f}/s: Comptoir at {multiple:.2f}x helpdesk's rate "
        f"(target >= {FORM_TARGET:.0f}x: {verdict})"
    )
    sent = {
        scenario: statistics.median(results["helpdesk"][scenario].emails)
        for scenario in ("mail new", "mail reply", "form")
        if results["helpdesk"][scenario].emails
    }
    print(
        f"e-mails django-helpdesk {how} inside each request (median): "
        + ", ".join(f"{labels(0)[scenario]} {count:g}" for scenario, count in sent.items())
        + "; Comptoir queued its own for its worker"
    )


def redacted(url: str) -> str:
    """A broker's address without its password, to be printed."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from dataset import Size, size_from_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--size", type=size_from_text, default=Size(50_000), help="tickets: S (50,000), L (1,000,000) or a number"
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="Comptoir's SQLite file or PostgreSQL database (its name must contain 'bench'); "
        "django-helpdesk's is beside it, named with _helpdesk",
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--deep-page", type=int, default=1000, help="the deep page of the lists (default 1000)")
    parser.add_argument(
        "--helpdesk-mail",
        choices=("smtp", "locmem"),
        default="smtp",
        help="django-helpdesk's e-mail backend: smtp (sent in the request to an SMTP server this script runs "
        "on 127.0.0.1, as production sends it; the default) or locmem (built, kept in memory, never sent)",
    )
    parser.add_argument(
        "--broker",
        default=DEFAULT_BROKER_URL,
        help=f"Comptoir's Celery broker, where it queues its e-mails (default {DEFAULT_BROKER_URL}, as production; "
        "filesystem:// is a default install's); what the rounds queued is purged at the end",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SCENARIOS,
        metavar="SCENARIO",
        help=f"run these scenarios only (of: {', '.join(SCENARIOS)})",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--keep", action="store_true", help="keep both databases at the end")
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1 or arguments.deep_page < 2:
        parser.error("--repeat must be at least 1 and --deep-page at least 2")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    from benchdb import RefusedDatabase, commit
    from dataset import bench_database

    arguments = parse_arguments(argv)
    helpdesk_url = helpdesk_database_url(arguments.database_url)
    try:
        comptoir_db, helpdesk_db = bench_database(arguments.database_url), bench_database(helpdesk_url)
    except RefusedDatabase as error:
        print(f"bench/compare_helpdesk.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    try:
        helpdesk_python = ensure_helpdesk_venv()
    except SetupError as error:
        print(f"bench/compare_helpdesk.py: cannot install django-helpdesk: {error}", file=sys.stderr)
        return 2
    write_helpdesk_project()
    began, measured = time.perf_counter(), commit()
    created: list[Any] = []
    workers: dict[str, Worker] = {}
    sink = SmtpSink() if arguments.helpdesk_mail == "smtp" else None
    how = "built and handed to the locmem backend"
    if sink is not None:
        how = f"sent by SMTP to an aiosmtpd server on 127.0.0.1:{sink.port}"
    os.environ["COMPARE_BROKER_URL"] = arguments.broker
    try:
        for database in (comptoir_db, helpdesk_db):
            if database.is_sqlite:
                Path(database.name).parent.mkdir(parents=True, exist_ok=True)
            database.create()
            created.append(database)
        print(f"seeding Comptoir: {arguments.size.tickets:,} tickets ({comptoir_db.name})", file=sys.stderr)
        with started("Comptoir seed", sys.executable, "comptoir") as seeder:
            seeded = seeder.call(
                "seed", database_url=arguments.database_url, tickets=arguments.size.tickets, seed=arguments.seed
            )
        source = {
            "vendor": "sqlite" if comptoir_db.is_sqlite else "postgresql",
            "location": comptoir_db.name if comptoir_db.is_sqlite else arguments.database_url,
        }
        environment = helpdesk_environment(helpdesk_database(helpdesk_url, seeded))
        if sink is not None:
            environment["HELPDESK_BENCH_SMTP_PORT"] = str(sink.port)
        print(f"seeding django-helpdesk from it ({helpdesk_db.name})", file=sys.stderr)
        with started("helpdesk seed", helpdesk_python, "helpdesk", environment) as seeder:
            copied = seeder.call("seed", source=source)
        workers["comptoir"] = Worker("Comptoir", sys.executable, "comptoir")
        workers["helpdesk"] = Worker("helpdesk", helpdesk_python, "helpdesk", environment)
        comptoir = workers["comptoir"].call(
            "setup",
            database_url=arguments.database_url,
            agent_id=seeded["agent_id"],
            long=seeded["long"],
            reply_pool=seeded["reply_pool"],
            deep_page=arguments.deep_page,
        )
        helpdesk = workers["helpdesk"].call(
            "setup",
            agent_id=seeded["agent_id"],
            long=seeded["long"],
            reply_pool=seeded["reply_pool"],
            deep_page=comptoir["deep_page"],
        )
        print(
            f"Comptoir beside django-helpdesk {helpdesk['helpdesk']}: {seeded['tickets']:,} tickets; Comptoir "
            f"{seeded['messages']:,} messages and {seeded['events']:,} events (built in {seeded['seconds']:.0f} s), "
            f"helpdesk {copied['followups']:,} follow-ups and {copied['changes']:,} ticket changes (copied in "
            f"{copied['seconds']:.0f} s); agent {seeded['agent_email']} (id {seeded['agent_id']}); "
            f"{arguments.repeat} timed rounds; django-helpdesk's e-mails {how}; Comptoir's queued in its "
            f"{comptoir['broker']} broker ({redacted(arguments.broker)}), no worker reading it"
        )
        unsupported = {"comptoir": comptoir["unsupported"], "helpdesk": {"challenge": "it has no captcha"}}
        results = measure(workers, unsupported, arguments.repeat, sink, arguments.only or SCENARIOS)
        print_table(results, comptoir["deep_page"])
        for side, reasons in unsupported.items():
            for scenario, reason in reasons.items():
                if scenario in (arguments.only or SCENARIOS):
                    print(f"  {side} n/a for {labels(comptoir['deep_page'])[scenario]}: {reason}")
        print_form_verdict(results, how)
        memory = {name: worker.call("stats") for name, worker in workers.items()}
        peaks = {name: figures["peak_mib"] for name, figures in memory.items()}
        now = commit()
        moved = "" if now == measured else f" at the start, {now} at the end"
        print(f"\ncommit {measured}{moved}; Python {sys.version.split()[0]} on both sides")
        print(f"Comptoir: Django {comptoir['django']}, {comptoir['database']}")
        print(f"django-helpdesk {helpdesk['helpdesk']}: Django {helpdesk['django']}, {helpdesk['database']}")
        print(
            f"peak memory (ru_maxrss) of the workers: Comptoir {peaks['comptoir']:.0f} MiB, "
            f"django-helpdesk {peaks['helpdesk']:.0f} MiB; total run time {time.perf_counter() - began:.0f} s"
        )
        ours = memory["comptoir"]
        now = f"{ours['now_mib']:.0f} MiB resident after the rounds, " if ours.get("now_mib") else ""
        print(
            f"Comptoir's worker: {now}{ours['setup_peak_mib']:.0f} MiB at its peak once set up (Django, "
            f"URLs, the test clients); the rounds raised the peak in: {', '.join(ours['raised_by']) or 'none'} (MiB)"
        )
        return 0
    except WorkerError as error:
        print(f"bench/compare_helpdesk.py: {error}", file=sys.stderr)
        return 1
    finally:
        for worker in workers.values():
            worker.close()
        if sink is not None:
            sink.close()
        for database in created:
            if arguments.keep:
                print(f"kept database {database.name}")
            else:
                database.drop()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.exit(serve({"comptoir": ComptoirSide, "helpdesk": HelpdeskSide}[sys.argv[2]]()))
    sys.exit(main())
