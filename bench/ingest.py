"""How fast mail comes in: messages per second through comptoir.gateway.inbound.ingest.

    .venv/bin/python bench/ingest.py [--replies 10000] [--tickets 300] [--corpus PATH]
                                     [--workers 2 [--parallel 4000]] [--no-debug]

Two sets of messages go through three steps each, message by message in this
process: the standard library's ``email.message_from_bytes`` (the baseline),
``parse_email`` alone, then the whole ``ingest`` (store, parse, thread, act).
Every figure is printed beside the baseline's, measured on the same messages in
the same run: speed is judged by that ratio, which depends much less on the
machine than a bare figure does, and never by timed tests.

1. The public corpus ($COMPTOIR_MAIL_CORPUS, by default ../shared/mail-corpus,
   as for the tests): real and hostile messages, most of which open a ticket or
   are quarantined. Without it (a clone outside that layout) this part is skipped.
2. Generated replies from requesters to tickets made for the run (the common
   case in production): multipart/alternative with a quoted previous message,
   sent to the ticket's signed reply address, some with a PNG screenshot. The
   run fails (exit status 1) unless every reply landed on its ticket.

3. With ``--workers N``: throughput, as a mail server sees it, of N processes
   ingesting at once (forked from this one, each with its own database
   connection and its own share of the messages), ``--parallel`` fresh replies
   then as many new tickets from new senders, wall-clock from the first message
   to the last; beside N processes doing ``message_from_bytes`` on the same
   messages. The run fails unless every reply landed and every new message
   opened a ticket. Meant for PostgreSQL: SQLite takes one writer at a time.

``--no-debug`` runs with DEBUG off, as in production (Django then records no
queries).

Nothing outlives the run. The database and the attachments live in a temporary
directory, or, when DATABASE_URL is set, in a database named after it with a
"_bench" suffix on the same server, created here and dropped at the end (the
database DATABASE_URL names is only connected to, never changed).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import logging
import os
import random
import resource
import secrets
import shutil
import statistics
import struct
import sys
import tempfile
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from comptoir.accounts.models import User
    from comptoir.tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[1]
# Where tests/corpus.py looks for it too.
DEFAULT_CORPUS = Path(os.environ.get("COMPTOIR_MAIL_CORPUS") or ROOT.parent / "shared" / "mail-corpus")
# The corpus keeps each source project's README and licence beside its messages.
NOT_MESSAGES = ("README", "LICENSE", "MIT-LICENSE", "COPYING")
CORPUS_SOURCE = "bench-corpus"
REPLY_SOURCE = "bench-reply"
# One reply in this many carries a PNG screenshot; one in CC_EVERY copies a colleague.
PNG_EVERY = 10
CC_EVERY = 30
SEED = 1042


# --- Environment and database ---------------------------------------------------


def configure_environment(var_dir: Path, *, debug: bool = True) -> None:
    """Settings for a throwaway run; must happen before Django reads its settings."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings"
    os.environ["DEBUG"] = "1" if debug else "0"
    os.environ["SECRET_KEY"] = "bench-only-" + secrets.token_hex(24)
    # Outbound e-mail is only queued by ingest: an in-memory broker takes the
    # Celery messages without a worker or a network round trip.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    # The SQLite database and MEDIA_ROOT (attachments) live under it.
    os.environ["COMPTOIR_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    import django

    django.setup()

    from comptoir.celery import app

    # Queue, never run inline: delivery is a worker's job, not part of ingest.
    app.conf.task_always_eager = False
    # kombu warns that memory:// names no host, once, in the middle of the figures.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)


def migrate() -> Callable[[], None] | None:
    """Build the schema; returns what drops the database again, if anything must."""
    from django.core.management import call_command

    if "DATABASE_URL" in os.environ:
        return create_bench_database()
    # The SQLite file is in the temporary directory, removed with it.
    call_command("migrate", verbosity=0, interactive=False)
    return None


class RefusedDatabase(Exception):
    pass


def check_database_url() -> None:
    """Refuse other databases before Django loads their driver."""
    url = os.environ.get("DATABASE_URL")
    if url is not None and urlsplit(url).scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise RefusedDatabase(f"{urlsplit(url).scheme}:// is not supported: use SQLite (the default) or PostgreSQL")


def create_bench_database() -> Callable[[], None]:
    """Create "<name>_bench" beside the DATABASE_URL database, as Django's test runner does."""
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connection

    settings_dict = settings.DATABASES[DEFAULT_DB_ALIAS]
    engine = str(settings_dict["ENGINE"])
    name = str(settings_dict["NAME"])
    bench_name = f"{name}_bench"
    # The engine is checked before the connection loads its driver; settings use
    # comptoir.core.sqlite3, Django's SQLite backend that creates the database's folder.
    if engine in ("django.db.backends.sqlite3", "comptoir.core.sqlite3"):
        if name == ":memory:" or name.startswith("file:"):
            raise RefusedDatabase("an in-memory SQLite DATABASE_URL: leave DATABASE_URL unset for SQLite")
        exists = Path(bench_name).exists()
    elif engine == "django.db.backends.postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_name])
            exists = cursor.fetchone() is not None
    else:
        raise RefusedDatabase(f"{engine} is not supported: use SQLite (the default) or PostgreSQL")
    if exists:
        raise RefusedDatabase(f"database {bench_name} already exists (left by a crashed run?): drop it first")
    connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": bench_name}
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False)
    except BaseException:
        if connection.settings_dict["NAME"] == bench_name:
            # Created, then the migrations failed.
            connection.creation.destroy_test_db(name, verbosity=0)
        raise

    def drop() -> None:
        connection.creation.destroy_test_db(name, verbosity=0)

    return drop


def database_label() -> str:
    from django.db import connection

    settings_dict = connection.settings_dict
    version = ".".join(str(part) for part in connection.get_database_version())
    if connection.vendor == "sqlite":
        return f"SQLite {version}, {settings_dict['NAME']}"
    host = settings_dict.get("HOST") or "local socket"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"{connection.display_name} {version}, database {settings_dict['NAME']} on {host}{port}"


# --- Measuring ----------------------------------------------------------------


@dataclass
class Step:
    """One thing done to every message, and the time it took on each."""

    label: str
    run: Callable[[bytes], object]
    times: list[float] = field(default_factory=list)

    def time(self, raw: bytes) -> None:
        before = time.perf_counter()
        self.run(raw)
        self.times.append(time.perf_counter() - before)

    @property
    def seconds(self) -> float:
        return sum(self.times)

    @property
    def per_second(self) -> float:
        return len(self.times) / self.seconds

    def quarter_rates(self) -> list[float]:
        """msg/s within each quarter of the run: does the rate hold as the tables grow?"""
        count = len(self.times)
        quarters = [self.times[count * q // 4 : count * (q + 1) // 4] for q in range(4)]
        return [len(times) / sum(times) for times in quarters if times]


class Baseline:
    """The standard library's parse of the whole message; counts the messages it raises on."""

    def __init__(self) -> None:
        self.failures = 0

    def __call__(self, raw: bytes) -> None:
        try:
            email.message_from_bytes(raw, policy=email.policy.default)
        except Exception:
            self.failures += 1


def measure(raws: Sequence[bytes], steps: Sequence[Step]) -> None:
    """Each message goes through every step in turn, so a change of load on the machine hits all steps alike."""
    progress = sys.stderr.isatty()
    for index, raw in enumerate(raws):
        for step in steps:
            step.time(raw)
        if progress and index % 100 == 0:
            print(f"  {index}/{len(raws)}", end="\r", file=sys.stderr, flush=True)


def print_rates(steps: Sequence[Step], names: Sequence[str]) -> None:
    baseline = steps[0]
    print(
        f"  {'step':<36}{'messages':>9}{'seconds':>10}{'msg/s':>10}{'rate/baseline':>15}"
        f"{'mean ms':>10}{'median ms':>11}"
    )
    for step in steps:
        ratio = step.per_second / baseline.per_second
        print(
            f"  {step.label:<36}{len(step.times):>9}{step.seconds:>10.3f}{step.per_second:>10.1f}{ratio:>14.3f}x"
            f"{1000 * step.seconds / len(step.times):>10.3f}{1000 * statistics.median(step.times):>11.3f}"
        )
    print("  msg/s in each quarter of the run (and as a multiple of the baseline's), and the slowest message:")
    baseline_quarters = baseline.quarter_rates()
    for step in steps:
        rates = zip(step.quarter_rates(), baseline_quarters, strict=True)
        quarters = " ".join(f"{rate:>7.1f} ({rate / base:.3f}x)" for rate, base in rates)
        slowest = max(range(len(step.times)), key=step.times.__getitem__)
        print(f"    {step.label:<34}{quarters}   {1000 * step.times[slowest]:.1f} ms: {names[slowest]}")


def run_three_steps(raws: Sequence[bytes], names: Sequence[str], ingest_step: Callable[[bytes], object]) -> None:
    from comptoir.mail.parsing import parse_email

    baseline = Baseline()
    steps = [
        Step("email.message_from_bytes (baseline)", baseline),
        Step("parse_email", parse_email),
        Step("ingest", ingest_step),
    ]
    measure(raws, steps)
    print_rates(steps, names)
    if baseline.failures:
        print(f"  the baseline raised on {baseline.failures} messages (parse_email and ingest never may)")


def megabytes(raws: Iterable[bytes]) -> str:
    return f"{sum(len(raw) for raw in raws) / 1_000_000:.1f} MB"


# --- 1. The corpus --------------------------------------------------------------


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(
        path for path in corpus.rglob("*") if path.is_file() and not path.name.upper().startswith(NOT_MESSAGES)
    )


def bench_corpus(corpus: Path) -> None:
    from django.db.models import Count

    from comptoir.gateway.inbound import TemporaryFailure, ingest
    from comptoir.mail.models import InboundEmail, InboundStatus
    from comptoir.tickets.models import Ticket

    files = corpus_files(corpus)
    raws = [path.read_bytes() for path in files]
    names = [str(path.relative_to(corpus)) for path in files]
    if not raws:
        raise SystemExit(f"No messages under {corpus}")
    print(f"\nCorpus: {len(raws)} messages, {megabytes(raws)}, {corpus}")
    tickets_before = Ticket.objects.count()
    temporary_failures = 0

    def ingest_step(raw: bytes) -> None:
        nonlocal temporary_failures
        try:
            ingest(raw, source=CORPUS_SOURCE)
        except TemporaryFailure:
            temporary_failures += 1

    run_three_steps(raws, names, ingest_step)

    rows = InboundEmail.objects.filter(source=CORPUS_SOURCE)
    by_status = dict(rows.values_list("status").annotate(count=Count("pk")).order_by())
    added = rows.filter(status=InboundStatus.PROCESSED).exclude(matched_by="").count()
    failed = rows.filter(quarantine_reason__startswith="processing failed").count()
    print(
        f"  outcome: {Ticket.objects.count() - tickets_before} new tickets, {added} added to an existing ticket, "
        f"{by_status.get(InboundStatus.QUARANTINED, 0)} quarantined ({failed} of them 'processing failed'), "
        f"{len(raws) - rows.count()} duplicates of an earlier message, {temporary_failures} temporary failures"
    )


# --- 2. Generated replies -------------------------------------------------------

FIRST_NAMES = ("Alice", "Bruno", "Chloé", "David", "Élodie", "Farid", "Gaëlle", "Hugo", "Inès", "Jules", "Karim")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Lefèvre", "Nguyen", "Moreau", "Garcia", "Fontaine", "Roux", "Smith")
DOMAINS = ("example.org", "example.com", "mairie-exemple.fr", "acme.example", "courriel.example.net")
SUBJECTS = {
    "fr": ("Impossible d'exporter en PDF", "Facture en double", "Mot de passe oublié", "Erreur 500 sur le tableau"),
    "en": ("Export to PDF fails", "Charged twice this month", "Cannot reset my password", "Dashboard shows error 500"),
}
AGENT_TEXT = {
    "fr": "Bonjour,\n\nPouvez-vous nous dire quel navigateur vous utilisez, et nous envoyer une capture "
    "de l'écran au moment de l'erreur ?\n\nBien cordialement,\nCamille, équipe support",
    "en": "Hello,\n\nCould you tell us which browser you use, and send us a screenshot of the screen "
    "when the error appears?\n\nKind regards,\nCamille, support team",
}
REPLY_LINES = {
    "fr": (
        "Merci pour votre retour rapide.",
        "J'utilise Firefox 128 sous Windows 11, et le problème est toujours là ce matin.",
        "Je vous joins une capture d'écran, l'erreur apparaît dès que je clique sur « Exporter ».",
        "Mon collègue a le même souci depuis la mise à jour de lundi.",
        "Est-ce que vous avez une idée du délai de correction ?",
        "C'est bloquant pour nous car nous devons envoyer les documents avant vendredi.",
        "J'ai vidé le cache et essayé en navigation privée, sans succès.",
    ),
    "en": (
        "Thanks for getting back to me so quickly.",
        "I'm on Firefox 128 on Windows 11 and the problem is still there this morning.",
        "Here is a screenshot: the error shows up as soon as I click Export.",
        "A colleague of mine has had the same issue since Monday's update.",
        "Do you have an idea of when it will be fixed?",
        "It blocks us, as we have to send the documents before Friday.",
        "I cleared the cache and tried a private window, with no luck.",
    ),
}
GREETING = {"fr": ("Bonjour,", "Bonjour Camille,", "Re-bonjour,"), "en": ("Hello,", "Hi Camille,", "Hi again,")}
SIGN_OFF = {"fr": ("Merci,", "Cordialement,", "Bonne journée,"), "en": ("Thanks,", "Best regards,", "Cheers,")}
ATTRIBUTION = {"fr": "Le {date}, {sender} a écrit :", "en": "On {date}, {sender} wrote:"}
MAILERS = ("Mozilla Thunderbird 128.3", "Microsoft Outlook 16.0", "Apple Mail (2.3774)", "K-9 Mail for Android")


def png_bytes(width: int, height: int, rng: random.Random) -> bytes:
    """A valid PNG, noisy enough that it does not compress to nothing (a few KB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + rng.randbytes(width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def people(count: int, rng: random.Random) -> list[Person]:
    found: list[Person] = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        plain = unicodedata.normalize("NFKD", f"{first}.{last}.{index}").encode("ascii", "ignore").decode()
        local = plain.lower()
        found.append(Person(f"{first} {last}", f"{local}@{rng.choice(DOMAINS)}"))
    return found


def make_tickets(count: int, rng: random.Random) -> list[Ticket]:
    """Tickets as they stand when replies arrive: a third new, a third pending, a third solved."""
    from comptoir.accounts.models import Role, User
    from comptoir.tickets.models import Channel, Status
    from comptoir.tickets.services import ticket_create, ticket_update_by_agent

    # The same four agents for every batch of tickets of the run.
    agents: list[User] = [
        User.objects.filter(email=f"agent{number}@comptoir.localhost").first()
        or User.objects.create_user(f"agent{number}@comptoir.localhost", name=f"Agent {number}", role=Role.AGENT)
        for number in range(4)
    ]
    # Some requesters have more than one ticket open.
    requesters = people(max(1, count * 2 // 3), rng)
    tickets: list[Ticket] = []
    for index in range(count):
        person = requesters[index % len(requesters)]
        language = "fr" if index % 2 else "en"
        ticket = ticket_create(
            email=person.email,
            name=person.name,
            subject=rng.choice(SUBJECTS[language]),
            description=" ".join(rng.sample(REPLY_LINES[language], 3)),
            language=language,
            channel=Channel.EMAIL,
            # As ingest does for a person's new ticket (a robot's is automatic).
            automatic=False,
        )
        if index % 3:
            agent = agents[index % len(agents)]
            status = Status.PENDING if index % 3 == 1 else Status.SOLVED
            ticket_update_by_agent(ticket, agent=agent, assignee=agent, body=AGENT_TEXT[language], status=status)
        tickets.append(ticket)
    return tickets


def reply_email(ticket: Ticket, number: int, sent_at: datetime, rng: random.Random) -> bytes:
    """One requester's answer to our last e-mail, as a common mail client writes it."""
    from comptoir.mail.addressing import reply_address, ticket_message_id

    language = ticket.language
    requester = ticket.requester
    paragraphs = [
        rng.choice(GREETING[language]),
        " ".join(rng.sample(REPLY_LINES[language], rng.randint(1, 4))),
        f"{rng.choice(SIGN_OFF[language])}\n{requester.name}",
    ]
    ours = ticket_message_id(ticket.reference)
    attribution = ATTRIBUTION[language].format(
        date=format_datetime(sent_at - timedelta(hours=3)), sender="Comptoir <support@comptoir.localhost>"
    )
    quoted = AGENT_TEXT[language]
    text = "\n\n".join(paragraphs) + f"\n\n{attribution}\n" + "\n".join(f"> {line}" for line in quoted.split("\n"))
    html_paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    html = (
        f'<html><body><div dir="ltr">{html_paragraphs}</div><div class="gmail_quote">'
        f'<div class="gmail_attr">{escape(attribution)}</div>'
        '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
        f"{escape(quoted).replace(chr(10), '<br>')}</blockquote></div></body></html>"
    )

    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = formataddr((requester.name, requester.email))
    message["To"] = reply_address(ticket.reference)
    if number % CC_EVERY == 0:
        local, _, domain = requester.email.partition("@")
        message["Cc"] = formataddr(("Un collègue", f"colleague.{local}@{domain}"))
    message["Subject"] = f"Re: [#{ticket.reference}] {ticket.subject}"
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<bench.{number}.{secrets.token_hex(6)}@{requester.email.partition('@')[2]}>"
    message["In-Reply-To"] = f"<{ours}>"
    message["References"] = f"<{ticket_message_id(ticket.reference)}> <{ours}>"
    message["User-Agent"] = rng.choice(MAILERS)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if number % PNG_EVERY == 0:
        image = png_bytes(rng.randint(40, 120), rng.randint(30, 80), rng)
        message.add_attachment(image, maintype="image", subtype="png", filename=f"capture-{number}.png")
    return message.as_bytes()


def reply_emails(tickets: Sequence[Ticket], count: int, rng: random.Random) -> tuple[list[bytes], Counter[int]]:
    """``count`` replies spread unevenly over the tickets; and how many each ticket gets, by pk."""
    started = datetime.now(UTC) - timedelta(days=1)
    raws: list[bytes] = []
    expected: Counter[int] = Counter()
    for number in range(count):
        ticket = rng.choice(tickets)
        raws.append(reply_email(ticket, number, started + timedelta(seconds=8 * number), rng))
        expected[ticket.pk] += 1
    return raws, expected


def message_counts(tickets: Sequence[Ticket]) -> dict[int, int]:
    from django.db.models import Count

    from comptoir.tickets.models import Message

    counts = Message.objects.filter(ticket__in=[ticket.pk for ticket in tickets]).values_list("ticket")
    return dict(counts.annotate(count=Count("pk")).order_by())


def bench_replies(count: int, ticket_count: int) -> bool:
    """Returns whether every reply landed on its ticket."""
    from django.db.models import Count

    from comptoir.gateway.inbound import ingest
    from comptoir.mail.models import InboundEmail
    from comptoir.tickets.models import Ticket

    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not a secret
    started = time.perf_counter()
    tickets = make_tickets(ticket_count, rng)
    tickets = list(Ticket.objects.select_related("requester").filter(pk__in=[t.pk for t in tickets]))
    setup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    raws, expected = reply_emails(tickets, count, rng)
    print(
        f"\nGenerated replies: {len(raws)} messages to {len(tickets)} tickets, {megabytes(raws)} "
        f"({(len(raws) + PNG_EVERY - 1) // PNG_EVERY} with a PNG); tickets made in {setup_seconds:.1f} s, "
        f"replies written in {time.perf_counter() - started:.1f} s"
    )
    before = message_counts(tickets)
    tickets_before = Ticket.objects.count()

    names = [f"reply {number}" for number in range(len(raws))]
    run_three_steps(raws, names, lambda raw: ingest(raw, source=REPLY_SOURCE))

    after = message_counts(tickets)
    landed = sum(min(after.get(pk, 0) - before.get(pk, 0), expected[pk]) for pk in expected)
    extra = sum(after.get(t.pk, 0) - before.get(t.pk, 0) for t in tickets) - landed
    rows = InboundEmail.objects.filter(source=REPLY_SOURCE)
    by_status = dict(rows.values_list("status").annotate(count=Count("pk")).order_by())
    new_tickets = Ticket.objects.count() - tickets_before
    print(
        f"  landed on their ticket: {landed} of {len(raws)} (messages counted per ticket); "
        f"inbound rows by status: {by_status}; new tickets: {new_tickets}; unexpected messages: {extra}"
    )
    ok = landed == len(raws) and extra == 0 and new_tickets == 0
    if not ok:
        reasons = Counter(rows.exclude(quarantine_reason="").values_list("quarantine_reason", flat=True))
        for reason, times in reasons.most_common(5):
            print(f"  LOST x{times}: {reason}")
    return ok


# --- Several processes at once ----------------------------------------------------


def new_ticket_email(number: int) -> bytes:
    """A first message from a new sender to the support address: it opens a ticket."""
    from django.conf import settings

    language = "fr" if number % 2 else "en"
    sender = (f"Nouvelle Personne {number}", f"new.person.{number}.{secrets.token_hex(3)}@mail.example")
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = formataddr(sender)
    message["To"] = settings.COMPTOIR_SUPPORT_EMAIL
    message["Subject"] = f"{SUBJECTS[language][number % len(SUBJECTS[language])]} ({number})"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<bench.new.{number}.{secrets.token_hex(6)}@mail.example>"
    paragraphs = [GREETING[language][0], " ".join(REPLY_LINES[language][:3]), f"{SIGN_OFF[language][0]}\n{sender[0]}"]
    message.set_content("\n\n".join(paragraphs))
    message.add_alternative("".join(f"<p>{escape(p)}</p>" for p in paragraphs), subtype="html")
    return message.as_bytes()


def _parallel_share(raws: Sequence[bytes], parse_only: bool, source: str) -> None:
    """What one forked process does with its share: parse it, or ingest it."""
    if parse_only:
        for raw in raws:
            email.message_from_bytes(raw, policy=email.policy.default)
        return
    from comptoir.gateway.inbound import ingest

    for raw in raws:
        ingest(raw, source=source)


def run_parallel(workers: int, raws: Sequence[bytes], *, parse_only: bool, source: str) -> float:
    """Messages per second, wall clock, of ``workers`` processes sharing ``raws``."""
    import multiprocessing

    from django.db import connections

    from comptoir.core.heap import settle
    from comptoir.gateway.inbound import ingest  # noqa: F401 - imported before the fork, as a worker's tasks are

    connections.close_all()  # each process opens its own
    # As a Celery worker does before its pool forks (comptoir.celery): the children inherit startup's objects frozen.
    settle(load_urls=False)
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_parallel_share, args=(raws[index::workers], parse_only, source))
        for index in range(workers)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    seconds = time.perf_counter() - started
    failed = [process.exitcode for process in processes if process.exitcode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} ingesting process(es) failed: exit codes {failed}")
    return len(raws) / seconds


def bench_parallel(workers: int, count: int, ticket_count: int) -> bool:
    """Returns whether every reply landed and every new message opened a ticket."""
    from comptoir.mail.models import InboundEmail, InboundStatus
    from comptoir.tickets.models import Ticket

    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible test data, not a secret
    tickets = make_tickets(ticket_count, rng)
    tickets = list(Ticket.objects.select_related("requester").filter(pk__in=[t.pk for t in tickets]))
    replies, expected = reply_emails(tickets, count, rng)
    news = [new_ticket_email(number) for number in range(count)]
    print(f"\n{workers} processes at once: {count} replies to {len(tickets)} fresh tickets, then {count} new tickets")
    print(f"  {'messages':<14}{'baseline msg/s':>16}{'ingest msg/s':>14}{'rate/baseline':>15}   outcome")
    ok = True
    for label, raws, source in (
        ("replies", replies, "bench-parallel-reply"),
        ("new tickets", news, "bench-parallel-new"),
    ):
        before = message_counts(tickets)
        tickets_before = Ticket.objects.count()
        baseline = run_parallel(workers, raws, parse_only=True, source=source)
        rate = run_parallel(workers, raws, parse_only=False, source=source)
        processed = InboundEmail.objects.filter(source=source, status=InboundStatus.PROCESSED).count()
        if source.endswith("reply"):
            after = message_counts(tickets)
            landed = sum(min(after.get(pk, 0) - before.get(pk, 0), expected[pk]) for pk in expected)
            outcome, good = f"{landed} of {len(raws)} landed on their ticket", landed == len(raws)
        else:
            opened = Ticket.objects.count() - tickets_before
            outcome, good = f"{opened} tickets opened of {len(raws)}", opened == len(raws)
        ok = ok and good and processed == len(raws)
        print(
            f"  {label:<14}{baseline:>16.1f}{rate:>14.1f}{rate / baseline:>14.3f}x   {outcome}; {processed} processed"
        )
    return ok


# --- Running ----------------------------------------------------------------------


def peak_memory() -> str:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kibibytes, macOS bytes.
    mebibytes = peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
    return f"{mebibytes:.0f} MiB"


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--replies", type=int, default=10_000, help="generated replies to ingest (default 10000)")
    parser.add_argument("--tickets", type=int, default=300, help="tickets the replies answer (default 300)")
    parser.add_argument(
        "--corpus", type=Path, help=f"default $COMPTOIR_MAIL_CORPUS or {DEFAULT_CORPUS}, skipped when absent"
    )
    parser.add_argument("--workers", type=int, default=0, help="also ingest with this many processes at once")
    parser.add_argument("--parallel", type=int, default=4000, help="replies, then new tickets, for --workers")
    parser.add_argument("--no-debug", action="store_true", help="DEBUG off, as in production")
    arguments = parser.parse_args(argv)
    if arguments.replies < 1 or arguments.tickets < 1:
        parser.error("--replies and --tickets must be at least 1")
    if arguments.corpus is not None and not arguments.corpus.is_dir():
        parser.error(f"no corpus directory at {arguments.corpus}")
    if arguments.corpus is None and DEFAULT_CORPUS.is_dir():
        arguments.corpus = DEFAULT_CORPUS
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.perf_counter()
    var_dir = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
    drop_database: Callable[[], None] | None = None
    try:
        configure_environment(var_dir, debug=not arguments.no_debug)
        try:
            check_database_url()
            setup_django()
            drop_database = migrate()
        except RefusedDatabase as error:
            print(f"bench/ingest.py: refusing DATABASE_URL: {error}", file=sys.stderr)
            return 2

        import django
        from django.conf import settings

        print(f"Comptoir ingest benchmark: Python {sys.version.split()[0]}, Django {django.get_version()}")
        print(f"database: {database_label()}")
        recorded = ", so Django records every SQL query (part of the ingest times)" if settings.DEBUG else ""
        print(f"files: {settings.MEDIA_ROOT}; DEBUG={settings.DEBUG}{recorded}")
        if arguments.corpus is not None:
            bench_corpus(arguments.corpus)
        else:
            print(f"\nCorpus: none at {DEFAULT_CORPUS} (set COMPTOIR_MAIL_CORPUS or --corpus): skipped")
        ok = bench_replies(arguments.replies, arguments.tickets)
        if arguments.workers > 0:
            ok = bench_parallel(arguments.workers, arguments.parallel, arguments.tickets) and ok
        print(
            f"\npeak memory (ru_maxrss, with every message held in memory): {peak_memory()}; "
            f"total run time {time.perf_counter() - started:.1f} s"
        )
        return 0 if ok else 1
    finally:
        try:
            if drop_database is not None:
                drop_database()
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
