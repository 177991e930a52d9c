"""The article editor in the workspace: list, new article, edit, preview, publish, unpublish."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.accounts.models import User
from comptoir.core.typography import file_size
from comptoir.editor import images, selectors, services
from comptoir.editor.access import can_edit_articles
from comptoir.editor.forms import ArticleForm, ImageForm, NewArticleForm
from comptoir.helpcenter.models import Article
from comptoir.helpcenter.rendering import render_markdown
from comptoir.workspace.access import Refusal, allowed_only

# Editors only: a visitor is sent to log in, anyone else is refused.
editor_required = allowed_only(lambda request: can_edit_articles(request.user), Refusal.EDITORS_ONLY)


def _editor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page_language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _article(pk: int, language: str) -> Article:
    if language not in dict(settings.LANGUAGES):
        raise Http404
    return get_object_or_404(Article.objects.select_related("section"), pk=pk)


def _public_url(article: Article, language: str, slug: str) -> str:
    with translation.override(language):
        return reverse("article_detail", kwargs={"pk": article.pk, "slug": slug})


def _render_edit(
    request: HttpRequest,
    article: Article,
    language: str,
    form: ArticleForm,
    *,
    state: selectors.EditState | None = None,
    preview: str = "",
    image_form: ImageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    state = state or selectors.edit_state(article, language)
    published = state.published
    context = {
        "article": article,
        "language": language,
        # In the page's language ("French" on an English page), unlike the switcher's own names.
        "language_name": translation.get_language_info(language)["name_translated"],
        "languages": [(code, name) for code, name in settings.LANGUAGES],
        "form": form,
        "preview": preview,
        "state": state,
        "public_url": _public_url(article, language, published.slug) if published and article.is_published else "",
        "history": selectors.revision_history(article, language),
        "image_form": image_form or ImageForm(),
        "image_max_size": file_size(images.MAX_BYTES),
        "image_types": images.ACCEPTED,
        "image_max_width": images.MAX_WIDTH,
    }
    return render(request, "editor/edit.html", context, status=status)


@require_GET
@editor_required
def article_list(request: HttpRequest) -> HttpResponse:
    language = _page_language()
    rows = selectors.article_rows(language)
    return render(request, "editor/list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@editor_required
def article_new(request: HttpRequest) -> HttpResponse:
    form = NewArticleForm(request.POST or None, page_language=_page_language())
    if request.method == "POST":
        if form.is_valid():
            language = form.cleaned_data["language"]
            article = services.article_create(
                section=form.cleaned_data["section"],
                language=language,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                body_markdown=form.cleaned_data["body_markdown"],
                author=_editor(request),
            )
            messages.success(request, gettext("Draft saved. Readers will see the article once it is published."))
            return redirect("editor_article", pk=article.pk, language=language)
        return render(request, "editor/new.html", {"form": form}, status=400)
    return render(request, "editor/new.html", {"form": form})


@require_GET
@editor_required
def article_edit(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    article = _article(pk, language)
    state = selectors.edit_state(article, language)
    initial = {} if state.content is None else vars(state.content)
    return _render_edit(request, article, language, ArticleForm(initial=initial, language=language), state=state)


def _bound_form(request: HttpRequest, pk: int, language: str) -> tuple[Article, ArticleForm]:
    article = _article(pk, language)
    return article, ArticleForm(request.POST, language=language)


@require_POST
@editor_required
def article_preview(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    """Show the typed text as readers would see it; nothing is saved."""
    article, form = _bound_form(request, pk, language)
    if not form.is_valid():
        return _render_edit(request, article, language, form, status=400)
    # render_markdown sanitises its output: what an author types cannot run in this page.
    preview = render_markdown(form.cleaned_data["body_markdown"]).html
    return _render_edit(request, article, language, form, preview=preview)


def _save(request: HttpRequest, pk: int, language: str, write: Callable[..., object], done: str) -> HttpResponse:
    """Save the typed text through ``write`` (a draft, or the live version), or show the form's errors."""
    article, form = _bound_form(request, pk, language)
    if not form.is_valid():
        return _render_edit(request, article, language, form, status=400)
    write(article=article, language=language, author=_editor(request), **form.cleaned_data)
    messages.success(request, done)
    return redirect("editor_article", pk=article.pk, language=language)


@require_POST
@editor_required
def article_draft(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    done = gettext("Draft saved. The published article has not changed.")
    return _save(request, pk, language, services.article_draft_save, done)


@require_POST
@editor_required
def article_publish(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    done = gettext("Published: readers see this version in the Help Center.")
    return _save(request, pk, language, services.article_publish, done)


@require_POST
@editor_required
def article_unpublish(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    article = _article(pk, language)
    services.article_unpublish(article=article, author=_editor(request))
    messages.success(request, gettext("Unpublished: the article is hidden from the Help Center in every language."))
    return redirect("editor_article", pk=article.pk, language=language)


@require_POST
@editor_required
def article_promote(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    article = _article(pk, language)
    promoted = request.POST.get("promoted") == "yes"
    services.article_promote(article=article, promoted=promoted)
    if promoted:
        messages.success(request, gettext("Featured on the Help Center home page while it is published."))
    else:
        messages.success(request, gettext("No longer featured on the Help Center home page."))
    return redirect("editor_article", pk=article.pk, language=language)


@require_POST
@editor_required
def article_image(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    """Keep the uploaded image and put it into the text being written, shown again with its preview.

    The text is not saved: it comes back in the form, with the image where the cursor
    was, for the editor to save or publish as with any other change.
    """
    article, form = _bound_form(request, pk, language)
    image_form = ImageForm(request.POST, request.FILES)
    if not image_form.is_valid():
        return _render_edit(request, article, language, form, image_form=image_form, status=400)
    stored = services.article_image_add(
        article=article, image=image_form.cleaned_data["image"], uploaded_by=_editor(request)
    )
    snippet = images.image_markdown(stored.token, stored.extension, image_form.cleaned_data["image_alt"])
    body = images.body_with_image(request.POST.get("body_markdown", ""), snippet, image_form.cleaned_data["cursor"])
    data = request.POST.copy()
    data["body_markdown"] = body
    form = ArticleForm(data, language=language)
    messages.success(request, gettext("Image added to the text. Save a draft or publish to keep the change."))
    preview = render_markdown(body).html
    return _render_edit(request, article, language, form, preview=preview)
