"""The history of Help Center articles as editors write them: one immutable row per save."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.helpcenter.models import Article


class RevisionKind(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")


class ArticleRevision(models.Model):
    """What one language of an article looked like after someone saved, published or unpublished it.

    Rows are only ever appended (services.py): the live text stays in
    helpcenter.ArticleTranslation, written only on publish.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    language = models.CharField(_("language"), max_length=8)
    kind = models.CharField(_("kind"), max_length=16, choices=RevisionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body_markdown = models.TextField(_("body (Markdown)"), blank=True)
    # Kept when the person leaves: the history still says a change happened.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=("article", "language", "-id"), name="revision_newest_per_language")]
        permissions = [("edit_articles", "Can write and publish Help Center articles")]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")

    def __str__(self) -> str:
        return f"{self.article_id} {self.language} {self.kind} #{self.pk}"


def _image_token() -> str:
    return secrets.token_urlsafe(16)


def article_image_path(instance: ArticleImage, filename: str) -> str:
    # A name of our own: nothing the uploader typed reaches the storage's paths.
    return f"article-images/{instance.article_id}/{instance.token}.{instance.extension}"


class ArticleImage(models.Model):
    """An image uploaded into an article's text, served by comptoir.editor.image_views.

    Its address holds a random token, so an image written into a draft cannot be guessed
    before the article is published; the row says what the stored bytes are, so the
    serving view never guesses either.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    token = models.CharField(max_length=32, unique=True, default=_image_token, editable=False)
    file = models.FileField(upload_to=article_image_path, max_length=200)
    content_type = models.CharField(max_length=32)
    extension = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)
        verbose_name = _("article image")
        verbose_name_plural = _("article images")

    def __str__(self) -> str:
        return f"{self.token}.{self.extension}"
