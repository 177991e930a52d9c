from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task

from comptoir.mail.outbound import MAX_ATTEMPTS, email_deliver, stalled_email_ids

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def deliver_email(self: Task[[int], None], email_id: int) -> None:
    try:
        email_deliver(email_id)
    except Exception as error:
        if self.request.retries >= MAX_ATTEMPTS - 1:
            logger.error("E-mail %s failed for good: %s", email_id, error)
            return
        # 30 s, 60 s, 120 s ... capped at an hour.
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 3600)) from error


@shared_task
def requeue_stalled_email() -> int:
    ids = stalled_email_ids()
    for email_id in ids:
        deliver_email.delay(email_id)
    return len(ids)
