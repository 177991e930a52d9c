"""One row holds the branding; no row means the look Comptoir ships with."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy

# The row's fixed primary key: there is one branding for the whole site.
SINGLETON_ID = 1


def logo_path(instance: Branding, filename: str) -> str:
    # Random like the attachments' names: the uploaded file's name never builds a path.
    return f"branding/{uuid.uuid4().hex}"


class Branding(models.Model):
    name_fr = models.CharField(gettext_lazy("name in French"), max_length=80, blank=True)
    name_en = models.CharField(gettext_lazy("name in English"), max_length=80, blank=True)
    # "#rrggbb", lower case, or "" for the shipped colour.
    colour = models.CharField(gettext_lazy("main colour"), max_length=7, blank=True)
    logo = models.FileField(gettext_lazy("logo"), upload_to=logo_path, max_length=200, blank=True)
    # The stored image's SHA-256 prefix: its address changes with its content, so browsers may keep it for a year.
    logo_hash = models.CharField(max_length=16, blank=True)
    logo_content_type = models.CharField(max_length=40, blank=True)
    # [{"label_fr": ..., "label_en": ..., "url": "https://..."}], in the order shown.
    footer_links = models.JSONField(gettext_lazy("footer links"), default=list, blank=True)
    signature_fr = models.TextField(gettext_lazy("e-mail signature in French"), blank=True)
    signature_en = models.TextField(gettext_lazy("e-mail signature in English"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("branding")
        verbose_name_plural = gettext_lazy("branding")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
