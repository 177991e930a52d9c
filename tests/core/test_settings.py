from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from comptoir.env import env_bool, env_email, env_int, env_list, env_url
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (lambda: env_bool("X_TEST", False), "maybe"),
        (lambda: env_int("X_TEST", 1), "ten"),
        (lambda: env_int("X_TEST", 1, minimum=1), "0"),
        (lambda: env_url("X_TEST", "http://a"), "ftp://files.example"),
        (lambda: env_url("X_TEST", "http://a"), "example.com"),
        (lambda: env_email("X_TEST", "a@b.c"), "not-an-address"),
    ],
)
def test_it_refuses_bad_values_naming_the_variable(monkeypatch, reader, value):
    monkeypatch.setenv("X_TEST", value)
    with pytest.raises(ImproperlyConfigured, match="X_TEST"):
        reader()


def test_it_reads_good_values(monkeypatch):
    monkeypatch.setenv("X_TEST", "yes")
    assert env_bool("X_TEST", False) is True
    monkeypatch.setenv("X_TEST", " a, b ,,c ")
    assert env_list("X_TEST", []) == ["a", "b", "c"]
    monkeypatch.setenv("X_TEST", "https://help.example.com/")
    assert env_url("X_TEST", "http://a") == "https://help.example.com"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    unwanted = {"DEBUG", "SECRET_KEY", "COMPTOIR_BASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unwanted}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_it_passes_the_deployment_checks_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-long-random-production-key-7Gx2Lq9Vb4Nz8Rt1Wc6Hy3Jp5Mf0Kd-s9",
        COMPTOIR_BASE_URL="https://help.example.com",
        DEBUG="0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
