"""Development-only pages under /dev/ (every view answers 404 with DEBUG off)."""

from __future__ import annotations

from django.urls import path

from comptoir.devoutbox import views

urlpatterns = [
    path("outbox/", views.outbox_list, name="outbox_list"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<int:pk>/html/", views.outbox_html, name="outbox_html"),
    path("errors/<int:status>/", views.error_page, name="dev_error_page"),
]
