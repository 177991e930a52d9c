from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from comptoir.mail.models import Mailbox


class MailboxForm(forms.ModelForm[Mailbox]):
    class Meta:
        model = Mailbox
        fields = (
            "name",
            "enabled",
            "host",
            "port",
            "security",
            "allow_insecure",
            "username",
            "password",
            "folder",
            "after_import",
            "move_to",
            "trust_authentication_results",
            "paused_until",
        )
        widgets = {"password": forms.PasswordInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The password is never sent back to the browser, so an empty field
        # keeps the stored one when a mailbox is edited.
        password = self.fields["password"]
        password.required = self.instance.pk is None
        assert isinstance(password, forms.CharField)
        password.strip = False

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        return password or self.instance.password


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = ("name", "host", "enabled", "consecutive_failures", "paused_until", "last_success_at", "last_error")
    list_filter = ("enabled",)
    search_fields = ("name", "host", "username")
    readonly_fields = ("consecutive_failures", "last_error", "last_success_at")
    fieldsets = (
        (None, {"fields": ("name", "enabled")}),
        (_("Server"), {"fields": ("host", "port", "security", "allow_insecure", "username", "password")}),
        (_("Messages"), {"fields": ("folder", "after_import", "move_to", "trust_authentication_results")}),
        (_("Health"), {"fields": ("consecutive_failures", "paused_until", "last_error", "last_success_at")}),
    )
    actions = ("resume",)

    @admin.action(description=_("Resume polling now (clear the pause and the failure count)"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        queryset.update(paused_until=None, consecutive_failures=0)
