"""What the PostgreSQL benchmarks share: a throwaway database, Django set up on it, percentiles.

The scripts run as ``python bench/<name>.py``, so this folder is on ``sys.path``
and they import this module by its bare name.
"""

from __future__ import annotations

import math
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


class RefusedDatabase(Exception):
    pass


def bench_database_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise RefusedDatabase(f"{parts.scheme}:// is not supported: this benchmark needs PostgreSQL")
    name = parts.path.lstrip("/")
    # The database is dropped at the start of every run: never one that might hold real data.
    if "bench" not in name:
        raise RefusedDatabase(f"the database name must contain 'bench' (it is dropped and created again): {name!r}")
    return name


def recreate_database(url: str, name: str) -> None:
    """DROP and CREATE ``name``, connected to the server's ``postgres`` database."""
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name))
        )


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def configure_environment(var_dir: Path, database_url: str) -> None:
    """Settings for a throwaway run, as in production (DEBUG off: no SQL recorded); before Django reads them."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings"
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = "bench-only-" + secrets.token_hex(24)
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["COMPTOIR_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        row = cursor.fetchone()
    return str(row[0]) if row else "?"


def percentile(times: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest time at least ``fraction`` of the runs did not exceed."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def commit() -> str:
    """The commit measured, and whether comptoir/ or bench/ had uncommitted changes to tracked files."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "comptoir", "bench")
    return head + (" (with uncommitted changes to tracked files in comptoir/ or bench/)" if changed else "")
