"""Rebuild the reports' facts and daily rollups from the ticket events, and the service level
attainment from the clocks.

For a first install on an existing help desk, after a change of the counting rules
or of the team's time zone, or to mend tables a lost change left behind. The
subscriber keeps them current afterwards. Stop the workers while it runs (or run
it again after): a change handled meanwhile may land on the tables it replaces.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from comptoir.reports.services import reports_rebuild

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Rebuild the reports' per-ticket facts and daily rollups from the ticket events, "
        "and the daily service level attainment from the clocks."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        on_terminal = self.stdout.isatty()
        drawn = False

        def progress(done: int, total: int) -> None:
            # A bar redrawn in place on a terminal; nothing in a log, where it would be a line per batch.
            # One bar per pass (the events, then the service level clocks), each on its own line.
            nonlocal drawn
            if not on_terminal or not total:
                return
            if done == 0:
                if drawn:
                    self.stdout.write("")
                drawn = True
            filled = BAR_WIDTH * done // total
            self.stdout.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}", ending="")
            self.stdout.flush()

        count = reports_rebuild(progress=progress)
        if on_terminal:
            self.stdout.write("")
        done = ngettext(
            "Rebuilt the reports from the events of %(count)d ticket.",
            "Rebuilt the reports from the events of %(count)d tickets.",
            count,
        ) % {"count": count}
        self.stdout.write(self.style.SUCCESS(done))
