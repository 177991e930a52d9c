"""Migrations stay safe while the previous release still serves (docs/deploy.md, "Upgrades").

A rolling upgrade migrates first, then replaces the nodes one by one: for a
while the old code runs on the new schema. So a migration must not take away
or rename what the old code reads (RemoveField, DeleteModel, RenameField,
RenameModel, AlterModelTable), nor make it refuse the rows the old code writes
(a column added or made NOT NULL with no default in the database), nor run SQL
no one read for this. Such a migration is written in two releases (additive
first, destructive later) or says why it is fine: a ``# rolling-deploy: reviewed``
comment with the reason in its file, or an entry below with the reason.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

import pytest
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

# The marker, followed by the reason on the same line or the lines after it.
MARKER = re.compile(r"#[ \t]*rolling-deploy:[ \t]*reviewed\b[.:,;]?[ \t]*[^\s.:,;]")
BEFORE_1_0 = "before 1.0: no release was deployed yet, so no previous version serves during the upgrade"
# (app label, migration name) -> why it is safe. The migrations written before the first release are listed whole.
ALLOWED: dict[tuple[str, str], str] = {
    ("accounts", "0003_organisations_and_preferences"): BEFORE_1_0,
    ("accounts", "0007_user_away"): BEFORE_1_0,
    ("helpcenter", "0003_article_search"): BEFORE_1_0,
    ("helpcenter", "0007_article_is_promoted"): BEFORE_1_0,
    ("mail", "0004_email_channel"): BEFORE_1_0,
    ("mail", "0008_account_emails"): BEFORE_1_0,
    ("mail", "0010_sender_authentication"): BEFORE_1_0,
    ("notifications", "0005_rule_notices"): BEFORE_1_0,
    ("reports", "0002_filters_by_organisation_and_tag"): BEFORE_1_0,
    ("rules", "0004_default_rules"): BEFORE_1_0,
    ("sla", "0005_policy_field_conditions"): BEFORE_1_0,
    ("tickets", "0007_workspace_indexes"): BEFORE_1_0,
    ("tickets", "0009_tags"): BEFORE_1_0,
    ("tickets", "0014_macro_languages"): BEFORE_1_0,
    ("tickets", "0016_ticket_followers"): BEFORE_1_0,
    ("tickets", "0021_ticket_time_zone"): BEFORE_1_0,
    ("tickets", "0022_supportgroup_assignment"): BEFORE_1_0,
    ("workspace", "0003_built_in_views_shared"): BEFORE_1_0,
}

_ALWAYS_UNSAFE = (
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.AlterModelTable,
    migrations.RunSQL,
)


@dataclass(frozen=True)
class Finding:
    operation: str
    why: str


def _has_database_default(field: models.Field) -> bool:  # type: ignore[type-arg]
    return field.null or field.db_default is not models.NOT_PROVIDED


def database_operations(operations: list[Operation]) -> list[Operation]:
    """The operations that reach the database: a SeparateDatabaseAndState's state-only half does not."""
    found: list[Operation] = []
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            found.extend(database_operations(operation.database_operations))
        else:
            found.append(operation)
    return found


def unsafe_operations(migration: migrations.Migration, app_label: str, before: ProjectState) -> list[Finding]:
    """What in ``migration`` breaks the previous release on the new schema; ``before``: the state it starts from."""
    findings: list[Finding] = []
    created: set[str] = set()
    for operation in database_operations(migration.operations):
        name = type(operation).__name__
        if isinstance(operation, migrations.CreateModel):
            created.add(operation.name_lower)
        elif isinstance(operation, _ALWAYS_UNSAFE):
            findings.append(Finding(f"{name} {operation.describe()}", "the previous release still uses it"))
        elif isinstance(operation, migrations.AddField):
            if operation.model_name_lower not in created and not _has_database_default(operation.field):
                findings.append(
                    Finding(
                        f"AddField {operation.model_name}.{operation.name}",
                        "NOT NULL without db_default: the previous release's inserts leave it out and fail",
                    )
                )
        elif isinstance(operation, migrations.AlterField):
            model = before.models.get((app_label, operation.model_name_lower))
            old = model.fields.get(operation.name) if model is not None else None
            if old is not None and old.null and not _has_database_default(operation.field):
                findings.append(
                    Finding(
                        f"AlterField {operation.model_name}.{operation.name}",
                        "made NOT NULL without db_default: the previous release may still write NULL",
                    )
                )
    return findings


def _reviewed(migration: migrations.Migration) -> bool:
    module = inspect.getmodule(type(migration))
    return module is not None and bool(MARKER.search(inspect.getsource(module)))


def test_every_migration_is_safe_for_a_rolling_upgrade_or_says_why():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    problems = []
    for key in loader.graph.nodes:
        migration = loader.graph.nodes[key]
        if not type(migration).__module__.startswith("comptoir.") or key in ALLOWED or _reviewed(migration):
            continue
        before = loader.project_state(key, at_end=False)
        for finding in unsafe_operations(migration, key[0], before):
            problems.append(f"{key[0]}.{key[1]}: {finding.operation}: {finding.why}")
    assert not problems, (
        "Unsafe while the previous release serves (docs/deploy.md, Upgrades): split it over two releases, or add "
        "'# rolling-deploy: reviewed <why>' to the migration.\n" + "\n".join(problems)
    )


def test_the_allow_list_names_only_migrations_that_exist_and_need_it():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for key, reason in ALLOWED.items():
        assert key in loader.graph.nodes, f"{key} is allowed but no longer exists"
        assert reason.strip()
        migration = loader.graph.nodes[key]
        assert unsafe_operations(migration, key[0], loader.project_state(key, at_end=False)), f"{key} needs no entry"


# The checker itself, on migrations written for the test ------------------------------------------------------


def _state_with_a_nullable_note() -> ProjectState:
    state = ProjectState()
    state.add_model(
        migrations.state.ModelState(
            "shop", "order", [("id", models.AutoField(primary_key=True)), ("note", models.TextField(null=True))]
        )
    )
    return state


def _migration(*operations: Operation) -> migrations.Migration:
    migration = migrations.Migration("0002_test", "shop")
    migration.operations = list(operations)
    return migration


@pytest.mark.parametrize(
    "operation",
    [
        migrations.RemoveField("order", "note"),
        migrations.DeleteModel("order"),
        migrations.RenameField("order", "note", "remark"),
        migrations.RenameModel("order", "purchase"),
        migrations.RunSQL("UPDATE shop_order SET note = ''"),
        migrations.AddField("order", "paid", models.BooleanField(default=False)),
        migrations.AlterField("order", "note", models.TextField(default="")),
        migrations.SeparateDatabaseAndState(database_operations=[migrations.RemoveField("order", "note")]),
    ],
    ids=lambda operation: type(operation).__name__,
)
def test_it_finds_what_breaks_the_previous_release(operation):
    assert unsafe_operations(_migration(operation), "shop", _state_with_a_nullable_note())


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("order", "paid", models.BooleanField(default=False, db_default=False)),
        migrations.AddField("order", "remark", models.TextField(null=True)),
        migrations.AlterField("order", "note", models.TextField(null=True, blank=True)),
        migrations.AlterField("order", "note", models.TextField(default="", db_default="")),
        migrations.CreateModel("invoice", [("id", models.AutoField(primary_key=True))]),
        migrations.AddIndex("order", models.Index(fields=["note"], name="order_note")),
        migrations.RunPython(migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.RenameField("order", "note", "remark")]),
    ],
    ids=lambda operation: type(operation).__name__,
)
def test_it_lets_additive_changes_through(operation):
    assert unsafe_operations(_migration(operation), "shop", _state_with_a_nullable_note()) == []


def test_a_field_added_to_a_model_created_in_the_same_migration_is_safe():
    migration = _migration(
        migrations.CreateModel("invoice", [("id", models.AutoField(primary_key=True))]),
        migrations.AddField("invoice", "total", models.IntegerField(default=0)),
    )
    assert unsafe_operations(migration, "shop", ProjectState()) == []


def test_the_marker_needs_a_reason():
    assert MARKER.search("# rolling-deploy: reviewed. The column was never read.")
    assert MARKER.search("# rolling-deploy: reviewed: old nodes are stopped first")
    assert not MARKER.search("# rolling-deploy: reviewed\n")
    assert not MARKER.search("# rolling-deploy: reviewed.   \n\nfrom django.db import migrations")
