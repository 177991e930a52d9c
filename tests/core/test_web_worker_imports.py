"""A web process loads what its pages need: packages only some requests use are imported on first use.

Each is megabytes in every web process (bench/compare_helpdesk.py prints the
worker's peak; issue 14 asks for a web worker under 150 MiB).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# boto3 and botocore: only with COMPTOIR_STORAGE=s3 (comptoir.core.storage_s3), or provider webhooks.
# dkim and dns (dnspython): DKIM signing with a key, and inbound mail's checks.
# holidays: a schedule's closed days and the SLA settings page.
# PIL (Pillow): a logo or an article image uploaded (comptoir.branding.logos, comptoir.editor.images).
# django.test is not among them: drf-spectacular's extend_schema, on the API views, imports its AutoSchema,
# whose plumbing imports rest_framework.test and so django.test (about 3.5 MiB; bench/README.md, web_memory.py).
ON_FIRST_USE = (
    "boto3",
    "botocore",
    "storages.backends.s3",
    "dkim",
    "dns",
    "holidays",
    "PIL",
)


def test_a_web_process_on_local_files_loads_none_of_the_packages_kept_for_first_use():
    probe = (
        "import sys; from django.urls import get_resolver; get_resolver().url_patterns; "
        f"print(' '.join(name for name in {ON_FIRST_USE!r} if name in sys.modules) or 'none')"
    )
    # Without provider webhooks: anymail.urls mounts every provider's, and Amazon SES's imports boto3.
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("COMPTOIR_STORAGE", "ANYMAIL_"))
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", probe],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "comptoir.settings"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["none"]


def test_the_settings_name_for_the_s3_storage_still_reaches_its_class():
    from comptoir.core import storage
    from comptoir.core.storage_s3 import PrivateS3Storage

    assert storage.PrivateS3Storage is PrivateS3Storage
