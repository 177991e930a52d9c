"""Full-text search over the published Help Center articles in the reader's language.

The reader's words are only ever words: they are cut out of the query with a
regular expression and quoted before they reach the search engine, so no FTS5
or tsquery syntax (quotes, ``*``, ``NEAR``, ``OR``, ``-``, ``:``, parentheses)
can be typed in.

- SQLite (FTS5, ``unicode61 remove_diacritics 2``): accents ignored, each word
  matched as a prefix after a final plural "s"/"x" is dropped, ranked by bm25
  with the title weighing most.
- PostgreSQL: the language's stemmer after unaccent (``comptoir_fr``,
  ``comptoir_en``), each stem matched as a prefix, ranked by ts_rank with
  weights title A, summary B, body C.

Words typed exactly always rank first: only when they find nothing are typos
corrected, the same way on both engines (search_words.py: "screnshot" becomes
"screenshot", "ecrann" "écran"), and the corrected query searched instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
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
from comptoir.helpcenter.search_words import WORD, corrections, singular

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10


@dataclass(frozen=True)
class SearchHit:
    pk: int
    slug: str
    title: str
    summary: str
    excerpt_html: SafeString
    rank: float
    section_pk: int | None = None
    language: str = ""


@dataclass(frozen=True)
class SearchOutcome:
    hits: list[SearchHit]
    # When the query as typed found nothing and a corrected one found these hits: that query, else "".
    corrected: str = ""


def search_terms(query: str) -> list[str]:
    """The first few words of what the reader typed, lower-cased, without any syntax."""
    words = [word.lower() for word in WORD.findall(query[:MAX_QUERY_LENGTH])]
    # A lone letter is mostly a French elision ("d'écran", "l'article"): matched as a prefix it
    # would mark every word starting with it. It counts only when nothing longer was typed.
    longer = [word for word in words if len(word) > 1]
    return (longer or words)[:MAX_TERMS]


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
    """Published articles in ``language`` matching every word of ``query`` (typos corrected if need be), best first."""
    return search(query, language, limit).hits


def search(query: str, language: str, limit: int = 20) -> SearchOutcome:
    """The articles for the words as typed; when there are none, for the words with their typos corrected.

    One query when the words find something; else one to tell typos from words the articles
    hold, one per typo to find its closest word, and one for the corrected words.
    """
    terms = search_terms(query)
    if not terms:
        return SearchOutcome(hits=[])
    hits = _search_terms(terms, language, limit)
    if hits:
        return SearchOutcome(hits=hits)
    replacements = corrections(terms, language)
    if not replacements:
        return SearchOutcome(hits=[])
    hits = _search_terms([replacements.get(term, term) for term in terms], language, limit)
    if not hits:
        return SearchOutcome(hits=[])
    return SearchOutcome(hits=hits, corrected=_rewritten(query, replacements))


def _rewritten(query: str, replacements: dict[str, str]) -> str:
    """The query as typed with each corrected word replaced: "captur d'ecrann" reads "captur d'écran"."""
    return WORD.sub(lambda word: replacements.get(word.group().lower(), word.group()), query[:MAX_QUERY_LENGTH])


def _search_terms(terms: list[str], language: str, limit: int) -> list[SearchHit]:
    if connection.vendor == "postgresql":
        return _search_postgresql(terms, language, limit)
    return _search_sqlite(terms, language, limit)


def _search_sqlite(terms: list[str], language: str, limit: int) -> list[SearchHit]:
    # Terms are \w+ only, so none can close the quotes around it.
    match = " ".join(f'"{singular(term)}"*' for term in terms)
    sql = f"""
        SELECT t.id, t.article_id, t.slug, t.title, t.summary, a.section_id,
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
            pk=article_id,
            slug=slug,
            title=title,
            summary=summary,
            excerpt_html=excerpt_html(snippet),
            rank=-score,
            section_pk=section_pk,
            language=language,
        )
        for _id, article_id, slug, title, summary, section_pk, snippet, score in rows
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
        .values_list("article_id", "slug", "title", "summary", "excerpt", "score", "article__section_id")[:limit]
    )
    return [
        SearchHit(
            pk=pk,
            slug=slug,
            title=title,
            summary=summary,
            excerpt_html=excerpt_html(excerpt),
            rank=score,
            section_pk=section_pk,
            language=language,
        )
        for pk, slug, title, summary, excerpt, score, section_pk in found
    ]
