"""Taking money: one interface, ``PaymentProvider``, and its Stripe implementation.

Views, actions and webhooks talk to ``get_provider()`` and the plain values below, never
to the Stripe SDK, so another provider can be added beside ``stripe.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from ..exceptions import MembershipError


class PaymentsNotConfigured(MembershipError):
    code = "payments_not_configured"

    def user_message(self) -> str:
        return _(
            "Online payments are not set up on this site yet, so nothing can be paid here. "
            "You can still join free; to support us, write to %(email)s."
        ) % {"email": settings.MASTHEAD_SUPPORT_EMAIL}


class ProviderUnavailable(MembershipError):
    code = "provider_unavailable"

    def user_message(self) -> str:
        return _(
            "We could not reach our payment provider, so nothing was charged. "
            "Please try again in a few minutes."
        )


class WebhookRejected(Exception):
    """The webhook's signature or body is not valid; nothing was stored."""


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as the provider says it is now."""

    id: str
    customer_id: str
    status: str
    price_id: str
    amount: int
    currency: str
    interval: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    trial_end: datetime | None
    ended_at: datetime | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class CustomerState:
    id: str
    email: str
    name: str


class PaymentProvider(Protocol):
    name: str

    def sync_tier(self, tier: Any) -> None: ...

    def start_subscription_checkout(
        self,
        *,
        tier: Any,
        cadence: str,
        member: Any | None,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
    ) -> str: ...

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
        """A hosted page to pay ``amount`` (cents) once; returns its address."""
        ...

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
        """A hosted page to subscribe monthly to ``tier`` at an amount the reader chose."""
        ...

    def checkout_session(self, session_id: str) -> dict[str, Any]: ...

    def portal_url(self, *, customer_id: str, return_url: str) -> str: ...

    def fetch_subscription(self, subscription_id: str) -> SubscriptionState: ...

    def fetch_customer(self, customer_id: str) -> CustomerState: ...

    def change_subscription(
        self,
        subscription_id: str,
        *,
        price_id: str | None = None,
        cancel_at_period_end: bool | None = None,
    ) -> SubscriptionState: ...

    def invoice_payment_intent(self, invoice_id: str) -> str: ...

    def refund(self, *, payment_intent_id: str, amount: int | None = None) -> None: ...

    def verify_webhook(self, payload: bytes, signature: str) -> dict[str, Any]: ...


def payments_enabled() -> bool:
    return bool(settings.MASTHEAD_STRIPE_SECRET_KEY)


def get_provider() -> PaymentProvider:
    """The configured provider; raises ``PaymentsNotConfigured`` when there is none."""
    if not payments_enabled():
        raise PaymentsNotConfigured
    from .stripe import StripeProvider

    return StripeProvider(
        secret_key=settings.MASTHEAD_STRIPE_SECRET_KEY,
        webhook_secret=settings.MASTHEAD_STRIPE_WEBHOOK_SECRET,
        api_base=settings.MASTHEAD_STRIPE_API_BASE,
    )
