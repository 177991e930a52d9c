"""How django-allauth sends its e-mails and treats people who first came as guests."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context as allauth_context
from allauth.core.internal.ratelimit import get_ip
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.mailing import account_email_queue
from comptoir.accounts.models import User, normalize_email
from comptoir.accounts.services import is_guest
from comptoir.branding.emails import email_brand_context

# Set on the request by confirm_email: the address was proven with the code typed in the
# very session that signed up (or signed in with the password). Read by the receivers.
CONFIRMED_IN_SESSION = "_comptoir_confirmed_in_session"
# E-mails whose links lead to a page (sign up, ask for a new password) rather than carry a key.
PAGE_LINK_MAILS = ("account/email/account_already_exists", "account/email/unknown_account")


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no type hints
    # allauth's messages that say "email" or that a person of this product could meet, in its words.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account is closed."),
        "email_password_mismatch": _("This e-mail address and password do not match an account."),
        "email_taken": _("An account already uses this e-mail address."),
        "unknown_email": _("No account uses this e-mail address."),
        "unverified_primary_email": _("Confirm your e-mail address first."),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.COMPTOIR_SIGNUP_OPEN)

    def get_from_email(self) -> str:
        return f"{settings.COMPTOIR_SITE_NAME} <{settings.COMPTOIR_SUPPORT_EMAIL}>"

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # A new account speaks the language it signed up in until the profile says otherwise.
        user.language = translation.get_language() or settings.LANGUAGE_CODE
        return super().save_user(request, user, form, commit)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """What the "key" of the login_failed rate limit counts: one account from one IP address.

        allauth counts failed sign-ins per account alone, so anyone who fails on
        purpose with an agent's address locks that agent out. Per account and
        IP together, an attacker only locks themselves out; the "ip" part of the
        limit still caps each address over every account.
        """
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        # Only reached for the code of a pending verification, typed in the session that
        # knew the password (sign-up, or a password sign-in to an unverified address);
        # the receivers keep that password. Codes to sign in arrive by another path.
        setattr(request, CONFIRMED_IN_SESSION, True)
        return bool(super().confirm_email(request, email_address))

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Account e-mails leave through the outbound queue, signed like all our mail.

        They are written now (allauth keeps no copy of a code) in the person's
        preferred language when the address has an account, else in the
        language of the page they are on, and delivered by the worker right
        after the request, with the queue's suppressions and retries.
        """
        user = User.objects.filter(email=normalize_email(email)).only("language").first()
        language = (user.language if user else "") or translation.get_language() or settings.LANGUAGE_CODE
        request = allauth_context.request
        with translation.override(language):
            extra = {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                **context,
                **email_brand_context(language),
                "language": language,
            }
            if template_prefix in PAGE_LINK_MAILS:
                # allauth builds these two from the request's Host header; ours come from the base URL.
                extra["signup_url"] = settings.COMPTOIR_BASE_URL + reverse("account_signup")
                extra["password_reset_url"] = settings.COMPTOIR_BASE_URL + reverse("account_reset_password")
            message = self.render_mail(template_prefix, email, extra)
        account_email_queue(message=message, language=language)

    # Links in e-mails are built on COMPTOIR_BASE_URL, never on the request's Host header.
    def get_reset_password_from_key_url(self, key: str) -> str:
        uid, _, token = key.partition("-")
        return settings.COMPTOIR_BASE_URL + reverse(
            "account_reset_password_from_key", kwargs={"uidb36": uid, "key": token}
        )

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return settings.COMPTOIR_BASE_URL + reverse("account_confirm_email", args=[emailconfirmation.key])

    def send_account_already_exists_mail(self, email: str) -> None:
        """Someone signed up with an address we know only from its tickets: mail it a link to choose a password.

        The page answers the same as for a new address, so it reveals nothing;
        only the owner of the address can follow the link, which proves it.
        """
        user = User.objects.filter(email=normalize_email(email), is_active=True).first()
        if user is None or not is_guest(user):
            super().send_account_already_exists_mail(email)
            return
        self.send_account_claim_mail(user)

    def send_account_claim_mail(self, user: User) -> None:
        key = default_token_generator.make_token(user)
        url = self.get_reset_password_from_key_url(f"{user_pk_to_url_str(user)}-{key}")
        self.send_mail("account/email/account_claim", user.email, {"user": user, "password_set_url": url})
