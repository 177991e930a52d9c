"""``{% new_ticket_url %}``: the "New support ticket" address, saying which Help Center page it was on."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.http import HttpRequest
from django.urls import reverse

from comptoir.ticketforms.context import HELP_CENTER_PAGES

register = template.Library()


@register.simple_tag(takes_context=True)
def new_ticket_url(context: template.Context, **extra: str) -> str:
    """/tickets/new/?from=<this page's path> on a Help Center page, plain /tickets/new/ elsewhere.

    ``extra`` adds query parameters (form=<slug>); a ``came_from`` already validated by the
    ticket form's view is carried along from the form picker.
    """
    request: HttpRequest | None = context.get("request")
    params = {name: value for name, value in extra.items() if value}
    came_from = params.pop("came_from", "")
    match = getattr(request, "resolver_match", None)
    if request is not None and match is not None and match.url_name in HELP_CENTER_PAGES and not match.namespace:
        came_from = request.path
    if came_from:
        params["from"] = came_from
    address = reverse("ticket_new")
    return f"{address}?{urlencode(params)}" if params else address
