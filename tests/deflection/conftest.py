"""Articles to suggest, and the addresses of the suggestion endpoints."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.helpcenter.models import Article, ArticleTranslation, Section
from comptoir.helpcenter.services import article_translation_save

VISIT = "0123456789abcdef0123456789abcdef"
OTHER_VISIT = "fedcba9876543210fedcba9876543210"


def url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


@pytest.fixture
def section(db) -> Section:
    return Section.objects.create(key="deflection-tests")


@pytest.fixture
def write(section):
    def make(key: str, language: str, title: str, body: str, *, published: bool = True) -> ArticleTranslation:
        article, _ = Article.objects.get_or_create(key=key, defaults={"section": section, "is_published": published})
        return article_translation_save(
            article=article, language=language, title=title, slug=key, summary="", body_markdown=body
        )

    return make
