"""/api/v1/: the API, its schema and its reference page; every other address under /api/ is a 404 problem."""

from __future__ import annotations

from django.urls import path, re_path

from comptoir.api import docs_views, views

app_name = "api"

urlpatterns = [
    path("v1/tickets/", views.TicketsView.as_view(), name="tickets"),
    path("v1/tickets/<int:reference>/", views.TicketView.as_view(), name="ticket"),
    path("v1/tickets/<int:reference>/messages/", views.MessagesView.as_view(), name="messages"),
    path("v1/me/", views.MeView.as_view(), name="me"),
    path("v1/schema/", docs_views.SchemaView.as_view(), name="schema"),
    path("v1/docs/", docs_views.reference, name="docs"),
    path("v1/problems/<slug:kind>", docs_views.problem_type, name="problem"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not_found"),
]
