from __future__ import annotations

from typing import Any

from django import template

from comptoir.editor import access

register = template.Library()


@register.filter
def can_edit_articles(user: Any) -> bool:
    return access.can_edit_articles(user)
