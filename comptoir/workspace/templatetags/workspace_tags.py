"""What every agent page's shell needs without asking the database."""

from __future__ import annotations

from django import template

from comptoir.workspace.selectors import VIEWS, TicketView

register = template.Library()


@register.simple_tag
def fixed_views() -> tuple[TicketView, ...]:
    """The fixed views, for the side bar of a page that fetches their counts after it shows."""
    return VIEWS
