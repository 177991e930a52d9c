from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from comptoir.accounts.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from comptoir.helpcenter.demo import load_demo_content
from comptoir.tickets.demo import ensure_demo_workspace


class Command(BaseCommand):
    help = "Load the demo Help Center content (idempotent); with DEBUG on, also demo agents and canned replies."

    def handle(self, *args: Any, **options: Any) -> None:
        sections, articles = load_demo_content()
        self.stdout.write(f"Demo content: {sections} sections, {articles} article translations.")
        if settings.DEBUG:
            ensure_demo_accounts()
            ensure_demo_workspace()
            self.stdout.write("Demo workspace: the Support group and three canned replies.")
            for email, password, role in DEMO_ACCOUNTS:
                self.stdout.write(f"Demo {role}: {email} / {password}")
        else:
            self.stdout.write("DEBUG is off: no demo accounts were created.")
