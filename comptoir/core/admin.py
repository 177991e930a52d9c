"""The Django admin's own titles: Comptoir's name, in the reader's language."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _administration() -> str:
    return gettext("%(site_name)s administration") % {"site_name": settings.COMPTOIR_SITE_NAME}


# Lazy: the language is the request's, known only when a page is drawn.
admin.site.site_header = lazy(_administration, str)()
admin.site.site_title = lazy(_administration, str)()
# What the admin keeps: everything the workspace's own settings pages do not.
admin.site.index_title = _("Settings and records")
