"""What the reports read: one row of facts per ticket, and daily counts by dimension.

Both are derived data, kept by comptoir.reports.subscriber from the ticket events
and rebuilt from them by ``manage.py reports_rebuild``; nothing else writes them.

- ``TicketFacts``: what a ticket's history says once replayed (first reply, resolution,
  replies, reopenings, rating). Percentiles over a range are computed from it in
  the database (comptoir.reports.percentiles), so they are exact, not averaged medians.
- ``DailyRollup``: per day in the team's time zone and per combination of the
  filterable dimensions, the counts the volume and satisfaction figures add up.
  A quarter's page sums a few thousand of these rows, whatever the number of tickets.
- ``TeamRollup``: the same counts per day, group, agent and tag only (the other dimensions added up):
  about 50 rows a day where the rollups hold a thousand at a million tickets, read when the
  filters name nothing else (no filter, a group, an agent, a tag: the common cases).
- ``BacklogTotal``: per combination of the dimensions, every day's "entered" less "left" added
  up: the backlog now, from which the backlog at a range's start is the range's days (and
  those after it) taken away, instead of all history's rollups added up.

Tags: a ticket counts once in the rollup rows of tag 0 (every ticket) and once more in
those of each tag it carries, so that a tag filter reads the same few rows as no filter;
a figure without a tag filter reads tag 0 only.

Group, assignee, organisation and tag are kept as plain ids, not foreign keys: deleting a group or an
agent must not rewrite (or cascade into) past figures. 0 means "none", so that the
unique key holds without NULLs (which are distinct in a unique constraint).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.tickets.dimensions import DIMENSIONS, TicketDimensions
from comptoir.tickets.models import Ticket

# The counts a day holds, in the order the CSV gives them.
COUNTS = ("created", "solved", "reopened", "entered", "left", "offered", "answered", "rated", "good")
# The columns a filter narrows to, carried in the indexes the page reads.
FACT_DIMENSIONS = DIMENSIONS


class TicketFacts(TicketDimensions):
    """A ticket's figures, and the dimensions they were counted under (its current ones; the requester's
    organisation as it was when the ticket last changed)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # The ids of the tags the ticket's contributions were also counted under.
    tags = models.JSONField(default=list)
    created_at = models.DateTimeField()
    first_reply_at = models.DateTimeField(null=True)
    first_reply_seconds = models.PositiveIntegerField(null=True)
    # The same wait counted in the business hours of the service level policy that applies, if it has some.
    first_reply_business_seconds = models.PositiveIntegerField(null=True)
    # The last resolution, while the ticket stays solved (or closed after it).
    solved_at = models.DateTimeField(null=True)
    resolution_seconds = models.PositiveIntegerField(null=True)
    replies = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    one_touch = models.BooleanField(default=False)
    is_open = models.BooleanField(default=True)
    # The latest answer to a satisfaction survey.
    rating = models.PositiveSmallIntegerField(null=True)
    rated_at = models.DateTimeField(null=True)
    comment = models.TextField(blank=True)
    # What the ticket added to the daily rollups: {"2026-06-08": {"created": 1, ...}}; subtracted when it changes.
    contributions = models.JSONField(default=dict)

    class Meta:
        indexes = [
            # The speed figures read a range of these and the values beside them: carried in the index
            # (PostgreSQL's INCLUDE; SQLite ignores it), a quarter at a million tickets is an index-only scan.
            # The filterable dimensions ride along too, so that a filtered page stays index-only (a quarter
            # filtered by group and priority read 250,000 heap rows for 7,600 kept).
            models.Index(
                fields=("first_reply_at",),
                include=("first_reply_seconds", "first_reply_business_seconds", *FACT_DIMENSIONS),
                name="facts_first_reply_with_dims",
            ),
            models.Index(
                fields=("solved_at",),
                include=("resolution_seconds", "one_touch", "replies", *FACT_DIMENSIONS),
                name="facts_solved_with_dims",
            ),
            models.Index(fields=("rated_at",), name="facts_rated", condition=models.Q(rated_at__isnull=False)),
            # The agents' open load, read on every page: the small share of tickets still open.
            models.Index(
                fields=("assignee",),
                include=tuple(name for name in FACT_DIMENSIONS if name != "assignee"),
                name="facts_open_by_assignee_dims",
                condition=models.Q(is_open=True),
            ),
        ]
        permissions = [("view_reports", _("Can see the reports"))]

    def __str__(self) -> str:
        return f"facts of ticket {self.ticket_id}"


class DayCounts(models.Model):
    """A day's counts, in the team's time zone; what the rollups hold per key."""

    day = models.DateField()
    # Tickets created; resolutions (a ticket solved twice counts twice); reopenings of a solved ticket.
    created = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    # Into and out of the backlog (the active statuses): the backlog at a day's end is their running sum.
    entered = models.IntegerField(default=0)
    left = models.IntegerField(default=0)
    # Surveys sent (one per resolution), resolutions rated, and the latest ratings, of which 4 or 5 ("good").
    offered = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    good = models.IntegerField(default=0)

    class Meta:
        abstract = True


class Dimensions(TicketDimensions):
    """What a count is counted by: the ticket's group, assignee, channel, type, priority, language,
    organisation (0: none) and one of its tags, the same columns in the rollups and the backlog totals."""

    # 0: every ticket; a tag's id: the tickets carrying it (each also counted under 0).
    tag = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailyRollup(Dimensions, DayCounts):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("day", "group", "assignee", "channel", "type", "priority", "language", "organisation", "tag"),
                name="rollup_one_row_per_day_and_dimensions_and_tag",
            )
        ]
        indexes = [
            # Every figure reads one tag's rows (0: every ticket) over a range of days and adds up counts:
            # with the counts and the dimensions carried in the index (PostgreSQL's INCLUDE), a quarter,
            # filtered or not, is an index-only scan, however many dimension combinations a day holds.
            models.Index(fields=("tag", "day"), include=(*COUNTS, *FACT_DIMENSIONS), name="rollup_by_tag_and_day_dims")
        ]

    def __str__(self) -> str:
        return f"rollup of {self.day}"


class TeamRollup(DayCounts):
    """DailyRollup's counts added up over channel, type, priority, language and organisation.

    Written with the rollups from the same differences (comptoir.reports.services.rollups_apply, and
    the rebuild), so each row is the sum of its DailyRollup rows by construction. A quarter unfiltered
    was a third of a million rollup rows at a million tickets (volume, agents and satisfaction each
    read them); here a few thousand. Rows are shared by more tickets than the rollups' (every new
    ticket of a group and day without an agent adds to one row): they are written after the other
    rollups, so that a row is held from its increment to the commit for as short a time as can be.
    """

    group = models.PositiveIntegerField(default=0)
    assignee = models.PositiveIntegerField(default=0)
    tag = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Tag and day first: the key's own index serves a range of days of one tag (0: every ticket).
            models.UniqueConstraint(fields=("tag", "day", "group", "assignee"), name="team_rollup_one_row_per_key")
        ]

    def __str__(self) -> str:
        return f"team rollup of {self.day}"


class BacklogTotal(Dimensions):
    """The sum over all days of DailyRollup's ``entered - left``, per combination of dimensions and tag.

    Written with the rollups (comptoir.reports.services.rollups_apply, and the rebuild), from the same
    differences, so it is their sum by construction: a deleted ticket's past stays in both alike.
    """

    backlog = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("group", "assignee", "channel", "type", "priority", "language", "organisation", "tag"),
                name="backlog_one_row_per_dimensions_and_tag",
            )
        ]

    def __str__(self) -> str:
        return f"backlog of tag {self.tag}"
