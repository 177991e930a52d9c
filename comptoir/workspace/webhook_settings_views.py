"""Webhooks in the workspace settings, for administrators: subscribed, shown, their deliveries inspected.

Each page reads its form and calls one service of comptoir.webhooks. The
secret is shown once, on the page after it is made (creation, rotation), from
the session, never again. "Send again" and "enable again" are POSTs; what they
send leaves from a worker, never from the request.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.webhooks import services as webhooks
from comptoir.webhooks.models import EventType, Webhook, WebhookAttempt, WebhookDelivery
from comptoir.workspace.access import admin_required, current_agent
from comptoir.workspace.webhook_settings_forms import WebhookForm

# The session key of a secret to show once: {webhook id: secret}.
_SECRET_SHOWN = "webhook_secret_once"  # noqa: S105  # a session key
DELIVERIES_PER_PAGE = 25


def _secret_keep(request: HttpRequest, webhook: Webhook, secret: str) -> None:
    request.session[_SECRET_SHOWN] = {str(webhook.pk): secret}


def _secret_take(request: HttpRequest, webhook: Webhook) -> str:
    kept = request.session.pop(_SECRET_SHOWN, None) or {}
    return str(kept.get(str(webhook.pk), ""))


def _type_labels(names: list[str]) -> list[str]:
    labels = dict(EventType.choices)
    return [str(labels.get(name, name)) for name in names]


@require_GET
@admin_required
def webhook_settings(request: HttpRequest) -> HttpResponse:
    """Every webhook, with its state."""
    hooks = list(Webhook.objects.select_related("owner").order_by("id"))
    rows = [{"webhook": hook, "types": _type_labels(hook.event_types)} for hook in hooks]
    return render(request, "workspace/settings/webhooks.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@admin_required
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook = webhooks.webhook_create(
                owner=current_agent(request),
                url=data["url"],
                description=data["description"],
                event_types=data["event_types"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _secret_keep(request, webhook, webhook.secret)
            messages.success(request, gettext("The webhook is saved. Copy its secret now: it is shown only once."))
            return redirect("agent_webhook", webhook.pk)
    status = 400 if form.is_bound else 200
    return render(request, "workspace/settings/webhook.html", {"form": form, "webhook": None}, status=status)


@require_http_methods(["GET", "POST"])
@admin_required
def webhook_edit(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """The webhook's settings, its secret's state and its latest deliveries."""
    webhook = get_object_or_404(Webhook.objects.select_related("owner"), pk=webhook_id)
    form = WebhookForm(request.POST if request.method == "POST" else None, webhook=webhook)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhooks.webhook_update(
                webhook,
                url=data["url"],
                description=data["description"],
                event_types=data["event_types"],
                active=data["active"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("The webhook is saved."))
            return redirect("agent_webhook", webhook.pk)
    rows = webhook.deliveries.defer("body").order_by("-id")  # the bodies are read one at a time, on their page
    deliveries = Paginator(rows, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "webhook": webhook,
        "types": _type_labels(webhook.event_types),
        "secret": _secret_take(request, webhook) if request.method == "GET" else "",
        "deliveries": deliveries,
    }
    response = render(request, "workspace/settings/webhook.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)  # the secret, shown once, is not kept in the browser's cache
    return response


@require_POST
@admin_required
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    _secret_keep(request, webhook, webhooks.webhook_secret_rotate(webhook))
    messages.success(
        request,
        gettext("A new secret is made; the old one signs beside it for 24 hours. Copy the new one now."),
    )
    return redirect("agent_webhook", webhook.pk)


@require_POST
@admin_required
def webhook_enable(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    webhooks.webhook_enable(webhook)
    messages.success(request, gettext("The webhook is enabled again: it receives the events from now on."))
    return redirect("agent_webhook", webhook.pk)


@require_http_methods(["GET", "POST"])
@admin_required
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    if request.method == "POST":
        webhooks.webhook_delete(webhook)
        messages.success(request, gettext("The webhook is deleted."))
        return redirect("agent_webhook_settings")
    return render(request, "workspace/settings/webhook_delete.html", {"webhook": webhook})


@require_POST
@admin_required
def webhook_send_again_given_up(request: HttpRequest, webhook_id: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=webhook_id)
    if not webhook.active:
        messages.error(request, gettext("Enable the webhook first: a disabled webhook is sent nothing."))
        return redirect("agent_webhook", webhook.pk)
    count = webhooks.deliveries_send_again_given_up(webhook)
    messages.success(
        request,
        ngettext(
            "%(count)s delivery given up is sent again, oldest first.",
            "%(count)s deliveries given up are sent again, oldest first.",
            count,
        )
        % {"count": count},
    )
    return redirect("agent_webhook", webhook.pk)


def _delivery_or_404(webhook_id: int, delivery_id: int) -> WebhookDelivery:
    return get_object_or_404(
        WebhookDelivery.objects.select_related("webhook").prefetch_related(
            Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("-id"))
        ),
        pk=delivery_id,
        webhook_id=webhook_id,
    )


@require_GET
@admin_required
def webhook_delivery(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    """One delivery: what was sent, and every attempt with what the receiver answered."""
    delivery = _delivery_or_404(webhook_id, delivery_id)
    try:
        body = json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        body = delivery.body
    context = {"delivery": delivery, "webhook": delivery.webhook, "body": body, "attempts": delivery.attempt_log.all()}
    response = render(request, "workspace/settings/webhook_delivery.html", context)
    add_never_cache_headers(response)  # it holds the ticket's words
    return response


@require_POST
@admin_required
def webhook_delivery_send_again(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    delivery = _delivery_or_404(webhook_id, delivery_id)
    if not delivery.webhook.active:
        messages.error(request, gettext("Enable the webhook first: a disabled webhook is sent nothing."))
    else:
        webhooks.delivery_send_again(delivery)
        messages.success(request, gettext("The delivery is sent again in a moment, with the same webhook-id."))
    return redirect("agent_webhook_delivery", webhook_id, delivery.pk)
