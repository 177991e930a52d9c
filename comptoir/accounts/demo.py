from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import email_address_record

# Well-known passwords: created only when DEBUG is on, never in production.
DEMO_ACCOUNTS = (
    ("agent@example.com", "agent", Role.AGENT),
    ("admin@example.com", "admin", Role.ADMIN),
    # A customer with a verified address, to try "My tickets" and the profile.
    ("customer@example.com", "customer", Role.REQUESTER),
)
# The permission group the editor's migration creates (comptoir/editor/migrations/0002_editors_group.py).
EDITORS_GROUP = "Editors"
DEMO_NAMES = {
    "agent@example.com": "Camille Agent",
    "admin@example.com": "Alex Admin",
    "customer@example.com": "Claire Client",
}


def ensure_demo_accounts() -> None:
    if not settings.DEBUG:
        raise RuntimeError("Demo accounts have well-known passwords and exist only with DEBUG on.")
    for email, password, role in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(email=email, defaults={"role": role})
        user.role = role
        user.name = DEMO_NAMES[email]
        user.is_staff = role != Role.REQUESTER
        user.is_superuser = role == Role.ADMIN
        user.set_password(password)
        user.save()
        email_address_record(user=user, verified=True)
        if role == Role.AGENT:
            # So that a newcomer can try the article editor (the admin may edit articles already).
            user.groups.add(*Group.objects.filter(name=EDITORS_GROUP))
