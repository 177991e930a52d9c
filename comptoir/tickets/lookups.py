"""``status__among=(...)``: an IN over a few fixed choices, with the values written into the SQL.

SQLite uses a partial index only when the query's WHERE repeats the index's
literally: behind bound parameters it cannot see that ``status IN (?, ?)`` is
the index's ``status IN ('new', 'open')``, and scans (11 ms against 0.02 ms for
the "unassigned" view at 200,000 tickets). The values are the code's own
choices, never what someone typed, and each must look like one.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, Lookup
from django.db.models.sql.compiler import SQLCompiler

# A choice's value: lower-case words and underscores, nothing SQL could read otherwise.
_CHOICE = re.compile(r"[a-z_]{1,32}")


@CharField.register_lookup
class Among(Lookup[Any]):
    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        values = [str(value) for value in self.rhs]
        if not values or not all(_CHOICE.fullmatch(value) for value in values):
            raise ValueError(f"__among takes a few fixed choices, not {self.rhs!r}")
        listed = ", ".join(f"'{value}'" for value in values)
        return f"{lhs} IN ({listed})", list(params)
