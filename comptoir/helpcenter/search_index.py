"""Keeping the article search index in step with the translations.

SQLite (the embedded default) searches an FTS5 table beside the translations;
PostgreSQL searches a weighted ``tsvector`` column on the translation itself.
Both are written here, by ``article_translation_save`` and by the migration
that indexes the rows already there, and so is the vocabulary that corrects
typos (search_words.py).
"""

from __future__ import annotations

import html
import re
from typing import Any

from django.apps import apps as django_apps
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Replace

from comptoir.helpcenter.search_words import words_remember

FTS_TABLE = "helpcenter_article_fts"

# Excerpt markers: characters from Unicode's private use area, which no article
# text contains (plain_text removes them), so they survive escaping and only
# then become <mark> tags.
MARK_START = "\ue000"
MARK_END = "\ue001"

# Characters ts_headline must not see as markup, each with its stand-in (also from
# the private use area) and the entity it becomes in the escaped excerpt.
POSTGRES_HIDDEN = {"<": ("\ue002", "&lt;"), ">": ("\ue003", "&gt;"), "&": ("\ue004", "&amp;")}
_PRIVATE = str.maketrans("", "", "\ue000\ue001\ue002\ue003\ue004")

# PostgreSQL text search configurations created by the migration: the language's
# stemmer after unaccent, so "creer" matches "créer" and "tickets" matches "ticket".
POSTGRES_CONFIGS = {"fr": "comptoir_fr", "en": "comptoir_en"}

# Block-level tags separate words; inline ones (links, emphasis, code) do not:
# "<strong>Mes tickets</strong>, sans" reads "Mes tickets, sans".
_BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|h[1-6]|br|hr|td|th|tr|table|thead|tbody|blockquote|pre|img)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(body_html: str) -> str:
    """The words of sanitised article HTML: no tags, entities decoded, no private-use characters (excerpt markers)."""
    text = html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", body_html)))
    text = text.translate(_PRIVATE)
    return _SPACE.sub(" ", text).strip()


def hide_markup(field: str) -> Func:
    """The column with <, > and & disguised: PostgreSQL's parser would take "<script>",
    shown in a code sample, for a tag, leave it out of the index and drop it from excerpts."""
    expression: Func | F = F(field)
    for character, (hidden, _entity) in POSTGRES_HIDDEN.items():
        expression = Replace(expression, Value(character), Value(hidden), output_field=TextField())
    assert isinstance(expression, Func)
    return expression


def postgres_config(language: str) -> str:
    return POSTGRES_CONFIGS.get(language, "simple")


def index_translation(translation: Any, *, using: Any = None) -> None:
    """Write one translation into the search index of the database in use.

    ``translation`` is an ArticleTranslation (or the migration's historical model).
    """
    conn = using or connection
    if type(translation)._meta.apps is django_apps:
        # Not from a migration: migration 0003 indexes the articles before the vocabulary
        # exists, and 0006 reads the words of every article once it does.
        words_remember(translation, using=conn)
    if conn.vendor == "sqlite":
        with conn.cursor() as cursor:
            cursor.execute("DELETE FROM helpcenter_article_fts WHERE translation_id = %s", [translation.pk])
            cursor.execute(
                "INSERT INTO helpcenter_article_fts (translation_id, language, title, summary, body)"
                " VALUES (%s, %s, %s, %s, %s)",
                [
                    translation.pk,
                    translation.language,
                    translation.title,
                    translation.summary,
                    plain_text(translation.body_html),
                ],
            )
    elif conn.vendor == "postgresql":
        config = postgres_config(translation.language)
        type(translation).objects.using(conn.alias).filter(pk=translation.pk).update(
            search_vector=(
                SearchVector("title", weight="A", config=config)
                + SearchVector("summary", weight="B", config=config)
                + SearchVector(hide_markup("body_text"), weight="C", config=config)
            )
        )


# --- Schema, run by migration 0003 on the matching database only ---------------------

SQLITE_SCHEMA = [
    # remove_diacritics 2: "creer" finds "créer", whatever the accent.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "translation_id UNINDEXED, language UNINDEXED, title, summary, body, "
    "tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_SCHEMA_REVERSE = [f"DROP TABLE IF EXISTS {FTS_TABLE}"]

POSTGRES_SCHEMA = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS comptoir_fr",
    "CREATE TEXT SEARCH CONFIGURATION comptoir_fr (COPY = french)",
    "ALTER TEXT SEARCH CONFIGURATION comptoir_fr ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS comptoir_en",
    "CREATE TEXT SEARCH CONFIGURATION comptoir_en (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION comptoir_en ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    "CREATE INDEX IF NOT EXISTS helpcenter_articletranslation_search_gin "
    "ON helpcenter_articletranslation USING gin (search_vector)",
]
# The extensions stay: other database objects may use them.
POSTGRES_SCHEMA_REVERSE = [
    "DROP INDEX IF EXISTS helpcenter_articletranslation_search_gin",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS comptoir_en",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS comptoir_fr",
]


def create_schema(schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_SCHEMA, "postgresql": POSTGRES_SCHEMA}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop_schema(schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_SCHEMA_REVERSE, "postgresql": POSTGRES_SCHEMA_REVERSE}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)
