"""Attachments on S3-compatible storage, kept private (COMPTOIR_STORAGE=s3, docs/deploy.md).

The bucket is never read by browsers: no public ACL, no public URL. A file goes
out only through a view that checked who asks (portal.ticket_views,
api.file_views), which reads it from here with ``open_for_download`` and sends
it with its own headers (a download, nosniff, no-store). What the local
filesystem does by default, S3 does the same way: the rest of Comptoir sees
Django's storage API and nothing else.
"""

from __future__ import annotations

import sys
from typing import IO, Any, cast

from django.db.models.fields.files import FieldFile

_S3_MODULE = "comptoir.core.storage_s3"


def __getattr__(name: str) -> Any:
    """``comptoir.core.storage.PrivateS3Storage`` (the name settings give) imports boto3 only when asked for."""
    if name == "PrivateS3Storage":
        from comptoir.core.storage_s3 import PrivateS3Storage

        return PrivateS3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_for_download(file: FieldFile) -> IO[bytes]:
    """The stored bytes of ``file``, read as they are sent.

    On S3 the object's body streams from the service chunk by chunk (django-storages'
    own file would first copy it whole); elsewhere it is the storage's file.
    """
    storage = file.storage
    # Not imported, no S3 storage built: the module is loaded once settings name the class.
    s3 = sys.modules.get(_S3_MODULE)
    if s3 is not None and isinstance(storage, s3.PrivateS3Storage):
        body = storage.bucket.Object(storage._normalize_name(file.name)).get()["Body"]
        return cast(IO[bytes], body)
    return cast(IO[bytes], file.open("rb"))
