from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from comptoir.branding.selectors import brand_for_request


def brand(request: HttpRequest) -> dict[str, object]:
    # Lazy: a page that never shows the branding (the workspace, the API's pages) runs no query for it.
    return {"brand": SimpleLazyObject(lambda: brand_for_request(request))}
