"""Request counts and latency by view and status (django-prometheus) on the token-protected /metrics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT

TOKEN = "metrics-token-0123456789abcdef"
RESPONSES = "django_http_responses_total_by_status_view_method_total"
LATENCY = "django_http_requests_latency_seconds_by_view_method_count"


@pytest.fixture(autouse=True)
def _token(settings) -> None:
    settings.COMPTOIR_METRICS_TOKEN = TOKEN


def samples(text: str) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{key}={value}" for key, value in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return samples(response.content.decode())


@pytest.mark.django_db
def test_requests_are_counted_by_view_method_and_status_with_their_latency(client):
    # The counters live in this process for its whole life: the test reads what it adds.
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page-at-all")

    after = scrape(client)

    def added(key: str) -> float:
        return after.get(key, 0) - before.get(key, 0)

    assert added(f"{RESPONSES}{{method=GET,status=200,view=healthz}}") == 2
    assert added(f"{LATENCY}{{method=GET,view=healthz}}") == 2
    # Unknown paths share one label: a scanner cannot grow the series without limit.
    assert added(f"{RESPONSES}{{method=GET,status=404,view=<unnamed view>}}") == 1
    # The first scrape was itself counted, by the name of its view.
    assert added(f"{RESPONSES}{{method=GET,status=200,view=metrics}}") == 1


@pytest.mark.django_db
def test_they_are_only_behind_the_token_never_on_a_url_of_their_own(client):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert b"django_http" not in response.content
    for path in ("/prometheus/metrics", "/django_prometheus/metrics", "/metrics/"):
        with pytest.raises(Resolver404):
            resolve(path)


# A child process serves two requests with the test client, as one gunicorn worker would.
SERVE = """
import django, sys
django.setup()
from django.test import Client
client = Client()
for _ in range(int(sys.argv[1])):
    assert client.get("/healthz").status_code == 200
"""

READ = """
import django
django.setup()
from comptoir.monitoring.metrics import _requests
print(_requests().decode())
"""


def test_with_a_shared_folder_every_worker_s_requests_are_summed(tmp_path: Path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "DEBUG": "1",
        "COMPTOIR_ENV_FILE": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "COMPTOIR_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "comptoir.settings",
    }
    for count in ("2", "3"):
        subprocess.run([sys.executable, "-c", SERVE, count], cwd=ROOT, env=env, check=True, timeout=120)

    read = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, check=True, timeout=120, capture_output=True, text=True
    )

    assert samples(read.stdout)[f"{RESPONSES}{{method=GET,status=200,view=healthz}}"] == 5
