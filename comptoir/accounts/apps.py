from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "comptoir.accounts"
    label = "accounts"
    verbose_name = _("People and access")

    def ready(self) -> None:
        from comptoir.accounts import mailing, receivers  # noqa: F401  (signal handlers, the account e-mail builder)
