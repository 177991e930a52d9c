"""What /readyz checks: can this installation do its work right now?

Each check is cheap (a query, a file written and deleted, a broker connection)
and says why it failed, for admins; everyone else only learns ready or not.
The checks that read the database are skipped when the database itself fails,
so an outage costs one connection timeout, not five.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min
from django.utils import timezone
from kombu import Connection

from comptoir.mail.models import OutboundEmail, OutboundStatus
from comptoir.monitoring.models import Heartbeat

BEAT = "beat"
# Once this process found every migration applied, they stay applied: a new release
# comes with new processes. Keyed by database alias.
_migrations_applied: set[str] = set()


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    # A figure behind the answer, when there is one (an age in seconds).
    value: float | None = None


def beat_seen() -> None:
    """The heartbeat task's one write."""
    Heartbeat.objects.update_or_create(name=BEAT, defaults={"seen_at": timezone.now()})


def check_database(connection: BaseDatabaseWrapper) -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # whatever the driver raises, the answer is "unready"
        return Check("database", False, f"{type(error).__name__}: {error}")
    return Check("database", True, connection.vendor)


def check_migrations(connection: BaseDatabaseWrapper) -> Check:
    if connection.alias in _migrations_applied:
        return Check("migrations", True, "all applied")
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return Check("migrations", False, f"{type(error).__name__}: {error}")
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:5])
        return Check("migrations", False, f"{len(plan)} not applied: {names}", float(len(plan)))
    _migrations_applied.add(connection.alias)
    return Check("migrations", True, "all applied")


def forget_migrations() -> None:
    """For tests: check the migrations again on the next call."""
    _migrations_applied.clear()


def check_broker() -> Check:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return Check("broker", True, "eager mode: tasks run in the process that sends them")
    url = settings.CELERY_BROKER_URL
    scheme = url.partition("://")[0]
    if scheme in {"filesystem", "memory"}:
        # Embedded: no server to reach; the worker beside the web process reads the same folders.
        return Check("broker", True, f"embedded broker ({scheme}://), no server to reach")
    try:
        with Connection(
            url,
            connect_timeout=2,
            transport_options={
                **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
            },
        ) as broker:
            broker.ensure_connection(max_retries=0)
    except Exception as error:
        return Check("broker", False, f"{type(error).__name__}: {error}")
    return Check("broker", True, f"{scheme} reachable")


def check_storage() -> Check:
    storage = storages["default"]
    try:
        name = storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ready\n"))
        storage.delete(name)
    except Exception as error:
        return Check("storage", False, f"{type(error).__name__}: {error}")
    return Check("storage", True, "writable")


def check_beat() -> Check:
    limit = settings.COMPTOIR_READYZ_BEAT_MAX_AGE_SECONDS
    seen_at = Heartbeat.objects.filter(name=BEAT).values_list("seen_at", flat=True).first()
    if seen_at is None:
        return Check("beat", False, "never seen: is celery beat running, and a worker?")
    age = (timezone.now() - seen_at).total_seconds()
    if age > limit:
        return Check("beat", False, f"last seen {age:.0f} s ago (limit {limit} s)", age)
    return Check("beat", True, f"last seen {age:.0f} s ago", age)


def check_mail_queue() -> Check:
    limit = settings.COMPTOIR_READYZ_MAIL_MAX_AGE_SECONDS
    oldest = OutboundEmail.objects.filter(status__in=(OutboundStatus.QUEUED, OutboundStatus.SENDING)).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    if oldest is None:
        return Check("mail_queue", True, "empty", 0.0)
    age = max((timezone.now() - oldest).total_seconds(), 0.0)
    if age > limit:
        return Check("mail_queue", False, f"oldest queued e-mail waits for {age:.0f} s (limit {limit} s)", age)
    return Check("mail_queue", True, f"oldest queued e-mail waits for {age:.0f} s", age)


_NEEDS_DATABASE: tuple[tuple[str, Callable[[], Check]], ...] = (
    ("beat", check_beat),
    ("mail_queue", check_mail_queue),
)


def run_checks() -> list[Check]:
    connection = connections[DEFAULT_DB_ALIAS]
    database = check_database(connection)
    checks = [database, check_broker(), check_storage()]
    if not database.ok:
        skipped = ("migrations", *(name for name, _ in _NEEDS_DATABASE))
        return [*checks, *(Check(name, False, "skipped: the database is unreachable") for name in skipped)]
    checks.append(check_migrations(connection))
    for name, check in _NEEDS_DATABASE:
        try:
            checks.append(check())
        except Exception as error:
            checks.append(Check(name, False, f"{type(error).__name__}: {error}"))
    return checks
