"""The demo Help Center: French and English articles shipped in demo_content/.

Loading is idempotent: every row is found by its stable key and updated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify

from comptoir.helpcenter.models import Article, Category, CategoryTranslation, SectionTranslation
from comptoir.helpcenter.services import article_translation_save, section_get_or_create

CONTENT_DIR = Path(__file__).resolve().parent / "demo_content"
_ARTICLE_LINK = re.compile(r"\]\(article:([a-z0-9-]+)\)")


@dataclass(frozen=True)
class ArticleSource:
    key: str
    language: str
    section: str
    position: int
    title: str
    slug: str
    summary: str
    body: str


def parse_article(path: Path) -> ArticleSource:
    """Read `<key>.<language>.md`: a `---` front-matter block of `name: value` lines, then Markdown."""
    key, language, _ = path.name.rsplit(".", 2)
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = dict(line.split(":", 1) for line in front.strip().splitlines())
    meta = {name.strip(): value.strip() for name, value in meta.items()}
    return ArticleSource(
        key=key,
        language=language,
        section=meta["section"],
        position=int(meta["position"]),
        title=meta["title"],
        slug=meta["slug"],
        summary=meta.get("summary", ""),
        body=body.strip() + "\n",
    )


def _link_articles(body: str, language: str, urls: dict[tuple[str, str], str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return f"]({urls.get((match.group(1), language), '#')})"

    return _ARTICLE_LINK.sub(replace, body)


@transaction.atomic
def load_demo_content(content_dir: Path = CONTENT_DIR) -> tuple[int, int]:
    """Create or update the demo categories, sections and articles; returns (sections, article translations)."""
    config = tomllib.loads((content_dir / "sections.toml").read_text(encoding="utf-8"))
    categories = {}
    for entry in config.get("category", []):
        category, _ = Category.objects.update_or_create(key=entry["key"], defaults={"position": entry["position"]})
        categories[entry["key"]] = category
        for language in ("fr", "en"):
            CategoryTranslation.objects.update_or_create(
                category=category,
                language=language,
                defaults={
                    "title": entry[f"title_{language}"],
                    "slug": slugify(entry[f"title_{language}"]),
                    "description": entry.get(f"description_{language}", ""),
                },
            )
    sections = {}
    for entry in config["section"]:
        section = section_get_or_create(
            key=entry["key"],
            position=entry["position"],
            icon=entry.get("icon", ""),
            category=categories.get(entry.get("category", "")),
        )
        sections[entry["key"]] = section
        for language in ("fr", "en"):
            SectionTranslation.objects.update_or_create(
                section=section,
                language=language,
                defaults={
                    "title": entry[f"title_{language}"],
                    "slug": slugify(entry[f"title_{language}"]),
                    "description": entry.get(f"description_{language}", ""),
                },
            )
    sources = [parse_article(path) for path in sorted((content_dir / "articles").glob("*.md"))]
    # Featured on the home page when first loaded only: an editor's later choice survives a reload.
    promoted = set(config.get("promoted", []))
    articles = {}
    for source in sources:
        defaults = {"section": sections[source.section], "position": source.position}
        article, _ = Article.objects.update_or_create(
            key=source.key, defaults=defaults, create_defaults={**defaults, "is_promoted": source.key in promoted}
        )
        articles[source.key] = article
    urls = {}
    for source in sources:
        with translation.override(source.language):
            urls[(source.key, source.language)] = reverse(
                "article_detail", kwargs={"pk": articles[source.key].pk, "slug": source.slug}
            )
    for source in sources:
        article_translation_save(
            article=articles[source.key],
            language=source.language,
            title=source.title,
            slug=source.slug,
            summary=source.summary,
            body_markdown=_link_articles(source.body, source.language, urls),
        )
    return len(sections), len(sources)
