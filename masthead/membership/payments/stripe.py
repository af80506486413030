"""The Stripe implementation of ``PaymentProvider``, on the official ``stripe`` SDK.

Every call goes through ``stripe.StripeClient`` with the SDK's own retries and
idempotency keys; ``MASTHEAD_STRIPE_API_BASE`` points it elsewhere (a local stand-in in
the tests). Stripe's errors become the domain's: a provider that cannot be reached is
``ProviderUnavailable``, whatever the reason, and its message never reaches readers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from . import CustomerState, ProviderUnavailable, SubscriptionState, WebhookRejected

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _when(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


@contextmanager
def _provider_errors() -> Iterator[None]:
    try:
        yield
    except stripe.StripeError as error:
        # Logged for operators with Stripe's request id; readers get a plain sentence.
        logger.warning(
            "Stripe call failed: %s (request %s)",
            type(error).__name__,
            getattr(error, "request_id", None),
        )
        raise ProviderUnavailable from error


class StripeProvider:
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str = "") -> None:
        options: dict[str, Any] = {"max_network_retries": 2}
        if api_base:
            options["base_addresses"] = {"api": api_base.rstrip("/")}
        self.client = stripe.StripeClient(secret_key, **options)
        self.webhook_secret = webhook_secret

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with _provider_errors():
            return fn(*args, **kwargs)

    # --- Tiers ------------------------------------------------------------------------

    def sync_tier(self, tier: Any) -> None:
        """Create or update the tier's product and prices; a changed price gets a new one."""
        v1 = self.client.v1
        metadata = {"masthead_tier_id": str(tier.pk), "masthead_tier_slug": tier.slug}
        if tier.provider_product_id:
            self._call(
                v1.products.update,
                tier.provider_product_id,
                params={"name": tier.name, "active": tier.is_active, "metadata": metadata},
            )
        else:
            product = self._call(
                v1.products.create,
                params={"name": tier.name, "active": tier.is_active, "metadata": metadata},
                options={"idempotency_key": f"masthead-tier-{tier.pk}-{tier.ghost_id}"},
            )
            tier.provider_product_id = product.id
        for cadence, amount_field, id_field in (
            ("month", "monthly_price", "provider_monthly_price_id"),
            ("year", "yearly_price", "provider_yearly_price_id"),
        ):
            amount = getattr(tier, amount_field)
            current_id = getattr(tier, id_field)
            if current_id:
                current = self._call(v1.prices.retrieve, current_id)
                if (
                    amount
                    and current.unit_amount == amount
                    and current.currency == tier.currency.lower()
                ):
                    continue
                self._call(v1.prices.update, current_id, params={"active": False})
                setattr(tier, id_field, "")
            if amount:
                price = self._call(
                    v1.prices.create,
                    params={
                        "product": tier.provider_product_id,
                        "unit_amount": amount,
                        "currency": tier.currency.lower(),
                        "recurring": {"interval": cadence},
                        "metadata": {**metadata, "masthead_cadence": cadence},
                    },
                )
                setattr(tier, id_field, price.id)
        tier.save(
            update_fields=[
                "provider_product_id",
                "provider_monthly_price_id",
                "provider_yearly_price_id",
                "updated_at",
            ]
        )

    # --- Checkout and portal --------------------------------------------------------------

    def start_subscription_checkout(
        self,
        *,
        tier: Any,
        cadence: str,
        member: Any | None,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
    ) -> str:
        price_id = (
            tier.provider_monthly_price_id if cadence == "month" else tier.provider_yearly_price_id
        )
        if not price_id:
            self.sync_tier(tier)
            price_id = (
                tier.provider_monthly_price_id
                if cadence == "month"
                else tier.provider_yearly_price_id
            )
        subscription_data: dict[str, Any] = {"metadata": metadata}
        if tier.trial_days:
            subscription_data["trial_period_days"] = tier.trial_days
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "subscription_data": subscription_data,
            "metadata": metadata,
        }
        if member is not None:
            params["client_reference_id"] = str(member.pk)
            if member.provider_customer_id:
                params["customer"] = member.provider_customer_id
            else:
                params["customer_email"] = member.email
        session = self._call(self.client.v1.checkout.sessions.create, params=params)
        return str(session.url)

    def start_payment_checkout(
        self,
        *,
        amount: int,
        currency: str,
        description: str,
        customer_email: str,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
    ) -> str:
        """Checkout in payment mode with an inline price: no product or price to keep in step.

        A customer is always created, so the payment has a name and address to refund to
        and the receipt shows who paid; the metadata rides on the session and on its
        PaymentIntent, which is what refunds and disputes point back to.
        """
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": description},
                    },
                }
            ],
            "payment_intent_data": {"description": description, "metadata": metadata},
            "customer_creation": "always",
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
        }
        if customer_email:
            params["customer_email"] = customer_email
        session = self._call(self.client.v1.checkout.sessions.create, params=params)
        return str(session.url)

    def start_custom_amount_subscription_checkout(
        self,
        *,
        tier: Any,
        amount: int,
        currency: str,
        member: Any | None,
        customer_email: str,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
    ) -> str:
        """Checkout in subscription mode with a monthly inline price on the tier's product.

        An inline price belongs to this checkout only, so readers' amounts never pile up as
        prices offered on the tier. The subscription's metadata names the tier, which is
        how ``sync_subscription`` finds it (the price id matches none of the tier's).
        """
        if not tier.provider_product_id:
            self.sync_tier(tier)
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "recurring": {"interval": "month"},
                        "product": tier.provider_product_id,
                    },
                }
            ],
            "subscription_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
        }
        if member is not None:
            params["client_reference_id"] = str(member.pk)
            if member.provider_customer_id:
                params["customer"] = member.provider_customer_id
            else:
                params["customer_email"] = member.email
        elif customer_email:
            params["customer_email"] = customer_email
        session = self._call(self.client.v1.checkout.sessions.create, params=params)
        return str(session.url)

    def checkout_session(self, session_id: str) -> dict[str, Any]:
        """The session, or an empty dict when Stripe knows no such session (a bad link)."""
        try:
            session = self.client.v1.checkout.sessions.retrieve(session_id)
        except stripe.InvalidRequestError:
            return {}
        except stripe.StripeError as error:
            with _provider_errors():
                raise error
        return session.to_dict()

    def portal_url(self, *, customer_id: str, return_url: str) -> str:
        session = self._call(
            self.client.v1.billing_portal.sessions.create,
            params={"customer": customer_id, "return_url": return_url},
        )
        return str(session.url)

    # --- Reading and changing subscriptions ---------------------------------------------------

    def fetch_subscription(self, subscription_id: str) -> SubscriptionState:
        subscription = self._call(self.client.v1.subscriptions.retrieve, subscription_id)
        return self._state(subscription.to_dict())

    def fetch_customer(self, customer_id: str) -> CustomerState:
        customer = self._call(self.client.v1.customers.retrieve, customer_id).to_dict()
        return CustomerState(
            id=customer["id"], email=customer.get("email") or "", name=customer.get("name") or ""
        )

    def change_subscription(
        self,
        subscription_id: str,
        *,
        price_id: str | None = None,
        cancel_at_period_end: bool | None = None,
    ) -> SubscriptionState:
        params: dict[str, Any] = {}
        if price_id is not None:
            current = self.fetch_subscription(subscription_id)
            item_id = self._first_item_id(subscription_id)
            if current.price_id != price_id:
                params["items"] = [{"id": item_id, "price": price_id}]
                params["proration_behavior"] = "create_prorations"
        if cancel_at_period_end is not None:
            params["cancel_at_period_end"] = cancel_at_period_end
        subscription = self._call(
            self.client.v1.subscriptions.update, subscription_id, params=params
        )
        return self._state(subscription.to_dict())

    def _first_item_id(self, subscription_id: str) -> str:
        subscription = self._call(self.client.v1.subscriptions.retrieve, subscription_id)
        return str(subscription.to_dict()["items"]["data"][0]["id"])

    def invoice_payment_intent(self, invoice_id: str) -> str:
        """The PaymentIntent that paid an invoice (invoices no longer name it themselves)."""
        payments = self._call(
            self.client.v1.invoice_payments.list, params={"invoice": invoice_id}
        ).to_dict()
        for item in payments.get("data") or []:
            payment = item.get("payment") or {}
            intent = payment.get("payment_intent")
            if isinstance(intent, dict):
                intent = intent.get("id")
            if intent and item.get("status", "paid") == "paid":
                return str(intent)
        return ""

    def refund(self, *, payment_intent_id: str, amount: int | None = None) -> None:
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = amount
        self._call(self.client.v1.refunds.create, params=params)

    @staticmethod
    def _state(data: dict[str, Any]) -> SubscriptionState:
        items = (data.get("items") or {}).get("data") or [{}]
        item = items[0]
        price = item.get("price") or {}
        recurring = price.get("recurring") or {}
        # Since API version 2025-03-31 the period lives on each item, not the subscription.
        period_end = item.get("current_period_end") or data.get("current_period_end")
        customer = data.get("customer")
        if isinstance(customer, dict):
            customer = customer.get("id")
        return SubscriptionState(
            id=data["id"],
            customer_id=str(customer or ""),
            status=str(data.get("status") or ""),
            price_id=str(price.get("id") or ""),
            amount=int(price.get("unit_amount") or 0),
            currency=str(price.get("currency") or "").upper(),
            interval=str(recurring.get("interval") or "month"),
            current_period_end=_when(period_end),
            cancel_at_period_end=bool(data.get("cancel_at_period_end")),
            trial_end=_when(data.get("trial_end")),
            ended_at=_when(data.get("ended_at")),
            metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        )

    # --- Webhooks ----------------------------------------------------------------------------

    def verify_webhook(self, payload: bytes, signature: str) -> dict[str, Any]:
        if not self.webhook_secret:
            raise WebhookRejected(
                "no webhook secret is configured (MASTHEAD_STRIPE_WEBHOOK_SECRET)"
            )
        try:
            stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
            # Stored as the JSON Stripe sent, not the SDK's objects (which hold Decimals).
            event: dict[str, Any] = json.loads(payload)
        except stripe.SignatureVerificationError as error:
            raise WebhookRejected("the signature does not match") from error
        except ValueError as error:
            raise WebhookRejected("the body is not a Stripe event") from error
        if not isinstance(event, dict) or "id" not in event or "data" not in event:
            raise WebhookRejected("the body is not a Stripe event")
        return event
