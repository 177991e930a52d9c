"""The raw bytes of every stored inbound e-mail move from the database row to file storage.

Batched, each batch in its own transaction (atomic = False): a large table is not
held in one transaction, and a run stopped half way resumes where it stopped. Idempotent:
only rows still holding their bytes in the column are moved. Reversible: the bytes come
back into the column; the files stay (the purge of orphan files of this release would
take them; the previous release leaves them).

The naming rule is written out here rather than imported: a migration must keep
doing what it did when the code around it changes.
"""

import hashlib

from django.core.files.base import ContentFile
from django.db import migrations, transaction

BATCH = 100


def _name(sha256):
    return f"inbound/{sha256[:2]}/{sha256[2:4]}/{sha256}.eml"


def move_out(apps, schema_editor):
    InboundEmail = apps.get_model("mail", "InboundEmail")
    storage = InboundEmail._meta.get_field("raw_file").storage
    pending = InboundEmail.objects.filter(raw_file="", legacy_raw__isnull=False).order_by("pk")
    while True:
        with transaction.atomic():
            rows = list(pending.only("pk", "legacy_raw")[:BATCH])
            if not rows:
                return
            for row in rows:
                raw = bytes(row.legacy_raw)
                # The hash of the bytes moved, which names their file. It differs from the row's only
                # where an erasure rewrote the address in the bytes and left the old hash.
                digest = hashlib.sha256(raw).hexdigest()
                name = storage.save(_name(digest), ContentFile(raw))
                InboundEmail.objects.filter(pk=row.pk).update(raw_file=name, sha256=digest, legacy_raw=None)


def move_back(apps, schema_editor):
    InboundEmail = apps.get_model("mail", "InboundEmail")
    storage = InboundEmail._meta.get_field("raw_file").storage
    pending = InboundEmail.objects.filter(legacy_raw__isnull=True).exclude(raw_file="").order_by("pk")
    while True:
        with transaction.atomic():
            rows = list(pending.only("pk", "raw_file")[:BATCH])
            if not rows:
                return
            for row in rows:
                with storage.open(row.raw_file.name, "rb") as stored:
                    raw = stored.read()
                InboundEmail.objects.filter(pk=row.pk).update(legacy_raw=raw, raw_file="")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("mail", "0016_raw_email_in_storage"),
    ]

    operations = [
        migrations.RunPython(move_out, move_back, elidable=True),
    ]
