"""Writing Help Center articles from the workspace: every change appends one revision.

Publishing goes through helpcenter.services.article_translation_save, the one
write path that renders, sanitises and indexes the live text.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from comptoir.accounts.models import User
from comptoir.editor.images import PreparedImage
from comptoir.editor.models import ArticleImage, ArticleRevision, RevisionKind
from comptoir.helpcenter.models import Article, ArticleTranslation, Section
from comptoir.helpcenter.services import article_translation_save

KEY_MAX_LENGTH = 50  # Article.key is a SlugField of 50 characters.
SLUG_MAX_LENGTH = 200


def slug_for(title: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """ASCII only, so addresses stay readable everywhere; a title of symbols still gets one."""
    return slugify(title, allow_unicode=False)[:max_length].strip("-") or "article"


def _unique_key(title: str) -> str:
    base = slug_for(title, KEY_MAX_LENGTH - 4)
    taken = set(Article.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def _append(
    *, article: Article, language: str, kind: str, title: str, summary: str, body_markdown: str, author: User | None
) -> ArticleRevision:
    return ArticleRevision.objects.create(
        article=article,
        language=language,
        kind=kind,
        title=title,
        slug=slug_for(title),
        summary=summary,
        body_markdown=body_markdown,
        author=author,
    )


@transaction.atomic
def article_create(
    *, section: Section, language: str, title: str, summary: str, body_markdown: str, author: User
) -> Article:
    """A new article, hidden from the Help Center until someone publishes it, with its first draft."""
    last = Article.objects.filter(section=section).aggregate(last=Max("position"))["last"]
    article = Article.objects.create(
        key=_unique_key(title),
        section=section,
        position=(last or 0) + 1,
        is_published=False,
    )
    article_draft_save(
        article=article, language=language, title=title, summary=summary, body_markdown=body_markdown, author=author
    )
    return article


@transaction.atomic
def article_draft_save(
    *, article: Article, language: str, title: str, summary: str, body_markdown: str, author: User
) -> ArticleRevision:
    """Keep the text without touching what readers see."""
    return _append(
        article=article,
        language=language,
        kind=RevisionKind.DRAFT,
        title=title,
        summary=summary,
        body_markdown=body_markdown,
        author=author,
    )


@transaction.atomic
def article_publish(
    *, article: Article, language: str, title: str, summary: str, body_markdown: str, author: User
) -> ArticleRevision:
    """Make this text the live one in this language and show the article in the Help Center."""
    # Lock the article row so two editors publishing at once are applied one after the other.
    article = Article.objects.select_for_update().get(pk=article.pk)
    revision = _append(
        article=article,
        language=language,
        kind=RevisionKind.PUBLISHED,
        title=title,
        summary=summary,
        body_markdown=body_markdown,
        author=author,
    )
    article_translation_save(
        article=article,
        language=language,
        title=revision.title,
        slug=revision.slug,
        summary=revision.summary,
        body_markdown=revision.body_markdown,
    )
    if not article.is_published:
        article.is_published = True
        article.save(update_fields=["is_published"])
    return revision


@transaction.atomic
def article_unpublish(*, article: Article, author: User) -> list[ArticleRevision]:
    """Hide the article in every language; each published language's history records the text hidden.

    Drafts stay drafts: the editor form and the "draft pending" mark ignore unpublished revisions.
    """
    article = Article.objects.select_for_update().get(pk=article.pk)
    article.is_published = False
    article.save(update_fields=["is_published"])
    return [
        _append(
            article=article,
            language=live.language,
            kind=RevisionKind.UNPUBLISHED,
            title=live.title,
            summary=live.summary,
            body_markdown=live.body_markdown,
            author=author,
        )
        for live in ArticleTranslation.objects.filter(article=article).order_by("language")
    ]


def article_promote(*, article: Article, promoted: bool) -> Article:
    """Feature the article on the Help Center home (or stop): it shows there while it is published."""
    if article.is_promoted != promoted:
        article.is_promoted = promoted
        article.save(update_fields=["is_promoted"])
    return article


def article_image_add(*, article: Article, image: PreparedImage, uploaded_by: User) -> ArticleImage:
    """Keep an image for the article's text (accepted and shrunk by images.image_prepare)."""
    row = ArticleImage(
        article=article,
        content_type=image.content_type,
        extension=image.extension,
        width=image.width,
        height=image.height,
        size=len(image.data),
        sha256=image.sha256,
        uploaded_by=uploaded_by,
    )
    # Saving the file saves the row, once the storage has the bytes.
    row.file.save(row.extension, ContentFile(image.data), save=True)
    return row
