"""A seeded help desk written straight into a migrated Comptoir database, for the benchmarks to share.

    .venv/bin/python bench/dataset.py [--size S|L|<tickets>] [--database-url URL] [--seed N] [--keep]

The benchmarks run as ``python bench/<name>.py``, so this folder is on
``sys.path`` and they ``import dataset`` by its bare name, then call
``build(url_or_connection, size)`` on a database ``migrate`` has just built.
Run as a script, it drops and creates the database ``--database-url`` names
(its name must contain ``bench``; PostgreSQL, or a SQLite file), migrates it,
builds, prints the counts and the time taken, and drops it unless ``--keep``.

The shape, for ``Size(tickets)`` (``S`` is 50,000 tickets, ``L`` 1,000,000):

- people (``accounts_user``, each with the ``account_emailaddress`` that
  ``person_save_new`` records): ``requesters_per_ticket`` requesters (0.4 by
  default; guests without a password, two in five signed up with a verified
  address and a language), ``agents`` agents (20) and ``admins``
  administrators (2);
- support groups (billing, accounts, technical support, sales), each agent in
  one or two; organisations as ``Organisations`` says: by default two that
  share their tickets (the first 50 and the next 250 requesters) and six that do
  not, holding a fifth of the other requesters;
- tickets created over the ``span_days`` (730) before ``now`` (midnight UTC
  today unless given), in order, so ids follow creation time; each from a
  requester drawn at random, in their language (French or English), about one of
  four topics with a subject from its vocabulary, the topic's group on three in
  four, a type (question, incident, feature request), a priority (about 70 %
  normal, 12 % low, 14 % high, 4 % urgent) and a channel (web, e-mail, API);
- ``Backlog`` says how many are still waiting (new, open, pending or on hold):
  by default 60 % of those under two weeks old, 12 % up to two months, 1.5 % of
  older ones (about 3 % of all); the others were solved, then closed
  ``AUTO_CLOSE_DAYS`` later as ``tickets_close_solved`` does, so only the last
  days' are still "solved"; new tickets and about a third of the others waiting
  have no assignee, the rest an agent of the group (some agents busier than
  others); about one in forty is the follow-up of its requester's last closed
  ticket;
- the conversation the services would have written, about 3.9 messages per
  ticket: the requester's first message, sometimes a second one before any
  answer, then 1 to 4 agent replies, each but the last answered by the
  requester, an internal note on three tickets in ten;
- the history ``comptoir.tickets.history`` records (about 9 events per ticket),
  grouped in changes as the services group them: "created" with the first
  message, "reply" and "note" with theirs, the "assignee" and "group" the first
  answer set, every status change (an agent's reply sets it, a requester's reply
  to a pending ticket opens it again, the auto-close job closes it) with the
  ticket's timestamps, and "follow_up" on the ticket a follow-up continues.

Every run with the same seed, size and ``now`` writes the same rows.

PostgreSQL: one transaction, binary COPY through psycopg, tickets by batches of
``BATCH_TICKETS`` (with their messages and events); the indexes and foreign keys
of the tables written are dropped first and made again from their catalogue
definitions at the end (as pg_restore orders it: checking millions of rows one
by one costs more than one join), then identities are set past the rows
written and the tables VACUUM ANALYZEd. SQLite: ``executemany`` in one
transaction, foreign keys checked, then ANALYZE. ``now`` and the ids are the
same on both.

The schema changes under the benchmarks: every statement names its columns and
the columns are read from the database first. A generated column is never
written; one this module does not know is left to its default when it is
nullable or has one, filled with the model field's default when Django is set
up, and refused with its name otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any, TextIO
from urllib.parse import urlsplit

import psycopg
from psycopg import pq, sql
from psycopg.adapt import Dumper

Row = tuple[Any, ...]

SEED = 2711
SPAN_DAYS = 730
# settings.COMPTOIR_AUTO_CLOSE_DAYS's default: solved tickets close after it.
AUTO_CLOSE_DAYS = 4
# comptoir.tickets.models.REFERENCE_OFFSET (read from there when Django is set up): #1001 is ticket 1.
REFERENCE_OFFSET = 1000
BATCH_TICKETS = 10_000
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_dataset"

HOUR = 3600.0
DAY = 24 * HOUR


class DatasetError(Exception):
    """The database cannot take the dataset (a column this module cannot fill, a database it refuses)."""


# --- What to build ----------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    tickets: int
    requesters_per_ticket: float = 0.4
    agents: int = 20
    admins: int = 2


SIZES = {"S": Size(50_000), "L": Size(1_000_000)}


@dataclass(frozen=True)
class Organisations:
    """Customer companies: the first requesters fill the sharing ones in order, the others a fraction of the rest."""

    sharing: tuple[int, ...] = (50, 250)  # members of each organisation that shares its tickets
    others: int = 6  # organisations that do not share
    others_fraction: float = 0.2  # of the requesters not in a sharing organisation


@dataclass(frozen=True)
class Backlog:
    """The chance that a ticket is still waiting (new, open, pending or on hold), by its age."""

    recent: float = 0.6  # under two weeks
    month: float = 0.12  # two weeks to two months
    older: float = 0.015


@dataclass
class Counts:
    organisations: int = 0
    requesters: int = 0
    agents: int = 0
    admins: int = 0
    addresses: int = 0
    groups: int = 0
    group_members: int = 0
    tickets: int = 0
    messages: int = 0
    events: int = 0

    @property
    def rows(self) -> int:
        return sum(getattr(self, item.name) for item in fields(self))


def size_from_text(text: str) -> Size:
    """``S``, ``L`` or a number of tickets (``20000``, ``20_000``); ValueError otherwise, as argparse types raise."""
    named = SIZES.get(text.strip().upper())
    if named is not None:
        return named
    try:
        tickets = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValueError(f"size {text!r}: S, L or a number of tickets") from None
    if tickets < 1:
        raise ValueError("the size must be at least one ticket")
    return Size(tickets)


def today() -> datetime:
    """Midnight UTC: a day's runs write the same timestamps, and none in the future."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# --- Tables and their columns ----------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]


ORGANISATION = Table("accounts_organisation", ("id", "name", "shares_tickets", "created_at"))
USER = Table(
    "accounts_user",
    ("id", "password", "last_login", "is_superuser", "email", "name", "role", "language", "is_active", "is_staff",
     "date_joined", "notify_by_email", "organisation_id"),
)  # fmt: skip
ADDRESS = Table("account_emailaddress", ("id", "email", "verified", "primary", "user_id"))
GROUP = Table("tickets_supportgroup", ("id", "name"))
GROUP_MEMBER = Table("tickets_supportgroup_members", ("id", "supportgroup_id", "user_id"))
TICKET = Table(
    "tickets_ticket",
    ("id", "subject", "requester_id", "type", "priority", "status", "channel", "language", "assignee_id", "group_id",
     "follow_up_of_id", "created_at", "updated_at", "solved_at", "closed_at"),
)  # fmt: skip
MESSAGE = Table(
    "tickets_message", ("id", "ticket_id", "author_id", "author_role", "is_public", "channel", "body", "created_at")
)
EVENT = Table(
    "tickets_ticketevent",
    ("id", "ticket_id", "actor_id", "kind", "old_value", "new_value", "change", "message_id", "automatic",
     "created_at"),
)  # fmt: skip
TABLES = (ORGANISATION, USER, ADDRESS, GROUP, GROUP_MEMBER, TICKET, MESSAGE, EVENT)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # PostgreSQL's type name (int8, varchar...), SQLite's declared type (bigint, datetime...)
    nullable: bool
    has_default: bool
    generated: bool


@dataclass(frozen=True)
class Plan:
    """What is written to one table: its known columns, then constants for columns added since."""

    table: Table
    columns: tuple[str, ...]
    types: tuple[str, ...]
    extra: Row


def plan_table(table: Table, columns: Sequence[Column]) -> Plan:
    found = {column.name: column for column in columns}
    for name in table.columns:
        column = found.get(name)
        if column is None:
            raise DatasetError(f"{table.name}.{name} is not in the database: is the schema migrated?")
        if column.generated:
            raise DatasetError(f"{table.name}.{name} is a generated column now: take it out of bench/dataset.py")
    extra_names: list[str] = []
    extra_values: list[Any] = []
    for column in columns:
        if column.name in table.columns or column.generated or column.nullable or column.has_default:
            continue
        extra_names.append(column.name)
        extra_values.append(model_default(table.name, column.name))
    names = table.columns + tuple(extra_names)
    return Plan(table, names, tuple(found[name].type for name in names), tuple(extra_values))


def model_default(table: str, column: str) -> Any:
    """The model field's default for a NOT NULL column without a database default, when Django knows it."""
    try:
        from django.apps import apps

        ready = apps.ready
    except ImportError:
        ready = False
    if ready:
        for model in apps.get_models():
            if model._meta.db_table != table:
                continue
            for model_field in model._meta.concrete_fields:
                if model_field.column == column and model_field.has_default():
                    return model_field.get_default()
    raise DatasetError(
        f"{table}.{column} is NOT NULL without a default (in the database or the model): "
        "bench/dataset.py must learn to fill it"
    )


def reference_offset() -> int:
    try:
        from django.apps import apps

        if apps.ready:
            from comptoir.tickets.models import REFERENCE_OFFSET as model_offset

            return int(model_offset)
    except ImportError:
        pass
    return REFERENCE_OFFSET


# --- Vocabulary ---------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    group: int  # index in GROUPS
    weight: float
    types: tuple[float, float]  # chance of incident, of feature request (else question)
    subjects: dict[str, tuple[str, ...]]
    openings: dict[str, tuple[str, ...]]


GROUPS = ("Facturation / Billing", "Comptes / Accounts", "Support technique / Technical support", "Ventes / Sales")
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}  # fmt: skip
# fmt: off
TOPICS = (
    Topic(0, 0.3, (0.1, 0.02), {
        "fr": ("Facture de {month} introuvable", "Double prélèvement en {month}", "Erreur au paiement",
               "Remboursement en attente", "Adresse de facturation erronée", "Question sur mon abonnement",
               "Changer de moyen de paiement", "Facture sans numéro de TVA"),
        "en": ("Missing invoice for {month}", "Charged twice in {month}", "Payment error", "Refund pending",
               "Invoice address is wrong", "Question about my subscription", "Change my payment method",
               "Invoice without VAT number"),
    }, {
        "fr": ("Bonjour, je n'arrive pas à retrouver ma facture du mois dernier.",
               "Bonjour, j'ai été prélevé deux fois ce mois-ci.", "Bonjour, le paiement par carte échoue."),
        "en": ("Hello, I cannot find last month's invoice anywhere.", "Hello, I was charged twice this month.",
               "Hello, the card payment keeps failing."),
    }),
    Topic(1, 0.25, (0.2, 0.02), {
        "fr": ("Impossible de me connecter", "Mot de passe oublié", "Compte bloqué", "Changer mon adresse e-mail",
               "Code de connexion non reçu", "Ajouter un collègue à notre compte", "Supprimer mon compte",
               "Double authentification perdue"),
        "en": ("Cannot log in", "Forgot my password", "Account locked", "Change my email address",
               "Sign-in code not received", "Add a colleague to our account", "Delete my account",
               "Lost my two-factor device"),
    }, {
        "fr": ("Bonjour, je ne peux plus me connecter depuis ce matin.",
               "Bonjour, je ne reçois pas le code de connexion.", "Bonjour, mon compte semble bloqué."),
        "en": ("Hello, I cannot sign in since this morning.", "Hello, the sign-in code never arrives.",
               "Hello, my account seems to be locked."),
    }),
    Topic(2, 0.33, (0.6, 0.05), {
        "fr": ("Le tableau de bord ne charge pas", "Export des rapports vide", "Pièce jointe refusée",
               "Notification non reçue", "Problème d'affichage sur mobile", "Erreur 500 sur la page {month}",
               "L'API renvoie une erreur", "Synchronisation bloquée"),
        "en": ("Dashboard does not load", "Report export is empty", "Attachment rejected",
               "Notification not received", "Display problem on mobile", "Error 500 on the {month} page",
               "The API returns an error", "Sync is stuck"),
    }, {
        "fr": ("Bonjour, le message d'erreur apparaît dès que je clique sur le bouton.",
               "Bonjour, la page reste blanche après la connexion.", "Bonjour, l'export ne contient que l'en-tête."),
        "en": ("Hello, the error shows as soon as I click the button.",
               "Hello, the page stays blank after signing in.", "Hello, the export only holds the header row."),
    }),
    Topic(3, 0.12, (0.0, 0.4), {
        "fr": ("Demande de devis", "Passer à l'offre supérieure", "Tarif pour les associations",
               "Fonctionnalité souhaitée : export PDF", "Essai gratuit prolongé", "Facture pro forma pour {month}"),
        "en": ("Quote request", "Upgrade to the next plan", "Pricing for charities", "Feature request: PDF export",
               "Extend the free trial", "Pro forma invoice for {month}"),
    }, {
        "fr": ("Bonjour, nous envisageons de passer à l'offre supérieure.",
               "Bonjour, pourriez-vous nous envoyer un devis ?"),
        "en": ("Hello, we are thinking of moving to the next plan.", "Hello, could you send us a quote?"),
    }),
)
# fmt: on
REQUESTER_SENTENCES = {
    "fr": (
        "Pouvez-vous vérifier mon compte ?",
        "J'ai essayé avec un autre navigateur, sans succès.",
        "Voici une capture d'écran du problème.",
        "C'est assez urgent pour nous.",
        "Le problème est apparu après la dernière mise à jour.",
        "Merci pour votre retour rapide.",
        "Je reste disponible si besoin.",
        "Ma facture du mois dernier pose le même problème.",
        "Toute l'équipe est concernée.",
        "Cela fonctionnait encore la semaine dernière.",
    ),
    "en": (
        "Could you check my account?",
        "I tried another browser, no luck.",
        "Here is a screenshot of the problem.",
        "This is rather urgent for us.",
        "It started after the last update.",
        "Thanks for the quick reply.",
        "Let me know if you need anything else.",
        "Last month's invoice has the same problem.",
        "The whole team is affected.",
        "It still worked last week.",
    ),
}  # fmt: skip
AGENT_SENTENCES = {
    "fr": ("Merci pour votre message.", "Nous avons corrigé le paramètre de votre compte.",
           "Pouvez-vous réessayer et nous dire si cela fonctionne ?",
           "Le remboursement sera visible sous cinq jours ouvrés.", "Pourriez-vous nous envoyer une capture d'écran ?",
           "Nous avons transmis votre demande à notre équipe technique.", "Votre facture est jointe à ce message.",
           "Le correctif sera déployé cette semaine.", "Je reste à votre disposition."),
    "en": ("Thank you for your message.", "We fixed the setting on your account.",
           "Could you try again and tell us whether it works?", "The refund will show within five working days.",
           "Could you send us a screenshot?", "We have passed your request on to our engineering team.",
           "Your invoice is attached to this message.", "The fix goes out this week.", "Happy to help further."),
}  # fmt: skip
NOTE_SENTENCES = (
    "Vu avec l'équipe technique, en attente du correctif.", "Client important, à traiter en priorité.",
    "Already refunded once in the past, check before refunding again.", "Same issue as the ticket from last week.",
    "Escalated to engineering.", "Attendre le retour du fournisseur.",
)  # fmt: skip
GREETINGS = {"fr": ("Bonjour,", "Bonjour {name},"), "en": ("Hello,", "Hello {name},", "Hi {name},")}
FIRST_NAMES = (
    "Camille", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Louis", "Inès", "Jules", "Sarah", "Gabriel", "Zoé",
    "Thomas", "Emma", "Nathan", "Anaïs", "Olivia", "James", "Amelia", "Oliver", "Grace", "Harry", "Isla", "Jack",
    "Sophie", "Noah", "Hélène", "Mathis", "Élise", "Karim", "Yasmine", "Pierre", "Agnès", "Mehdi", "Laura", "Paul",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefèvre", "Michel", "García", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans",
    "Johnson", "Walker", "Roux", "Fournier", "Girard", "Bonnet", "Benali", "Nguyen", "Müller", "Rossi",
)  # fmt: skip
ORGANISATION_NAMES = (
    "Boulangerie Dupain", "Acme Industries", "Cabinet Lefèvre & Associés", "Northwind Traders", "Mairie de Saint-Clair",
    "Globex", "Atelier des Lilas", "Initech", "Transports Girard", "Umbrella Health", "Librairie du Port", "Hooli",
)  # fmt: skip
HOME_DOMAINS = ("mail.example", "courriel.example", "post.example", "inbox.example")
# An agent's first answer, by priority: mean delay in hours.
FIRST_ANSWER_HOURS = {"urgent": 0.5, "high": 2.0, "normal": 6.0, "low": 20.0}
PRIORITIES = (("normal", 0.70), ("low", 0.12), ("high", 0.14), ("urgent", 0.04))
CHANNELS = (("web", 0.55), ("email", 0.40), ("api", 0.05))
ACTIVE = ("new", "open", "pending", "on_hold")
DONE = "done"  # solved, then closed once AUTO_CLOSE_DAYS have passed


def slug(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def cumulative(weights: Sequence[float]) -> list[float]:
    total, running = sum(weights), 0.0
    bounds = []
    for weight in weights:
        running += weight
        bounds.append(running / total)
    bounds[-1] = 1.0
    return bounds


# --- Generation ---------------------------------------------------------------------

FOLLOW_UP_CHANCE = 0.04  # of tickets whose requester has a closed ticket not yet followed up
NOTE_CHANCE = 0.3
UNASSIGNED_ACTIVE = 0.3  # of open, pending and on-hold tickets; new ones have nobody: a third in all
UNASSIGNED_DONE = 0.03
BODY_POOL = 300
# How waiting tickets split over ACTIVE, by age: under two days, under two weeks, older.
WAITING_FIRST_DAYS = cumulative((0.45, 0.35, 0.15, 0.05))
WAITING_RECENT = cumulative((0.15, 0.35, 0.32, 0.18))
WAITING_STALE = cumulative((0.03, 0.27, 0.45, 0.25))


def pick(bounds: Sequence[float], draw: float) -> int:
    for index, bound in enumerate(bounds):
        if draw < bound:
            return index
    return len(bounds) - 1


def moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class ChangeId(int):
    """A version-4 UUID kept as its 128-bit number: making millions of uuid.UUID objects takes seconds."""

    __slots__ = ()

    VERSION_4 = (0x4000 << 64) | (0x8000 << 48)  # version and variant bits
    CLEARED = ((1 << 128) - 1) ^ ((0xF000 << 64) | (0xC000 << 48))

    @classmethod
    def draw(cls, bits: int) -> ChangeId:
        return cls((bits & cls.CLEARED) | cls.VERSION_4)


class ChangeIdDumper(Dumper):
    """COPY (FORMAT BINARY) of a ChangeId, or of a uuid.UUID, into a uuid column."""

    format = pq.Format.BINARY
    oid = psycopg.postgres.types["uuid"].oid

    def dump(self, obj: Any) -> bytes:
        return int(obj if isinstance(obj, int) else obj.int).to_bytes(16, "big")


@dataclass
class Batch:
    tickets: list[Row] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


@dataclass
class Conversation:
    """One ticket's messages and events, timed in seconds after its creation."""

    messages: list[list[Any]]  # [offset, id, author, role, is public, channel, body]
    events: list[list[Any]]  # [offset, actor, kind, old, new, change, message id]
    status: str
    solved: float | None  # offset of the last "solved"


class Desk:
    """The rows, drawn from one seeded generator in a fixed order: people and groups, then tickets in time order."""

    def __init__(
        self,
        size: Size,
        organisations: Organisations,
        backlog: Backlog,
        *,
        seed: int,
        now: datetime,
        span_days: int,
        first_ids: dict[str, int],
    ) -> None:
        if size.tickets < 1 or size.agents < 1:
            raise DatasetError("a help desk needs at least one ticket and one agent")
        self.size = size
        self.plan = organisations
        self.backlog = backlog
        self.rng = Random(seed)  # noqa: S311 - reproducible test data, not a secret
        self.now = now
        self.span_days = span_days
        self.now_ts = now.timestamp()
        self.start_ts = (now - timedelta(days=span_days)).timestamp()
        self.ids = dict(first_ids)
        self.reference_offset = reference_offset()
        # Filled by people() and groups(), read for each ticket.
        self.requester_ids: list[int] = []
        self.speaks: list[str] = []
        self.first_names: list[str] = []
        self.agent_ids: list[int] = []
        self.agent_names: list[str] = []
        self.group_ids: list[int] = []
        self.group_agents: list[list[int]] = []  # agent indices, repeated by how busy each agent is
        self.all_agents: list[int] = []
        # Each requester's last closed ticket (id, closed at, subject, type, language), for follow-ups.
        self.last_closed: dict[int, tuple[int, float, str, str, str]] = {}
        self.topic_bounds = cumulative([topic.weight for topic in TOPICS])
        self.priority_bounds = cumulative([weight for _, weight in PRIORITIES])
        self.channel_bounds = cumulative([weight for _, weight in CHANNELS])
        self.pools: dict[str, list[str]] = {}

    def take_ids(self, table: Table, count: int) -> range:
        first = self.ids[table.name]
        self.ids[table.name] = first + count
        return range(first, first + count)

    def change(self) -> ChangeId:
        return ChangeId.draw(self.rng.getrandbits(128))

    def organisations(self) -> list[Row]:
        count = len(self.plan.sharing) + self.plan.others
        founded = self.now - timedelta(days=self.span_days + 400)
        rows = []
        for number, pk in enumerate(self.take_ids(ORGANISATION, count)):
            base = ORGANISATION_NAMES[number % len(ORGANISATION_NAMES)]
            name = base if number < len(ORGANISATION_NAMES) else f"{base} {number // len(ORGANISATION_NAMES) + 1}"
            rows.append((pk, name, number < len(self.plan.sharing), founded))
        return rows

    def people(self, organisation_rows: Sequence[Row]) -> tuple[list[Row], list[Row]]:
        """Users (agents and administrators, then requesters) and their addresses."""
        rng, size, plan = self.rng, self.size, self.plan
        random = rng.random
        sharing_ids = [row[0] for row in organisation_rows[: len(plan.sharing)]]
        other_ids = [row[0] for row in organisation_rows[len(plan.sharing) :]]
        domains = {
            row[0]: slug(row[1]).replace("&", "").replace("'", "")[:24] + ".example" for row in organisation_rows
        }
        joined = self.now - timedelta(days=self.span_days + 30)
        users: list[Row] = []
        # Staff first: their ids stay the same whatever the size.
        staff = [("agent", number) for number in range(size.agents)] + [("admin", n) for n in range(size.admins)]
        for (role, number), pk in zip(staff, self.take_ids(USER, len(staff)), strict=True):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{slug(first)}.{slug(last)}.{role}{number}@support.example"
            seen = self.now - timedelta(hours=1 + 48 * random())
            users.append(
                (pk, "!", seen, role == "admin", email, f"{first} {last}", role, rng.choice(("fr", "en")), True, True,
                 joined, True, None)
            )  # fmt: skip
            if role == "agent":
                self.agent_ids.append(pk)
                self.agent_names.append(f"{first} {last}")
        # The first requesters fill the sharing organisations, in order.
        members: list[int] = []
        for sharing_id, count in zip(sharing_ids, plan.sharing, strict=True):
            members.extend([sharing_id] * count)
        requester_ids = self.take_ids(USER, max(round(size.tickets * size.requesters_per_ticket), 2 * len(members), 1))
        for number, pk in enumerate(requester_ids):
            organisation: int | None = None
            if number < len(members):
                organisation = members[number]
            elif other_ids and random() < plan.others_fraction:
                organisation = other_ids[int(random() * len(other_ids))]
            first, last = FIRST_NAMES[int(random() * len(FIRST_NAMES))], LAST_NAMES[int(random() * len(LAST_NAMES))]
            speaks = "fr" if random() < 0.55 else "en"
            # Guests know Comptoir from their tickets; two in five signed up (a language, a verified address).
            signed_up = random() < 0.4
            domain = domains[organisation] if organisation is not None else HOME_DOMAINS[number % len(HOME_DOMAINS)]
            last_login = self.now - timedelta(days=self.span_days * random()) if signed_up else None
            users.append(
                (pk, "!", last_login, False, f"{slug(first)}.{slug(last)}.{number}@{domain}", f"{first} {last}",
                 "requester", speaks if signed_up else "", True, False, joined, random() >= 0.05, organisation)
            )  # fmt: skip
            self.speaks.append(speaks)
            self.first_names.append(first)
        self.requester_ids = list(requester_ids)
        # As person_save_new records them: staff addresses trusted, a requester's once proven.
        addresses = [
            (pk, user[4], user[6] != "requester" or user[2] is not None, True, user[0])
            for pk, user in zip(self.take_ids(ADDRESS, len(users)), users, strict=True)
        ]
        return users, addresses

    def groups(self) -> tuple[list[Row], list[Row]]:
        """Each agent in one group (a third in a second one), some agents busier than others."""
        random = self.rng.random
        self.group_ids = list(self.take_ids(GROUP, len(GROUPS)))
        self.group_agents = [[] for _ in GROUPS]
        pairs: list[tuple[int, int]] = []
        for index, agent in enumerate(self.agent_ids):
            load = 1 + int(random() * 4)  # 1 to 4 shares of the tickets
            chosen = [index % len(GROUPS)]
            if random() < 0.33:
                chosen.append((index + 1 + int(random() * (len(GROUPS) - 1))) % len(GROUPS))
            for group in chosen:
                self.group_agents[group].extend([index] * load)
                pairs.append((self.group_ids[group], agent))
            self.all_agents.extend([index] * load)
        for agents in self.group_agents:
            if not agents:  # fewer agents than groups
                agents.extend(self.all_agents)
        members = [(pk, *pair) for pk, pair in zip(self.take_ids(GROUP_MEMBER, len(pairs)), pairs, strict=True)]
        return list(zip(self.group_ids, GROUPS, strict=True)), members

    def draw_bodies(self) -> None:
        """Message texts, drawn once: a few hundred of each kind in each language."""
        rng = self.rng
        for language in ("fr", "en"):
            requester, agent = REQUESTER_SENTENCES[language], AGENT_SENTENCES[language]
            self.pools[f"requester-{language}"] = [
                " ".join(rng.sample(requester, rng.randint(1, 3))) for _ in range(BODY_POOL)
            ]
            self.pools[f"agent-{language}"] = [" ".join(rng.sample(agent, rng.randint(2, 4))) for _ in range(BODY_POOL)]
            self.pools[f"note-{language}"] = [
                " ".join(rng.sample(NOTE_SENTENCES, rng.randint(1, 2))) for _ in range(BODY_POOL)
            ]
            for number, topic in enumerate(TOPICS):
                self.pools[f"opening-{number}-{language}"] = [
                    f"{rng.choice(topic.openings[language])} {' '.join(rng.sample(requester, rng.randint(1, 3)))}"
                    for _ in range(BODY_POOL)
                ]

    def body(self, kind: str) -> str:
        pool = self.pools[kind]
        return pool[int(self.rng.random() * len(pool))]

    def tickets(self) -> Iterator[Batch]:
        """Tickets in creation order, with their messages and events, by batches of BATCH_TICKETS."""
        self.draw_bodies()
        batch = Batch()
        for number, ticket_id in enumerate(self.take_ids(TICKET, self.size.tickets)):
            self.ticket(number, ticket_id, batch)
            if len(batch.tickets) >= BATCH_TICKETS:
                yield batch
                batch = Batch()
        if batch.tickets:
            yield batch

    def status_target(self, age_days: float) -> str:
        """Young tickets are being worked on; old ones are done, but for a few stale ones."""
        random = self.rng.random
        if age_days < 14:
            waiting = self.backlog.recent
            bounds = WAITING_FIRST_DAYS if age_days < 2 else WAITING_RECENT
        else:
            waiting = self.backlog.month if age_days < 60 else self.backlog.older
            bounds = WAITING_STALE
        if random() >= waiting:
            return DONE
        return ACTIVE[pick(bounds, random())]

    def ticket(self, number: int, ticket_id: int, batch: Batch) -> None:
        random = self.rng.random
        created = self.start_ts + (self.now_ts - self.start_ts) * (number + random()) / self.size.tickets
        who = int(random() * len(self.requester_ids))
        language = self.speaks[who]
        topic_index = pick(self.topic_bounds, random())
        topic = TOPICS[topic_index]
        draw = random()
        ticket_type = "incident" if draw < topic.types[0] else "question"
        if topic.types[0] <= draw < topic.types[0] + topic.types[1]:
            ticket_type = "feature_request"
        priority = PRIORITIES[pick(self.priority_bounds, random())][0]
        channel = CHANNELS[pick(self.channel_bounds, random())][0]
        subjects = topic.subjects[language]
        subject = subjects[int(random() * len(subjects))]
        if "{month}" in subject:
            subject = subject.format(month=MONTHS[language][int(random() * 12)])
        group = topic.group if random() < 0.75 else None
        target = self.status_target((self.now_ts - created) / DAY)
        follow_up_of = None
        previous = self.last_closed.get(who)
        if previous is not None and previous[1] < created and random() < FOLLOW_UP_CHANCE:
            # The requester answered a closed ticket: ticket_reply_by_requester opened this one.
            follow_up_of, _, subject, ticket_type, language = previous
            channel = "email"
            del self.last_closed[who]
        unassigned = UNASSIGNED_DONE if target == DONE else UNASSIGNED_ACTIVE
        assigned = target != "new" and random() >= unassigned
        pool = self.group_agents[group] if group is not None else self.all_agents
        agent_index = pool[int(random() * len(pool))]

        talk = self.conversation(
            target=target,
            who=who,
            language=language,
            opening=f"opening-{topic_index}-{language}",
            channel=channel,
            priority=priority,
            agent_index=agent_index,
            assigned=assigned,
            group=group,
        )
        # The conversation ends before now: squeezed into the ticket's age when it would not.
        end = max(max(item[0] for item in talk.messages), max(item[0] for item in talk.events))
        room = max(0.0, self.now_ts - 60 - created)
        factor = room / end if end > room else 1.0
        updated = created + end * factor
        status, solved_at, closed_at = talk.status, None, None
        closing: list[Any] | None = None
        if talk.solved is not None:
            solved = created + talk.solved * factor
            solved_at = moment(solved)
            # tickets_close_solved, run every hour, closes it AUTO_CLOSE_DAYS later.
            closes = solved + AUTO_CLOSE_DAYS * DAY + HOUR * random()
            if closes < self.now_ts:
                closing = [closes, None, "status", "solved", "closed", self.change(), None]
                status, closed_at, updated = "closed", moment(closes), closes
                self.last_closed[who] = (ticket_id, closes, subject, ticket_type, language)
        for item in talk.messages:
            batch.messages.append((item[1], ticket_id, *item[2:], moment(created + item[0] * factor)))
        event_id = self.ids[EVENT.name]
        for item in talk.events:
            batch.events.append((event_id, ticket_id, *item[1:], False, moment(created + item[0] * factor)))
            event_id += 1
        if closing is not None:
            batch.events.append((event_id, ticket_id, *closing[1:], False, moment(closing[0])))
            event_id += 1
        if follow_up_of is not None:
            reference = f"#{ticket_id + self.reference_offset}"
            batch.events.append(
                (event_id, follow_up_of, self.requester_ids[who], "follow_up", "", reference, self.change(), None,
                 False, moment(created))
            )  # fmt: skip
            event_id += 1
        self.ids[EVENT.name] = event_id
        batch.tickets.append(
            (ticket_id, subject, self.requester_ids[who], ticket_type, priority, status, channel, language,
             self.agent_ids[agent_index] if assigned else None, self.group_ids[group] if group is not None else None,
             follow_up_of, moment(created), moment(updated), solved_at, closed_at)
        )  # fmt: skip

    def conversation(
        self,
        *,
        target: str,
        who: int,
        language: str,
        opening: str,
        channel: str,
        priority: str,
        agent_index: int,
        assigned: bool,
        group: int | None,
    ) -> Conversation:
        """What the services write, in their order: ticket_create, replies, ticket_update_by_agent."""
        rng, body = self.rng, self.body
        random, expovariate = rng.random, rng.expovariate
        requester, agent = self.requester_ids[who], self.agent_ids[agent_index]
        reply_channel = "email" if channel == "api" else channel
        message_id = self.ids[MESSAGE.name]
        messages: list[list[Any]] = [[0.0, message_id, requester, "requester", True, channel, body(opening)]]
        events: list[list[Any]] = [[0.0, requester, "created", "", "new", self.change(), message_id]]
        message_id += 1
        offset = 0.0
        if random() < 0.12:  # more details before anyone answers; a new ticket stays new
            offset += 120 + 3 * HOUR * random()
            messages.append(
                [offset, message_id, requester, "requester", True, reply_channel, body(f"requester-{language}")]
            )
            events.append([offset, requester, "reply", "", "", self.change(), message_id])
            message_id += 1
        status, solved = "new", None
        if target != "new":
            rounds = 1
            while rounds < 4 and random() < 0.45:
                rounds += 1
            # An open ticket either has the agent's answer or waits for the agent after the requester's reply.
            waits_for_agent = target == "open" and random() < 0.5
            offset += 120 + expovariate(1 / (FIRST_ANSWER_HOURS[priority] * HOUR))
            first_answer = offset
            greetings = GREETINGS[language]
            for round_number in range(rounds):
                last = round_number == rounds - 1
                if round_number:
                    offset += 300 + expovariate(1 / (4 * HOUR))
                answer = self.change()
                if round_number == 0 and assigned:
                    events.append([offset, agent, "assignee", "", self.agent_names[agent_index], answer, None])
                if round_number == 0 and group is not None:
                    events.append([offset, agent, "group", "", GROUPS[group], answer, None])
                greeting = greetings[int(random() * len(greetings))].format(name=self.first_names[who])
                text = f"{greeting}\n\n{body(f'agent-{language}')}\n\n{self.agent_names[agent_index].split()[0]}"
                messages.append([offset, message_id, agent, "agent", True, "web", text])
                events.append([offset, agent, "reply", "", "", answer, message_id])
                message_id += 1
                answered = not last or waits_for_agent
                new_status = "pending" if answered else "solved" if target == DONE else target
                if new_status != status:
                    events.append([offset, agent, "status", status, new_status, answer, None])
                    status = new_status
                    solved = offset if status == "solved" else solved
                if answered:
                    offset += 300 + expovariate(1 / (18 * HOUR))
                    reply = self.change()
                    messages.append(
                        [offset, message_id, requester, "requester", True, reply_channel, body(f"requester-{language}")]
                    )
                    events.append([offset, requester, "reply", "", "", reply, message_id])
                    events.append([offset, requester, "status", status, "open", reply, None])
                    message_id += 1
                    status = "open"
            if random() < NOTE_CHANCE:
                noted = first_answer + 300 + 3 * HOUR * random()
                messages.append([noted, message_id, agent, "agent", False, "web", body(f"note-{language}")])
                events.append([noted, agent, "note", "", "", self.change(), message_id])
                message_id += 1
        self.ids[MESSAGE.name] = message_id
        return Conversation(messages, events, status, solved)


# --- Writing ------------------------------------------------------------------------


class Progress:
    """One line on stderr, rewritten in place on a terminal (a line every PLAIN_EVERY seconds elsewhere)."""

    PLAIN_EVERY = 10.0

    def __init__(self, total_tickets: int, stream: TextIO | None) -> None:
        self.total = total_tickets
        self.stream = stream
        self.live = bool(stream is not None and stream.isatty())
        self.started = self.shown = time.perf_counter()
        self.tickets = 0
        self.rows = 0

    def add(self, *, rows: int, tickets: int = 0) -> None:
        self.rows += rows
        self.tickets += tickets
        now = time.perf_counter()
        if now - self.shown >= (0.5 if self.live else self.PLAIN_EVERY) or self.tickets == self.total:
            self.shown = now
            self.show(self.line(now))

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        left = (self.total - self.tickets) * elapsed / self.tickets if self.tickets else 0.0
        return (
            f"dataset: {self.tickets:,}/{self.total:,} tickets ({100 * self.tickets / self.total:.0f} %), "
            f"{self.rows:,} rows, {self.rows / elapsed:,.0f} rows/s, {elapsed:.0f} s, ~{left:.0f} s left"
        )

    def step(self, text: str) -> None:
        """A phase after the rows (indexes, foreign keys, ANALYZE), on a line of its own."""
        self.show(f"dataset: {text} (at {time.perf_counter() - self.started:.0f} s)")
        if self.live and self.stream is not None:
            self.stream.write("\n")

    def show(self, text: str) -> None:
        if self.stream is None:
            return
        if self.live:
            self.stream.write(f"\r{text}\x1b[K")
        else:
            self.stream.write(f"{text}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.live and self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


class Store(ABC):
    """One database connection the rows go to."""

    @abstractmethod
    def columns(self, table: str) -> list[Column]: ...

    @abstractmethod
    def next_id(self, table: str) -> int: ...

    @abstractmethod
    def loading(self, plans: Sequence[Plan], progress: Progress) -> AbstractContextManager[None]:
        """One transaction around the writes; committed at the end unless the caller had one open."""

    @abstractmethod
    def write(self, plan: Plan, rows: Sequence[Row]) -> None: ...

    @abstractmethod
    def analyse(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


class PostgresStore(Store):
    def __init__(self, connection: psycopg.Connection[Any], *, owned: bool) -> None:
        self.connection = connection
        self.owned = owned
        # A caller's transaction is theirs to commit; otherwise the build commits its own.
        self.commits = connection.info.transaction_status == pq.TransactionStatus.IDLE

    def columns(self, table: str) -> list[Column]:
        rows = self.connection.execute(
            "SELECT a.attname, t.typname, NOT a.attnotnull, a.atthasdef OR a.attidentity <> '', a.attgenerated <> '' "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [table],
        ).fetchall()
        return [Column(*row) for row in rows]

    def next_id(self, table: str) -> int:
        row = self.connection.execute(
            sql.SQL("SELECT COALESCE(MAX(id), 0) + 1 FROM {}").format(sql.Identifier(table))
        ).fetchone()
        return int(row[0]) if row else 1

    @contextmanager
    def loading(self, plans: Sequence[Plan], progress: Progress) -> Iterator[None]:
        tables = [plan.table.name for plan in plans]
        with self.connection.transaction(), self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            keys, indexes = self.drop_keys_and_indexes(cursor, tables)
            yield
            progress.step(f"creating {len(indexes)} indexes")
            for definition in indexes:
                cursor.execute(sql.SQL(definition))  # pg_get_indexdef, from the catalogue
            progress.step(f"checking {len(keys)} foreign keys")
            for key in keys:
                cursor.execute(key)
            # Identities go on after the rows written with their id, so the ORM can insert afterwards.
            for table in tables:
                cursor.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                        "FROM {}"
                    ).format(sql.Identifier(table)),
                    [table],
                )
        if self.commits and not self.connection.autocommit:
            # transaction() was a savepoint in the transaction the catalogue reads opened.
            self.connection.commit()

    @staticmethod
    def drop_keys_and_indexes(
        cursor: psycopg.Cursor[Any], tables: Sequence[str]
    ) -> tuple[list[sql.Composed], list[str]]:
        """Drop the foreign keys and the indexes no constraint owns; return what makes them again.

        Keys are checked with one join each when added back, rather than row by
        row; indexes are built once, sorted, rather than grown row by row. Primary
        keys and unique constraints stay. Whatever the migrations made (another
        engineer's new index included) comes back as the catalogue defines it, in
        the same transaction: a failed build leaves them untouched.
        """
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [list(tables)],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY 1",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for table, name, _ in keys:
            cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name)))
        for name, _ in indexes:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
        add_keys = [
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(sql.SQL(table), sql.Identifier(name), sql.SQL(spec))
            for table, name, spec in keys
        ]
        return add_keys, [definition for _, definition in indexes]

    def write(self, plan: Plan, rows: Sequence[Row]) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(plan.table.name), sql.SQL(", ").join(sql.Identifier(name) for name in plan.columns)
        )
        extra = plan.extra
        with self.connection.cursor() as cursor:
            # set_types() picks each column's dumper by its type: this one writes the uuid columns.
            cursor.adapters.register_dumper(ChangeId, ChangeIdDumper)
            with cursor.copy(statement) as copy:
                copy.set_types(list(plan.types))
                for row in rows:
                    copy.write_row(row + extra)

    def analyse(self) -> None:
        """VACUUM ANALYZE (visibility map and statistics, as a settled database has them); ANALYZE in a transaction."""
        idle = self.connection.info.transaction_status == pq.TransactionStatus.IDLE
        autocommit = self.connection.autocommit
        try:
            if idle:
                self.connection.autocommit = True
            for table in TABLES:
                command = "VACUUM ANALYZE {}" if idle else "ANALYZE {}"
                self.connection.execute(sql.SQL(command).format(sql.Identifier(table.name)))
        finally:
            if idle:
                self.connection.autocommit = autocommit

    def close(self) -> None:
        if self.owned:
            self.connection.close()


class SQLiteStore(Store):
    def __init__(self, connection: sqlite3.Connection, *, owned: bool) -> None:
        self.connection = connection
        self.owned = owned

    def columns(self, table: str) -> list[Column]:
        # table_xinfo: cid, name, declared type, notnull, default, pk, hidden (2 and 3: generated).
        rows = self.connection.execute(f'PRAGMA table_xinfo("{table}")').fetchall()
        return [
            Column(row[1], row[2].lower(), not row[3], row[4] is not None or bool(row[5]), row[6] in (2, 3))
            for row in rows
        ]

    def next_id(self, table: str) -> int:
        row = self.connection.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"').fetchone()  # noqa: S608
        return int(row[0]) if row else 1

    @contextmanager
    def loading(self, plans: Sequence[Plan], progress: Progress) -> Iterator[None]:
        connection = self.connection
        began = not connection.in_transaction
        if began:
            # As Django connects: foreign keys on (deferred, checked at COMMIT).
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN IMMEDIATE")
        try:
            yield
            if began:
                progress.step("checking foreign keys (COMMIT)")
                connection.execute("COMMIT")
        except BaseException:
            if began and connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def write(self, plan: Plan, rows: Sequence[Row]) -> None:
        names = ", ".join(f'"{name}"' for name in plan.columns)
        marks = ", ".join("?" for _ in plan.columns)
        self.connection.executemany(
            f'INSERT INTO "{plan.table.name}" ({names}) VALUES ({marks})',  # noqa: S608 - names from TABLES
            self.stored(plan, rows),
        )

    @staticmethod
    def stored(plan: Plan, rows: Sequence[Row]) -> Iterator[Sequence[Any]]:
        """The rows as Django's SQLite backend stores them, converted where the declared type asks."""
        extra = plan.extra
        converted = [(index, SQLITE_VALUES[kind]) for index, kind in enumerate(plan.types) if kind in SQLITE_VALUES]
        for row in rows:
            values = list(row + extra)
            for index, convert in converted:
                if values[index] is not None:
                    values[index] = convert(values[index])
            yield values

    def analyse(self) -> None:
        self.connection.execute("ANALYZE")

    def close(self) -> None:
        if self.owned:
            self.connection.close()


# By declared type, as Django's SQLite backend writes them: naive UTC datetimes as text, UUIDs as 32 hex digits.
SQLITE_VALUES: dict[str, Callable[[Any], Any]] = {
    "datetime": lambda value: value.astimezone(UTC).replace(tzinfo=None).isoformat(" "),
    "char(32)": lambda value: f"{value if isinstance(value, int) else value.int:032x}",
}


def open_store(target: str | psycopg.Connection[Any] | sqlite3.Connection) -> Store:
    """A URL (postgres://, sqlite:///path) is connected to and closed after; a connection is used as it is.

    The builder's own PostgreSQL connection is in autocommit: its catalogue reads
    open no transaction, and the writes are one (``PostgresStore.loading``).
    """
    if isinstance(target, sqlite3.Connection):
        return SQLiteStore(target, owned=False)
    if not isinstance(target, str):
        return PostgresStore(target, owned=False)
    scheme = urlsplit(target).scheme
    if scheme == "sqlite":
        import dj_database_url

        name = str(dj_database_url.parse(target)["NAME"])
        if not Path(name).is_file():
            raise DatasetError(f"no SQLite database at {name}: migrate first")
        return SQLiteStore(sqlite3.connect(name, isolation_level=None), owned=True)
    if scheme in ("postgres", "postgresql", "pgsql"):
        connection = psycopg.connect(target.replace("pgsql://", "postgresql://", 1), autocommit=True)
        return PostgresStore(connection, owned=True)
    raise DatasetError(f"{scheme}:// is not supported: PostgreSQL or SQLite")


# --- Building -----------------------------------------------------------------------


def build(
    target: str | psycopg.Connection[Any] | sqlite3.Connection,
    size: Size,
    *,
    seed: int = SEED,
    organisations: Organisations = Organisations(),
    backlog: Backlog = Backlog(),
    now: datetime | None = None,
    span_days: int = SPAN_DAYS,
    analyse: bool = True,
    progress: bool = True,
) -> Counts:
    """Write the help desk into the migrated database ``target`` names (or is); see the module's docstring.

    A URL is connected to and closed after; a connection is used as it is, and
    committed unless it was already in a transaction (then the caller commits).
    """
    store = open_store(target)
    meter = Progress(size.tickets, sys.stderr if progress else None)
    try:
        counts = write_desk(
            store, size, organisations, backlog, seed=seed, now=now or today(), span_days=span_days, progress=meter
        )
        if analyse:
            meter.step("ANALYZE")
            store.analyse()
    finally:
        store.close()
    return counts


def analyse_database(target: str | psycopg.Connection[Any] | sqlite3.Connection) -> None:
    """What ``build`` runs at the end: VACUUM ANALYZE (PostgreSQL) or ANALYZE (SQLite)."""
    store = open_store(target)
    try:
        store.analyse()
    finally:
        store.close()


def write_desk(
    store: Store,
    size: Size,
    organisations: Organisations,
    backlog: Backlog,
    *,
    seed: int,
    now: datetime,
    span_days: int,
    progress: Progress,
) -> Counts:
    plans = {table.name: plan_table(table, store.columns(table.name)) for table in TABLES}
    desk = Desk(
        size,
        organisations,
        backlog,
        seed=seed,
        now=now,
        span_days=span_days,
        first_ids={table.name: store.next_id(table.name) for table in TABLES},
    )
    counts = Counts()

    def write(table: Table, rows: Sequence[Row], tickets: int = 0) -> int:
        store.write(plans[table.name], rows)
        progress.add(rows=len(rows), tickets=tickets)
        return len(rows)

    with store.loading(list(plans.values()), progress):
        organisation_rows = desk.organisations()
        counts.organisations = write(ORGANISATION, organisation_rows)
        users, addresses = desk.people(organisation_rows)
        write(USER, users)
        counts.agents, counts.admins = len(desk.agent_ids), size.admins
        counts.requesters = len(desk.requester_ids)
        counts.addresses = write(ADDRESS, addresses)
        groups, members = desk.groups()
        counts.groups, counts.group_members = write(GROUP, groups), write(GROUP_MEMBER, members)
        for batch in desk.tickets():
            counts.tickets += write(TICKET, batch.tickets)
            counts.messages += write(MESSAGE, batch.messages)
            counts.events += write(EVENT, batch.events, tickets=len(batch.tickets))
    progress.finish()
    return counts


# --- Command line -------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    """The database the command line drops, creates and (unless --keep) drops again."""

    url: str
    name: str  # PostgreSQL database, or SQLite file

    @property
    def is_sqlite(self) -> bool:
        return urlsplit(self.url).scheme == "sqlite"

    def files(self) -> list[Path]:
        return [Path(self.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]

    def create(self) -> None:
        from benchdb import recreate_database

        if self.is_sqlite:
            self.drop()  # migrate makes the file
        else:
            recreate_database(self.url, self.name)

    def drop(self) -> None:
        from benchdb import drop_database

        if self.is_sqlite:
            for path in self.files():
                path.unlink(missing_ok=True)
        else:
            drop_database(self.url, self.name)


def bench_database(url: str) -> BenchDatabase:
    from benchdb import RefusedDatabase, bench_database_name

    scheme = urlsplit(url).scheme
    if scheme in ("postgres", "postgresql", "pgsql"):
        return BenchDatabase(url, bench_database_name(url))
    if scheme != "sqlite":
        raise RefusedDatabase(f"{scheme}:// is not supported: PostgreSQL or SQLite")
    import dj_database_url

    name = str(dj_database_url.parse(url)["NAME"])
    # The file is deleted at the start of every run: never one that might hold real data.
    if name in ("", ":memory:") or "bench" not in Path(name).name:
        raise RefusedDatabase(f"the SQLite file name must contain 'bench' (it is deleted and made again): {name!r}")
    return BenchDatabase(url, str(Path(name).resolve()))


@contextmanager
def scratch_database(
    database: BenchDatabase, prefix: str, *, create: bool = True, keep: bool = False
) -> Iterator[BenchDatabase]:
    """Settings for a throwaway run on ``database`` (made again unless ``create`` is off), undone at the end.

    At the end the connections close, a database this run made is dropped unless
    ``keep``, and the run's var directory is removed. Django is not set up here:
    the caller times ``setup_django`` (the migrations) itself.
    """
    from benchdb import configure_environment

    var_dir = Path(tempfile.mkdtemp(prefix=prefix))
    created = False
    try:
        configure_environment(var_dir, database.url)
        if create:
            database.create()
            created = True
        yield database
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created and not keep:
            database.drop()
        elif created:
            print(f"kept database {database.name}")
        shutil.rmtree(var_dir, ignore_errors=True)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--size", type=size_from_text, default=SIZES["S"], help="S (50,000 tickets), L (1,000,000) or a number"
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database or SQLite file (sqlite:////path/name_bench.sqlite3) to drop, create and fill; "
        f"its name must contain 'bench' (default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    return parser.parse_args(argv)


def describe(counts: Counts) -> list[str]:
    """The counts, then what the ORM finds: messages per ticket, statuses, assignees."""
    from django.db.models import Count

    from comptoir.tickets.models import Message, Ticket

    lines = [f"  {item.name.replace('_', ' '):<15}{getattr(counts, item.name):>12,}" for item in fields(counts)]
    lines.append(f"  {'rows':<15}{counts.rows:>12,}")
    tickets = Ticket.objects.count()
    statuses = dict(Ticket.objects.values_list("status").annotate(Count("pk")).order_by())
    active = Ticket.objects.filter(status__in=ACTIVE)
    unassigned = active.filter(assignee__isnull=True).count()
    lines.append(
        f"  per ticket: {Message.objects.count() / tickets:.2f} messages "
        f"({Message.objects.filter(is_public=False).count() / tickets:.2f} internal notes), "
        f"{counts.events / tickets:.2f} events"
    )
    lines.append(
        "  statuses: "
        + ", ".join(
            f"{status} {100 * statuses.get(status, 0) / tickets:.1f} %" for status in (*ACTIVE, "solved", "closed")
        )
    )
    lines.append(f"  active tickets without assignee: {unassigned:,} of {active.count():,}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    from benchdb import RefusedDatabase, setup_django

    arguments = parse_arguments(argv)
    try:
        database = bench_database(arguments.database_url)
    except RefusedDatabase as error:
        print(f"bench/dataset.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    size: Size = arguments.size
    try:
        with scratch_database(database, "comptoir-bench-dataset-", keep=arguments.keep):
            before = time.perf_counter()
            setup_django()
            migrated = time.perf_counter() - before
            from django.db import connection, connections

            version = ".".join(str(part) for part in connection.get_database_version())
            connections.close_all()
            print(
                f"Comptoir dataset: {size.tickets:,} tickets, seed {arguments.seed}, "
                f"{connection.display_name} {version}, database {database.name}; migrated in {migrated:.1f} s"
            )
            before = time.perf_counter()
            counts = build(arguments.database_url, size, seed=arguments.seed, analyse=False)
            written = time.perf_counter() - before
            before = time.perf_counter()
            analyse_database(arguments.database_url)
            analysed = time.perf_counter() - before
            print("\n".join(describe(counts)))
            print(
                f"written in {written:.1f} s ({counts.rows / written:,.0f} rows/s, {counts.tickets / written:,.0f} "
                f"tickets/s), {'ANALYZE' if database.is_sqlite else 'VACUUM ANALYZE'} {analysed:.1f} s; "
                f"database {database_size(database)}"
            )
            return 0
    except (RefusedDatabase, DatasetError) as error:
        print(f"bench/dataset.py: {error}", file=sys.stderr)
        return 2


def database_size(database: BenchDatabase) -> str:
    if database.is_sqlite:
        return f"{sum(path.stat().st_size for path in database.files() if path.exists()) / 1e6:,.0f} MB"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        row = cursor.fetchone()
    return str(row[0]) if row else "?"


if __name__ == "__main__":
    sys.exit(main())
