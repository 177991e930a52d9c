"""Article images as readers' browsers fetch them, at /articles/images/<token>.<extension>.

Outside the language prefix, since one image serves every translation of the article.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from comptoir.core.storage import open_for_download
from comptoir.editor import images
from comptoir.editor.access import can_edit_articles
from comptoir.editor.models import ArticleImage


@require_GET
def article_image(request: HttpRequest, token: str, extension: str) -> FileResponse:
    """Anyone may see the images of a published article; only editors those of an article not yet published."""
    image = ArticleImage.objects.select_related("article").filter(token=token, extension=extension).first()
    if image is None:
        raise Http404
    public = image.article.is_published
    if not public and not can_edit_articles(request.user):
        raise Http404
    # Only the raster types image_prepare accepts are shown in the page; anything else would be a download.
    inline = images.TYPES.get(image.content_type, (None, None))[1] == image.extension
    response = FileResponse(
        open_for_download(image.file),
        content_type=image.content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=f"{image.token}.{image.extension}",
    )
    response["Content-Length"] = str(image.size)
    response["X-Content-Type-Options"] = "nosniff"
    # An image needs no script, style or frame, whatever a browser may be talked into reading it as.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # A published article's image is for everyone; a draft's stays out of shared caches.
    response["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    return response
