from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from comptoir import env
from comptoir.env import env_bool, env_email, env_int, env_list, env_prefixed, env_str, env_url, read_env_file
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


# --- The local settings file (var/local.env, written by make run) ----------------------


def test_a_local_file_gives_values_that_the_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setattr(env, "_from_file", {})
    local = tmp_path / "local.env"
    local.write_text(
        "# written by make run\n\nDEBUG=1\nexport X_TEST_NAME = 'Le Comptoir'\n"
        'X_TEST_KEY="a b"\nANYMAIL_X_TEST=from-file\nX_TEST_OVERRIDDEN=file\n'
    )
    monkeypatch.setenv("X_TEST_OVERRIDDEN", "environment")

    assert read_env_file(local) is True

    assert env_str("X_TEST_NAME", "") == "Le Comptoir"
    assert env_str("X_TEST_KEY", "") == "a b"
    assert env_str("X_TEST_OVERRIDDEN", "") == "environment"
    assert env_prefixed("ANYMAIL_X_")["TEST"] == "from-file"
    assert read_env_file(tmp_path / "absent.env") is False
    assert env_str("X_TEST_NAME", "default") == "default"


def test_a_local_file_with_a_line_that_is_not_a_setting_stops_start_up(monkeypatch, tmp_path):
    monkeypatch.setattr(env, "_from_file", {})
    local = tmp_path / "local.env"
    local.write_text("DEBUG=1\nthis is not a setting\n")

    with pytest.raises(ImproperlyConfigured, match="line 2"):
        read_env_file(local)


def _manage_in(var_dir, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """manage.py with settings from var_dir (and var_dir/local.env, when there is one), as make run leaves them."""
    unwanted = {"DEBUG", "SECRET_KEY", "COMPTOIR_BASE_URL", "COMPTOIR_ENV_FILE", "DATABASE_URL", "CELERY_BROKER_URL"}
    base = {k: v for k, v in os.environ.items() if k not in unwanted and not k.startswith("ANYMAIL_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "COMPTOIR_VAR_DIR": str(var_dir), **env_vars},
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW = "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY, s.COMPTOIR_SITE_NAME)"


def test_commands_work_in_a_checkout_where_make_run_wrote_its_local_file(tmp_path):
    (tmp_path / "local.env").write_text("DEBUG=1\nSECRET_KEY=written-by-make-run-0123456789abcdef\n")

    plain = _manage_in(tmp_path, "shell", "-v0", "-c", SHOW)
    overridden = _manage_in(tmp_path, "shell", "-v0", "-c", SHOW, DEBUG="0", COMPTOIR_SITE_NAME="Help")

    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split() == ["True", "written-by-make-run-0123456789abcdef", "Comptoir"]
    assert overridden.returncode == 0, overridden.stderr
    assert overridden.stdout.split() == ["False", "written-by-make-run-0123456789abcdef", "Help"]


def test_without_the_local_file_production_still_needs_a_secret_key(tmp_path):
    result = _manage_in(tmp_path, "check")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_importing_settings_creates_no_folder_the_database_creates_its_own(tmp_path):
    var_dir = tmp_path / "var"

    imported = _manage_in(
        var_dir, "shell", "-c", "from django.conf import settings; print(settings.MEDIA_ROOT)", DEBUG="1"
    )

    assert imported.returncode == 0, imported.stderr
    assert not var_dir.exists()

    migrated = _manage_in(var_dir, "migrate", "--no-input", "-v0", DEBUG="1")

    assert migrated.returncode == 0, migrated.stderr
    assert (var_dir / "comptoir.sqlite3").is_file()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT setting: the PostgreSQL leg only")
@pytest.mark.django_db
def test_postgresql_connections_run_without_jit(settings):
    assert settings.DATABASES["default"]["OPTIONS"]["options"] == "-c jit=off"
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("postgres://comptoir@127.0.0.1/comptoir", "-c jit=off"),
        # Options the address carries are kept, the JIT's added after them.
        ("postgres://comptoir@127.0.0.1/comptoir?options=-c%20search_path%3Dhelp", "-c search_path=help -c jit=off"),
    ],
)
def test_postgresql_connections_are_opened_without_jit_keeping_the_address_s_options(url, options):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])",
        DEBUG="1",
        DATABASE_URL=url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == options


def test_the_jit_is_left_to_the_server_when_asked():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}).get('options'))",
        DEBUG="1",
        DATABASE_URL="postgres://comptoir@127.0.0.1/comptoir",
        COMPTOIR_DATABASE_NO_JIT="0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "None"
