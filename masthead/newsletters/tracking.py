"""What the email service reports after a newsletter left: delivered, bounced, opened…

The service POSTs events to anymail's webhook view for it, which checks the request
(HTTP basic auth with ``MASTHEAD_ESP_WEBHOOK_SECRET``; Mailgun's signature with
``MASTHEAD_ESP_WEBHOOK_SIGNING_KEY``), answers 400 to a request that fails the check,
and sends anymail's ``tracking`` signal, received here:

- delivered: the delivery's ``delivered_at``;
- a hard bounce, or a rejection that names the address: the delivery failed and the
  address is suppressed (never mailed again); a spam complaint suppresses it too;
- unsubscribed at the service: the member leaves every newsletter;
- opened and clicked: ``opened_at`` and ``clicked_at``, only if
  ``MASTHEAD_EMAIL_TRACKING`` is on.

The delivery is found by the id the batch send put in each message's metadata, or else
by the service's message id and the recipient. Events for other mail (sign-in emails,
another application on the same account), unknown ids and repeated events change
nothing, and answer 200 so the service stops sending them. Events of a service other
than ``MASTHEAD_ESP`` are ignored.

``masthead/urls.py`` mounts this module's ``urlpatterns`` (the webhook views of the
services ``esp.py`` supports) at ``/webhooks/email/``; importing it is what connects the
receiver, so every process that can receive a webhook has it connected.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from anymail.signals import (  # type: ignore[import-untyped]
    AnymailTrackingEvent,
    EventType,
    RejectReason,
    tracking,
)
from anymail.webhooks.mailgun import MailgunTrackingWebhookView  # type: ignore[import-untyped]
from django.conf import settings
from django.db.models import Q
from django.dispatch import receiver
from django.urls import URLPattern, path
from django.utils import timezone

from masthead.membership.models import normalise_email

from . import actions
from .models import Delivery, Suppression

logger = logging.getLogger(__name__)

app_name = "email_webhooks"
urlpatterns: list[URLPattern] = [
    path(
        "mailgun/tracking/",
        MailgunTrackingWebhookView.as_view(),
        name="mailgun_tracking_webhook",
    ),
]

# Reasons anymail gives a failure that say the address itself does not work.
_ADDRESS_REASONS = {RejectReason.BOUNCED, RejectReason.INVALID}
# Events that prove the service took the message.
_PROOF_OF_SENDING = {
    EventType.DELIVERED,
    EventType.OPENED,
    EventType.CLICKED,
    EventType.BOUNCED,
    EventType.COMPLAINED,
    EventType.UNSUBSCRIBED,
    EventType.DEFERRED,
}
# What the worker wrote when it could not know whether the service took a message.
_UNCONFIRMED = "Unconfirmed:"


@receiver(tracking, dispatch_uid="masthead.newsletters.tracking")
def record_tracking_event(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    if not settings.MASTHEAD_ESP or esp_name.lower() != settings.MASTHEAD_ESP:
        return
    delivery = find_delivery(event)
    if delivery is None:
        return
    at = event.timestamp or timezone.now()
    kind = event.event_type
    if kind in _PROOF_OF_SENDING:
        _confirm_sent(delivery)
    if kind == EventType.DELIVERED:
        _set_once(delivery, "delivered_at", at)
    elif kind in {EventType.OPENED, EventType.CLICKED}:
        if settings.MASTHEAD_EMAIL_TRACKING:
            _set_once(delivery, "opened_at" if kind == EventType.OPENED else "clicked_at", at)
    elif kind in {EventType.BOUNCED, EventType.REJECTED}:
        _not_delivered(delivery, event, at)
    elif kind == EventType.COMPLAINED:
        actions.suppress(
            email=delivery.email,
            reason=Suppression.Reason.COMPLAINT,
            detail=_detail(event, "Marked as spam by the reader."),
            send=delivery.send,
        )
    elif kind == EventType.UNSUBSCRIBED:
        _unsubscribe(delivery, at)


def find_delivery(event: AnymailTrackingEvent) -> Delivery | None:
    """The delivery an event is about, or None: by metadata id, else by message id."""
    recipient = normalise_email(event.recipient or "")
    raw_id = (event.metadata or {}).get("masthead_delivery")
    if raw_id is not None:
        try:
            pk = int(raw_id)
        except (TypeError, ValueError):
            return None
        found = Delivery.objects.select_related("send", "member").filter(pk=pk).first()
        # A delivery id under someone else's address is not this event's.
        if found is not None and recipient and found.email != recipient:
            return None
        return found
    if not event.message_id or not recipient:
        return None
    # One message id may cover a whole batch (Mailgun), so the recipient picks the row.
    matches = list(
        Delivery.objects.select_related("send", "member").filter(
            message_id=event.message_id, email=recipient
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _set_once(delivery: Delivery, field: str, at: datetime) -> None:
    Delivery.objects.filter(pk=delivery.pk, **{f"{field}__isnull": True}).update(**{field: at})


def _confirm_sent(delivery: Delivery) -> None:
    """The service has the message: a row left "sending" or "unconfirmed" was sent."""
    Delivery.objects.filter(
        Q(status=Delivery.Status.SENDING)
        | Q(status=Delivery.Status.FAILED, error__startswith=_UNCONFIRMED),
        pk=delivery.pk,
    ).update(status=Delivery.Status.SENT, error="")


def _not_delivered(delivery: Delivery, event: AnymailTrackingEvent, at: datetime) -> None:
    """A bounce, or the service refusing to send: the delivery failed.

    Only a failure that is about the address (a hard bounce, an address that does not
    exist, an earlier complaint or unsubscribe the service remembers) suppresses it: a
    rejection for the sender's reasons (an unverified domain) says nothing about readers.
    """
    service_reason = str((event.esp_event or {}).get("event-data", {}).get("reason", ""))
    detail = _detail(event, "The mail service could not deliver it.")
    Delivery.objects.filter(
        pk=delivery.pk, status__in=[Delivery.Status.SENDING, Delivery.Status.SENT]
    ).update(status=Delivery.Status.FAILED, failed_at=at, error=detail[:1000])
    if service_reason == "suppress-unsubscribe":
        _unsubscribe(delivery, at)
    elif service_reason == "suppress-complaint" or event.reject_reason == RejectReason.SPAM:
        actions.suppress(
            email=delivery.email,
            reason=Suppression.Reason.COMPLAINT,
            detail=detail,
            send=delivery.send,
        )
    elif event.reject_reason in _ADDRESS_REASONS:
        actions.suppress(
            email=delivery.email,
            reason=(
                Suppression.Reason.BOUNCE
                if event.event_type == EventType.BOUNCED
                else Suppression.Reason.REJECTED
            ),
            detail=detail,
            send=delivery.send,
        )


def _unsubscribe(delivery: Delivery, at: datetime) -> None:
    if delivery.member is not None:
        actions.unsubscribe_from_everything(member=delivery.member, send=delivery.send, at=at)


def _detail(event: AnymailTrackingEvent, default: str) -> str:
    parts = [part for part in (event.description, event.mta_response) if part]
    return (" ".join(" ".join(str(part).split()) for part in parts) or default)[:1000]
