"""Django's SQLite backend, which also creates the folder of the database file, and batches by SQLite's real limit.

SQLite creates a missing database file but not its folder. Settings create no
folder at import time: the folder appears when something first connects
(`migrate` under `make run`, the test database, any management command).
comptoir/settings.py uses this backend for every sqlite:// DATABASE_URL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property

# SQLite's default limit of bound values per statement since 3.32 (2020); Django assumes the old 999.
VALUES_PER_STATEMENT = 32_766


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self) -> int:  # type: ignore[override]
        """The limit this SQLite was built with, up to 32,766.

        With Django's 999, a bulk action's history over 50 tickets (nine values
        per event) took four INSERTs instead of one: the number of statements
        grew with the number of tickets, which the workspace promises it does not.
        """
        self.connection.ensure_connection()
        limit = self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return int(min(limit, VALUES_PER_STATEMENT))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures

    def get_new_connection(self, conn_params: Any) -> Any:
        name = str(conn_params.get("database", ""))
        # Not an in-memory database, nor a file: URI (whose options SQLite reads itself).
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
