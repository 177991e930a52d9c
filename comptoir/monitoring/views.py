"""/readyz and /metrics: for load balancers and monitoring, never for people's data."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from comptoir.accounts.models import Role
from comptoir.monitoring import health, metrics
from comptoir.monitoring.health import Check


def _is_admin(request: HttpRequest) -> bool:
    # With the database down the session cannot be read: the caller is then anyone.
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_active and (user.is_staff or user.role == Role.ADMIN))
    except DatabaseError:
        return False


def _detail(check: Check) -> dict[str, object]:
    detail: dict[str, object] = {"ok": check.ok, "detail": check.detail}
    if check.value is not None:
        detail["value"] = round(check.value, 3)
    return detail


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every check passes, else 503; what each check found only for admins."""
    checks = health.run_checks()
    ready = all(check.ok for check in checks)
    status = 200 if ready else 503
    response: HttpResponse
    if _is_admin(request):
        detail = {check.name: _detail(check) for check in checks}
        response = JsonResponse({"ready": ready, "checks": detail}, status=status)
    else:
        response = HttpResponse("ready" if ready else "unready", content_type="text/plain", status=status)
    # Not an error of this request: a load balancer asks every few seconds, and an outage would
    # fill the error log with one "Service Unavailable" line per probe (django.request's log_response).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format, for a scraper holding COMPTOIR_METRICS_TOKEN; absent without one."""
    token = settings.COMPTOIR_METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered.strip().encode(), token.encode()):
        response = HttpResponse("unauthorized", content_type="text/plain", status=401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.scrape(), content_type="text/plain; version=0.0.4; charset=utf-8")
