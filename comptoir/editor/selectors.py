"""Reads for the editor pages, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from comptoir.accounts.models import User
from comptoir.editor.models import ArticleRevision, RevisionKind
from comptoir.helpcenter.models import Article, ArticleTranslation, Section, SectionTranslation

HISTORY_LIMIT = 100


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class Content:
    """The text an editor starts from in one language."""

    title: str
    summary: str
    body_markdown: str


@dataclass(frozen=True)
class EditState:
    content: Content | None
    published: ArticleTranslation | None
    newest: ArticleRevision | None

    @property
    def has_newer_draft(self) -> bool:
        """A draft saved after the live text (or while there is none yet) waits to be published."""
        return self.newest is not None and self.newest.kind == RevisionKind.DRAFT


@dataclass(frozen=True)
class ArticleRow:
    pk: int
    title: str
    title_language: str
    section: str
    is_published: bool
    is_promoted: bool
    # Languages whose newest revision is a draft not yet published.
    draft_languages: list[str]
    edit_language: str
    last_change: datetime | None
    last_author: User | None


# Unpublishing hides the article without changing its text, so it never replaces a pending draft.
TEXT_KINDS = (RevisionKind.DRAFT, RevisionKind.PUBLISHED)


def newest_text_revision(article: Article, language: str) -> ArticleRevision | None:
    """The newest text written in the language, saved as a draft or published."""
    return article.revisions.filter(language=language, kind__in=TEXT_KINDS).first()


def edit_state(article: Article, language: str) -> EditState:
    """Two queries: the newest text revision in the language, the live translation."""
    newest = newest_text_revision(article, language)
    published = ArticleTranslation.objects.filter(article=article, language=language).first()
    source: ArticleRevision | ArticleTranslation | None = newest or published
    content = None if source is None else Content(source.title, source.summary, source.body_markdown)
    return EditState(content=content, published=published, newest=newest)


def revision_history(article: Article, language: str) -> list[ArticleRevision]:
    return list(
        article.revisions.filter(language=language)
        .select_related("author")
        .defer("body_markdown", "summary")[:HISTORY_LIMIT]
    )


def section_label(section: Section, language: str) -> str:
    """The section's title in the language, else in any language, else its key (needs prefetched translations)."""
    translations = list(section.translations.all())
    chosen = next((t for t in translations if t.language == language), None) or next(iter(translations), None)
    return chosen.title if chosen is not None else section.key


def sections() -> QuerySet[Section]:
    return Section.objects.prefetch_related("translations")


def _newest(field: str, language: str | None = None) -> Subquery:
    revisions = ArticleRevision.objects.filter(article=OuterRef("pk"))
    if language is not None:
        revisions = revisions.filter(language=language, kind__in=TEXT_KINDS)
    return Subquery(revisions.order_by("-id").values(field)[:1])


def article_rows(language: str) -> list[ArticleRow]:
    """Every article for the editors' list.

    Four queries whatever the number of articles: articles with their section
    and newest-revision facts, their translations, their sections' translations,
    the newest revisions with their authors.
    """
    annotations = {f"newest_kind_{code}": _newest("kind", code) for code in languages()}
    articles = list(
        Article.objects.select_related("section")
        .annotate(newest_revision_id=_newest("id"), **annotations)
        .prefetch_related(
            Prefetch(
                "translations",
                queryset=ArticleTranslation.objects.only("article_id", "language", "title", "updated_at"),
            ),
            Prefetch(
                "section__translations", queryset=SectionTranslation.objects.only("section_id", "language", "title")
            ),
        )
        .order_by("section__position", "section_id", "position", "id")
    )
    newest_ids = [_annotation(article, "newest_revision_id") for article in articles]
    newest = {
        revision.pk: revision
        for revision in ArticleRevision.objects.filter(pk__in=[pk for pk in newest_ids if pk is not None])
        .select_related("author")
        .defer("body_markdown")
    }
    rows = []
    for article, newest_id in zip(articles, newest_ids, strict=True):
        revision = newest.get(newest_id) if newest_id is not None else None
        translations = {t.language: t for t in article.translations.all()}
        row_language, title = _row_title(language, translations, revision)
        last_change = revision.created_at if revision is not None else _last_update(translations)
        rows.append(
            ArticleRow(
                pk=article.pk,
                title=title or article.key,
                title_language=row_language,
                section=section_label(article.section, language),
                is_published=article.is_published,
                is_promoted=article.is_promoted,
                draft_languages=[
                    code for code in languages() if _annotation(article, f"newest_kind_{code}") == RevisionKind.DRAFT
                ],
                edit_language=row_language,
                last_change=last_change,
                last_author=revision.author if revision is not None else None,
            )
        )
    return rows


def _annotation(article: Article, name: str) -> Any:
    """A value added by .annotate(), which the model's type does not know about."""
    return getattr(article, name)


def _row_title(
    language: str, translations: dict[str, ArticleTranslation], revision: ArticleRevision | None
) -> tuple[str, str]:
    """The title in the page's language, else in another language, else the newest draft's."""
    if language in translations:
        return language, translations[language].title
    for code in languages():
        if code in translations:
            return code, translations[code].title
    if revision is not None:
        return revision.language, revision.title
    return language, ""


def _last_update(translations: dict[str, ArticleTranslation]) -> datetime | None:
    return max((t.updated_at for t in translations.values()), default=None)
