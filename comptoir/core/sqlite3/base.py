"""Django's SQLite backend, which also creates the folder of the database file.

SQLite creates a missing database file but not its folder. Settings create no
folder at import time: the folder appears when something first connects
(`migrate` under `make run`, the test database, any management command).
comptoir/settings.py uses this backend for every sqlite:// DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: Any) -> Any:
        name = str(conn_params.get("database", ""))
        # Not an in-memory database, nor a file: URI (whose options SQLite reads itself).
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
