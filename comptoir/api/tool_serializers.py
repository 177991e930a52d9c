"""What the API reads and writes for the agents' tools: saved views, canned replies, and the article editor.

Kept apart from comptoir.api.serializers (tickets, messages, people): each of
these mirrors one page of the workspace, and is read with it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from comptoir.api.serializers import Flag, GroupSerializer, TicketSerializer, page_of
from comptoir.tickets.models import Priority, Status, TicketType
from comptoir.tickets.tags import tag_names


class SavedViewSerializer(serializers.Serializer[Any]):  # Any: a page of views
    """A saved view as the workspace's side bar lists it: the team's, a group's, or the caller's own."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(
        source="label", read_only=True, help_text=_("A built-in view's name is in the caller's language.")
    )
    visibility = serializers.ChoiceField(
        choices=[("personal", "personal"), ("group", "group"), ("everyone", "everyone")], read_only=True
    )
    group = GroupSerializer(read_only=True, allow_null=True, help_text=_("The group it is shown to, if one."))
    built_in = serializers.CharField(
        source="key", read_only=True, help_text=_("The built-in view it began as (mine, unassigned…), or blank.")
    )
    params = serializers.CharField(
        read_only=True, help_text=_("Its filters, search and sort, as the workspace list's address holds them.")
    )
    tickets_url = serializers.SerializerMethodField(help_text=_("Its tickets, page by page."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_tickets_url(self, view: Any) -> str:
        path = reverse("api:view_tickets", args=[view.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


SavedViewPageSerializer = page_of(SavedViewSerializer(many=True), "SavedViewPageSerializer")


class ViewTicketPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TicketSerializer(many=True)
    notices = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("What the view's search did not understand, in the caller's language."),
    )


class MacroSerializer(serializers.Serializer[Any]):  # Any: a page of canned replies
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(
        read_only=True,
        help_text=_(
            "Its text, with placeholders ({requester_name}, {ticket_reference}, {ticket_subject}, {agent_name})."
        ),
    )
    body_fr = serializers.CharField(read_only=True, help_text=_("Its text for a French ticket, if any."))
    body_en = serializers.CharField(read_only=True, help_text=_("Its text for an English ticket, if any."))
    status = serializers.ChoiceField(
        choices=[("", ""), *Status.choices], read_only=True, help_text=_("The status it sets, or blank.")
    )
    priority = serializers.ChoiceField(choices=[("", ""), *Priority.choices], read_only=True)
    type = serializers.ChoiceField(choices=[("", ""), *TicketType.choices], read_only=True)
    add_tags = serializers.SerializerMethodField(help_text=_("The tags it adds."))

    def get_add_tags(self, macro: Any) -> list[str]:
        return list(tag_names(macro.add_tags))


MacroPageSerializer = page_of(MacroSerializer(many=True), "MacroPageSerializer")


class MacroApplySerializer(serializers.Serializer[Any]):
    is_public = Flag(default=True, help_text=_("True: its text is a public reply, e-mailed; false: an internal note."))


class ArticleTranslationWriteSerializer(serializers.Serializer[Any]):
    """One language of an article, as the editor's form takes it."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    body_markdown = serializers.CharField(max_length=100_000)
    published = Flag(
        default=False,
        help_text=_(
            "True: readers see this text at once (the editor's Publish). False: a draft, the published text"
            " stays as it is (Save draft)."
        ),
    )

    def validate_title(self, title: str) -> str:
        title = title.strip()
        if not title:
            raise serializers.ValidationError(_("Write a title."), code="blank")
        return title


class ArticleCreateSerializer(ArticleTranslationWriteSerializer):
    section = serializers.IntegerField(min_value=1, help_text=_("The section the article goes in: its id."))
    language = serializers.ChoiceField(choices=settings.LANGUAGES, help_text=_("The language of this first text."))


class ArticleStateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    section = serializers.IntegerField(source="section_id", read_only=True)
    published = serializers.BooleanField(
        source="is_published", read_only=True, help_text=_("Whether the Help Center shows it.")
    )


class ArticleRevisionSerializer(serializers.Serializer[Any]):
    """What was saved: the editor's new revision of the article in this language."""

    article = serializers.IntegerField(source="article_id", read_only=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, read_only=True)
    title = serializers.CharField(read_only=True)
    slug = serializers.CharField(
        read_only=True, help_text=_("Made from the title, as the editor makes it: the article's address.")
    )
    summary = serializers.CharField(read_only=True)
    body_markdown = serializers.CharField(read_only=True)
    published = serializers.SerializerMethodField(help_text=_("Whether this text is the one readers see."))
    saved_at = serializers.DateTimeField(source="created_at", read_only=True)
    web_url = serializers.SerializerMethodField(help_text=_("The article's Help Center page, once published."))

    def get_published(self, revision: Any) -> bool:
        return bool(revision.kind == "published")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_web_url(self, revision: Any) -> str | None:
        if revision.kind != "published":
            return None
        with translation.override(revision.language):
            path = reverse("article_detail", args=[revision.article_id, revision.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
