"""Which emails a change in payments deserves: welcome, receipt, cancellation.

The actions that mirror the provider call these after writing, with the state before and
after, and these decide; the emails themselves are tasks, enqueued after commit, that
check again before sending (``tasks.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from django.db import transaction

from .models import Payment, Subscription

# States in which a member has started paying (or a trial that leads to paying).
STARTED = {Subscription.Status.ACTIVE, Subscription.Status.TRIALING}
# States a subscription passes through before its first payment succeeds.
NOT_STARTED = {Subscription.Status.INCOMPLETE}
# States in which the member still has access until the end of the period.
ENTITLED = {
    Subscription.Status.ACTIVE,
    Subscription.Status.TRIALING,
    Subscription.Status.PAST_DUE,
}


class SubscriptionSnapshot(TypedDict):
    status: str
    cancel_at_period_end: bool
    current_period_end: datetime | None
    tier_id: int


def snapshot(subscription: Subscription | None) -> SubscriptionSnapshot | None:
    """What ``notify_subscription_change`` compares: take it before changing the row."""
    if subscription is None:
        return None
    return {
        "status": subscription.status,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "current_period_end": subscription.current_period_end,
        "tier_id": subscription.tier_id,
    }


def notify_subscription_change(
    *, before: Mapping[str, Any] | None, after: Subscription
) -> list[str]:
    """Enqueue the emails a sync from ``before`` to ``after`` calls for; return their names.

    A subscription that starts (new, or past its first incomplete payment) brings a
    welcome; one newly set to cancel at the end of its period brings a cancellation
    notice. Syncing the same state again sends nothing new.
    """
    from .tasks import send_cancellation_email, send_welcome_email

    before_status = before["status"] if before is not None else None
    cancelling_before = bool(before["cancel_at_period_end"]) if before is not None else False
    sent: list[str] = []
    if after.status in STARTED and (before_status is None or before_status in NOT_STARTED):
        member_id = after.member_id
        transaction.on_commit(lambda: send_welcome_email.enqueue(member_id=member_id))
        sent.append("welcome")
    if after.cancel_at_period_end and not cancelling_before and after.status in ENTITLED:
        subscription_id = after.pk
        transaction.on_commit(
            lambda: send_cancellation_email.enqueue(subscription_id=subscription_id)
        )
        sent.append("cancellation")
    return sent


def notify_payment_recorded(payment: Payment, created: bool) -> bool:
    """Enqueue a receipt for a membership payment the first time it is recorded; True if so.

    One-time support and gifts are left out: their own flows email the buyer a thank-you
    or the gift's receipt already, and a second receipt for the same money would confuse.
    """
    if not created or payment.member_id is None or payment.kind != Payment.Kind.SUBSCRIPTION:
        return False
    from .tasks import send_receipt_email

    payment_id = payment.pk
    transaction.on_commit(lambda: send_receipt_email.enqueue(payment_id=payment_id))
    return True
