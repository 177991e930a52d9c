"""'Select all N matching': a whole list changed by a worker in chunks, with its progress, through the same services."""

from __future__ import annotations

import pytest

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import EventKind, Macro, Priority, Status, Ticket
from comptoir.tickets.services import ticket_set_status
from comptoir.workspace import bulk, bulk_views
from comptoir.workspace.bulk import bulk_job_run, job_report
from comptoir.workspace.models import BulkJob, JobState
from tests.workspace.test_bulk_views import flashes, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(monkeypatch):
    # Two tickets a chunk: a job of five runs in three, as a thousand would in ten.
    monkeypatch.setattr(bulk, "BULK_MAX", 2)


def every(signed_in, params: str, **fields) -> BulkJob:
    """Ask for a change of every ticket of the list, then confirm it as the page asks."""
    posted = {"every": "1", "params": params, "next": "/en/agent/?" + params, **fields}
    asked = signed_in.post(url("agent_bulk_update"), posted)
    assert asked.status_code == 200 and not BulkJob.objects.exists()
    assert '<input type="hidden" name="confirmed" value="1">' in asked.content.decode()
    response = signed_in.post(url("agent_bulk_update"), {**posted, "confirmed": "1"})
    job = BulkJob.objects.get()
    assert response["Location"] == url("agent_bulk_job", job.pk)
    return job


def test_every_ticket_of_the_list_is_kept_then_changed_in_chunks_as_by_hand(signed_in, make_ticket, small_chunks):
    urgent = [make_ticket(subject=f"Invoice {n}") for n in range(5)]
    other = make_ticket(subject="Password")

    job = every(signed_in, "view=all&q=invoice", add_tags="refund", priority=Priority.URGENT)

    assert sorted(job.ticket_ids) == sorted(ticket.pk for ticket in urgent)
    assert (job.state, job.done, job.back) == (JobState.QUEUED, 0, "/en/agent/?view=all&q=invoice")
    late = make_ticket(subject="Invoice late")  # joins the list after the agent asked: left alone
    bulk_job_run(job.pk)

    job.refresh_from_db()
    assert (job.state, job.done, job.changed) == (JobState.DONE, 5, 5)
    for ticket in urgent:
        ticket.refresh_from_db()
        assert ticket.priority == Priority.URGENT
        assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
        assert ticket.events.filter(kind=EventKind.TAG_ADDED).count() == 1
    for untouched in (other, late):
        untouched.refresh_from_db()
        assert untouched.priority == Priority.NORMAL and not untouched.tags.exists()


def test_the_job_page_follows_the_progress_then_reports(signed_in, make_ticket, small_chunks, agent):
    tickets = [make_ticket(subject=f"Invoice {n}") for n in range(3)]
    ticket_set_status(tickets[0], Status.CLOSED, actor=None)
    job = every(signed_in, "view=all", priority=Priority.HIGH)

    page = signed_in.get(url("agent_bulk_job", job.pk)).content.decode()
    assert "0 of 3 tickets handled" in page and f'data-job-progress="{url("agent_bulk_job_progress", job.pk)}"' in page
    assert signed_in.get(url("agent_bulk_job_progress", job.pk)).json() == {
        "done": 0,
        "total": 3,
        "finished": False,
        "label": "0 of 3 tickets handled",
    }

    bulk_job_run(job.pk)

    assert signed_in.get(url("agent_bulk_job_progress", job.pk)).json()["finished"] is True
    page = signed_in.get(url("agent_bulk_job", job.pk)).content.decode()
    assert "3 of 3 tickets handled" in page and "data-job-progress" not in page
    assert "2 tickets updated." in page
    assert f"Left as they were, being closed: #{tickets[0].reference}." in page


def test_a_job_resumes_where_a_worker_stopped_and_never_applies_a_chunk_twice(signed_in, make_ticket, small_chunks):
    tickets = [make_ticket(subject=f"Invoice {n}") for n in range(4)]
    job = every(signed_in, "view=all", add_tags="refund")
    job_ids = list(job.ticket_ids)
    # A worker died after its first chunk: the job says two are done.
    BulkJob.objects.filter(pk=job.pk).update(done=2, changed=2, state=JobState.RUNNING)

    bulk_job_run(job.pk)
    bulk_job_run(job.pk)  # handed twice: the second finds it done

    tagged = set(Ticket.objects.filter(tags__name="refund").values_list("pk", flat=True))
    assert tagged == set(job_ids[2:])
    job.refresh_from_db()
    assert (job.done, job.changed, job.state) == (4, 4, JobState.DONE)
    assert set(job_ids) == {ticket.pk for ticket in tickets}


def test_spam_goes_through_its_own_service(signed_in, make_ticket, small_chunks):
    tickets = [make_ticket(subject=f"Buy now {n}") for n in range(3)]
    job = every(signed_in, "view=all&q=buy", action="spam", priority="urgent")
    # Only the action's own fields are kept: spam reads none.
    assert job.action == "spam" and job.fields == {}
    bulk_job_run(job.pk)
    assert {ticket.pk for ticket in Ticket.objects.filter(spam=True)} == {ticket.pk for ticket in tickets}


def test_a_canned_reply_on_a_whole_list_writes_each_ticket_s_reply(signed_in, make_ticket, small_chunks):
    macro = Macro.objects.create(title="Known outage", body="We know, {requester_name}.", status=Status.PENDING)
    tickets = [make_ticket(subject=f"Outage {n}") for n in range(3)]
    job = every(signed_in, "view=all&q=outage", action="macro", macro=str(macro.pk), reply_as="public")
    assert job.fields == {"macro": [str(macro.pk)], "reply_as": ["public"]}
    bulk_job_run(job.pk)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == Status.PENDING
        assert ticket.messages.filter(is_public=True, body="We know, Alice Martin.").count() == 1


def test_the_confirmation_says_what_changes_and_who_is_e_mailed(signed_in, make_ticket):
    make_ticket()
    make_ticket()
    posted = {"every": "1", "params": "view=all", "status": "solved", "priority": "high", "next": "/en/agent/"}
    page = signed_in.post(url("agent_bulk_update"), posted).content.decode()
    assert "Change the 2 tickets of the list?" in page
    assert "<li>Status: Solved</li>" in page and "<li>Priority: High</li>" in page
    assert "Each requester is e-mailed that their ticket is solved, with the satisfaction survey." in page
    assert '<input type="hidden" name="status" value="solved">' in page
    assert not BulkJob.objects.exists()


def test_a_job_stops_when_its_agent_may_no_longer_act(signed_in, make_ticket, small_chunks, agent):
    tickets = [make_ticket(subject=f"Invoice {n}") for n in range(4)]
    job = every(signed_in, "view=all", priority=Priority.URGENT)
    User.objects.filter(pk=agent.pk).update(is_active=False)
    bulk_job_run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done, job.changed) == (JobState.DONE, 4, 0)
    assert not Ticket.objects.filter(priority=Priority.URGENT).exists()
    report = [text for _level, text in job_report(job)]
    assert report == [
        "Left as they were, whoever asked for the change no longer being an agent: "
        + ", ".join(f"#{ticket.reference}" for ticket in sorted(tickets, key=lambda t: job.ticket_ids.index(t.pk)))
        + "."
    ]


def test_a_canned_reply_removed_meanwhile_leaves_the_rest_as_it_was(signed_in, make_ticket, small_chunks):
    macro = Macro.objects.create(title="Known outage", body="We know.")
    for n in range(3):
        make_ticket(subject=f"Outage {n}")
    job = every(signed_in, "view=all", action="macro", macro=str(macro.pk), reply_as="note")
    Macro.objects.filter(pk=macro.pk).update(is_active=False)
    bulk_job_run(job.pk)
    job.refresh_from_db()
    assert job.changed == 0 and len(job.refused) == 3
    assert job_report(job)[0][1].startswith("Left as they were, what was asked no longer being possible")


def test_an_unknown_action_and_a_foreign_way_back_are_refused(signed_in, make_ticket):
    make_ticket()
    response = signed_in.post(url("agent_bulk_update"), {"every": "1", "params": "view=all", "action": "x" * 11})
    assert flashes(response)[-1:] == ["This is not a change the list offers."]
    for back in ("javascript:alert(1)", "https://evil.example/", "/en/agent/?q=" + "a" * 2030):
        posted = {"every": "1", "params": "view=all", "priority": "high", "next": back, "confirmed": "1"}
        signed_in.post(url("agent_bulk_update"), posted)
        assert BulkJob.objects.order_by("-pk").first().back == url("agent_tickets"), back


def test_a_whole_list_is_not_merged(signed_in, make_ticket):
    target = make_ticket()
    make_ticket()
    response = signed_in.post(
        url("agent_bulk_update"), {"every": "1", "params": "view=all", "action": "merge", "into": target.reference}
    )
    assert flashes(response)[-1:] == ["Tick the tickets to merge: a whole list is not merged at once."]
    assert not BulkJob.objects.exists()


def test_a_list_longer_than_a_job_takes_is_refused_naming_the_limit(signed_in, make_ticket, monkeypatch):
    monkeypatch.setattr(bulk_views, "BULK_JOB_MAX", 2)
    for n in range(3):
        make_ticket(subject=f"Invoice {n}")
    response = signed_in.post(url("agent_bulk_update"), {"every": "1", "params": "view=all", "priority": "high"})
    assert flashes(response)[-1:] == ["This list holds more than 2 tickets: narrow it down to change them all at once."]
    assert not BulkJob.objects.exists()


def test_nothing_ticked_and_not_every_ticket_is_still_refused(signed_in, make_ticket):
    make_ticket()
    response = signed_in.post(url("agent_bulk_update"), {"params": "view=all", "priority": "high"})
    assert flashes(response)[-1:] == ["Tick at least one ticket first."]
    assert not BulkJob.objects.exists()


def test_a_job_is_its_agent_s_alone(signed_in, client, make_ticket):
    make_ticket()
    job = every(signed_in, "view=all", priority=Priority.HIGH)
    colleague = User.objects.create_user("dominique@example.com", name="Dominique", role=Role.AGENT)
    client.force_login(colleague)
    assert client.get(url("agent_bulk_job", job.pk)).status_code == 404
    assert client.get(url("agent_bulk_job_progress", job.pk)).status_code == 404
    client.force_login(make_ticket().requester)
    assert client.get(url("agent_bulk_job", job.pk)).status_code == 403


def test_the_list_offers_every_ticket_only_when_it_runs_past_a_page(signed_in, make_ticket, monkeypatch):
    from comptoir.workspace import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    make_ticket()
    make_ticket()
    assert "data-select-every-bar" not in signed_in.get(url("agent_tickets"), {"view": "all"}).content.decode()
    make_ticket()
    page = signed_in.get(url("agent_tickets"), {"view": "all"}).content.decode()
    assert "data-select-every-bar" in page and "Select all 3 tickets of this list" in page
    assert '<input type="hidden" name="params" value="view=all">' in page


def test_jobs_left_unfinished_are_handed_to_a_worker_again(signed_in, make_ticket, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from comptoir.workspace import tasks

    make_ticket()
    stalled = every(signed_in, "view=all", priority=Priority.HIGH)
    BulkJob.objects.filter(pk=stalled.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    fresh = BulkJob.objects.create(agent=stalled.agent, ticket_ids=[1])
    finished = BulkJob.objects.create(agent=stalled.agent, ticket_ids=[1], state=JobState.DONE)
    BulkJob.objects.filter(pk=finished.pk).update(created_at=timezone.now() - timedelta(hours=1))
    handed: list[int] = []
    monkeypatch.setattr(tasks.run_bulk_job, "delay", handed.append)

    assert tasks.resume_bulk_jobs() == 1
    assert handed == [stalled.pk] and fresh.pk not in handed
