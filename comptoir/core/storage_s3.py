"""The private S3 bucket's storage class (COMPTOIR_STORAGE=s3), kept apart from comptoir.core.storage.

django-storages' S3 backend imports boto3 and botocore, about 26 MiB in every web
and worker process: an install on local files never imports this module, so it
never pays for them (comptoir.core.storage names the class lazily).
"""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

# A file read whole (exports, backups, e-mail attachments) spills to a temporary
# file past this size instead of growing in memory (django-storages keeps it all
# in memory by default).
_SPOOL_BYTES = 2 * 1024 * 1024


class PrivateS3Storage(S3Storage):  # type: ignore[misc]  # django-storages ships no types
    """django-storages' S3 backend with the choices a help desk's files need, whatever the options say."""

    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        defaults.update(
            # No ACL sent: the object inherits the bucket's, which must stay private.
            default_acl=None,
            # A name already taken gets another one: a file is never replaced in place.
            file_overwrite=False,
            # Were a URL ever asked for, it would be signed and short-lived, never public.
            querystring_auth=True,
            querystring_expire=300,
            custom_domain=None,
            max_memory_size=_SPOOL_BYTES,
        )
        return defaults
