"""People: requesters, agents and admins, all logging in with their e-mail address."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AbstractBaseUser, Group, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    ADMIN = "admin", _("Administrator")


class UserManager(DjangoUserManager["User"]):
    def _create_user_object(self, username: str | None, email: str | None, password: str | None, **extra: Any) -> User:
        address = normalize_email(email or username or "")
        if not address:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=address, **extra)
        user.set_password(password)
        return user

    def _create_user(self, username: str | None, email: str | None, password: str | None, **extra: Any) -> User:
        from comptoir.accounts.services import person_save_new  # services import this module

        return person_save_new(self._create_user_object(username, email, password, **extra))

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(None, email, password, **extra)


# Erased accounts keep their row (tickets point to it) under an address in a
# domain that can never receive mail (RFC 2606); see comptoir.portal.erasure.
ERASED_DOMAIN = "invalid.invalid"


def normalize_email(address: str) -> str:
    """Addresses are compared case-insensitively everywhere, so store them lowercased."""
    return address.strip().lower()


class Organisation(models.Model):
    """A customer company. Its members see each other's tickets only when the agents turn sharing on."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    shares_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
        help_text=_("Members can read and answer every ticket opened by another member."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REQUESTER)
    language = models.CharField(_("preferred language"), max_length=8, blank=True)
    # Off: no e-mail for replies and notices; the confirmation and solved e-mails still go.
    notify_by_email = models.BooleanField(_("notification e-mails"), default=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
    )
    # An agent away (holiday, sick leave) gets no ticket from a group's automatic assignment (comptoir.rules).
    away = models.BooleanField(
        _("away"), default=False, help_text=_("Agents away get no new ticket from their groups' assignment.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Requesters share the table (hundreds of thousands of them): the agents,
        # listed on every workspace page, are read from their own small index.
        indexes = [
            models.Index(
                fields=("name", "email"),
                condition=models.Q(role__in=(Role.AGENT, Role.ADMIN)),
                name="user_staff_by_name",
            ),
            # "requester:claire@example.org" compares addresses whatever their case (email__iexact: UPPER on
            # PostgreSQL): without this, a search for one person's tickets walks every ticket.
            models.Index(Upper("email"), name="user_email_upper"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def is_agent(self) -> bool:
        """Agents and admins work tickets; requesters only see their own."""
        return self.is_active and self.role in {Role.AGENT, Role.ADMIN}

    @property
    def is_erased(self) -> bool:
        """The person asked for their data to be erased: the row stays, anonymous, for the tickets' sake."""
        return not self.is_active and self.email.endswith("@" + ERASED_DOMAIN)

    def get_full_name(self) -> str:
        if self.is_erased:
            return gettext("Erased requester")
        return self.name or self.email

    def get_short_name(self) -> str:
        if self.is_erased:
            return gettext("Erased requester")
        return self.name or self.email.split("@")[0]


class SecurityPolicy(models.Model):
    """Sign-in rules an administrator sets in the admin; one row."""

    require_agent_two_factor = models.BooleanField(
        _("require two-factor authentication of every agent"),
        default=False,
        help_text=_(
            "Agents and administrators must set up an authenticator app before they reach the workspace or the "
            "admin. The COMPTOIR_REQUIRE_AGENT_2FA setting turns it on for good."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")

    def __str__(self) -> str:
        return str(_("Security policy"))


class ApiScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """A personal API token (comptoir.accounts.api_tokens): its owner's access, read only or read and write.

    The secret is shown once, when the token is made; only its SHA-256 is kept.
    A slow password hash would add nothing: the secret is 256 random bits, not
    something a person chose. ``prefix``, the public part of the token, finds
    the row; the hash is then compared in constant time.
    """

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("owner"))
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("access"), max_length=8, choices=ApiScope.choices, default=ApiScope.READ)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=("owner", "-created_at"), name="apitoken_by_owner")]

    def __str__(self) -> str:
        return f"{self.name} (cpt_{self.prefix}_…)"

    @property
    def can_write(self) -> bool:
        return self.scope == ApiScope.WRITE

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_live(self, now: datetime | None = None) -> bool:
        """Neither revoked nor expired: the token still opens the API (if its owner's account stands)."""
        return self.revoked_at is None and not self.is_expired(now)


# --- Django's and allauth's models, under the names the admin lists them by -------
# Proxies: the same tables, shown in the admin among the people ("People and access")
# under names of their own; comptoir.accounts.admin registers them instead of the originals.


class PermissionGroup(Group):
    """Django's groups of permissions ("Editors"), told apart from the support groups tickets are assigned to."""

    class Meta:
        proxy = True
        verbose_name = _("permission group")
        verbose_name_plural = _("permission groups")


class AccountAddress(EmailAddress):  # type: ignore[misc]  # allauth has no type hints
    """The e-mail address an account signs in with, verified or not (allauth's)."""

    class Meta:
        proxy = True
        verbose_name = _("sign-in address")
        verbose_name_plural = _("sign-in addresses")


class TwoFactorMethod(Authenticator):  # type: ignore[misc]  # allauth has no type hints
    """An authenticator app or a set of recovery codes (allauth's): deleting one lets its owner set it up again."""

    class Meta:
        proxy = True
        verbose_name = _("two-factor method")
        verbose_name_plural = _("two-factor methods")
