"""The agents' tools through the API: running a saved view, applying a canned reply, writing an article.

Issue 18: "views (run a view), macros (apply) … Help Center … write for
editors". Each goes through the workspace's own code (comptoir.workspace.listing,
comptoir.workspace.macros, comptoir.editor.services), so each test compares
with what the workspace would do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from comptoir.accounts.models import ApiScope, Role, User
from comptoir.editor.models import ArticleRevision, RevisionKind
from comptoir.helpcenter.models import Article, ArticleTranslation, Section
from comptoir.helpcenter.services import article_translation_save
from comptoir.mail.models import OutboundEmail
from comptoir.tickets.models import EventKind, Macro, Message, Priority, Status, SupportGroup, Ticket
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from comptoir.workspace.models import SavedView, Visibility
from tests.api.conftest import People, token_for

pytestmark = pytest.mark.django_db


def references(response: Any) -> list[int]:
    return [row["reference"] for row in response.json()["results"]]


# --- Saved views --------------------------------------------------------------------------------


def own_view(owner: User, name: str, params: str, **fields: Any) -> SavedView:
    return SavedView.objects.create(owner=owner, name=name, params=params, **fields)


def test_the_views_are_the_side_bar_s_shared_first_then_the_caller_s_own(api, people: People):
    SavedView.objects.all().delete()
    level2 = SupportGroup.objects.create(name="Level 2")
    level2.members.add(people.agent)
    other_group = SupportGroup.objects.create(name="Billing")
    mine = own_view(people.agent, "My VIPs", "q=tag:vip", position=0)
    own_view(people.admin, "Ada's", "view=all")
    team = SavedView.objects.create(name="Urgent", params="priority=urgent", visibility=Visibility.EVERYONE, position=5)
    grouped = SavedView.objects.create(
        name="Level 2 queue", params="view=open", visibility=Visibility.GROUP, group=level2, position=1
    )
    SavedView.objects.create(name="Billing queue", params="view=open", visibility=Visibility.GROUP, group=other_group)

    response = api("get", "/api/v1/views/", token_for(people.agent))

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [grouped.pk, team.pk, mine.pk]
    assert rows[0]["group"] == {"id": level2.pk, "name": "Level 2"}
    assert (rows[2]["visibility"], rows[2]["params"]) == ("personal", "q=tag:vip")
    assert rows[2]["tickets_url"] == f"http://testserver/api/v1/views/{mine.pk}/tickets/"


def test_a_built_in_view_is_named_in_the_caller_s_language(api, people: People):
    SavedView.objects.filter(key="unassigned").delete()
    view = SavedView.objects.create(key="unassigned", params="view=unassigned", visibility=Visibility.EVERYONE)
    token = token_for(people.agent)

    english = {row["id"]: row for row in api("get", "/api/v1/views/?limit=100", token).json()["results"]}
    french = {
        row["id"]: row
        for row in api("get", "/api/v1/views/?limit=100", token, HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    }

    assert (english[view.pk]["name"], english[view.pk]["built_in"]) == ("Unassigned", "unassigned")
    assert french[view.pk]["name"] == "Non assignés"


def test_running_a_view_lists_its_tickets_with_its_filters_and_sort(api, people: People, make_ticket):
    urgent_old = make_ticket(subject="Server down")
    urgent_new = make_ticket(subject="Database down")
    for ticket in (urgent_old, urgent_new):
        ticket_update_by_agent(ticket, agent=people.agent, priority=Priority.URGENT)
    view = own_view(people.agent, "Urgent, oldest first", "view=all&priority=urgent&sort=created")

    response = api("get", f"/api/v1/views/{view.pk}/tickets/", token_for(people.agent))

    assert response.status_code == 200, response.content
    assert references(response) == [urgent_old.reference, urgent_new.reference]
    assert response.json()["notices"] == []
    assert response.json()["results"][0]["priority"] == "urgent"


def test_running_a_view_reads_its_search_and_pages_with_cursors(api, people: People, make_ticket):
    made = [make_ticket(subject=f"Parcel lost {n}") for n in range(3)]
    make_ticket(subject="Printer jam")
    view = own_view(people.agent, "Parcels", "view=all&q=parcel&sort=-created")
    token = token_for(people.agent)

    first = api("get", f"/api/v1/views/{view.pk}/tickets/?limit=2", token)
    second = api("get", first.json()["next"], token)

    assert references(first) + references(second) == [ticket.reference for ticket in reversed(made)]
    assert second.json()["next"] is None


def test_a_view_sorted_by_priority_pages_through_every_ticket_once(api, people: People, make_ticket):
    for n, priority in enumerate([Priority.LOW, Priority.URGENT, Priority.NORMAL, Priority.HIGH]):
        ticket = make_ticket(subject=f"Ticket {n}")
        ticket_update_by_agent(ticket, agent=people.agent, priority=priority)
    view = own_view(people.agent, "By priority", "view=all&sort=-priority")
    token = token_for(people.agent)

    seen: list[str] = []
    address = f"/api/v1/views/{view.pk}/tickets/?limit=1"
    while address:
        page = api("get", address, token).json()
        seen += [row["priority"] for row in page["results"]]
        address = page["next"]

    assert seen[:4] == ["urgent", "high", "normal", "normal"]
    assert len(seen) == Ticket.objects.filter(spam=False).count()


def test_a_view_sorted_by_relevance_lists_best_match_first_page_by_page(api, people: People, make_ticket):
    """As the workspace ranks it (tests/workspace/test_search.py): the subject outweighs a message, dates aside."""
    mentioned = make_ticket(email="m@example.org", subject="Question", description="The modem blinks.")
    titled = make_ticket(email="t@example.org", subject="Modem offline", description="It stopped.")
    both = make_ticket(email="b@example.org", subject="Modem reboots", description="The modem beeps, modem down.")
    for days_ago, ticket in enumerate((mentioned, titled, both)):
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=days_ago * 10))
    view = own_view(people.agent, "Modems", "view=all&q=modem&sort=relevance")
    token = token_for(people.agent)

    first = api("get", f"/api/v1/views/{view.pk}/tickets/?limit=2", token)
    second = api("get", first.json()["next"], token)
    back = api("get", second.json()["previous"], token)

    assert first.status_code == 200, first.content
    assert references(first) + references(second) == [both.reference, titled.reference, mentioned.reference]
    assert (first.json()["previous"], second.json()["next"]) == (None, None)
    assert references(back) == references(first)
    # The first page's address has no cursor, as the list's own first page.
    assert "cursor=" not in second.json()["previous"]


def test_a_ranked_page_refuses_a_cursor_it_did_not_give(api, people: People, make_ticket):
    make_ticket(subject="Modem offline")
    view = own_view(people.agent, "Modems", "view=all&q=modem&sort=relevance")
    token = token_for(people.agent)

    for cursor in ("nonsense", "cmFuazotMQ==", "cmFuazo1MDA=", "bz0xMCZwPTE="):  # rank:-1, rank:500, a keyset cursor
        response = api("get", f"/api/v1/views/{view.pk}/tickets/?cursor={cursor}", token)
        assert (response.status_code, response.json()["errors"][0]["parameter"]) == (400, "cursor"), cursor


def test_a_built_in_view_runs_for_the_caller(api, people: People):
    """ "My unsolved tickets" is the caller's: the same view lists another agent's tickets for them."""
    ticket_update_by_agent(people.ticket_a, agent=people.agent, assignee=people.agent)
    ticket_update_by_agent(people.ticket_b, agent=people.admin, assignee=people.admin)
    SavedView.objects.filter(key="mine").delete()
    mine = SavedView.objects.create(key="mine", params="view=mine", visibility=Visibility.EVERYONE)
    path = f"/api/v1/views/{mine.pk}/tickets/"

    assert references(api("get", path, token_for(people.agent))) == [people.ticket_a.reference]
    assert references(api("get", path, token_for(people.admin))) == [people.ticket_b.reference]


def test_another_agent_s_own_view_is_a_404_like_a_missing_one(api, people: People):
    theirs = own_view(people.admin, "Ada's", "view=all")
    token = token_for(people.agent)

    refused = api("get", f"/api/v1/views/{theirs.pk}/tickets/", token)
    missing = api("get", "/api/v1/views/999999/tickets/", token)

    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()


def test_running_a_view_costs_the_same_queries_at_1_and_100_rows(
    api, people: People, make_ticket, django_assert_num_queries
):
    group = SupportGroup.objects.create(name="Level 2")
    for n in range(100):
        ticket = make_ticket(subject=f"Ticket {n}")
        if n % 3 == 0:
            ticket_update_by_agent(ticket, agent=people.agent, group=group, add_tags=["vip"])
    view = own_view(people.agent, "Everything", "view=all&sort=created")
    token = token_for(people.agent)
    path = f"/api/v1/views/{view.pk}/tickets/"
    api("get", path, token)
    # The four of every request (address counter, token and owner, "last used", token counter), the
    # view, the agents and the groups (the view's filters read them, as the workspace's list does),
    # the page's tickets with requester, assignee and group, their tags, their ticket fields' values.
    with django_assert_num_queries(10):
        one = api("get", path + "?limit=1", token)
    with django_assert_num_queries(10):
        hundred = api("get", path + "?limit=100", token)
    assert (len(references(one)), len(references(hundred))) == (1, 100)
    assert any(row["tags"] == ["vip"] for row in hundred.json()["results"])


def test_the_views_list_costs_the_same_queries_at_1_and_100_views(api, people: People, django_assert_num_queries):
    group = SupportGroup.objects.create(name="Level 2")
    group.members.add(people.agent)
    SavedView.objects.bulk_create(
        SavedView(name=f"View {n}", params="view=all", visibility=Visibility.GROUP, group=group) for n in range(100)
    )
    token = token_for(people.agent)
    api("get", "/api/v1/views/", token)
    # The four of every request, the page of views with their groups.
    with django_assert_num_queries(5):
        one = api("get", "/api/v1/views/?limit=1", token)
    with django_assert_num_queries(5):
        hundred = api("get", "/api/v1/views/?limit=100", token)
    assert (len(one.json()["results"]), len(hundred.json()["results"])) == (1, 100)


# --- Canned replies -----------------------------------------------------------------------------


def macro(**fields: Any) -> Macro:
    values: dict[str, Any] = {
        "title": "Refund sent",
        "body": "Hello {requester_name}, your refund for {ticket_reference} is on its way. {agent_name}",
    }
    values.update(fields)
    return Macro.objects.create(**values)


def test_the_canned_replies_are_the_active_ones_by_title(api, people: People):
    second = macro(title="Shipping delay", add_tags="delay shipping", status=Status.PENDING)
    first = macro(title="Apology")
    macro(title="Old one", is_active=False)

    response = api("get", "/api/v1/macros/", token_for(people.agent))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [first.pk, second.pk]
    assert (rows[1]["add_tags"], rows[1]["status"]) == (["delay", "shipping"], "pending")


def test_the_canned_replies_list_costs_the_same_queries_at_1_and_100(api, people: People, django_assert_num_queries):
    Macro.objects.bulk_create(Macro(title=f"Reply {n:03}", body="Text.") for n in range(100))
    token = token_for(people.agent)
    api("get", "/api/v1/macros/", token)
    # The four of every request, the page of canned replies.
    with django_assert_num_queries(5):
        one = api("get", "/api/v1/macros/?limit=1", token)
    with django_assert_num_queries(5):
        hundred = api("get", "/api/v1/macros/?limit=100", token)
    assert (len(one.json()["results"]), len(hundred.json()["results"])) == (1, 100)


def test_applying_a_canned_reply_replies_and_sets_its_fields_as_the_workspace_does(api, people: People):
    ticket = people.ticket_a
    refund = macro(priority=Priority.HIGH, add_tags="refund", status=Status.PENDING)

    response = api("post", f"/api/v1/tickets/{ticket.reference}/macros/{refund.pk}/apply/", token_for(people.agent), {})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["tags"]) == ("pending", "high", ["refund"])
    reply = Message.objects.filter(ticket=ticket).latest("created_at")
    assert reply.is_public is True
    assert reply.body == f"Hello Alice, your refund for #{ticket.reference} is on its way. Camille"
    assert ticket.events.filter(kind=EventKind.REPLY, actor=people.agent).exists()
    # The requester is e-mailed the reply, as from the workspace.
    assert OutboundEmail.objects.filter(
        to_address="alice@example.org", kind="agent_reply", ticket_message=reply
    ).exists()


def test_a_canned_reply_applied_as_a_note_e_mails_nobody(api, people: People):
    ticket = people.ticket_a
    mails = OutboundEmail.objects.filter(ticket=ticket).count()

    response = api(
        "post",
        f"/api/v1/tickets/{ticket.reference}/macros/{macro().pk}/apply/",
        token_for(people.agent),
        {"is_public": False},
    )

    assert response.status_code == 200
    assert Message.objects.filter(ticket=ticket).latest("created_at").is_public is False
    assert OutboundEmail.objects.filter(ticket=ticket).count() == mails


def test_a_canned_reply_is_not_applied_to_a_closed_ticket(api, people: People):
    ticket = people.ticket_a
    ticket.refresh_from_db()
    assert ticket_set_status(ticket, Status.CLOSED, actor=people.agent)
    messages = Message.objects.filter(ticket=ticket).count()

    response = api(
        "post", f"/api/v1/tickets/{ticket.reference}/macros/{macro().pk}/apply/", token_for(people.agent), {}
    )

    assert (response.status_code, response.json()["type"]) == (409, "/api/v1/problems/macro-refused")
    assert response.json()["detail"] == f"Ticket #{ticket.reference} is closed: a canned reply cannot be applied to it."
    assert Message.objects.filter(ticket=ticket).count() == messages


def test_an_inactive_canned_reply_is_a_404(api, people: People):
    retired = macro(is_active=False)
    response = api(
        "post", f"/api/v1/tickets/{people.ticket_a.reference}/macros/{retired.pk}/apply/", token_for(people.agent), {}
    )
    assert response.status_code == 404


def test_a_retried_apply_with_the_same_idempotency_key_replies_once(api, people: People):
    ticket = people.ticket_a
    path = f"/api/v1/tickets/{ticket.reference}/macros/{macro().pk}/apply/"
    token = token_for(people.agent)
    messages = Message.objects.filter(ticket=ticket).count()

    first = api("post", path, token, {}, HTTP_IDEMPOTENCY_KEY="apply-1")
    again = api("post", path, token, {}, HTTP_IDEMPOTENCY_KEY="apply-1")
    other_body = api("post", path, token, {"is_public": False}, HTTP_IDEMPOTENCY_KEY="apply-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(ticket=ticket).count() == messages + 1
    assert other_body.status_code == 422


# --- Writing articles ---------------------------------------------------------------------------


@pytest.fixture
def article() -> Article:
    section = Section.objects.create(key="start", position=1)
    made = Article.objects.create(key="hello", section=section)
    article_translation_save(
        article=made, language="en", title="Hello", slug="hello", summary="", body_markdown="Old text."
    )
    return made


def editor() -> User:
    person = User.objects.create_user("editor@example.com", name="Eddie", role=Role.AGENT)
    editors, _made = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="edit_articles"))
    person.groups.add(editors)
    return person


def test_an_editor_s_draft_leaves_what_readers_see(api, people: People, article: Article):
    response = api(
        "put",
        f"/api/v1/helpcenter/articles/{article.pk}/translations/en/",
        token_for(editor()),
        {"title": "Hello again", "body_markdown": "New text."},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["published"], body["slug"], body["web_url"]) == (False, "hello-again", None)
    assert ArticleRevision.objects.get(article=article).kind == RevisionKind.DRAFT
    assert ArticleTranslation.objects.get(article=article, language="en").body_markdown == "Old text."


def test_publishing_a_new_language_shows_it_to_readers(api, people: People, article: Article):
    response = api(
        "put",
        f"/api/v1/helpcenter/articles/{article.pk}/translations/fr/",
        token_for(people.admin),
        {"title": "Bonjour", "summary": "Pour commencer.", "body_markdown": "**Texte**", "published": True},
    )

    assert response.status_code == 200, response.content
    assert response.json()["web_url"] == f"http://testserver/fr/articles/{article.pk}-bonjour/"
    live = ArticleTranslation.objects.get(article=article, language="fr")
    assert (live.title, live.summary, live.body_html) == ("Bonjour", "Pour commencer.", "<p><strong>Texte</strong></p>")
    read = api("get", f"/api/v1/helpcenter/articles/{article.pk}/", None, HTTP_ACCEPT_LANGUAGE="fr")
    assert read.json()["title"] == "Bonjour"


def test_only_editors_write_articles(api, people: People, article: Article):
    for token in (token_for(people.agent), token_for(people.requester_a)):
        response = api(
            "put",
            f"/api/v1/helpcenter/articles/{article.pk}/translations/en/",
            token,
            {"title": "Defaced", "body_markdown": "x", "published": True},
        )
        assert (response.status_code, response.json()["type"]) == (403, "/api/v1/problems/forbidden")
    assert not ArticleRevision.objects.exists()
    assert ArticleTranslation.objects.get(article=article, language="en").title == "Hello"


def test_an_editor_s_read_only_token_writes_nothing(api, people: People, article: Article):
    response = api(
        "put",
        f"/api/v1/helpcenter/articles/{article.pk}/translations/en/",
        token_for(editor(), ApiScope.READ),
        {"title": "Hello", "body_markdown": "x"},
    )
    assert (response.status_code, response.json()["type"]) == (403, "/api/v1/problems/read-only-token")
    assert not ArticleRevision.objects.exists()


def test_an_unknown_language_or_article_is_a_404_and_a_blank_title_a_400(api, people: People, article: Article):
    token = token_for(people.admin)
    data = {"title": "Hallo", "body_markdown": "x"}
    assert api("put", f"/api/v1/helpcenter/articles/{article.pk}/translations/de/", token, data).status_code == 404
    assert api("put", "/api/v1/helpcenter/articles/999999/translations/en/", token, data).status_code == 404
    blank = api("put", f"/api/v1/helpcenter/articles/{article.pk}/translations/en/", token, {**data, "title": "  "})
    assert (blank.status_code, blank.json()["errors"][0]["pointer"]) == (400, "#/title")


def test_an_editor_creates_an_article_hidden_until_published(api, people: People, article: Article):
    token = token_for(editor())
    data = {"section": article.section_id, "language": "fr", "title": "Écrans noirs", "body_markdown": "Texte."}

    created = api("post", "/api/v1/helpcenter/articles/", token, data)

    assert created.status_code == 201, created.content
    body = created.json()
    made = Article.objects.get(pk=body["article"])
    assert (body["published"], body["slug"], body["language"]) == (False, "ecrans-noirs", "fr")
    assert (made.section_id, made.is_published, made.position) == (article.section_id, False, article.position + 1)
    assert api("get", f"/api/v1/helpcenter/articles/{made.pk}/", None, HTTP_ACCEPT_LANGUAGE="fr").status_code == 404

    live = api("post", "/api/v1/helpcenter/articles/", token, {**data, "title": "En ligne", "published": True})

    assert (live.status_code, live.json()["published"]) == (201, True)
    read = api("get", f"/api/v1/helpcenter/articles/{live.json()['article']}/", None, HTTP_ACCEPT_LANGUAGE="fr")
    assert (read.status_code, read.json()["title"], read.json()["body_html"]) == (200, "En ligne", "<p>Texte.</p>")


def test_creating_an_article_in_no_section_or_language_is_a_400_and_creates_nothing(
    api, people: People, article: Article
):
    token = token_for(people.admin)
    data = {"section": article.section_id, "language": "en", "title": "New", "body_markdown": "x"}

    missing = api("post", "/api/v1/helpcenter/articles/", token, {**data, "section": 999999})
    german = api("post", "/api/v1/helpcenter/articles/", token, {**data, "language": "de"})

    assert (missing.status_code, missing.json()["errors"][0]["pointer"]) == (400, "#/section")
    assert (german.status_code, german.json()["errors"][0]["pointer"]) == (400, "#/language")
    assert list(Article.objects.values_list("pk", flat=True)) == [article.pk]


def test_an_editor_reads_the_newest_text_draft_or_live(api, people: People, article: Article):
    token = token_for(editor())
    path = f"/api/v1/helpcenter/articles/{article.pk}/translations/en/"
    api("put", path, token, {"title": "Hello", "body_markdown": "Live text.", "published": True})
    api("put", path, token, {"title": "Hello", "body_markdown": "Draft text."})

    newest = api("get", path, token)

    assert newest.status_code == 200, newest.content
    assert (newest.json()["body_markdown"], newest.json()["published"]) == ("Draft text.", False)
    assert api("get", f"/api/v1/helpcenter/articles/{article.pk}/translations/fr/", token).status_code == 404
    # Drafts are the editors': an agent who does not edit is refused, as on the editor's pages.
    assert api("get", path, token_for(people.agent)).status_code == 403


def test_unpublishing_hides_the_article_in_every_language_and_keeps_its_texts(api, people: People, article: Article):
    token = token_for(people.admin)

    first = api("post", f"/api/v1/helpcenter/articles/{article.pk}/unpublish/", token, {})
    again = api("post", f"/api/v1/helpcenter/articles/{article.pk}/unpublish/", token, {})

    assert first.json() == again.json() == {"id": article.pk, "section": article.section_id, "published": False}
    # Once: hiding a hidden article writes no second revision.
    assert list(ArticleRevision.objects.values_list("kind", flat=True)) == [RevisionKind.UNPUBLISHED]
    assert api("get", f"/api/v1/helpcenter/articles/{article.pk}/", None).status_code == 404
    assert ArticleTranslation.objects.get(article=article, language="en").body_markdown == "Old text."
    republished = api(
        "put",
        f"/api/v1/helpcenter/articles/{article.pk}/translations/en/",
        token,
        {"title": "Hello", "body_markdown": "Back.", "published": True},
    )
    assert republished.status_code == 200
    assert api("get", f"/api/v1/helpcenter/articles/{article.pk}/", None).json()["body_markdown"] == "Back."
