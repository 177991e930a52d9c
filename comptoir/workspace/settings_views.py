"""The workspace's settings: one page that gathers what an administrator does from week to week.

Each entry leads to a workspace page where one exists, else to the Django admin's list (for staff),
which remains for the rest. The page only links: every page it leads to checks access itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from comptoir.workspace.access import admin_required


@dataclass(frozen=True)
class Entry:
    title: str | Promise
    about: str | Promise
    url_name: str
    # In the Django admin: shown to staff only, marked as such.
    in_admin: bool = False


@dataclass(frozen=True)
class Area:
    title: str | Promise
    entries: tuple[Entry, ...]


AREAS = (
    Area(
        gettext_lazy("Team"),
        (
            Entry(
                gettext_lazy("Agents"),
                gettext_lazy("Who works in the workspace, their role, their second factor."),
                "admin:accounts_user_changelist",
                in_admin=True,
            ),
            Entry(
                gettext_lazy("Support groups"),
                gettext_lazy("Who works on what, the group's lead and how its tickets are assigned."),
                "admin:tickets_supportgroup_changelist",
                in_admin=True,
            ),
        ),
    ),
    Area(
        gettext_lazy("Tickets"),
        (
            Entry(
                gettext_lazy("Business rules"),
                gettext_lazy("Triggers and automations: route, tag, remind and close, with a dry run."),
                "agent_rules_settings",
            ),
            Entry(
                gettext_lazy("Ticket fields and forms"),
                gettext_lazy("The questions customers answer, the forms that ask them, and the fields agents fill in."),
                "agent_ticketform_settings",
            ),
            Entry(
                gettext_lazy("Service levels"),
                gettext_lazy("Targets for the first reply and the resolution, and the teams' business hours."),
                "agent_sla_settings",
            ),
            Entry(
                gettext_lazy("Canned replies"),
                gettext_lazy("Answers written once, in French and in English, with the changes they make."),
                "admin:tickets_macro_changelist",
                in_admin=True,
            ),
            Entry(
                gettext_lazy("Blocked senders"),
                gettext_lazy("Addresses and domains whose new tickets are refused."),
                "admin:tickets_senderblock_changelist",
                in_admin=True,
            ),
        ),
    ),
    Area(
        gettext_lazy("E-mail"),
        (
            Entry(
                gettext_lazy("Mailboxes"),
                gettext_lazy("The addresses customers write to, and how their mail is fetched."),
                "admin:mail_mailbox_changelist",
                in_admin=True,
            ),
            Entry(
                gettext_lazy("Quarantine"),
                gettext_lazy("E-mails kept aside because they could not be read or trusted."),
                "agent_quarantine",
            ),
        ),
    ),
    Area(
        gettext_lazy("Other programs"),
        (
            Entry(
                gettext_lazy("Webhooks"),
                gettext_lazy("Tell another system when tickets change: signed, retried and logged."),
                "agent_webhook_settings",
            ),
            Entry(
                gettext_lazy("API tokens"),
                gettext_lazy("Your own tokens for the REST API; each person manages theirs."),
                "api_tokens",
            ),
        ),
    ),
    Area(
        gettext_lazy("Help Center and figures"),
        (
            Entry(
                gettext_lazy("Branding"),
                gettext_lazy("The Help Center's name, logo, colour and footer links, and the e-mails' signature."),
                "agent_branding_settings",
            ),
            Entry(
                gettext_lazy("Reports"),
                gettext_lazy("Volume, speed, service levels and satisfaction, by period."),
                "agent_reports",
            ),
            Entry(
                gettext_lazy("Deflection"),
                gettext_lazy("Which articles answer customers before they write."),
                "agent_deflection",
            ),
        ),
    ),
)


@require_GET
@admin_required
def settings_home(request: HttpRequest) -> HttpResponse:
    staff = request.user.is_staff
    areas = [
        (area.title, [(entry, reverse(entry.url_name)) for entry in area.entries if staff or not entry.in_admin])
        for area in AREAS
    ]
    shown = [(title, entries) for title, entries in areas if entries]
    return render(request, "workspace/settings/index.html", {"areas": shown})
