"""The logo, served from the branding row: public like the Help Center that shows it."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from comptoir.branding.logos import EXTENSIONS
from comptoir.branding.models import SINGLETON_ID, Branding

# The address holds the content's hash: a new logo gets a new address, so this one may be kept for a year.
LONG_CACHE = "public, max-age=31536000, immutable"


@require_GET
def logo(request: HttpRequest, digest: str, extension: str) -> FileResponse:
    row = Branding.objects.filter(pk=SINGLETON_ID).only("logo", "logo_hash", "logo_content_type").first()
    if row is None or not row.logo or row.logo_hash != digest or EXTENSIONS.get(row.logo_content_type) != extension:
        raise Http404
    response = FileResponse(row.logo.open("rb"), content_type=row.logo_content_type)
    response["Cache-Control"] = LONG_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    # An image needs no script, style or frame, whatever a browser may be talked into reading it as.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
