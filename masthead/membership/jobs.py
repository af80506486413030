"""Periodic jobs of the membership app, run by the worker's scheduler."""

from __future__ import annotations

from . import actions


def expire_memberships() -> None:
    """Members whose comp or gift ran out go back to free without anyone clicking."""
    actions.expire_memberships()


def purge_sign_in_requests() -> None:
    actions.purge_expired_sign_in_requests()


def send_due_gifts() -> None:
    """Email the recipients of paid gifts whose send date has come."""
    actions.send_due_gifts()


def retry_provider_events() -> None:
    """Handle webhook events that were stored but whose handling failed (or crashed).

    Stripe retries too, for days; this makes a crash between storing and handling an
    event harmless even if the provider has given up.
    """
    from datetime import timedelta

    from django.utils import timezone

    from .models import ProviderEvent
    from .payments import get_provider, payments_enabled
    from .payments.webhooks import process_event

    if not payments_enabled():
        return
    provider = get_provider()
    pending = ProviderEvent.objects.filter(
        processed_at__isnull=True,
        attempts__lt=25,
        received_at__lt=timezone.now() - timedelta(minutes=1),
    ).order_by("received_at")[:200]
    for stored in pending:
        process_event(stored, provider)
