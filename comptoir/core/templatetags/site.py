"""The site's name where no context processor runs: the 500 page, drawn without a request."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return str(settings.COMPTOIR_SITE_NAME)
