from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API under /api/v1/ (docs/api.md), and the page where people make their API tokens."""

    name = "comptoir.api"
    label = "api"

    def ready(self) -> None:
        # The schema module registers how the OpenAPI schema describes tokens.
        from comptoir.api import schema  # noqa: F401
        from comptoir.api.idempotency import idempotency_keys_purge
        from comptoir.api.uploads import uploads_purge
        from comptoir.core.purge import purger

        purger("api_idempotency_keys", idempotency_keys_purge)
        purger("api_uploads", uploads_purge)
