"""The editor's pages, mounted under /<language>/agent/articles/ by comptoir/urls.py."""

from __future__ import annotations

from django.urls import path

from comptoir.editor import views

urlpatterns = [
    path("", views.article_list, name="editor_articles"),
    path("new/", views.article_new, name="editor_article_new"),
    path("<int:pk>/<str:language>/", views.article_edit, name="editor_article"),
    path("<int:pk>/<str:language>/preview/", views.article_preview, name="editor_article_preview"),
    path("<int:pk>/<str:language>/draft/", views.article_draft, name="editor_article_draft"),
    path("<int:pk>/<str:language>/publish/", views.article_publish, name="editor_article_publish"),
    path("<int:pk>/<str:language>/unpublish/", views.article_unpublish, name="editor_article_unpublish"),
    path("<int:pk>/<str:language>/promote/", views.article_promote, name="editor_article_promote"),
    path("<int:pk>/<str:language>/image/", views.article_image, name="editor_article_image"),
]
