"""An agent's notices: the list, the header's unread count, and what each agent chooses to hear."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.notifications.models import DEFAULTS, AgentNotice, NoticeKind
from comptoir.notifications.preferences import choices_for, choices_save
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.rows import time_ago

# The notices a page shows, newest first; older ones stay in the database.
SHOWN = 50


@require_GET
@agent_required
def notices(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    rows = list(
        AgentNotice.objects.filter(recipient=agent)
        .select_related("ticket", "actor")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    now = timezone.now()
    labels = dict(NoticeKind.choices)
    entries = [(notice, labels.get(notice.kind, notice.kind), time_ago(notice.created_at, now)) for notice in rows]
    response = render(request, "workspace/notices.html", {"entries": entries})
    response.headers["Cache-Control"] = "no-store"
    return response


@require_GET
@agent_required
def notice_count(request: HttpRequest) -> JsonResponse:
    unread = AgentNotice.objects.filter(recipient=current_agent(request), read_at__isnull=True).count()
    label = ngettext("%(count)s unread notice", "%(count)s unread notices", unread) % {"count": unread}
    response = JsonResponse({"unread": unread, "label": label})
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
@agent_required
def notices_read(request: HttpRequest) -> HttpResponse:
    AgentNotice.objects.filter(recipient=current_agent(request), read_at__isnull=True).update(read_at=timezone.now())
    return redirect("agent_notices")


@require_http_methods(["GET", "POST"])
@agent_required
def notice_settings(request: HttpRequest) -> HttpResponse:
    """A table of checkboxes: each kind of notice, in the workspace and by e-mail."""
    agent = current_agent(request)
    if request.method == "POST":
        chosen = {kind: (f"{kind}-workspace" in request.POST, f"{kind}-email" in request.POST) for kind in DEFAULTS}
        choices_save(agent.pk, chosen)
        messages.success(request, gettext("Your notification choices are saved."))
        return redirect("agent_notice_settings")
    choices = choices_for([agent.pk])
    rows = [(kind, label, *choices[(agent.pk, kind)]) for kind, label in NoticeKind.choices]
    return render(request, "workspace/notice_settings.html", {"rows": rows})
