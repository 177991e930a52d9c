"""Help Center content: categories of sections of articles, each translated into French and English."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """The top level of the Help Center: a few categories, each grouping sections."""

    key = models.SlugField(unique=True, help_text=_("Stable identifier used by the demo loader."))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.key


class GroupTranslation(models.Model):
    """What a category and a section show in one language: the same fields for both."""

    language = models.CharField(max_length=8)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


class CategoryTranslation(GroupTranslation):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="translations")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("category", "language"), name="category_one_translation_per_language")
        ]
        verbose_name = _("category translation")
        verbose_name_plural = _("category translations")


class Section(models.Model):
    key = models.SlugField(unique=True, help_text=_("Stable identifier used by the demo loader."))
    # Optional so that a Help Center may stay flat; sections without one are listed after the categories.
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="sections")
    position = models.PositiveIntegerField(default=0)
    icon = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.key


class SectionTranslation(GroupTranslation):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="translations")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("section", "language"), name="section_one_translation_per_language")
        ]
        verbose_name = _("section translation")
        verbose_name_plural = _("section translations")


class Article(models.Model):
    key = models.SlugField(unique=True)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    position = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=True)
    # Chosen by editors (editor.services.article_promote) for the Help Center home's "Featured articles".
    is_promoted = models.BooleanField(_("promoted on the home page"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.key


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body_markdown = models.TextField()
    # Rendered once on save, sanitised, so pages never run Markdown per request.
    body_html = models.TextField(editable=False)
    toc = models.JSONField(default=list, editable=False)
    # The body's words without markup, for search and its excerpts.
    body_text = models.TextField(default="", editable=False)
    # PostgreSQL only (title A, summary B, body C), written by article_translation_save;
    # SQLite carries the empty column and searches its FTS5 table instead (search_index.py).
    search_vector = SearchVectorField(null=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("article", "language"), name="article_one_translation_per_language")
        ]
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")

    def __str__(self) -> str:
        return self.title


class ArticleVote(models.Model):
    """One "Was this article helpful?" answer per person and article; the person may change it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    language = models.CharField(max_length=8)
    # "user:<id>" for someone logged in, else "session:<sha256 of the session key>":
    # the session key itself, a credential, is never stored.
    voter = models.CharField(max_length=80)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("article", "voter"), name="one_vote_per_person_per_article")]
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")

    def __str__(self) -> str:
        return f"{self.voter} on {self.article_id}: {'yes' if self.helpful else 'no'}"


class SearchWord(models.Model):
    """A word the articles of one language hold, so that search can correct a reader's typo.

    Written by search_words.words_remember whenever a translation is saved, and never
    pruned: a correction is only offered when the corrected words find published
    articles, so a word left behind by an edited or unpublished article is never shown.
    SQLite reads it through a trigram FTS5 table its triggers keep (search_words.py),
    PostgreSQL through a pg_trgm GiST index.
    """

    language = models.CharField(max_length=8)
    # Lower case without accents: what is compared ("ecran").
    folded = models.CharField(max_length=40)
    # Lower case as an article writes it: what a "Did you mean" shows ("écran").
    word = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("language", "folded"), name="one_search_word_per_language")]
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.word


class ArticleDailyViews(models.Model):
    """How many readers read an article on one day, for the Help Center's "Most read" lists.

    One row per article and day, counted by comptoir.helpcenter.reads: a reader is counted
    once a day per article, agents and robots not at all. Each count is one upsert
    (services.article_view_count), so a read never loads the row nor takes a lock for long.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="daily_views")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("article", "day"), name="one_view_count_per_article_per_day")]
        verbose_name = _("article views on a day")
        verbose_name_plural = _("article views by day")

    def __str__(self) -> str:
        return f"{self.article_id} on {self.day}: {self.views}"
