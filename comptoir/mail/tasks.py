from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task
from django.utils import timezone

from comptoir.mail.models import OutboundEmail, OutboundStatus
from comptoir.mail.outbound import MAX_ATTEMPTS, email_deliver, stalled_email_ids

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def deliver_email(self: Task[[int], None], email_id: int) -> None:
    try:
        email_deliver(email_id)
    except Exception as error:
        # The row knows when it is due again (and whether it gave up): one clock for
        # this retry and for the periodic job that rescues lost tasks.
        email = OutboundEmail.objects.filter(pk=email_id).values("status", "next_attempt_at").first()
        if email is None or email["status"] != OutboundStatus.QUEUED or email["next_attempt_at"] is None:
            logger.error("E-mail %s failed for good: %s", email_id, error)
            return
        wait = (email["next_attempt_at"] - timezone.now()).total_seconds()
        raise self.retry(exc=error, countdown=max(1.0, wait + 1)) from error


@shared_task
def requeue_stalled_email() -> int:
    ids = stalled_email_ids()
    for email_id in ids:
        deliver_email.delay(email_id)
    return len(ids)
