"""Background work of the newsletters app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task

from . import delivery

logger = logging.getLogger(__name__)

# Waits between retries of a batch after a temporary failure: 30 s, 1 min, 2 min… ≤ 1 h.
FIRST_RETRY_SECONDS = 30


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2**attempt, 3600))


# Below the default priority: with the database queue, a sign-in email enqueued during
# a big send goes out before the send's remaining batches. RQ has no priorities (its
# backend refuses them); its workers read the default queue before this one instead.
PRIORITY = -10 if default_task_backend.supports_priority else 0


@task(queue_name="newsletters", priority=PRIORITY)
def prepare_send(send_id: int) -> None:
    """Render the send, choose its recipients and enqueue their batches."""
    delivery.prepare_send(send_id)


@task(queue_name="newsletters", priority=PRIORITY)
def deliver_batch(send_id: int, batch: int, attempt: int = 0) -> None:
    """Deliver one batch; after a temporary failure, try again later, waiting longer."""
    try:
        delivery.deliver_batch(send_id, batch)
    except delivery.TemporaryFailure as error:
        if attempt + 1 >= settings.MASTHEAD_NEWSLETTER_MAX_ATTEMPTS:
            # Each recipient also counts its own attempts and fails for good at the
            # limit, so this only stops a batch whose rows were all just retried.
            logger.warning(
                "send %s batch %s: giving up after %s attempts", send_id, batch, attempt + 1
            )
            return
        logger.info("send %s batch %s: %s; retrying", send_id, batch, error)
        # Not a stalled send: keep the scheduler from resuming it before the retry is due.
        delivery.touch_heartbeat(send_id, at=timezone.now() + retry_delay(attempt))
        if default_task_backend.supports_defer:
            deliver_batch.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
                send_id=send_id, batch=batch, attempt=attempt + 1
            )
        else:  # the immediate backend (tests, one-off scripts): retry now
            deliver_batch.enqueue(send_id=send_id, batch=batch, attempt=attempt + 1)
