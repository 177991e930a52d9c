"""'Select all N matching': a whole list changed by a worker in chunks, with its progress, through the same services."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role, User
from comptoir.tickets.models import EventKind, Priority, Status, Ticket
from comptoir.tickets.services import ticket_set_status
from comptoir.workspace import bulk, bulk_views
from comptoir.workspace.bulk import bulk_job_run
from comptoir.workspace.models import BulkJob, JobState

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def small_chunks(monkeypatch):
    # Two tickets a chunk: a job of five runs in three, as a thousand would in ten.
    monkeypatch.setattr(bulk, "BULK_MAX", 2)


def every(signed_in, params: str, **fields) -> BulkJob:
    response = signed_in.post(
        url("agent_bulk_update"), {"every": "1", "params": params, "next": "/en/agent/?" + params, **fields}
    )
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
    assert len(tickets) == 4


def test_spam_and_canned_replies_go_through_their_own_services(signed_in, make_ticket, small_chunks):
    tickets = [make_ticket(subject=f"Buy now {n}") for n in range(3)]
    job = every(signed_in, "view=all&q=buy", action="spam")
    assert job.action == "spam" and job.fields == {}
    bulk_job_run(job.pk)
    assert {ticket.pk for ticket in Ticket.objects.filter(spam=True)} == {ticket.pk for ticket in tickets}


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
