"""Background work of the Ghost APIs: sending webhook deliveries. Safe to run twice."""

from __future__ import annotations

import logging

from django_tasks import default_task_backend, task

from . import webhooks

logger = logging.getLogger(__name__)


@task()
def deliver_webhook(delivery_id: int, retry: bool = False) -> None:
    """Send one webhook delivery; after a failure, enqueue the next attempt when it is due.

    Without a backend that can defer (the immediate backend of tests and one-off
    scripts) the next attempt runs at once instead of waiting.
    """
    outcome = webhooks.attempt(
        delivery_id, due_only=not retry or default_task_backend.supports_defer
    )
    if outcome.retry_at is None:
        return
    logger.info(
        "webhook delivery %s: receiver answered %s; trying again at %s",
        delivery_id,
        outcome.status,
        outcome.retry_at.isoformat(),
    )
    if default_task_backend.supports_defer:
        deliver_webhook.using(run_after=outcome.retry_at).enqueue(
            delivery_id=delivery_id, retry=True
        )
    else:
        deliver_webhook.enqueue(delivery_id=delivery_id, retry=True)
