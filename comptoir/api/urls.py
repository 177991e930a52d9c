"""/api/v1/: the API, its schema and its reference page; every other address under /api/ is a 404 problem."""

from __future__ import annotations

from django.urls import path, re_path

from comptoir.api import (
    agent_views,
    docs_views,
    editor_views,
    field_views,
    file_views,
    helpcenter_views,
    people_views,
    tool_views,
    views,
)

app_name = "api"

urlpatterns = [
    path("v1/tickets/", views.TicketsView.as_view(), name="tickets"),
    path("v1/tickets/<int:reference>/", views.TicketView.as_view(), name="ticket"),
    path("v1/tickets/<int:reference>/messages/", views.MessagesView.as_view(), name="messages"),
    path(
        "v1/tickets/<int:reference>/attachments/<int:attachment_id>/",
        file_views.AttachmentView.as_view(),
        name="attachment",
    ),
    path("v1/tickets/<int:reference>/merge/", agent_views.MergeView.as_view(), name="merge"),
    path("v1/tickets/<int:reference>/sla/", agent_views.SlaView.as_view(), name="sla"),
    path(
        "v1/tickets/<int:reference>/macros/<int:macro_id>/apply/",
        tool_views.MacroApplyView.as_view(),
        name="macro_apply",
    ),
    path("v1/uploads/", file_views.UploadsView.as_view(), name="uploads"),
    path("v1/views/", tool_views.ViewsView.as_view(), name="views"),
    path("v1/views/<int:view_id>/tickets/", tool_views.ViewTicketsView.as_view(), name="view_tickets"),
    path("v1/macros/", tool_views.MacrosView.as_view(), name="macros"),
    path("v1/ticket-fields/", field_views.TicketFieldsView.as_view(), name="ticket_fields"),
    path("v1/tags/", agent_views.TagsView.as_view(), name="tags"),
    path("v1/groups/", agent_views.GroupsView.as_view(), name="groups"),
    path("v1/requesters/", people_views.RequestersView.as_view(), name="requesters"),
    path("v1/requesters/<int:user_id>/", people_views.RequesterView.as_view(), name="requester"),
    path("v1/agents/", people_views.AgentsView.as_view(), name="agents"),
    path("v1/agents/<int:user_id>/", people_views.AgentDetailView.as_view(), name="agent"),
    path("v1/organisations/", people_views.OrganisationsView.as_view(), name="organisations"),
    path(
        "v1/organisations/<int:organisation_id>/",
        people_views.OrganisationView.as_view(),
        name="organisation",
    ),
    path("v1/satisfaction/", people_views.SatisfactionView.as_view(), name="satisfaction"),
    path("v1/helpcenter/categories/", helpcenter_views.CategoriesView.as_view(), name="hc_categories"),
    path("v1/helpcenter/sections/", helpcenter_views.SectionsView.as_view(), name="hc_sections"),
    path("v1/helpcenter/articles/", editor_views.ArticlesView.as_view(), name="hc_articles"),
    path("v1/helpcenter/articles/<int:article_id>/", helpcenter_views.ArticleView.as_view(), name="hc_article"),
    path(
        "v1/helpcenter/articles/<int:article_id>/translations/<slug:language>/",
        editor_views.ArticleTranslationView.as_view(),
        name="hc_article_translation",
    ),
    path(
        "v1/helpcenter/articles/<int:article_id>/unpublish/",
        editor_views.ArticleUnpublishView.as_view(),
        name="hc_article_unpublish",
    ),
    path("v1/me/", views.MeView.as_view(), name="me"),
    path("v1/schema/", docs_views.SchemaView.as_view(), name="schema"),
    path("v1/docs/", docs_views.reference, name="docs"),
    path("v1/problems/<slug:kind>", docs_views.problem_type, name="problem"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not_found"),
]
