"""Django's SQLite backend, creating the database file's folder (see base.py)."""
