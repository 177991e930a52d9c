"""Full-text search over the published Help Center articles in the reader's language.

The reader's words are only ever words: they are cut out of the query with a
regular expression and quoted before they reach the search engine, so no FTS5
or tsquery syntax (quotes, ``*``, ``NEAR``, ``OR``, ``-``, ``:``, parentheses)
can be typed in.

- SQLite (FTS5, ``unicode61 remove_diacritics 2``): accents ignored, each word
  matched as a prefix after a final plural "s"/"x" is dropped, ranked by bm25
  with the title weighing most. No typo tolerance: FTS5 has no fuzzy matching.
- PostgreSQL: the language's stemmer after unaccent (``comptoir_fr``,
  ``comptoir_en``), each stem matched as a prefix, ranked by ts_rank with
  weights title A, summary B, body C; when nothing matches, titles close to the
  words (pg_trgm word similarity) are offered, so a typo still finds something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import F
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from comptoir.helpcenter.models import ArticleTranslation
from comptoir.helpcenter.search_index import (
    FTS_TABLE,
    MARK_END,
    MARK_START,
    POSTGRES_HIDDEN,
    hide_markup,
    postgres_config,
)

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
# pg_trgm word similarity from which a title is offered, only when full-text search
# found nothing: a swap of two letters costs many trigrams ("tikcet" against
# "ticket" is 0.29, "factrue" against "facture" 0.5), unrelated words score near 0.
TYPO_THRESHOLD = 0.25

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchHit:
    pk: int
    slug: str
    title: str
    summary: str
    excerpt_html: SafeString
    rank: float


def search_terms(query: str) -> list[str]:
    """The first few words of what the reader typed, lower-cased, without any syntax."""
    return [word.lower() for word in _WORD.findall(query[:MAX_QUERY_LENGTH])][:MAX_TERMS]


def excerpt_html(marked_text: str) -> SafeString:
    """Escape the engine's excerpt, then turn its private markers into <mark> tags."""
    escaped: str = escape(marked_text)
    for hidden, entity in POSTGRES_HIDDEN.values():
        escaped = escaped.replace(hidden, entity)
    escaped = escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    if escaped.count("<mark>") != escaped.count("</mark>"):  # a marker cut off by the excerpt
        escaped = escaped.replace("<mark>", "").replace("</mark>", "")
    # Safe: every character of the text was escaped above.
    return mark_safe(escaped)


def search_articles(query: str, language: str, limit: int = 20) -> list[SearchHit]:
    """Published articles in ``language`` matching every word of ``query``, best first.

    One query; on PostgreSQL a second one (titles close to the words) when the first finds nothing.
    """
    terms = search_terms(query)
    if not terms:
        return []
    if connection.vendor == "postgresql":
        return _search_postgresql(terms, language, limit)
    return _search_sqlite(terms, language, limit)


def _singular(term: str) -> str:
    # FTS5 has no stemmer for French or English: dropping a final plural mark and
    # matching the rest as a prefix lets "tickets" find "ticket" and "ticket" find "tickets".
    if len(term) > 3 and term[-1] in "sx":
        return term[:-1]
    return term


def _search_sqlite(terms: list[str], language: str, limit: int) -> list[SearchHit]:
    # Terms are \w+ only, so none can close the quotes around it.
    match = " ".join(f'"{_singular(term)}"*' for term in terms)
    sql = f"""
        SELECT t.id, t.article_id, t.slug, t.title, t.summary,
               snippet({FTS_TABLE}, 4, %s, %s, '…', 24),
               bm25({FTS_TABLE}, 0.0, 0.0, 10.0, 4.0, 1.0) AS score
        FROM {FTS_TABLE}
        JOIN helpcenter_articletranslation t ON t.id = {FTS_TABLE}.translation_id
        JOIN helpcenter_article a ON a.id = t.article_id
        WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.language = %s AND t.language = %s AND a.is_published
        ORDER BY score, t.id
        LIMIT %s
    """  # noqa: S608 - only the table name is formatted in; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [MARK_START, MARK_END, match, language, language, limit])
        rows = cursor.fetchall()
    return [
        SearchHit(
            pk=article_id, slug=slug, title=title, summary=summary, excerpt_html=excerpt_html(snippet), rank=-score
        )
        for _id, article_id, slug, title, summary, snippet, score in rows
    ]


def _search_postgresql(terms: list[str], language: str, limit: int) -> list[SearchHit]:
    config = postgres_config(language)
    # Quoted, then stemmed by the configuration, then matched as a prefix.
    tsquery = SearchQuery(" & ".join(f"'{term}':*" for term in terms), search_type="raw", config=config)
    published = ArticleTranslation.objects.filter(language=language, article__is_published=True)
    found = (
        published.filter(search_vector=tsquery)
        .annotate(
            score=SearchRank(F("search_vector"), tsquery),
            excerpt=SearchHeadline(
                hide_markup("body_text"),
                tsquery,
                config=config,
                start_sel=MARK_START,
                stop_sel=MARK_END,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-score", "pk")
        .values_list("article_id", "slug", "title", "summary", "excerpt", "score")[:limit]
    )
    hits = [
        SearchHit(pk=pk, slug=slug, title=title, summary=summary, excerpt_html=excerpt_html(excerpt), rank=score)
        for pk, slug, title, summary, excerpt, score in found
    ]
    if hits:
        return hits
    close = (
        published.annotate(similarity=TrigramWordSimilarity(" ".join(terms), "title"))
        .filter(similarity__gte=TYPO_THRESHOLD)
        .order_by("-similarity", "pk")
        .values_list("article_id", "slug", "title", "summary", "similarity")[:limit]
    )
    return [
        SearchHit(pk=pk, slug=slug, title=title, summary=summary, excerpt_html=escape(summary), rank=similarity)
        for pk, slug, title, summary, similarity in close
    ]
