"""Each agent's choice, per kind of notice: in the workspace, by e-mail (models.DEFAULTS when unset)."""

from __future__ import annotations

from collections.abc import Collection

from comptoir.notifications.models import DEFAULTS, NoticeSetting


def choices_for(agent_ids: Collection[int]) -> dict[tuple[int, str], tuple[bool, bool]]:
    """(in the workspace, by e-mail) by (agent id, kind), every kind filled in: one query."""
    chosen = {
        (setting.agent_id, setting.kind): (setting.in_workspace, setting.by_email)
        for setting in NoticeSetting.objects.filter(agent_id__in=list(agent_ids))
    }
    return {
        (agent_id, kind): chosen.get((agent_id, kind), default)
        for agent_id in agent_ids
        for kind, default in DEFAULTS.items()
    }


def choices_save(agent_id: int, choices: dict[str, tuple[bool, bool]]) -> None:
    for kind, (in_workspace, by_email) in choices.items():
        NoticeSetting.objects.update_or_create(
            agent_id=agent_id, kind=kind, defaults={"in_workspace": in_workspace, "by_email": by_email}
        )
