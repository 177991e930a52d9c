"""Rebuild the reports' facts and daily rollups from the ticket events, and the service level
attainment from the clocks.

For a first install on an existing help desk, after a change of the counting rules
or of the team's time zone, or to mend tables a lost change left behind. The
subscriber keeps them current afterwards. Stop the workers while it runs (or run
it again after): a change handled meanwhile may land on the tables it replaces.

``--team``: only the team rollups (per day, group, agent and tag), filled again from
the full rollups in seconds, workers running (docs/deploy.md, upgrading across reports 0006).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext, ngettext

from comptoir.reports.services import reports_rebuild, team_rollups_refill

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Rebuild the reports' per-ticket facts and daily rollups from the ticket events, "
        "and the daily service level attainment from the clocks."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--team",
            action="store_true",
            help="only fill the team rollups again from the full rollups (seconds; the workers may run)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["team"]:
            rollups, attainment = team_rollups_refill()
            done = gettext(
                "Filled the team rollups again from the full rollups: %(rollups)d rows of counts, "
                "%(attainment)d rows of service level attainment."
            ) % {"rollups": rollups, "attainment": attainment}
            self.stdout.write(self.style.SUCCESS(done))
            return
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
