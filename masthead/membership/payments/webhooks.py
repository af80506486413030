"""Provider webhooks: verify, store once by event id, then handle idempotently.

An event is written to ``ProviderEvent`` (committed) before anything else happens, so a
crash mid-way loses nothing: the provider retries a failed delivery, and the worker's
``retry_provider_events`` job handles whatever is still unprocessed. Handlers never
trust the event's copy of a subscription; they re-read it from the provider.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import actions
from ..models import Gift, Member, Payment, ProviderEvent, Subscription, normalise_email
from . import PaymentProvider

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], PaymentProvider], None]


def store_event(event: dict[str, Any]) -> tuple[ProviderEvent, bool]:
    """Keep the event by its id; a second delivery finds the first."""
    try:
        with transaction.atomic():
            return ProviderEvent.objects.get_or_create(
                event_id=str(event["id"]),
                defaults={"type": str(event.get("type", "")), "payload": event},
            )
    except IntegrityError:  # two deliveries at the same moment
        return ProviderEvent.objects.get(event_id=str(event["id"])), False


_EMAIL = re.compile(r"[^\s@()<>=,;:\"']+@[^\s@()<>=,;:\"']+")


def redact_emails(text: str) -> str:
    return _EMAIL.sub("<email>", text)


def process_event(stored: ProviderEvent, provider: PaymentProvider) -> bool:
    """Handle a stored event unless it was handled before; True if it is now handled."""
    with transaction.atomic():
        locked = ProviderEvent.objects.select_for_update().get(pk=stored.pk)
        if locked.processed_at is not None:
            return True
        handler = HANDLERS.get(locked.type)
        locked.attempts += 1
        try:
            with transaction.atomic():
                if handler is not None:
                    handler(locked.payload["data"]["object"], provider)
        except Exception as error:  # noqa: BLE001 (whatever failed, the event stays stored to retry)
            # Database errors quote the values they refused (an email address in a
            # duplicate key): keep addresses out of the stored error and the log.
            reason = redact_emails(f"{type(error).__name__}: {error}")
            locked.error = reason[:2000]
            locked.save(update_fields=["attempts", "error"])
            logger.error(
                "provider event %s (%s) failed: %s", locked.event_id, locked.type, reason[:500]
            )
            return False
        locked.processed_at = timezone.now()
        locked.error = ""
        locked.save(update_fields=["attempts", "error", "processed_at"])
        return True


# --- Handlers, one per event type -------------------------------------------------------------


def _subscription_id(obj: dict[str, Any]) -> str:
    value = obj.get("subscription") or ""
    if not value:
        # Invoices in recent API versions name their subscription under parent.
        details = (obj.get("parent") or {}).get("subscription_details") or {}
        value = details.get("subscription") or ""
    return str(value.get("id") if isinstance(value, dict) else value)


def _sync(subscription_id: str, provider: PaymentProvider) -> Subscription | None:
    if not subscription_id:
        return None
    return actions.sync_subscription(
        state=provider.fetch_subscription(subscription_id), provider=provider
    )


def on_checkout_completed(session: dict[str, Any], provider: PaymentProvider) -> None:
    if session.get("mode") == "subscription":
        _link_customer(session)
        _sync(_subscription_id(session), provider)
    elif session.get("mode") == "payment":
        complete_payment_checkout(session)


def complete_payment_checkout(session: dict[str, Any]) -> Gift | Payment | None:
    """Act on a paid one-off checkout: a gift or a contribution, by its ``masthead_kind``.

    The webhook and the return page both call this with the session as the provider
    reports it; the actions record each payment once, so the order does not matter.
    A session paid by a slower method (a bank debit) completes unpaid: nothing happens
    until ``checkout.session.async_payment_succeeded`` reports it paid.
    """
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return None
    metadata = {str(k): str(v) for k, v in (session.get("metadata") or {}).items()}
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if not intent:
        return None
    amount = int(session.get("amount_total") or 0)
    currency = str(session.get("currency") or "")
    kind = metadata.get("masthead_kind")
    if kind == "gift":
        gift_id = metadata.get("masthead_gift_id", "")
        gift = (
            actions.confirm_gift_payment(
                gift_id=int(gift_id),
                gift_ref=metadata.get("masthead_gift_ref", ""),
                payment_intent_id=str(intent),
                amount=amount,
                currency=currency,
            )
            if gift_id.isdigit()
            else None
        )
        if gift is None:
            # Another installation's checkout on the same Stripe account, most likely.
            logger.warning("checkout %s names a gift this site does not have", session.get("id"))
        return gift
    if kind == "support":
        details = session.get("customer_details") or {}
        email = str(details.get("email") or session.get("customer_email") or "")
        if not email:
            logger.warning("checkout %s was paid without an email address", session.get("id"))
            return None
        customer = session.get("customer") or ""
        if isinstance(customer, dict):
            customer = customer.get("id") or ""
        return actions.record_support(
            payment_intent_id=str(intent),
            amount=amount,
            currency=currency,
            email=email,
            name=str(details.get("name") or ""),
            customer_id=str(customer),
        )
    return None


def _link_customer(session: dict[str, Any]) -> None:
    """Remember the buyer's customer id on the member who started the checkout."""
    customer = session.get("customer")
    member_id = str(session.get("client_reference_id") or "")
    if customer and member_id.isdigit():
        Member.objects.filter(pk=int(member_id), provider_customer_id="").update(
            provider_customer_id=str(customer)
        )
    elif customer:
        email = (session.get("customer_details") or {}).get("email") or session.get(
            "customer_email"
        )
        if email:
            Member.objects.filter(
                email=normalise_email(str(email)), provider_customer_id=""
            ).update(provider_customer_id=str(customer))


def on_subscription_changed(subscription: dict[str, Any], provider: PaymentProvider) -> None:
    _sync(str(subscription["id"]), provider)


def on_invoice_paid(invoice: dict[str, Any], provider: PaymentProvider) -> None:
    subscription = _sync(_subscription_id(invoice), provider)
    if subscription is None or not invoice.get("amount_paid"):
        return  # a €0 trial invoice is not money received
    actions.record_payment(
        provider_id=str(invoice["id"]),
        kind=Payment.Kind.SUBSCRIPTION,
        amount=int(invoice["amount_paid"]),
        currency=str(invoice.get("currency") or subscription.currency),
        member=subscription.member,
        subscription=subscription,
        payment_intent_id=provider.invoice_payment_intent(str(invoice["id"])),
    )


def on_invoice_payment_failed(invoice: dict[str, Any], provider: PaymentProvider) -> None:
    subscription = _sync(_subscription_id(invoice), provider)
    if subscription is not None:
        from ..tasks import send_payment_failed_email

        transaction.on_commit(
            lambda: send_payment_failed_email.enqueue(subscription_id=subscription.pk)
        )


def on_charge_refunded(charge: dict[str, Any], provider: PaymentProvider) -> None:
    intent = charge.get("payment_intent")
    if intent:
        actions.record_refund(
            payment_intent_id=str(intent), refunded_amount=int(charge.get("amount_refunded") or 0)
        )


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_checkout_completed,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "charge.refunded": on_charge_refunded,
}
