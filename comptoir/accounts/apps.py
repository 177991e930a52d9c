from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "comptoir.accounts"
    label = "accounts"

    def ready(self) -> None:
        from comptoir.accounts import mailing, receivers  # noqa: F401  (signal handlers, the account e-mail builder)
