"""People: requesters, agents and admins, all logging in with their e-mail address."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
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
