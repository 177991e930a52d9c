"""Correcting a reader's typo from the words the articles hold: "screnshot" becomes "screenshot".

Full-text search matches words (or their beginnings) exactly, on both engines. When
it finds nothing, each word of the query that no article of the language holds is
replaced by the closest word that one does, and the corrected query is searched.

Close means few edits: the optimal string alignment distance (an insertion, a
deletion, a substitution or two neighbouring letters swapped each count one), at
most one for a short word, two for a longer one. Measuring it against every word
of the Help Center would be slow, so each engine first narrows the vocabulary to a
few words sharing the most trigrams with the typo, the way pg_trgm pads and cuts
words ("  ticket " holds "  t", " ti", "tic" … "et "):

- SQLite: an FTS5 table with the trigram tokenizer holds each word padded the same
  way, so the typo's trigrams joined by OR rank the look-alikes first (bm25). Its
  triggers keep it in step with helpcenter_searchword.
- PostgreSQL: the word's trigram distance (pg_trgm ``<->``) served by a GiST index.

Both then rank the few candidates with the same Python, so both engines correct alike.
"""

# Every statement here is put together from this module's constants and loop indexes; what a
# reader types is always a parameter (_candidates), never part of the SQL.
# ruff: noqa: S608

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from comptoir.helpcenter.models import SearchWord

# Shorter words are never corrected (too many look-alikes); longer ones are not words.
SHORTEST = 3
LONGEST = 40
CANDIDATES = 8
FTS_TABLE = "helpcenter_searchword_fts"
# What search calls a word, here and in the query (search.py).
WORD = re.compile(r"\w+")

# SQLite drops a table's triggers with it, and Django remakes a table on SQLite for many
# a change: a migration that remakes helpcenter_searchword runs sqlite_triggers_recreate
# after it, and a test checks that every trigger is there after all migrations.
_PADDED_NEW = "'  ' || new.folded || ' '"
_PADDED_OLD = "'  ' || old.folded || ' '"
SQLITE_TRIGGER_NAMES = [f"helpcenter_searchword_fts_{event}" for event in ("insert", "update", "delete")]
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER helpcenter_searchword_fts_insert AFTER INSERT ON helpcenter_searchword BEGIN
        INSERT INTO {FTS_TABLE} (rowid, padded) VALUES (new.id, {_PADDED_NEW});
    END""",
    f"""CREATE TRIGGER helpcenter_searchword_fts_update AFTER UPDATE OF folded ON helpcenter_searchword BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, padded) VALUES ('delete', old.id, {_PADDED_OLD});
        INSERT INTO {FTS_TABLE} (rowid, padded) VALUES (new.id, {_PADDED_NEW});
    END""",
    f"""CREATE TRIGGER helpcenter_searchword_fts_delete AFTER DELETE ON helpcenter_searchword BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, padded) VALUES ('delete', old.id, {_PADDED_OLD});
    END""",
]
SQLITE_SCHEMA = [
    # Contentless: the words live in helpcenter_searchword, the index only points at them.
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(padded, content='', tokenize='trigram')",
    *SQLITE_TRIGGERS,
]
SQLITE_SCHEMA_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
POSTGRES_SCHEMA = [
    "CREATE INDEX helpcenter_searchword_trgm ON helpcenter_searchword USING gist (folded gist_trgm_ops)",
]
POSTGRES_SCHEMA_REVERSE = ["DROP INDEX IF EXISTS helpcenter_searchword_trgm"]


def fold(word: str) -> str:
    """Lower case without accents: "Écran" and "ecran" are the same word to a reader typing fast."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def words_of(texts: Iterable[str]) -> dict[str, str]:
    """Each correctable word of the texts, folded, with the form the text writes it in."""
    found: dict[str, str] = {}
    for text in texts:
        for word in WORD.findall(text):
            if SHORTEST <= len(word) <= LONGEST and not word.isdigit():
                found.setdefault(fold(word), word.lower())
    return found


def words_remember(translation: Any, *, using: Any = None, model: Any = None) -> None:
    """Add the words of one translation to its language's vocabulary.

    A migration passes its historical models: ``translation`` and ``model`` (SearchWord).
    """
    conn = using or connection
    model = model or SearchWord
    words = words_of([translation.title, translation.summary, translation.body_text])
    model.objects.using(conn.alias).bulk_create(
        [model(language=translation.language, folded=folded, word=word) for folded, word in words.items()],
        ignore_conflicts=True,
        batch_size=500,
    )


def singular(term: str) -> str:
    # No stemmer on SQLite for French or English: dropping a final plural mark and
    # matching the rest as a prefix lets "tickets" find "ticket" and "ticket" find "tickets".
    if len(term) > 3 and term[-1] in "sx":
        return term[:-1]
    return term


def distance(a: str, b: str) -> int:
    """Edits from a to b (optimal string alignment: a swap of two neighbours is one edit)."""
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        previous_previous, previous = previous, current
    return previous[len(b)]


def edits_forgiven(word: str) -> int:
    return 1 if len(word) <= 5 else 2


def trigrams(word: str) -> list[str]:
    """pg_trgm's trigrams of one word: two spaces before it, one after."""
    padded = f"  {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def _candidates(folded_terms: Sequence[str], language: str) -> list[list[tuple[str, str]]]:
    """For each folded term, a few words of the language sharing the most trigrams with it, the
    term itself first if the articles hold it: (folded, word) pairs. One query for all the terms."""
    if connection.vendor == "postgresql":
        nearest = (
            "SELECT %s AS term, folded, word FROM helpcenter_searchword WHERE language = %s"
            " ORDER BY folded <-> %s, folded LIMIT %s"
        )
        params_of = [(index, language, folded, CANDIDATES) for index, folded in enumerate(folded_terms)]
    else:
        # Folded words are \w characters only: none can close the quotes around its trigram.
        nearest = (
            f"SELECT %s AS term, w.folded, w.word FROM {FTS_TABLE} JOIN helpcenter_searchword w"
            f" ON w.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH %s AND w.language = %s"
            f" ORDER BY {FTS_TABLE}.rank, w.folded LIMIT %s"
        )
        params_of = [
            (index, " OR ".join(f'"{trigram}"' for trigram in trigrams(folded)), language, CANDIDATES)
            for index, folded in enumerate(folded_terms)
        ]
    # Each term's nearest words, side by side: both engines take a limited subquery in a UNION ALL.
    sql = " UNION ALL ".join(f"SELECT * FROM ({nearest}) AS nearest_{index}" for index in range(len(folded_terms)))
    found: list[list[tuple[str, str]]] = [[] for _term in folded_terms]
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for params in params_of for value in params])
        for index, folded, word in cursor.fetchall():
            found[int(index)].append((folded, word))
    return found


def _closest(folded: str, candidates: Sequence[tuple[str, str]]) -> str | None:
    """The candidate fewest edits away, if few enough; on a tie, the one sharing most trigrams."""
    own = set(trigrams(folded))
    scored = []
    for candidate, word in candidates:
        edits = distance(folded, candidate)
        if 0 < edits <= edits_forgiven(folded):
            theirs = set(trigrams(candidate))
            shared = len(own & theirs) / len(own | theirs)
            scored.append((edits, -shared, candidate, word))
    return min(scored)[3] if scored else None


def corrections(terms: Sequence[str], language: str) -> dict[str, str]:
    """For each term no article of the language holds as a word, the closest word one does (one query)."""
    correctable = {term: fold(term) for term in terms if SHORTEST <= len(term) <= LONGEST and not term.isdigit()}
    if not correctable:
        return {}
    found = {}
    for (term, folded), candidates in zip(
        correctable.items(), _candidates(list(correctable.values()), language), strict=True
    ):
        # A word held as typed (or as its singular) is no typo: it is first among its look-alikes.
        if any(candidate in (folded, singular(folded)) for candidate, _word in candidates):
            continue
        closest = _closest(folded, candidates)
        if closest is not None:
            found[term] = closest
    return found


def create_schema(schema_editor: BaseDatabaseSchemaEditor) -> None:
    statements = {"sqlite": SQLITE_SCHEMA, "postgresql": POSTGRES_SCHEMA}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def drop_schema(schema_editor: BaseDatabaseSchemaEditor) -> None:
    reverse = {"sqlite": SQLITE_SCHEMA_REVERSE, "postgresql": POSTGRES_SCHEMA_REVERSE}
    for statement in reverse.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def sqlite_triggers_recreate(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """On SQLite, every trigger of the word index as this module writes them, after a migration remade the table."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in SQLITE_TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    for statement in SQLITE_TRIGGERS:
        schema_editor.execute(statement, params=None)
