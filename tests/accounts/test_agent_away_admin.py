"""An agent's absence has one write path, ``agent_away_set``: the admin shows it and does not write it."""

from __future__ import annotations

from comptoir.accounts.models import Role, User


def test_the_admin_shows_away_but_a_post_does_not_write_it(client, db):
    """Regression: the user form wrote ``away`` itself, for requesters too, past agent_away_set's check."""
    person = User.objects.create_user("bob@example.org", name="Bob")
    agent = User.objects.create_user("camille@example.com", name="Camille", role=Role.AGENT)
    User.objects.filter(pk=agent.pk).update(away=True)
    client.force_login(User.objects.create_superuser("root@example.com"))

    page = client.get(f"/admin/accounts/user/{agent.pk}/change/").content.decode()
    assert 'name="away"' not in page and "field-away" in page  # shown read-only

    response = client.post(
        f"/admin/accounts/user/{person.pk}/change/",
        {
            "email": "bob@example.org",
            "name": "Bob",
            "role": "requester",
            "away": "on",
            "is_active": "on",
            "date_joined_0": "2026-11-01",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).away is False
