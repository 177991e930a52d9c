"""Attachments on S3-compatible storage (COMPTOIR_STORAGE=s3): in the private bucket, never on disk, served by the view.

A real S3 API answers on loopback: moto's server in a thread, spoken to over HTTP by boto3.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.urls import reverse
from django.utils import translation
from moto.server import ThreadedMotoServer

from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Attachment
from tests.conftest import ROOT, png_attachment, png_bytes

BUCKET = "comptoir-files"
CREDENTIALS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings) -> Iterator[object]:
    """A new private bucket, made the default storage as COMPTOIR_STORAGE=s3 makes it."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "comptoir.core.storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "location": "comptoir",
            },
        },
    }
    yield client
    for stored in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=stored["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.mark.django_db
def test_an_attachment_goes_to_the_bucket_and_comes_back_through_the_checked_view(
    bucket, make_ticket, client, settings
):
    ticket = make_ticket(files=[png_attachment("screen.png")])
    attachment = Attachment.objects.get(ticket=ticket)

    keys = [stored["Key"] for stored in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"comptoir/{attachment.file.name}"]
    stored = bucket.get_object(Bucket=BUCKET, Key=keys[0])
    assert stored["Body"].read() == png_bytes()
    # Private: the object carries no grant to anyone but its owner.
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=keys[0])["Grants"]
    assert [grant["Grantee"].get("URI") for grant in grants] == [None]
    # Nothing on the local disk.
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))

    with translation.override("en"):
        address = reverse("attachment_download", args=[ticket.reference, attachment.pk])
    assert client.get(address).status_code == 404  # no link followed, no account: nothing
    client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    response = client.get(address)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(png_bytes()))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def _settings_in_child(**environment: str) -> subprocess.CompletedProcess[str]:
    probe = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.default_acl, s.file_overwrite, s.location)"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", probe],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_environment_chooses_s3_with_a_private_bucket():
    result = _settings_in_child(
        COMPTOIR_STORAGE="s3",
        COMPTOIR_S3_BUCKET="help-files",
        COMPTOIR_S3_ENDPOINT_URL="https://s3.example.net",
        COMPTOIR_S3_PREFIX="prod",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "PrivateS3Storage",
        "help-files",
        "https://s3.example.net",
        "None",
        "False",
        "prod",
    ]


def test_s3_without_a_bucket_stops_start_up_naming_the_variable():
    result = _settings_in_child(COMPTOIR_STORAGE="s3")
    assert result.returncode != 0
    assert "COMPTOIR_S3_BUCKET must be set when COMPTOIR_STORAGE is 's3'." in result.stderr
