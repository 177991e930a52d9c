"""The list's bulk panel: ticked tickets changed at once, or a whole list changed by a worker with its progress."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from comptoir.tickets.models import SupportGroup
from comptoir.workspace import selectors
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.bulk import (
    ACTIONS,
    BULK_JOB_MAX,
    bulk_apply,
    bulk_form,
    bulk_job_start,
    bulk_report,
    bulk_summary,
    job_report,
)
from comptoir.workspace.forms import BulkMergeForm
from comptoir.workspace.listing import listing
from comptoir.workspace.models import BulkJob, JobState
from comptoir.workspace.tasks import run_bulk_job

# The list's address a job goes back to, as BulkJob.back keeps it.
BACK_MAX = 2000


@require_POST
@agent_required
def bulk_update(request: HttpRequest) -> HttpResponse:
    """What the list's bulk panel asks of the ticked tickets: fields, tags, status, a canned reply, spam, a merge.

    With "every ticket of this list" chosen, the list's tickets are kept and a
    worker changes them in chunks (comptoir.workspace.bulk.bulk_job_run); the
    agent follows its progress on the job's page.
    """
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if not safe or len(back) > BACK_MAX:
        back = reverse("agent_tickets")
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, gettext("This is not a change the list offers."))
        return redirect(back)
    form = bulk_form(action, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    agent = current_agent(request)
    if form.cleaned_data["every"]:
        if isinstance(form, BulkMergeForm):
            messages.error(request, gettext("Tick the tickets to merge: a whole list is not merged at once."))
            return redirect(back)
        groups = list(SupportGroup.objects.all())
        rows = listing(QueryDict(form.cleaned_data["params"]), agent, agents=list(selectors.agents()), groups=groups)
        ticket_ids = list(rows.rows.order_by("pk").values_list("pk", flat=True)[: BULK_JOB_MAX + 1])
        if len(ticket_ids) > BULK_JOB_MAX:
            messages.error(
                request,
                gettext("This list holds more than %(limit)s tickets: narrow it down to change them all at once.")
                % {"limit": number_format(BULK_JOB_MAX, force_grouping=True)},
            )
            return redirect(back)
        if not ticket_ids:
            messages.error(request, gettext("This list has no ticket left to change."))
            return redirect(back)
        if request.POST.get("confirmed") != "1":
            # A whole list at once, maybe thousands of e-mails: said plainly, and asked again, before anything is done.
            lines, mailed = bulk_summary(form)
            posted = [(name, value) for name, values in request.POST.lists() for value in values]
            context = {
                "count": len(ticket_ids),
                "lines": lines,
                "mailed": mailed,
                "posted": [(name, value) for name, value in posted if name != "csrfmiddlewaretoken"],
                "back": back,
            }
            return render(request, "workspace/bulk_confirm.html", context)
        job = bulk_job_start(agent, form, action, ticket_ids, back, enqueue=run_bulk_job.delay)
        return redirect("agent_bulk_job", job.pk)
    tickets = form.cleaned_data["tickets"]
    if isinstance(form, BulkMergeForm):
        # Nothing is merged here: the merge page says what would move, and warns, before the agent confirms.
        return redirect(reverse("agent_tickets_merge") + "?" + urlencode(form.confirmation_params(), doseq=True))
    for level, text in bulk_report(bulk_apply(form, agent, tickets)):
        messages.add_message(request, level, text)
    return redirect(back)


def _job_or_404(request: HttpRequest, job_id: int) -> BulkJob:
    # A job is its agent's: another agent's number opens nothing.
    job = get_object_or_404(BulkJob, pk=job_id)
    if job.agent_id != current_agent(request).pk:
        raise Http404
    return job


@require_GET
@agent_required
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job over a whole list: its progress while a worker runs it, then what it did."""
    job = _job_or_404(request, job_id)
    finished = job.state == JobState.DONE
    context = {"job": job, "finished": finished, "report": job_report(job) if finished else []}
    return render(request, "workspace/bulk_job.html", context)


@require_GET
@agent_required
def bulk_job_progress(request: HttpRequest, job_id: int) -> JsonResponse:
    """How far the job got, for its page's progress bar (bulk-job.js)."""
    job = _job_or_404(request, job_id)
    label = ngettext("%(done)s of %(total)s ticket handled", "%(done)s of %(total)s tickets handled", job.total) % {
        "done": job.done,
        "total": job.total,
    }
    return JsonResponse({"done": job.done, "total": job.total, "finished": job.state == JobState.DONE, "label": label})
