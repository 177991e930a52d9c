"""What an agent types in the workspace's search box (or a program in the API's ``q``), read into words, filters
and ticket numbers.

Pure parsing: no database, no settings. ``comptoir.tickets.search`` turns the
result into the list's filters, for the workspace and the API alike.

    invoice "export fails" -tag:spam status:open assignee:me created>2026-11-01 #1042

- words match the subject and every message; ``"quoted words"`` match as a
  phrase; ``-word`` leaves out what matches;
- ``name:value`` (or ``name>value``, ``name<value``, ``>=``, ``<=``) filters by
  a field; the value may be quoted (``group:"Level 2"``); ``-name:value``
  leaves out what matches;
- ``#1042`` is ticket 1042; so is ``1042`` when it is all the query says.

Nothing is an error: a filter this box does not know, or a value it cannot
read, is searched as words and named in ``unknown`` so the page can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

FIELDS = frozenset(
    {"status", "assignee", "group", "tag", "type", "priority", "requester", "organisation", "created", "updated"}
    # A ticket field's value, field:<key>=<value>: read by the app that keeps them (comptoir.ticketforms),
    # through comptoir.tickets.search.FILTERS_ELSEWHERE.
    | {"field"}
)
# Other spellings agents type, each with the field it means.
ALIASES = {"org": "organisation", "organization": "organisation", "from": "requester", "statut": "status"}
DATE_FIELDS = frozenset({"created", "updated"})
COMPARISONS = (">=", "<=", ">", "<", ":")

# A token: an optional "-", then either a quoted phrase, or a bare run that may end
# in a quoted value (name:"two words"). Curly quotes count as quotes.
_QUOTES = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"'})
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+(?:"[^"]*"?)?))')
_FIELD = re.compile(r"^([a-z]+)(>=|<=|>|<|:)(.*)$", re.IGNORECASE)
_REFERENCE = re.compile(r"^#?(\d{1,12})$")
# A whole e-mail address typed alone: who asked, not words to look for in the texts.
_ADDRESS = re.compile(r"^[^@\s:<>]+@[^@\s:<>]+\.[^@\s:<>.]+$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Words:
    """Words to find (all of them), or a phrase; ``negated`` leaves out what has them."""

    text: str
    phrase: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Filter:
    name: str
    comparison: str  # one of COMPARISONS
    value: str
    negated: bool = False

    @property
    def day(self) -> date | None:
        """The value as a date, for created and updated."""
        match = _DATE.match(self.value)
        if not match:
            return None
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[Words, ...] = ()
    filters: tuple[Filter, ...] = ()
    references: tuple[int, ...] = ()
    # What was typed like a filter but is not one (or not with that value): searched as words.
    unknown: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.words or self.filters or self.references)


def parse_search(text: str) -> SearchQuery:
    words: list[Words] = []
    filters: list[Filter] = []
    references: list[int] = []
    unknown: list[str] = []
    bare_numbers: list[str] = []
    for match in _TOKEN.finditer(text.translate(_QUOTES)):
        negated = match[1] == "-"
        if match[2] is not None:  # "a phrase"
            phrase = " ".join(match[2].split())
            if phrase:
                words.append(Words(phrase, phrase=" " in phrase, negated=negated))
            continue
        token = match[3]
        reference = _REFERENCE.match(token)
        if reference and not negated:
            if token.startswith("#"):
                references.append(int(reference[1]))
            else:
                bare_numbers.append(token)
            continue
        typed_filter = _read_filter(token, negated)
        if typed_filter is None and _ADDRESS.match(token):
            typed_filter = Filter("requester", ":", token, negated)
        if typed_filter is not None:
            filters.append(typed_filter)
        elif _FIELD.match(token) and not token.lower().startswith(("http:", "https:", "mailto:")):
            unknown.append(token)
            words.append(Words(_as_words(token), negated=negated))
        elif token not in ("-", ""):
            words.append(Words(token, negated=negated))
    if bare_numbers and not (words or filters or references):
        # "1042" alone is a ticket number; in "error 404" it is a word.
        references.extend(int(number) for number in bare_numbers)
    else:
        words.extend(Words(number) for number in bare_numbers)
    return SearchQuery(tuple(words), tuple(filters), tuple(references), tuple(unknown))


def _read_filter(token: str, negated: bool) -> Filter | None:
    match = _FIELD.match(token)
    if not match:
        return None
    name = ALIASES.get(match[1].lower(), match[1].lower())
    comparison, value = match[2], match[3].strip('"').strip()
    if name not in FIELDS or not value:
        return None
    if name in DATE_FIELDS:
        found = Filter(name, comparison, value, negated)
        return found if found.day is not None else None
    if comparison != ":":
        return None  # only dates compare
    return Filter(name, comparison, value, negated)


def _as_words(token: str) -> str:
    """``foo:bar`` searched as words: its punctuation is not part of any word."""
    return " ".join(re.split(r"[:<>=\"]+", token)).strip()
