"""Finding tickets by their words: the subject and every message, public or internal.

The database keeps the index itself, by triggers the migration creates: every
way a message or a subject is written (the services, an erasure's rewrite, a
bulk load) indexes it in the same statement, with no query more and no
nightly rebuild.

- SQLite (the embedded default): one FTS5 table of every message and subject,
  diacritics removed, so "creer" finds "créer". Its rowid says what a row is:
  a message's id times two, or a ticket's id times two plus one (its subject),
  so a trigger replaces a row by rowid without scanning.
- PostgreSQL: a ``tsvector`` column on each message, written by a trigger in
  the ticket's language (the Help Center's ``comptoir_fr`` and ``comptoir_en``
  configurations: unaccent, then the language's stemmer), and one on each
  ticket holding all its words, its subject's and its messages' (statement
  triggers keep it: POSTGRES_TICKET_WORDS), with a GIN index. A search reads
  both languages: a word typed in English finds an English ticket's "invoices"
  and a French ticket's word alike.

The columns are not on the models: the ORM never loads them with a message.
"""

# Every statement here is put together from this module's constants; what an agent
# types is always a parameter (tickets_with_words), never part of the SQL.
# ruff: noqa: S608, S611

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

FTS_TABLE = "tickets_text_fts"
# A message's words past this many characters are not indexed: PostgreSQL refuses a
# tsvector over 1 MB, and a message that long is a pasted log, not prose.
INDEXED_CHARACTERS = 100_000

# A message's words follow it when its text changes and when it moves to another ticket (a merge).
MESSAGE_UPDATE_TRIGGER = f"""CREATE TRIGGER tickets_message_fts_update
    AFTER UPDATE OF body, ticket_id ON tickets_message
    BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id * 2;
        INSERT INTO {FTS_TABLE} (rowid, ticket_id, text) VALUES (new.id * 2, new.ticket_id, new.body);
    END"""
# SQLite drops a table's triggers with it, and Django's migrations remake a table on SQLite for
# many a change (a NOT NULL column added, say): a migration that remakes tickets_ticket or
# tickets_message runs sqlite_triggers_recreate after it (0010, 0012), and a test checks that
# every trigger is there after all migrations.
SQLITE_TRIGGER_NAMES = [
    f"tickets_{table}_fts_{event}" for table in ("message", "ticket") for event in ("insert", "update", "delete")
]
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER tickets_message_fts_insert AFTER INSERT ON tickets_message BEGIN
        INSERT INTO {FTS_TABLE} (rowid, ticket_id, text) VALUES (new.id * 2, new.ticket_id, new.body);
    END""",
    MESSAGE_UPDATE_TRIGGER,
    f"""CREATE TRIGGER tickets_message_fts_delete AFTER DELETE ON tickets_message BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id * 2;
    END""",
    f"""CREATE TRIGGER tickets_ticket_fts_insert AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO {FTS_TABLE} (rowid, ticket_id, text) VALUES (new.id * 2 + 1, new.id, new.subject);
    END""",
    f"""CREATE TRIGGER tickets_ticket_fts_update AFTER UPDATE OF subject ON tickets_ticket BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id * 2 + 1;
        INSERT INTO {FTS_TABLE} (rowid, ticket_id, text) VALUES (new.id * 2 + 1, new.id, new.subject);
    END""",
    f"""CREATE TRIGGER tickets_ticket_fts_delete AFTER DELETE ON tickets_ticket BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id * 2 + 1;
    END""",
]
SQLITE_SCHEMA = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(ticket_id UNINDEXED, text, tokenize='unicode61 remove_diacritics 2')",
    *SQLITE_TRIGGERS,
    # The rows already there.
    f"INSERT INTO {FTS_TABLE} (rowid, ticket_id, text) SELECT id * 2, ticket_id, body FROM tickets_message",
    f"INSERT INTO {FTS_TABLE} (rowid, ticket_id, text) SELECT id * 2 + 1, id, subject FROM tickets_ticket",
]
SQLITE_SCHEMA_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]

_POSTGRES_CONFIG = "(CASE {language} WHEN 'fr' THEN 'comptoir_fr' ELSE 'comptoir_en' END)::regconfig"
POSTGRES_SCHEMA = [
    "ALTER TABLE tickets_message ADD COLUMN search_vector tsvector",
    "ALTER TABLE tickets_ticket ADD COLUMN search_vector tsvector",
    f"""CREATE FUNCTION tickets_message_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector(
            {_POSTGRES_CONFIG.format(language="(SELECT language FROM tickets_ticket WHERE id = NEW.ticket_id)")},
            left(NEW.body, {INDEXED_CHARACTERS})
        );
        RETURN NEW;
    END $$""",
    f"""CREATE FUNCTION tickets_ticket_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector({_POSTGRES_CONFIG.format(language="NEW.language")}, NEW.subject);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER tickets_message_search_vector BEFORE INSERT OR UPDATE OF body ON tickets_message
        FOR EACH ROW EXECUTE FUNCTION tickets_message_search_vector()""",
    """CREATE TRIGGER tickets_ticket_search_vector BEFORE INSERT OR UPDATE OF subject, language ON tickets_ticket
        FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_vector()""",
    # The rows already there: the same expressions, without firing a trigger per row.
    f"""UPDATE tickets_message SET search_vector = to_tsvector(
        {_POSTGRES_CONFIG.format(language="tickets_ticket.language")}, left(tickets_message.body, {INDEXED_CHARACTERS}))
        FROM tickets_ticket WHERE tickets_ticket.id = tickets_message.ticket_id""",
    f"UPDATE tickets_ticket SET search_vector = to_tsvector({_POSTGRES_CONFIG.format(language='language')}, subject)",
    "CREATE INDEX tickets_message_search ON tickets_message USING gin (search_vector)",
    "CREATE INDEX tickets_ticket_search ON tickets_ticket USING gin (search_vector)",
]
POSTGRES_SCHEMA_REVERSE = [
    "DROP TRIGGER IF EXISTS tickets_message_search_vector ON tickets_message",
    "DROP TRIGGER IF EXISTS tickets_ticket_search_vector ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_message_search_vector()",
    "DROP FUNCTION IF EXISTS tickets_ticket_search_vector()",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector",
]


# --- One index of words per ticket (PostgreSQL, migration 0018) --------------------------------
# Searching each message's vector then joining the million tickets made a list sort every ticket
# holding a common word before it showed 25 (seconds at a million tickets; bench/README.md). So the
# ticket's own ``search_vector`` holds every word of the ticket: its subject, weighted A, then each
# message's vector in order (weight D). A search is then one condition on tickets_ticket, which
# PostgreSQL answers by walking the list's index until a page matches, or from the GIN index.
#
# A tsvector holds at most 1 MB of words: a message whose words would push its ticket's past that
# is left out of the ticket's words (then, stripped of positions, tried again), never refused, so
# a huge pasted log cannot make an e-mail fail to land. The message keeps its own vector, which the
# excerpts read and a phrase is confirmed against.
_ALL_WORDS = """tickets_words_append(
        setweight(to_tsvector({config}, {subject}), 'A'),
        coalesce((SELECT tickets_words_agg(m.search_vector ORDER BY m.id) FROM tickets_message m
            WHERE m.ticket_id = {ticket}), ''))"""
_NEW_TICKET_WORDS = _ALL_WORDS.format(
    config=_POSTGRES_CONFIG.format(language="NEW.language"), subject="NEW.subject", ticket="NEW.id"
)
_TICKET_WORDS = _ALL_WORDS.format(
    config=_POSTGRES_CONFIG.format(language="t.language"), subject="t.subject", ticket="t.id"
)
POSTGRES_TICKET_WORDS = [
    """CREATE FUNCTION tickets_words_append(words tsvector, more tsvector) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE joined tsvector;
    BEGIN
        BEGIN
            joined := words || more;
        EXCEPTION WHEN program_limit_exceeded THEN
            BEGIN
                joined := words || strip(more);
            EXCEPTION WHEN program_limit_exceeded THEN
                joined := words;
            END;
        END;
        RETURN joined;
    END $$""",
    """CREATE AGGREGATE tickets_words_agg(tsvector) (SFUNC = tickets_words_append, STYPE = tsvector, INITCOND = '')""",
    f"""CREATE OR REPLACE FUNCTION tickets_ticket_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.subject = OLD.subject AND NEW.language = OLD.language THEN
            RETURN NEW;  -- Django's save() writes every column: nothing of the words changed
        ELSIF TG_OP = 'INSERT' THEN
            NEW.search_vector := setweight(
                to_tsvector({_POSTGRES_CONFIG.format(language="NEW.language")}, NEW.subject), 'A');
        ELSE
            NEW.search_vector := {_NEW_TICKET_WORDS};
        END IF;
        RETURN NEW;
    END $$""",
    # Whether one of a ticket's messages holds the words (a phrase the ticket's own words cannot
    # confirm). PL/pgSQL, so the planner calls it for the rows that need it rather than hashing
    # every message holding the words beforehand (a sequential scan of the messages).
    """CREATE FUNCTION tickets_messages_hold(ticket bigint, words tsquery) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
        RETURN EXISTS (SELECT 1 FROM tickets_message WHERE ticket_id = ticket AND search_vector @@ words);
    END $$""",
    # Whole tickets again: after a message's text changed or it moved (a merge, an erasure), or went.
    # The tickets are locked first, in id order, and their messages read by the next statement, whose
    # snapshot is taken once the locks are held: a reply committed meanwhile by a transaction that
    # held a ticket's row (its words appended by the trigger below) is in the words written.
    f"""CREATE FUNCTION tickets_words_rewrite(ticket_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM tickets_ticket WHERE id = ANY(ticket_ids) ORDER BY id FOR UPDATE;
        UPDATE tickets_ticket t SET search_vector = {_TICKET_WORDS} WHERE t.id = ANY(ticket_ids);
    END $$""",
    # Statement triggers with transition tables: one UPDATE per statement however many messages it
    # wrote (a merge moves hundreds in one), each ticket touched once. (PostgreSQL allows no column
    # list with transition tables: the function itself looks for a change of text or ticket.)
    """CREATE FUNCTION tickets_message_words_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE tickets_ticket t SET search_vector = tickets_words_append(t.search_vector, added.words)
        FROM (SELECT ticket_id, tickets_words_agg(search_vector ORDER BY id) AS words
              FROM added_messages GROUP BY ticket_id) added
        WHERE t.id = added.ticket_id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION tickets_message_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM tickets_words_rewrite(ARRAY(
            SELECT DISTINCT unnest(ARRAY[o.ticket_id, n.ticket_id])
            FROM old_messages o JOIN new_messages n ON n.id = o.id
            WHERE o.ticket_id <> n.ticket_id OR o.body IS DISTINCT FROM n.body
        ));
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION tickets_message_words_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM tickets_words_rewrite(ARRAY(SELECT DISTINCT ticket_id FROM old_messages));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER tickets_message_words_added AFTER INSERT ON tickets_message
        REFERENCING NEW TABLE AS added_messages
        FOR EACH STATEMENT EXECUTE FUNCTION tickets_message_words_added()""",
    """CREATE TRIGGER tickets_message_words_changed AFTER UPDATE ON tickets_message
        REFERENCING OLD TABLE AS old_messages NEW TABLE AS new_messages
        FOR EACH STATEMENT EXECUTE FUNCTION tickets_message_words_changed()""",
    """CREATE TRIGGER tickets_message_words_removed AFTER DELETE ON tickets_message
        REFERENCING OLD TABLE AS old_messages
        FOR EACH STATEMENT EXECUTE FUNCTION tickets_message_words_removed()""",
    # The tickets already there, in one statement; then the messages' own index goes: nothing
    # searches them by word any more (the excerpts and phrases read a page's tickets' messages).
    f"""UPDATE tickets_ticket t SET search_vector = {_TICKET_WORDS}""",
    "DROP INDEX IF EXISTS tickets_message_search",
]
POSTGRES_TICKET_WORDS_REVERSE = [
    "CREATE INDEX IF NOT EXISTS tickets_message_search ON tickets_message USING gin (search_vector)",
    "DROP TRIGGER IF EXISTS tickets_message_words_added ON tickets_message",
    "DROP TRIGGER IF EXISTS tickets_message_words_changed ON tickets_message",
    "DROP TRIGGER IF EXISTS tickets_message_words_removed ON tickets_message",
    "DROP FUNCTION IF EXISTS tickets_message_words_added()",
    "DROP FUNCTION IF EXISTS tickets_message_words_changed()",
    "DROP FUNCTION IF EXISTS tickets_message_words_removed()",
    "DROP FUNCTION IF EXISTS tickets_words_rewrite(bigint[])",
    "DROP FUNCTION IF EXISTS tickets_messages_hold(bigint, tsquery)",
    f"""CREATE OR REPLACE FUNCTION tickets_ticket_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector({_POSTGRES_CONFIG.format(language="NEW.language")}, NEW.subject);
        RETURN NEW;
    END $$""",
    f"UPDATE tickets_ticket SET search_vector = to_tsvector({_POSTGRES_CONFIG.format(language='language')}, subject)",
    "DROP AGGREGATE IF EXISTS tickets_words_agg(tsvector)",
    "DROP FUNCTION IF EXISTS tickets_words_append(tsvector, tsvector)",
]


def ticket_words_create(schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_TICKET_WORDS:
            schema_editor.execute(statement, params=None)


def ticket_words_drop(schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_TICKET_WORDS_REVERSE:
            schema_editor.execute(statement, params=None)


def create_schema(schema_editor: BaseDatabaseSchemaEditor) -> None:
    statements = {"sqlite": SQLITE_SCHEMA, "postgresql": POSTGRES_SCHEMA}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def sqlite_triggers_recreate(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """On SQLite, every trigger of the index as this module writes them, after a migration that remade a table."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in SQLITE_TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    for statement in SQLITE_TRIGGERS:
        schema_editor.execute(statement, params=None)


def drop_schema(schema_editor: BaseDatabaseSchemaEditor) -> None:
    reverse = {"sqlite": SQLITE_SCHEMA_REVERSE, "postgresql": POSTGRES_SCHEMA_REVERSE}
    for statement in reverse.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def tickets_with_words(text: str, *, phrase: bool = False, left_out: bool = False, measured_as: str = "") -> Q:
    """Tickets whose subject or one of whose messages holds every word of ``text`` (or the phrase).

    ``left_out``: the condition is to be negated (``-"a phrase"``), so no index
    can serve it and no share is measured (WordsSought). ``measured_as``: the
    words whose share chooses the plan, when not ``text`` alone (the words of a
    search sought one by one, all together: comptoir.tickets.search.bare_words).
    """
    if connection.vendor == "postgresql":
        # Every word, in either language: "a b" is (a & b, French stems) or (a & b, English stems).
        words = f"tickets_ticket.search_vector @@ {_either_language('plainto_tsquery')}"
        params: tuple[str, ...] = (text, text)
        if not phrase:
            sql = words
        else:
            # A ticket's words run on from message to message, and positions stop counting past 16,383
            # words: its own vector holding the phrase is enough, and where it does not (a long ticket),
            # one of its messages' must. The words first, which most rows read fail without looking at
            # positions (twice as fast as the phrase first when the list's order is walked).
            either = _either_language("phraseto_tsquery")
            sql = (
                f"{words} AND (tickets_ticket.search_vector @@ {either}"
                f" OR tickets_messages_hold(tickets_ticket.id, {either}))"
            )
            params = (text,) * 6
        measured = measured_as or text
        if not is_measured(measured, phrase=phrase, negated=left_out):
            # One word: PostgreSQL's statistics know its share, and it plans well. Left out: no index serves it.
            return Q(RawSQL(sql, params, output_field=BooleanField()))
        return Q(WordsSought(sql, params, text=measured, phrase=phrase))
    sql = f"SELECT ticket_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    return Q(pk__in=RawSQL(sql, (fts5_query(text, phrase=phrase),)))


def _either_language(parse: str) -> str:
    """The words read by ``parse`` with French stems or with English ones (two parameters: the words twice)."""
    return f"({parse}('comptoir_fr', %s) || {parse}('comptoir_en', %s))"


def tickets_requested_by(people: QuerySet[Any]) -> Q:
    """Tickets whose requester is one of ``people`` (a queryset of user ids).

    On PostgreSQL the ids are read once, before the tickets (``= ANY(ARRAY(...))``, an init plan): the
    planner then sees one indexable condition, guessed at a few tickets, that it can OR with the
    words' GIN index. As ``requester_id IN (subquery)`` beside the words, it guessed half the tickets
    matched (its default for a subquery under OR) and joined and sorted all of them (seconds at a
    million tickets, even for a rare word).
    """
    if connections[people.db].vendor != "postgresql":
        return Q(requester__in=people)
    sql, params = people.query.get_compiler(using=people.db).as_sql()
    return Q(RawSQL(f"tickets_ticket.requester_id = ANY(ARRAY({sql}))", params, output_field=BooleanField()))


# --- Words that go together (PostgreSQL) -------------------------------------------------------
# PostgreSQL guesses how many tickets hold words by multiplying each word's share, as if the words
# were independent. Words typed together seldom are: each word of a canned reply's "send us a
# screenshot" is in a fifth of the tickets, and so is the phrase, where the guess is 1 %; "card
# payment" is in 4.4 % of the tickets (every "card" is a card payment), guessed 0.3 %. Guessing few,
# the planner reads every ticket holding the words from the GIN index and sorts them (205,392 at a
# million tickets: 0.3 s for the list's capped count, 0.9 s for the 5,000 newest to rank), where
# walking the list's order finds the page, the count's 1,001 or the 5,000 newest in far fewer rows.
#
# So the share of tickets holding several words (or a phrase) is measured when a statement that
# reads a few of them is written (WordsSought): on the newest PROBE_NEWEST tickets (what a walk in
# the list's order reads first) and on about PROBE_PAGES pages of the table drawn at random, always
# the same ones (what a count reads, in the table's order). Finding ``rows`` matches by walking reads
# rows / share tickets, from the GIN index share times tickets: the walk costs less where share² is at
# least WALKED_ROW_COST times rows / tickets (0.6 % for a page of 26 at a million tickets, 3.9 % for a
# capped count of 1,001, 8.7 % for the 5,000 to rank). Both shares must pass: words common in old
# tickets only (a canned reply since retired), or in new ones only (one just written), are read from
# the index. The probe reads about 1,100 rows: 1.5 to 10 ms on a busy machine at 1M tickets.
PROBE_NEWEST = 500
PROBE_PAGES = 60
# A row read walking (the words tested on it) costs about one and a half tickets the GIN index yields: at
# a million tickets the capped count of "send us a quote" (2.6 %) took 43 ms reading 38,000 rows, 31 ms
# from 28,000 GIN candidates; of "card payment" (4.4 %), 23 ms reading 23,000 rows, 28 ms from 44,000.
WALKED_ROW_COST = 1.5
_PROBE = """WITH sought AS MATERIALIZED (SELECT {query} AS words),
    pages AS MATERIALIZED (SELECT least(100, %s * 100.0 / greatest(
        pg_relation_size('tickets_ticket') / current_setting('block_size')::int, 1)) AS percent)
    SELECT newest.holding, sampled.rows, sampled.holding, (SELECT percent FROM pages),
        (SELECT histogram_bounds::text::timestamptz[] FROM pg_stats WHERE schemaname = current_schema()
            AND tablename = 'tickets_ticket' AND attname = 'updated_at'),
        (SELECT reltuples FROM pg_class WHERE oid = 'tickets_ticket'::regclass)
    FROM (SELECT count(*) AS holding FROM sought, (SELECT search_vector FROM tickets_ticket
            ORDER BY updated_at DESC, id DESC LIMIT %s) newest_rows
          WHERE newest_rows.search_vector @@ sought.words) newest,
        (SELECT count(*) AS rows, count(*) FILTER (WHERE t.search_vector @@ sought.words) AS holding
          FROM sought, tickets_ticket t TABLESAMPLE SYSTEM ((SELECT percent FROM pages)) REPEATABLE (0)) sampled"""


@dataclass(frozen=True)
class Share:
    """What share of the tickets hold some words, measured (words_share)."""

    newest: float  # among the PROBE_NEWEST tickets updated last
    sampled: float  # in the pages sampled
    tickets: float  # how many tickets there are, by the sample
    # The statistics' histogram of the tickets' update times, oldest first (empty before ANALYZE).
    updated_bounds: tuple[Any, ...] = ()

    def walk_pays(self, rows: int) -> bool:
        """Whether walking an order until ``rows`` tickets hold the words reads fewer rows than the GIN index's."""
        if self.tickets < max(rows, RANKED_AMONG):
            return False  # a small desk: the index is quick whatever the words
        least: float = (WALKED_ROW_COST * rows / self.tickets) ** 0.5
        return self.newest >= least and self.sampled >= least


# A share measured is kept this long by the process: a page's count and rows, the pages after it and the
# saved views' counts read it again without a query, and the plans follow the data within this time.
SHARE_KEPT_SECONDS = 300.0
_SHARES_KEPT = 1_000
_shares: dict[tuple[str, str, bool], tuple[float, Share]] = {}


def words_share(text: str, *, phrase: bool) -> Share:
    """The share of tickets holding every word of ``text`` (or the phrase), newest and sampled: one query.

    Kept SHARE_KEPT_SECONDS by the process (forget_shares empties what it keeps).
    """
    key = (connection.alias, text, phrase)
    kept = _shares.get(key)
    now = time.monotonic()
    if kept is not None and now - kept[0] < SHARE_KEPT_SECONDS:
        return kept[1]
    query = _either_language("phraseto_tsquery" if phrase else "plainto_tsquery")
    with connection.cursor() as cursor:
        cursor.execute(_PROBE.format(query=query), [text, text, PROBE_PAGES, PROBE_NEWEST])
        newest_holding, sampled, sampled_holding, percent, bounds, counted = cursor.fetchone()
    # How many tickets there are: the sample's rows when it read every page; else by the last ANALYZE
    # (-1 before any), else by the sample's rows from a known share of the pages (within a third or so).
    if float(percent) >= 100 or not counted or counted <= 0:
        tickets = sampled * 100 / float(percent) if sampled else 0.0
    else:
        tickets = float(counted)
    share = Share(
        newest=newest_holding / max(1.0, min(float(PROBE_NEWEST), tickets)),
        sampled=sampled_holding / sampled if sampled else 0.0,
        tickets=tickets,
        updated_bounds=tuple(bounds or ()),
    )
    if len(_shares) >= _SHARES_KEPT:
        _shares.clear()
    _shares[key] = (now, share)
    return share


def forget_shares() -> None:
    """Forget every share kept: the next statement measures again (tests; after a bulk load)."""
    _shares.clear()


def is_measured(text: str, *, phrase: bool, negated: bool = False) -> bool:
    """Whether the condition of these words depends on their share (WordsSought): several words, or a phrase."""
    return connection.vendor == "postgresql" and not negated and (phrase or len(text.split()) > 1)


def walks(terms: Sequence[tuple[str, bool]], rows: int) -> tuple[bool, ...]:
    """For each term whose share is measured, whether a statement reading ``rows`` matches walks for it (WordsSought).

    What a compiled statement depends on besides its parameters: a process that
    keeps compiled statements (comptoir.workspace.listing's counts and pages)
    keys them by it, so that their plans follow the words' shares (measured at
    most every SHARE_KEPT_SECONDS).
    """
    return tuple(
        words_share(text, phrase=phrase).walk_pays(rows) for text, phrase in terms if is_measured(text, phrase=phrase)
    )


class WordsSought(RawSQL):
    """Several words' condition (or a phrase's), written for the statement it is compiled into.

    A statement that reads a few tickets in order (a page, the newest to rank) or
    a few in any order (a capped count) reads them by walking that order, or the
    table, when the words are common enough (Share.walk_pays): the condition is
    then hidden from the planner in ``COALESCE``, which it guesses half the
    tickets pass (its default for an expression it cannot read), so it walks.
    Otherwise, and in a statement reading every match (an export, an exact
    count), the planner sees the ``@@`` and reads the GIN index. The same test
    either way: the same tickets. The share is measured (one query) the first
    time a statement that reads a few is written, then kept (words_share).
    """

    def __init__(self, sql: str, params: Sequence[Any], *, text: str, phrase: bool) -> None:
        super().__init__(sql, params, output_field=BooleanField())
        self.text, self.phrase = text, phrase

    def share(self) -> Share:
        return words_share(self.text, phrase=self.phrase)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        query = compiler.query
        limit = None if query.high_mark is None else query.high_mark - query.low_mark
        if limit is not None and self.share().walk_pays(limit):
            return f"(COALESCE({self.sql}, false))", self.params
        return super().as_sql(compiler, connection)


def fts5_query(text: str, *, phrase: bool = False) -> str:
    """FTS5's query for the words (each quoted, so none is read as an operator) or the phrase.

    FTS5 has no French or English stemmer: a word loses a final plural "s" or
    "x" and is matched as a prefix, so "invoices" finds "invoice" and back.
    """
    words = [word.replace('"', '""') for word in text.split()]
    if phrase:
        return '"' + " ".join(words) + '"'
    return " AND ".join(f'"{_singular(word)}"*' for word in words) or '""'


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def message_excerpts(
    ticket_ids: Sequence[int], terms: Sequence[tuple[str, bool]], *, start: str, stop: str
) -> dict[int, str]:
    """For each ticket, a passage of its newest message holding one of the terms, each match between start and stop.

    ``terms`` are (text, is a phrase). One query for the page's tickets; a ticket
    whose words are only in its subject has none (the row shows the subject).
    """
    if not ticket_ids or not terms:
        return {}
    ids = list(ticket_ids)
    if connection.vendor == "postgresql":
        typed = " or ".join(
            f'"{text}"' if phrase else text for text, phrase in ((t.replace('"', " "), p) for t, p in terms)
        )
        query = _either_language("websearch_to_tsquery")
        config = _POSTGRES_CONFIG.format(language="t.language")
        options = f"StartSel={start}, StopSel={stop}, MaxWords=24, MinWords=10, MaxFragments=1"
        sql = (
            f"SELECT DISTINCT ON (m.ticket_id) m.ticket_id, ts_headline({config}, left(m.body, {INDEXED_CHARACTERS}),"
            f" {query}, %s) FROM tickets_message m JOIN tickets_ticket t ON t.id = m.ticket_id"
            f" WHERE m.ticket_id = ANY(%s) AND m.search_vector @@ {query}"
            " ORDER BY m.ticket_id, m.created_at DESC, m.id DESC"
        )
        params: list[Any] = [typed, typed, options, ids, typed, typed]
    else:
        match = " OR ".join(f"({fts5_query(text, phrase=phrase)})" for text, phrase in terms)
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT ticket_id, snippet({FTS_TABLE}, 1, %s, %s, '…', 16) FROM {FTS_TABLE}"
            f" WHERE {FTS_TABLE} MATCH %s AND rowid %% 2 = 0 AND ticket_id IN ({marks}) ORDER BY rowid DESC"
        )
        params = [start, stop, match, *ids]
    found: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for ticket_id, passage in cursor.fetchall():
            found.setdefault(int(ticket_id), passage)  # the newest first
    return found


# --- Relevance ---------------------------------------------------------------------------------
# A subject holding the words says what the ticket is about; a message may only mention them. Its
# score counts this many times a message's: a ticket whose subject holds a word ranks above one
# where the word is only in messages, however many.
SUBJECT_WEIGHT = 10
# ts_rank's weights of the labels D, C, B, A: messages are D, the subject A. ts_rank adds up a
# word's occurrences with diminishing returns (the n-th counts 1/n² of the first), so however often
# messages repeat a word they stay under 1.7 of one message's: a subject's, ten times that, wins.
_RANK_WEIGHTS = f"'{{{1 / SUBJECT_WEIGHT}, 0, 0, 1}}'::float4[]"
# A word held by a quarter of the desk matches hundreds of thousands of tickets; scoring them all
# takes seconds. Relevance orders the newest this many matches: the list shows 500 at most, and a
# ticket older than the 5,000 newest holding the words is found by adding a word or a filter.
RANKED_AMONG = 5_000


def tickets_by_relevance(
    terms: Sequence[tuple[str, bool]], among: QuerySet[Any], *, start: int, count: int
) -> list[int]:
    """The ids of the tickets of ``among``, best match of the terms first: ``count`` of them from position ``start``.

    ``terms`` are (text, is a phrase). Only the RANKED_AMONG tickets of ``among``
    updated last are ranked. A ticket's score weighs its subject SUBJECT_WEIGHT
    times its messages (PostgreSQL: ts_rank of the ticket's words, subject
    weighted A; SQLite: FTS5's bm25 of the subject times SUBJECT_WEIGHT plus its
    best message's), each term counting wherever it is; ties go newest first
    (last update), then by id, so that every position holds one ticket. One query.
    """
    if not terms or count <= 0:
        return []
    newest = among.order_by("-updated_at", "-id")
    vendor = connections[newest.db].vendor
    if vendor == "postgresql":
        # Any of the terms scores (the condition of the list wants them all, maybe in different messages).
        query = " || ".join(
            _either_language("phraseto_tsquery" if phrase else "plainto_tsquery") for _text, phrase in terms
        )
        words = [text for text, _phrase in terms for _language in (1, 2)]
        # Scored as the newest are read, from the row already in hand: joining them back to the
        # tickets by id to score them read 5,000 rows twice (20,000 buffers, a third of the time).
        score = RawSQL(f"ts_rank({_RANK_WEIGHTS}, tickets_ticket.search_vector, {query})", words)
        scored = newest.annotate(search_score=score).values("pk", "updated_at", "search_score")[:RANKED_AMONG]
        scored_sql, params = scored.query.get_compiler(using=scored.db).as_sql()
        since = _window_start(newest)
        if since is not None:
            # The newest matches are looked for among the tickets updated since ``since`` first: a bitmap of
            # the words ANDed with one of the list's index (ticket_updated) reads only their heap pages. When
            # the window holds RANKED_AMONG of them, they are the newest of all; otherwise (a filter of the
            # list leaves fewer) every match is read, as without a window. The gates are one-time filters:
            # the second branch runs only when the first fell short.
            recent = (
                newest.filter(updated_at__gte=since)
                .annotate(search_score=score)
                .values("pk", "updated_at", "search_score")[:RANKED_AMONG]
            )
            recent_sql, recent_params = recent.query.get_compiler(using=recent.db).as_sql()
            sql = (
                f"WITH recent AS MATERIALIZED ({recent_sql}),"
                " enough AS MATERIALIZED (SELECT count(*) >= %s AS held FROM recent)"
                " SELECT id FROM (SELECT * FROM recent WHERE (SELECT held FROM enough)"
                f" UNION ALL SELECT * FROM ({scored_sql}) everyone WHERE NOT (SELECT held FROM enough))"
                " newest (id, updated_at, score) ORDER BY score DESC, updated_at DESC, id DESC LIMIT %s OFFSET %s"
            )
            params = (*recent_params, RANKED_AMONG, *params)
        else:
            sql = (
                f"SELECT id FROM ({scored_sql}) newest (id, updated_at, score)"
                " ORDER BY score DESC, updated_at DESC, id DESC LIMIT %s OFFSET %s"
            )
    else:
        among_sql, among_params = newest.values("pk")[:RANKED_AMONG].query.get_compiler(using=newest.db).as_sql()
        scores, score_params = _sqlite_scores(terms)
        sql = (
            f"SELECT t.id FROM tickets_ticket t JOIN ({scores}) ranked ON ranked.ticket_id = t.id"
            f" WHERE t.id IN (SELECT * FROM ({among_sql}) newest)"
            " ORDER BY ranked.score DESC, t.updated_at DESC, t.id DESC LIMIT %s OFFSET %s"
        )
        params = (*score_params, *among_params)
    with connections[newest.db].cursor() as cursor:
        cursor.execute(sql, [*params, count, start])
        return [int(ticket_id) for (ticket_id,) in cursor.fetchall()]


# The window of the newest tickets ranking looks in first holds this many times the tickets that should
# hold RANKED_AMONG matches at the share measured: a margin for a share measured on a sample of a few
# hundred rows ("send us a quote": 3.3 % sampled, 2.6 % in fact), and for the list's filters.
WINDOW_MARGIN = 1.5


def _window_start(among: QuerySet[Any]) -> Any:
    """When the newest RANKED_AMONG matches are best looked for among recent tickets: the update time they start at.

    Only for words whose share was measured (WordsSought) and is neither so high
    that walking the list's order pays, nor so low that the GIN index's matches
    are few. The time is read from the statistics' histogram of ``updated_at``
    (kept with the share, no query more): a stale one only widens the window,
    since every ticket updated after ANALYZE is newer than its last bound.
    """
    shares = [each.share() for each in _words_sought(among.query.where)]
    if not shares:
        return None
    # The rarest words decide; their share among the newest and over the table, averaged (each is a few
    # hundred rows: the window's margin covers the rest).
    share = min(shares, key=lambda measured: measured.newest + measured.sampled)
    mean = (share.newest + share.sampled) / 2
    if not mean or share.walk_pays(RANKED_AMONG) or mean * share.tickets < WINDOW_LEAST * RANKED_AMONG:
        return None
    fraction = WINDOW_MARGIN * RANKED_AMONG / (mean * share.tickets)
    bounds = share.updated_bounds
    if fraction >= 1 or len(bounds) < 2:
        return None
    return bounds[int((1 - fraction) * (len(bounds) - 1))]


# Below this many times RANKED_AMONG matches, reading them all from the GIN index costs less than a
# window's second index.
WINDOW_LEAST = 2


def _words_sought(node: Any) -> list[WordsSought]:
    """The WordsSought of a query's where tree (Django wraps each condition in an ``exact True`` lookup)."""
    if isinstance(node, WordsSought):
        return [node]
    found = []
    for child in [*getattr(node, "children", ()), getattr(node, "lhs", None)]:
        if child is not None:
            found.extend(_words_sought(child))
    return found


def _sqlite_scores(terms: Sequence[tuple[str, bool]]) -> tuple[str, list[Any]]:
    """SQL of (ticket_id, score) for every ticket with a term in its subject or a message, and its parameters."""
    match = " OR ".join(f"({fts5_query(text, phrase=phrase)})" for text, phrase in terms)
    # bm25 is lower for a better match. "LIMIT -1" keeps SQLite from folding the inner query into
    # the grouping one, where bm25 cannot be called; odd rowids are subjects.
    sql = (
        f"SELECT ticket_id, {SUBJECT_WEIGHT} * max(CASE WHEN rid %% 2 = 1 THEN score ELSE 0 END)"
        " + max(CASE WHEN rid %% 2 = 0 THEN score ELSE 0 END) AS score"
        f" FROM (SELECT rowid AS rid, ticket_id, -bm25({FTS_TABLE}) AS score FROM {FTS_TABLE}"
        f" WHERE {FTS_TABLE} MATCH %s LIMIT -1) found GROUP BY ticket_id"
    )
    return sql, [match]


# --- Typos (PostgreSQL only) -------------------------------------------------------------------
# SQLite has no trigram similarity (FTS5's trigram tokenizer finds substrings, not look-alikes):
# there a search whose words no ticket holds finds nothing, and that is all.
#
# pg_trgm word similarity from which a subject or a requester looks like a word typed: a letter
# swapped or left out ("Dubios" for "Dubois", "invoce" for "invoice") scores 0.43 to 0.6,
# unrelated words near 0. Stricter than the Help Center's titles (0.25): a desk has many more
# subjects and requesters than the Help Center has articles, so looser means a flood.
TYPO_THRESHOLD = 0.4


def typo_threshold_set() -> None:
    """Make the trigram operators (``%>``) of this connection use TYPO_THRESHOLD.

    The operators, which the GIN trigram indexes serve, read their threshold from
    a setting (pg_trgm.word_similarity_threshold, 0.6 by default) rather than
    from an operand. Set for the session: only the look-alike search uses them.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(TYPO_THRESHOLD)])


def tickets_like_words(text: str) -> Q:
    """Tickets whose subject, requester's name or requester's address holds a word like ``text`` (PostgreSQL).

    Run typo_threshold_set on the connection first. The subject from its GIN
    trigram index (migration 0015); the people alike are read once, before the
    tickets, from theirs (``= ANY(ARRAY(...))``, as tickets_requested_by says
    why): as ``id IN (... UNION ...)`` the planner hashed every ticket of the
    table twice (2.2 s at a million tickets for a misspelt "Dubois", 0.65 s so).
    """
    sql = (
        "tickets_ticket.subject %%> %s OR tickets_ticket.requester_id = ANY(ARRAY("
        "SELECT id FROM accounts_user WHERE name %%> %s OR email %%> %s))"
    )
    return Q(RawSQL(sql, (text, text, text), output_field=BooleanField()))
