from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "comptoir.accounts"
    label = "accounts"
