from __future__ import annotations

from celery import shared_task

from comptoir.workspace.bulk import bulk_job_run


@shared_task
def run_bulk_job(job_id: int) -> None:
    """A bulk change over a whole list; safe to run twice or to resume (comptoir.workspace.bulk.bulk_job_run)."""
    bulk_job_run(job_id)
