"""The security policy as the middleware reads it: the setting, or the administrator's choice in the admin."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from comptoir.accounts.models import SecurityPolicy

CACHE_KEY = "comptoir:security-policy:agent-2fa"
# Other web processes see a change within this time; the one that saved it, at once.
CACHE_SECONDS = 60
POLICY_PK = 1


def security_policy() -> SecurityPolicy:
    policy, _created = SecurityPolicy.objects.get_or_create(pk=POLICY_PK)
    return policy


def agent_two_factor_required() -> bool:
    if settings.COMPTOIR_REQUIRE_AGENT_2FA:
        return True
    cached: bool | None = cache.get(CACHE_KEY)
    if cached is None:
        cached = SecurityPolicy.objects.filter(pk=POLICY_PK, require_agent_two_factor=True).exists()
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    return cached


def security_policy_save(policy: SecurityPolicy) -> None:
    policy.pk = POLICY_PK
    policy.save()
    cache.delete(CACHE_KEY)
