"""Periodic jobs of the Ghost APIs, run by the worker's scheduler."""

from __future__ import annotations

from datetime import timedelta

from . import webhooks
from .tasks import deliver_webhook

# A delivery's own task normally runs within seconds of its due time; one still pending
# this long after is taken to have lost its task (a crash between commit and enqueue, a
# queue emptied by hand) and is enqueued again. Sending is claimed per attempt, so a
# task that was only slow does not send twice.
LATE_BY = timedelta(minutes=2)


def send_overdue_webhook_deliveries() -> int:
    """Enqueue every webhook delivery whose attempt is overdue; return how many."""
    overdue = webhooks.due_deliveries(late_by=LATE_BY)
    for delivery_id in overdue:
        deliver_webhook.enqueue(delivery_id=delivery_id)
    return len(overdue)
