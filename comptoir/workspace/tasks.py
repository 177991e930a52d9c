from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from comptoir.workspace.bulk import bulk_job_run
from comptoir.workspace.models import BulkJob, JobState

# A job no worker finished this long after it was asked for is handed to a worker again.
STALLED_AFTER = timedelta(minutes=2)


@shared_task(autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def run_bulk_job(job_id: int) -> None:
    """A bulk change over a whole list; safe to run twice or to resume (comptoir.workspace.bulk.bulk_job_run)."""
    bulk_job_run(job_id)


@shared_task
def resume_bulk_jobs() -> int:
    """Hand again to a worker the jobs left unfinished (a lost message, a worker gone, retries spent).

    Safe whatever runs at once: each chunk locks its job and is applied once (bulk_job_run).
    """
    stalled = BulkJob.objects.exclude(state=JobState.DONE).filter(created_at__lt=timezone.now() - STALLED_AFTER)
    job_ids = list(stalled.values_list("pk", flat=True)[:100])
    for job_id in job_ids:
        run_bulk_job.delay(job_id)
    return len(job_ids)
