"""Where the words a workspace search sought are in each ticket it found: the excerpts under the list's rows.

What a search selects is comptoir.tickets.search's, shared with the API.
"""

from __future__ import annotations

from comptoir.helpcenter.search import excerpt_html
from comptoir.helpcenter.search_index import MARK_END, MARK_START
from comptoir.tickets.search import sought_terms
from comptoir.tickets.search_index import message_excerpts
from comptoir.tickets.search_query import SearchQuery


def search_excerpts(query: SearchQuery, ticket_ids: list[int]) -> dict[int, str]:
    """Safe HTML by ticket id: where the words sought are in each ticket's newest message holding them."""
    passages = message_excerpts(ticket_ids, sought_terms(query), start=MARK_START, stop=MARK_END)
    return {ticket_id: str(excerpt_html(passage)) for ticket_id, passage in passages.items()}
