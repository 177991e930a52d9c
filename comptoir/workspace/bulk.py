"""Bulk actions of the list: the panel's form, the one way it is applied, jobs over a whole list, and the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.contrib import messages
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from comptoir.accounts.models import User
from comptoir.core.typography import colon
from comptoir.tickets import services
from comptoir.tickets.models import REFERENCE_OFFSET, Status, SupportGroup
from comptoir.tickets.services import BulkOutcome, Refusal
from comptoir.workspace import selectors
from comptoir.workspace.forms import BULK_MAX, BulkMacroForm, BulkMergeForm, BulkSelectionForm, BulkUpdateForm
from comptoir.workspace.macros import tickets_apply_macro
from comptoir.workspace.models import BulkJob, JobState

# "Select all N matching" changes a whole list in a worker, up to this many tickets at once.
BULK_JOB_MAX = 10_000
# The panel's buttons: a plain change, spam, a canned reply, a merge.
ACTIONS = frozenset({"", "spam", "macro", "merge"})
# The selection, which a job keeps apart (its tickets): never replayed on a job's chunks.
_SELECTION_FIELDS = frozenset({"tickets", "every", "params"})
# Why a job left tickets as they were, besides the services' own reasons (Refusal).
STOPPED = "stopped"  # its agent may no longer act: deactivated, or no longer an agent
OUTDATED = "outdated"  # what was asked no longer holds: a canned reply or an assignee removed since


def bulk_form(action: str, data: QueryDict) -> BulkSelectionForm:
    """The panel's form for ``action``: each action reads its own fields and no other."""
    if action == "spam":
        # Only the ticked tickets matter.
        return BulkSelectionForm(data)
    if action == "macro":
        return BulkMacroForm(data)
    if action == "merge":
        return BulkMergeForm(data)
    return BulkUpdateForm(data, agents=list(selectors.agents()), groups=list(SupportGroup.objects.all()))


def bulk_apply(form: BulkSelectionForm, agent: User, ticket_ids: Sequence[int]) -> BulkOutcome:
    """Apply a valid panel form (not a merge, which its own page confirms) to the tickets: the one write path."""
    if isinstance(form, BulkUpdateForm):
        status = form.cleaned_data["status"] or None
        return services.tickets_update_in_bulk(ticket_ids, agent=agent, changes=form.changes(), status=status)
    if isinstance(form, BulkMacroForm):
        return tickets_apply_macro(ticket_ids, macro=form.cleaned_data["macro"], agent=agent, is_public=form.is_public)
    if isinstance(form, BulkMergeForm):
        raise ValueError("a merge is confirmed on its own page, never applied from the panel")
    return services.tickets_mark_spam_in_bulk(ticket_ids, agent=agent)


def bulk_summary(form: BulkSelectionForm) -> tuple[list[str], list[str]]:
    """What a valid panel form asks, one line a change, and what the customers will be e-mailed, for a confirmation."""
    if isinstance(form, BulkMacroForm):
        macro = form.cleaned_data["macro"]
        how = gettext("as a public reply") if form.is_public else gettext("as an internal note")
        lines = [gettext("Apply the canned reply “%(title)s”, %(how)s.") % {"title": macro.title, "how": how}]
        mailed = [gettext("Each requester is e-mailed the reply.")] if form.is_public else []
        return lines, mailed
    if not isinstance(form, BulkUpdateForm):
        return [gettext("Mark as spam: closed, out of every view but Spam, nobody e-mailed.")], []
    lines = []
    for name in ("status", "priority", "type", "assignee", "group", "add_tags", "remove_tags"):
        value = form.data.get(name, "")
        if not value:
            continue
        field = form.fields[name]
        shown = dict(getattr(field, "choices", [])).get(value, value)
        lines.append(f"{field.label}{colon()} {shown}")
    mailed = []
    if form.cleaned_data.get("status") == Status.SOLVED:
        mailed.append(gettext("Each requester is e-mailed that their ticket is solved, with the satisfaction survey."))
    return lines, mailed


def bulk_job_start(
    agent: User,
    form: BulkSelectionForm,
    action: str,
    ticket_ids: Sequence[int],
    back: str,
    enqueue: Callable[[int], object],
) -> BulkJob:
    """Keep the action's fields (those of its form, as posted) and the tickets it is for; have a worker run it
    (``enqueue`` its id) once committed."""
    posted = form.data if isinstance(form.data, QueryDict) else QueryDict()
    names = [name for name in form.fields if name not in _SELECTION_FIELDS and name in posted]
    fields = {name: posted.getlist(name) for name in names}
    job = BulkJob.objects.create(agent=agent, action=action, fields=fields, ticket_ids=list(ticket_ids), back=back)
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def bulk_job_run(job_id: int) -> None:
    """Run a job in chunks of BULK_MAX tickets, each in its own transaction: a job cut short resumes where it stopped.

    The job's row is locked for each chunk, so two workers handed the same job
    never apply a chunk twice; each chunk goes through ``bulk_apply`` like a
    page of ticked tickets, with the same form re-read from the job's fields.
    """
    while True:
        with transaction.atomic():
            job = BulkJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.state == JobState.DONE:
                return
            chunk = job.ticket_ids[job.done : job.done + BULK_MAX]
            if not chunk:
                job.state, job.finished_at = JobState.DONE, timezone.now()
                job.save(update_fields=["state", "finished_at"])
                return
            if not (job.agent.is_active and job.agent.is_agent):
                # Whoever asked may no longer act (let go, or no longer an agent): the rest is left as it is.
                rest = job.ticket_ids[job.done :]
                job.refused = [*job.refused, *([pk, STOPPED] for pk in rest)]
                job.done += len(rest)
                job.state, job.finished_at = JobState.DONE, timezone.now()
                job.save(update_fields=["refused", "done", "state", "finished_at"])
                return
            data = QueryDict(mutable=True)
            for name, values in job.fields.items():
                data.setlist(name, values)
            data.setlist("tickets", [str(ticket_id + REFERENCE_OFFSET) for ticket_id in chunk])
            form = bulk_form(job.action, data)
            if form.is_valid():
                outcome = bulk_apply(form, job.agent, form.cleaned_data["tickets"])
            else:
                # The fields were valid when the job was asked for; what no longer is (a macro deleted since) refuses
                # the rest as missing rather than guessing.
                outcome = BulkOutcome(changed=[], unchanged=[], refused=[(pk, OUTDATED) for pk in chunk])
            job.done += len(chunk)
            job.changed += len(outcome.changed)
            job.unchanged += len(outcome.unchanged)
            job.refused = [*job.refused, *([pk, reason] for pk, reason in outcome.refused)]
            job.state = JobState.RUNNING
            job.save(update_fields=["done", "changed", "unchanged", "refused", "state"])


# At most this many tickets are named one by one in the report; the rest are counted.
NAMED = 10


def _references(ticket_ids: list[int]) -> str:
    named = ", ".join(f"#{ticket_id + REFERENCE_OFFSET}" for ticket_id in ticket_ids[:NAMED])
    rest = len(ticket_ids) - NAMED
    if rest > 0:
        named += " " + ngettext("and %(count)s more", "and %(count)s more", rest) % {"count": rest}
    return named


def bulk_report(outcome: BulkOutcome) -> list[tuple[int, str]]:
    """(message level, sentence) pairs for the flash messages of the list."""
    return _report(len(outcome.changed), len(outcome.unchanged), outcome.refused)


def job_report(job: BulkJob) -> list[tuple[int, str]]:
    """The same sentences for a job over a whole list, so far."""
    return _report(job.changed, job.unchanged, [(int(pk), str(reason)) for pk, reason in job.refused])


def _report(changed: int, unchanged: int, refused: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    report: list[tuple[int, str]] = []
    if changed:
        count = changed
        report.append(
            (
                messages.SUCCESS,
                ngettext("%(count)s ticket updated.", "%(count)s tickets updated.", count) % {"count": count},
            )
        )
    if unchanged:
        count = unchanged
        report.append(
            (
                messages.INFO,
                ngettext(
                    "%(count)s ticket already had these values.", "%(count)s tickets already had these values.", count
                )
                % {"count": count},
            )
        )
    closed = [ticket_id for ticket_id, reason in refused if reason == Refusal.CLOSED]
    merged = [ticket_id for ticket_id, reason in refused if reason == Refusal.MERGED]
    spam = [ticket_id for ticket_id, reason in refused if reason == Refusal.SPAM]
    missing = [ticket_id for ticket_id, reason in refused if reason == Refusal.MISSING]
    if closed:
        report.append(
            (
                messages.WARNING,
                gettext("Left as they were, being closed: %(tickets)s.") % {"tickets": _references(closed)},
            )
        )
    if merged:
        report.append(
            (
                messages.WARNING,
                gettext("Left as they were, being merged into another ticket: %(tickets)s.")
                % {"tickets": _references(merged)},
            )
        )
    if spam:
        report.append(
            (
                messages.WARNING,
                gettext("Left as they were, being spam: %(tickets)s.") % {"tickets": _references(spam)},
            )
        )
    if missing:
        report.append((messages.WARNING, gettext("No longer there: %(tickets)s.") % {"tickets": _references(missing)}))
    held = [ticket_id for ticket_id, reason in refused if reason == Refusal.SOLVE_HELD]
    if held:
        report.append(
            (
                messages.WARNING,
                gettext(
                    "Left as they were, a field required to solve being empty (fill it in on the ticket's page):"
                    " %(tickets)s."
                )
                % {"tickets": _references(held)},
            )
        )
    stopped = [ticket_id for ticket_id, reason in refused if reason == STOPPED]
    if stopped:
        report.append(
            (
                messages.WARNING,
                gettext("Left as they were, whoever asked for the change no longer being an agent: %(tickets)s.")
                % {"tickets": _references(stopped)},
            )
        )
    outdated = [ticket_id for ticket_id, reason in refused if reason == OUTDATED]
    if outdated:
        report.append(
            (
                messages.WARNING,
                gettext(
                    "Left as they were, what was asked no longer being possible (a canned reply or an agent"
                    " removed since): %(tickets)s."
                )
                % {"tickets": _references(outdated)},
            )
        )
    return report
