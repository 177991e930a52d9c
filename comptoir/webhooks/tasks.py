from __future__ import annotations

from celery import shared_task

from comptoir.webhooks.services import deliveries_send_due, due_webhook_ids


@shared_task(acks_late=True)
def webhook_deliver(webhook_id: int) -> int:
    """Send what a webhook is owed now; failures wait for their back-off and the beat job."""
    return deliveries_send_due(webhook_id=webhook_id)


@shared_task
def webhooks_deliver_due() -> int:
    """The beat job, every minute: each webhook with something due (a retry, a lost task) gets a task."""
    webhook_ids = due_webhook_ids()
    for webhook_id in webhook_ids:
        webhook_deliver.delay(webhook_id)
    return len(webhook_ids)
