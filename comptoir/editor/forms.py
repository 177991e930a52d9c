from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from comptoir.editor import images, selectors
from comptoir.editor.images import PreparedImage
from comptoir.helpcenter.models import Section


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=500,
        required=False,
        help_text=_("One sentence shown under the title in lists and search results."),
    )
    body_markdown = forms.CharField(
        label=_("Body"),
        # Markdown can be long; one article should still fit comfortably in a request.
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 22, "class": "mono", "spellcheck": "true"}),
        help_text=_("Markdown: ## for a heading, **bold**, - for a list, [text](https://…) for a link."),
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The text is in the article's language, whatever the page's language.
        for name in ("title", "summary", "body_markdown"):
            self.fields[name].widget.attrs["lang"] = language

    def clean_title(self) -> str:
        title: str = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Write a title."))
        return title


class SectionChoiceField(forms.ModelChoiceField[Section]):
    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        self.language = language
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Section) -> str:
        return selectors.section_label(obj, self.language)


class NewArticleForm(ArticleForm):
    field_order = ("section", "language", "title", "summary", "body_markdown")

    section = SectionChoiceField(queryset=Section.objects.none(), label=_("Section"), language="fr")
    language = forms.ChoiceField(label=_("Language of this text"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, page_language: str, **kwargs: Any) -> None:
        data = args[0] if args else kwargs.get("data")
        language = data.get("language", page_language) if data else page_language
        super().__init__(*args, language=language if language in dict(settings.LANGUAGES) else page_language, **kwargs)
        section = self.fields["section"]
        assert isinstance(section, SectionChoiceField)
        section.queryset = selectors.sections()
        section.language = page_language
        self.fields["language"].initial = page_language


class ImageForm(forms.Form):
    """An image to insert into the text being written; the text itself comes with ArticleForm."""

    image = forms.FileField(
        label=_("Image"),
        # The uploader's file name is never kept (models.article_image_path); this only bounds what is accepted.
        max_length=255,
        widget=forms.FileInput(attrs={"accept": images.ACCEPT_ATTRIBUTE}),
    )
    image_alt = forms.CharField(
        label=_("What the image shows"),
        max_length=200,
        required=False,
        help_text=_("Read aloud to people who cannot see it, and shown if it does not load."),
    )
    # Where the cursor was in the text (set by editor-images.js); the end of the text without it.
    cursor = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_image(self) -> PreparedImage:
        upload = self.cleaned_data["image"]
        # Refused by its size before it is read into memory.
        images.check_size(upload.size)
        return images.image_prepare(upload.read())
