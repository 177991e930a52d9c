"""Attachments on S3-compatible storage, kept private (COMPTOIR_STORAGE=s3, docs/deploy.md).

The bucket is never read by browsers: no public ACL, no public URL. A file goes
out only through a view that checked who asks (portal.ticket_views,
api.file_views), which reads it from here with ``open_for_download`` and sends
it with its own headers (a download, nosniff, no-store). What the local
filesystem does by default, S3 does the same way: the rest of Comptoir sees
Django's storage API and nothing else.
"""

from __future__ import annotations

from typing import IO, Any, cast

from django.db.models.fields.files import FieldFile
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


def open_for_download(file: FieldFile) -> IO[bytes]:
    """The stored bytes of ``file``, read as they are sent.

    On S3 the object's body streams from the service chunk by chunk (django-storages'
    own file would first copy it whole); elsewhere it is the storage's file.
    """
    storage = file.storage
    if isinstance(storage, PrivateS3Storage):
        body = storage.bucket.Object(storage._normalize_name(file.name)).get()["Body"]
        return cast(IO[bytes], body)
    return cast(IO[bytes], file.open("rb"))
