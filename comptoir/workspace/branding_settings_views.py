"""Branding in the workspace settings, for administrators: the Help Center's and the e-mails' look."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from comptoir.branding import services as branding
from comptoir.branding.models import SINGLETON_ID, Branding
from comptoir.branding.selectors import brand_from
from comptoir.workspace.access import admin_required
from comptoir.workspace.branding_settings_forms import BrandingForm


@require_http_methods(["GET", "POST"])
@admin_required
def branding_settings(request: HttpRequest) -> HttpResponse:
    row = Branding.objects.filter(pk=SINGLETON_ID).first()
    posted = request.method == "POST"
    form = BrandingForm(request.POST if posted else None, request.FILES if posted else None, branding=row)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            branding.branding_update(
                name_fr=data["name_fr"],
                name_en=data["name_en"],
                colour=data["colour"],
                footer_links=data["footer_links"],
                signature_fr=data["signature_fr"],
                signature_en=data["signature_en"],
                logo=data["logo"],
                logo_remove=data["logo_remove"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("The branding is saved: the Help Center and e-mails show it now."))
            return redirect("agent_branding_settings")
    context = {"form": form, "current": brand_from(row)}
    return render(request, "workspace/settings/branding.html", context, status=400 if form.errors else 200)
