from __future__ import annotations

from typing import Any

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.addresses import is_help_desk_address
from comptoir.accounts.models import (
    AccountAddress,
    Organisation,
    PermissionGroup,
    Role,
    SecurityPolicy,
    TwoFactorMethod,
    User,
)
from comptoir.accounts.policy import POLICY_PK, security_policy, security_policy_save
from comptoir.accounts.services import email_address_change, person_save_new


def person_email_clean(email: str, *, changed: bool) -> str:
    """Nobody, requester or colleague, gets one of the help desk's own addresses; a row that has one stays editable."""
    if changed and is_help_desk_address(email):
        raise ValidationError(
            _(
                "This is one of the help desk's own addresses (the support address, a reply address or a "
                "mailbox): mail to it would come back to the help desk. Enter the person's own address."
            ),
            code="help_desk_address",
        )
    return email


class UserCreateForm(UserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email", "name", "role")

    def clean_email(self) -> str:
        return person_email_clean(self.cleaned_data["email"], changed=True)


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = ("email", "name", "role", "language", "organisation")
        labels = {"groups": _("Permission groups")}
        help_texts = {
            "groups": _(
                "Rights in Comptoir, such as writing Help Center articles (Editors). The support groups "
                "tickets are assigned to are set on each support group's page."
            )
        }

    def clean_email(self) -> str:
        return person_email_clean(self.cleaned_data["email"], changed="email" in self.changed_data)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):  # type: ignore[type-var]  # stubs expect AbstractUser
    form = UserEditForm
    add_form = UserCreateForm
    ordering = ("email",)
    list_display = ("email", "name", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active", "is_staff", "organisation")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "role", "language", "organisation", "away")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "role", "password1", "password2")}),)
    # Shown, not edited: an agent's absence has one write path, comptoir.rules.assignment.agent_away_set
    # (which refuses anyone not an agent), for the workspace's "I am away" to call.
    readonly_fields = ("away",)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            person_save_new(obj)
            return
        super().save_model(request, obj, form, change)
        if "email" in form.changed_data:
            # An address an administrator typed for a colleague is trusted; a requester's waits to be proven.
            email_address_change(user=obj, verified=obj.role in (Role.AGENT, Role.ADMIN))


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "shares_tickets", "created_at")
    list_filter = ("shares_tickets",)
    search_fields = ("name",)


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(admin.ModelAdmin[SecurityPolicy]):
    """One row, edited in place: the list leads straight to it."""

    fields = ("require_agent_two_factor",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SecurityPolicy | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        security_policy()
        return redirect("admin:accounts_securitypolicy_change", POLICY_PK)

    def save_model(self, request: HttpRequest, obj: SecurityPolicy, form: Any, change: bool) -> None:
        security_policy_save(obj)


# Django's and allauth's models, listed among the people under names of their own
# (comptoir.accounts.models): the "Groups" of permissions are not the support groups.
for original in (Group, EmailAddress, Authenticator):
    if admin.site.is_registered(original):
        admin.site.unregister(original)
admin.site.register(PermissionGroup, GroupAdmin)
admin.site.register(TwoFactorMethod, AuthenticatorAdmin)


@admin.register(AccountAddress)
class AccountAddressAdmin(EmailAddressAdmin):  # type: ignore[misc]  # allauth has no type hints
    list_display = ("address", "user", "primary", "verified")

    @admin.display(description=_("e-mail address"), ordering="email")
    def address(self, obj: AccountAddress) -> str:
        return str(obj.email)
