"""What the customer is told to expect of the first answer.

"We usually answer within 4 business hours: expect our answer by Tuesday at 10:00."

Said on the confirmation page, in the confirmation e-mail and on the
requester's ticket page while the first reply is awaited, in the ticket's
language and on the customer's clock (``Ticket.time_zone``, which their
browser gave with the web form), else on the schedule's (an e-mail, a ticket
opened on their behalf), with when the team is back when it is away. While the ticket
waits on the customer (pending) its page says so instead, as it did. Where no
policy applies, nothing is promised.

The first-reply clock (TicketSla) is read when the subscriber wrote it; on a
ticket just sent it may not be written yet (the subscriber runs after the
commit, in the worker), so a new ticket's promise is worked out from the policy
that will apply, as the clock will be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from comptoir.core.time_zones import known_time_zone
from comptoir.sla.business_time import add_business_minutes, always_open, is_open, next_opening
from comptoir.sla.clock import Target
from comptoir.sla.models import Metric, SlaPolicy, TicketSla
from comptoir.sla.services import active_policies, policy_of, policy_terms
from comptoir.tickets.models import Status, Ticket


@dataclass(frozen=True)
class Promise:
    # "We usually answer within ...: expect our answer by ...".
    sentence: str
    # When the team is back, if it is away now; "" otherwise.
    back: str = ""


def first_reply_promise(ticket: Ticket, *, now: datetime | None = None, written_only: bool = False) -> Promise | None:
    """What the customer may expect of the first answer, in the ticket's language; None when nothing is promised.

    ``ticket`` comes with its requester (the organisation is a policy condition).
    ``written_only``: from the clock the subscriber wrote, never from the policy;
    a ticket with no clock counting (``Ticket.sla_due_at`` null: no policy, or
    paused) then costs no query, as the requester's ticket page wants.
    """
    if written_only and ticket.sla_due_at is None:
        return None
    now = now or timezone.now()
    # Pending: the ticket waits on the customer, and its page says so and what to send
    # (comptoir.tickets.statuses.REQUESTER_HELP) instead of a promise. Solved, on hold: none.
    if ticket.status not in (Status.NEW, Status.OPEN):
        return None
    clock = TicketSla.objects.filter(ticket=ticket, metric=Metric.FIRST_REPLY, cycle=0).select_related("policy").first()
    policy: SlaPolicy | None
    if clock is not None:
        if clock.achieved_at is not None or clock.stopped_at is not None:
            return None
        policy = clock.policy
    elif ticket.status == Status.NEW and not written_only:
        # Not written yet: the policy that will apply.
        policies = active_policies()
        policy = policy_of(ticket, policies) if policies else None
    else:
        return None  # an older ticket without a first-reply clock: nothing was promised
    if policy is None:
        return None
    terms = policy_terms(policy, ticket.priority, years=range(now.year - 1, now.year + 2))
    target = terms.targets.get(Metric.FIRST_REPLY)
    if target is None:
        return None
    with translation.override(ticket.language or None):
        due_at = (
            clock.due_at
            if clock is not None
            else add_business_minutes(target.schedule, ticket.created_at, target.minutes)
        )
        customer_zone = ZoneInfo(ticket.time_zone) if known_time_zone(ticket.time_zone) else None
        return _promise(target, due_at, now, customer_zone)


def _promise(target: Target, due_at: datetime, now: datetime, customer_zone: tzinfo | None) -> Promise:
    business = target.schedule != always_open()
    # A calendar-time target runs on always_open() (comptoir.sla.services.policy_terms): read on the site's zone.
    team_zone = target.schedule.zone if business else timezone.get_default_timezone()
    zone = customer_zone or team_zone
    within = _within(target.minutes, business=business)
    sentence = gettext("We usually answer within %(within)s: expect our answer by %(when)s.") % {
        "within": within,
        "when": _moment(due_at.astimezone(zone), now.astimezone(zone)),
    }
    back = ""
    if business and not is_open(target.schedule, now):
        opens = next_opening(target.schedule, now)
        back = gettext("Our team is away right now and back %(when)s.") % {
            "when": _moment(opens.astimezone(zone), now.astimezone(zone), on=True)
        }
    return Promise(sentence, back)


def _within(minutes: int, *, business: bool) -> str:
    if minutes % 60:
        if business:
            return ngettext("%(count)s business minute", "%(count)s business minutes", minutes) % {"count": minutes}
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    hours = minutes // 60
    if business:
        return ngettext("%(count)s business hour", "%(count)s business hours", hours) % {"count": hours}
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}


def _moment(when: datetime, now: datetime, *, on: bool = False) -> str:
    """ "today at 10:00", "tomorrow at 09:00", "Monday at 09:00", "14 July at 10:00", on the local clock of ``when``."""
    hour = formats.time_format(when, "H:i")
    days = (when.date() - now.date()).days
    if days == 0:
        return gettext("today at %(time)s") % {"time": hour}
    if days == 1:
        return gettext("tomorrow at %(time)s") % {"time": hour}
    if 1 < days < 7:
        day = formats.date_format(when, "l")
        return (gettext("on %(day)s at %(time)s") if on else gettext("%(day)s at %(time)s")) % {
            "day": day,
            "time": hour,
        }
    day = formats.date_format(when, "j F")
    return (gettext("on %(date)s at %(time)s") if on else gettext("%(date)s at %(time)s")) % {
        "date": day,
        "time": hour,
    }


def first_reply_promise_text(ticket: Ticket) -> str:
    """The promise as one paragraph, for the confirmation e-mail; "" when nothing is promised."""
    promise = first_reply_promise(ticket)
    if promise is None:
        return ""
    return f"{promise.sentence} {promise.back}".strip()
