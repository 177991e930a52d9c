"""The ticket search: what a query (comptoir.tickets.search_query) selects among tickets.

One meaning for the workspace's search box and for the API's ``q``. An agent
sees every ticket, so a search narrows the list the agent is on and never
widens what they may see: it is a filter added to the view's own (and, in the
API, to what the caller may see). An agent's words also find the tickets of the
requester, or of the organisation, they name. When no ticket of the list holds the words,
lookalike_search is the filter that finds tickets whose subject or requester
looks like them (PostgreSQL only).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import Any

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Greatest
from django.db.models.lookups import IContains, Lookup
from django.utils import timezone
from django.utils.translation import gettext

from comptoir.accounts.models import Organisation, User
from comptoir.tickets.models import Message, Priority, Status, Ticket, TicketType
from comptoir.tickets.search_index import (
    is_measured,
    tickets_like_words,
    tickets_requested_by,
    tickets_with_words,
    walks,
)
from comptoir.tickets.search_query import Filter, SearchQuery, Words, parse_search
from comptoir.tickets.statuses import ACTIVE_STATUSES
from comptoir.tickets.tags import tag_name

# What agents type for each value, besides the value itself: English and French words.
STATUS_WORDS = {
    "new": (Status.NEW,),
    "nouveau": (Status.NEW,),
    "open": (Status.OPEN,),
    "ouvert": (Status.OPEN,),
    "pending": (Status.PENDING,),
    "en_attente": (Status.PENDING,),
    "on_hold": (Status.ON_HOLD,),
    "onhold": (Status.ON_HOLD,),
    "hold": (Status.ON_HOLD,),
    "suspendu": (Status.ON_HOLD,),
    "solved": (Status.SOLVED,),
    "resolu": (Status.SOLVED,),
    "résolu": (Status.SOLVED,),
    "closed": (Status.CLOSED,),
    "ferme": (Status.CLOSED,),
    "fermé": (Status.CLOSED,),
    "unsolved": tuple(ACTIVE_STATUSES),
    "active": tuple(ACTIVE_STATUSES),
    "actif": tuple(ACTIVE_STATUSES),
}
PRIORITY_WORDS = {
    **{value: value for value in Priority.values},
    "basse": Priority.LOW,
    "normale": Priority.NORMAL,
    "haute": Priority.HIGH,
    "urgente": Priority.URGENT,
}
TYPE_WORDS = {
    **{value: value for value in TicketType.values},
    "feature": TicketType.FEATURE_REQUEST,
    "improvement": TicketType.FEATURE_REQUEST,
    "amelioration": TicketType.FEATURE_REQUEST,
    "amélioration": TicketType.FEATURE_REQUEST,
}
NOBODY_WORDS = frozenset({"none", "nobody", "personne", "aucun"})

# Filters whose data lives in an app above this one (field:<key>=<value>, comptoir.ticketforms), which
# registers its reader here when it starts: this module never imports it.
FILTERS_ELSEWHERE: dict[str, Callable[[Filter], Q | str]] = {}


@dataclass(frozen=True)
class Search:
    condition: Q
    # Parts of the query that were not understood, each said to the agent in a sentence.
    notices: tuple[str, ...]


def search_condition(query: SearchQuery, agent: User) -> Search:
    together = bare_words(query)
    return _search(query, agent, lambda words: _words_or_names(words, together))


def bare_words(query: SearchQuery) -> str:
    """The words sought one by one (not a phrase, not after a minus), joined: the share PostgreSQL measures of them.

    Each is a condition of its own (any may name a requester instead), but
    PostgreSQL's guess of how many tickets hold them all multiplies their shares;
    words typed together seldom are independent ("card payment"), so their share
    together is what chooses the plan (search_index.WordsSought).
    """
    return " ".join(words.text for words in query.words if not words.phrase and not words.negated)


def measured_terms(query: SearchQuery) -> list[tuple[str, bool]]:
    """The terms whose share the search's conditions measure (search_index.is_measured), as (text, is a phrase)."""
    terms = [(words.text, True) for words in query.words if words.phrase and not words.negated]
    together = bare_words(query)
    if together:
        terms.append((together, False))
    return [(text, phrase) for text, phrase in terms if is_measured(text, phrase=phrase)]


# The shortest word read in names: shorter ones name too many people (and PostgreSQL's trigram index,
# which serves the name lookup, needs three letters).
NAME_WORD_MIN = 3


def _words_or_names(words: Words, together: str = "") -> Q:
    """The tickets holding the words (or the phrase), or whose requester or requester's organisation they name.

    A name is matched by all the words of one group ("Claire Martin", or "Dupont SA"), each anywhere in it,
    whatever the case; "claire export" finds the tickets holding both words, not Claire's tickets about an
    export. The people and the organisations' members are read first, on PostgreSQL through the trigram
    index on names (search_index.tickets_requested_by says why).
    """
    found = tickets_with_words(
        words.text, phrase=words.phrase, left_out=words.negated, measured_as="" if words.phrase else together
    )
    parts = [words.text] if words.phrase else words.text.split()
    if not parts or any(len(part) < NAME_WORD_MIN for part in parts):
        return found
    people = User.objects.all()
    organisations = Organisation.objects.all()
    for part in parts:
        people = people.filter(_NameHolds(F("name"), part))
        organisations = organisations.filter(_NameHolds(F("name"), part))
    members = User.objects.filter(organisation__in=organisations.values("pk"))
    return found | tickets_requested_by(people.values("pk").union(members.values("pk"), all=True))


class _NameHolds(IContains):
    """The name holds the text, whatever the case: ``ILIKE`` on PostgreSQL, which a GIN trigram index serves.

    Django's ``icontains`` writes ``UPPER(name) LIKE UPPER(...)`` there, which no index of ``name``
    serves: each search read the 400,000 people of a large desk (0.05 to 0.4 s). Elsewhere, ``icontains``.
    """

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # Lookup's own process_lhs: BuiltinLookup's would wrap the column in UPPER().
        lhs, lhs_params = Lookup.process_lhs(self, compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


def sought_terms(query: SearchQuery) -> list[tuple[str, bool]]:
    """The words a ticket must hold, as (text, is a phrase): the query's words but those after a minus."""
    return [(words.text, words.phrase) for words in query.words if not words.negated]


def search_plans(typed: str, rows: int) -> tuple[bool, ...]:
    """What a statement reading ``rows`` matches of the search ``typed`` compiles to besides the text: its plans.

    For a process that keeps compiled statements (comptoir.workspace.listing's counts and pages): keyed
    by this as well, a statement's plan follows the data (search_index.walks). No query for a search of
    one word; otherwise one per phrase or group of words at most every search_index.SHARE_KEPT_SECONDS.
    """
    return walks(_measured_terms_of(typed), rows) if typed else ()


@functools.lru_cache(maxsize=2_000)
def _measured_terms_of(typed: str) -> tuple[tuple[str, bool], ...]:
    return tuple(measured_terms(parse_search(typed)))


def lookalike_search(query: SearchQuery, agent: User) -> Search | None:
    """For a search whose words no ticket holds: the tickets whose subject or requester looks like them.

    PostgreSQL only (pg_trgm; run search_index.typo_threshold_set before the
    rows are read); None on SQLite, which has no trigram similarity, and when no
    words are sought. The query's numbers, filters and left-out words apply as
    ever; each word sought must look like a word of the subject, of the
    requester's name or of their address.
    """
    terms = sought_terms(query)
    if connection.vendor != "postgresql" or not terms:
        return None

    def words_condition(words: Words) -> Q:
        if words.negated:
            return tickets_with_words(words.text, phrase=words.phrase, left_out=True)
        return tickets_like_words(words.text)

    found = _search(query, agent, words_condition)
    notice = gettext("No ticket holds “%(words)s”; showing tickets whose subject or requester looks like it.") % {
        "words": " ".join(text for text, _phrase in terms)
    }
    return Search(found.condition, (notice, *found.notices))


# What a requester may filter by: the fields the Help Center shows them (never who works on it, or its tags).
REQUESTER_FIELDS = frozenset({"status", "type", "created", "updated"})


def requester_search_condition(query: SearchQuery, requester: User) -> Search:
    """A search by a requester (the API's ``q``), among the tickets they may see: added to that filter, never alone.

    Words match the subject and public messages only: the word index holds
    internal notes too, and a requester's search must not tell which ticket
    has a note saying "refund refused". Filters on what only agents see are
    searched as words, like any filter the search does not know.
    """
    kept = tuple(typed for typed in query.filters if typed.name in REQUESTER_FIELDS)
    dropped = [typed for typed in query.filters if typed.name not in REQUESTER_FIELDS]
    narrowed = replace(
        query,
        filters=kept,
        words=query.words + tuple(Words(f"{typed.name} {typed.value}", negated=typed.negated) for typed in dropped),
        unknown=query.unknown + tuple(f"{typed.name}:{typed.value}" for typed in dropped),
    )
    return _search(narrowed, requester, _public_words)


def _public_words(words: Words) -> Q:
    """Each word (or the phrase) in the subject or in a public message, as "My tickets" searches."""
    condition = Q()
    for text in [words.text] if words.phrase else words.text.split():
        public = Message.objects.filter(ticket=OuterRef("pk"), is_public=True, body__icontains=text)
        condition &= Q(subject__icontains=text) | Q(Exists(public))
    return condition


def likeness(query: SearchQuery) -> Combinable:
    """How much a ticket's subject or requester looks like the words sought (PostgreSQL): the look-alikes' relevance."""
    each_word = (
        Greatest(
            TrigramWordSimilarity(text, "subject"),
            TrigramWordSimilarity(text, "requester__name"),
            TrigramWordSimilarity(text, "requester__email"),
        )
        for text, _phrase in sought_terms(query)
    )
    return reduce(operator.add, each_word, Value(0.0))


def _search(query: SearchQuery, agent: User, words_condition: Callable[[Words], Q]) -> Search:
    condition = Q()
    notices: list[str] = [
        gettext("“%(filter)s” is not a filter this search knows: it was searched as words.") % {"filter": token}
        for token in query.unknown
    ]
    if query.references:
        condition &= Q(pk__in=[Ticket.pk_from_reference(reference) for reference in query.references])
    for words in query.words:
        matching = words_condition(words)
        condition &= ~matching if words.negated else matching
    for typed in query.filters:
        matching_or_notice = filter_condition(typed, agent)
        if isinstance(matching_or_notice, str):
            notices.append(matching_or_notice)
            continue
        condition &= ~matching_or_notice if typed.negated else matching_or_notice
    return Search(condition, tuple(notices))


def filter_condition(typed: Filter, agent: User) -> Q | str:
    """One filter's condition, or the sentence saying its value was not understood (the filter is then left out)."""
    value = typed.value.strip()
    key = value.lower().replace("-", "_").replace(" ", "_")
    name = typed.name
    if name == "status":
        statuses = STATUS_WORDS.get(key) or ((key,) if key in Status.values else None)
        return Q(status__in=statuses) if statuses else _not_a_value(typed)
    if name == "priority":
        return Q(priority=PRIORITY_WORDS[key]) if key in PRIORITY_WORDS else _not_a_value(typed)
    if name == "type":
        return Q(type=TYPE_WORDS[key]) if key in TYPE_WORDS else _not_a_value(typed)
    if name == "assignee":
        if key in ("me", "moi"):
            return Q(assignee=agent)
        if key in NOBODY_WORDS:
            return Q(assignee__isnull=True)
        return _person("assignee", value)
    if name == "group":
        return Q(group__isnull=True) if key in NOBODY_WORDS else Q(group__name__icontains=value)
    if name == "requester":
        return _person("requester", value)
    if name == "organisation":
        return Q(requester__organisation__name__icontains=value)
    if name in ("created", "updated"):
        day = typed.day
        assert day is not None  # the parser keeps only dates that read
        return _on_dates(f"{name}_at", typed.comparison, day)
    if name == "tag":
        tagged = Ticket.tags.through.objects.filter(tag__name=tag_name(value)).values("ticket_id")
        return Q(pk__in=tagged)
    if name in FILTERS_ELSEWHERE:
        return FILTERS_ELSEWHERE[name](typed)
    raise ValueError(f"the parser let through an unknown filter {name!r}")


def _person(field: str, value: str) -> Q:
    if "@" in value:
        return Q(**{f"{field}__email__iexact": value})
    return Q(**{f"{field}__name__icontains": value}) | Q(**{f"{field}__email__icontains": value})


def _on_dates(field: str, comparison: str, day: date) -> Q:
    """Days in the agent's time zone: "created>2026-11-01" starts on 2 November at midnight there."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = start + timedelta(days=1)
    return {
        ">": Q(**{f"{field}__gte": end}),
        ">=": Q(**{f"{field}__gte": start}),
        "<": Q(**{f"{field}__lt": start}),
        "<=": Q(**{f"{field}__lt": end}),
        ":": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
    }[comparison]


def _not_a_value(typed: Filter) -> str:
    return gettext("“%(value)s” is not a %(name)s this search knows: that filter was left out.") % {
        "value": typed.value,
        "name": typed.name,
    }
