"""The Stripe stand-in answers the real ``stripe`` SDK the way Stripe's API does.

Everything here goes through ``stripe.StripeClient`` (or, for the hosted pages, plain
HTTP as a browser would), and webhooks are checked with ``stripe.Webhook``. No database.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import stripe
from stripe._encode import _api_encode

from .stripe_standin import (
    API_VERSION,
    ROUTE_PARAMS_TYPES,
    StripeStandIn,
    add_interval,
    decode_form,
    fast_sdk_retries,
    params_type,
)

SECRET = "whsec_test_standin"


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn(webhook_secret=SECRET) as running:
        yield running
        assert running.internal_errors == []


@pytest.fixture
def client(standin: StripeStandIn) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_masthead", base_addresses={"api": standin.url}, max_network_retries=0
    )


def _http(method: str, url: str, form: dict[str, str] | None = None) -> tuple[int, Any, str]:
    """One request as a browser would send it, without following redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    body = urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, response.headers, text


def _catalog(client: stripe.StripeClient, *, amount: int = 500, interval: str = "month") -> Any:
    product = client.v1.products.create(
        params={"name": "Supporter", "metadata": {"masthead_tier_id": "7"}}
    )
    return client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": amount,
            "currency": "eur",
            "recurring": {"interval": interval},
            "metadata": {"masthead_cadence": interval},
        }
    )


def _subscribe(
    client: stripe.StripeClient, standin: StripeStandIn, price_id: str, **extra: Any
) -> Any:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "success_url": "https://news.test/join/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://news.test/join",
            "customer_email": "reader@news.test",
            **extra,
        }
    )
    standin.complete_checkout(session.id)
    return client.v1.checkout.sessions.retrieve(session.id)


# --- The wire format ----------------------------------------------------------------------------


def test_decoder_reads_what_the_sdk_encoder_writes() -> None:
    params = {
        "line_items": [
            {"price": "price_1", "quantity": 1},
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 500,
                    "product_data": {"name": "Gift"},
                }
            },
        ],
        "metadata": {"member": "42", "0": "a key that looks like an index"},
        "subscription_data": {"trial_period_days": 7, "metadata": {"tier": "supporter"}},
        "recurring": {"interval": "month"},
        "expand": ["subscription", "line_items.data.price"],
        "cancel_at_period_end": True,
        "skipped": None,
    }
    # Exactly as _api_requestor does it: urlencode, then brackets back to literals.
    body = urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")
    assert "line_items[0][price]=price_1" in body
    assert "expand[0]=subscription" in body

    assert decode_form(body) == {
        "line_items": [
            {"price": "price_1", "quantity": "1"},
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": "500",
                    "product_data": {"name": "Gift"},
                }
            },
        ],
        "metadata": {"member": "42", "0": "a key that looks like an index"},
        "subscription_data": {"trial_period_days": "7", "metadata": {"tier": "supporter"}},
        "recurring": {"interval": "month"},
        "expand": ["subscription", "line_items.data.price"],
        "cancel_at_period_end": "true",
    }
    assert decode_form("expand[]=a&expand[]=b&items[][id]=si_1&items[][price]=p") == {
        "expand": ["a", "b"],
        "items": [{"id": "si_1", "price": "p"}],
    }


def test_every_route_is_checked_against_an_sdk_params_type() -> None:
    assert [name for name in ROUTE_PARAMS_TYPES if params_type(name) is None] == []


def test_periods_keep_the_anchor_day() -> None:
    jan_31 = 1_769_817_600  # 2026-01-31T00:00:00Z
    assert add_interval(jan_31, "month", 1) == 1_772_236_800  # 2026-02-28
    assert add_interval(jan_31, "month", 2) == 1_774_915_200  # 2026-03-31
    assert add_interval(jan_31, "year", 1) == 1_801_353_600  # 2027-01-31


# --- Catalogue ------------------------------------------------------------------------------------


def test_products_and_prices(client: stripe.StripeClient, standin: StripeStandIn) -> None:
    product = client.v1.products.create(params={"name": "Supporter", "active": True})
    assert product.id.startswith("prod_")
    assert product.object == "product"
    assert product.livemode is False

    updated = client.v1.products.update(
        product.id, params={"name": "Patron", "metadata": {"masthead_tier_id": "3"}}
    )
    assert updated.name == "Patron"
    assert client.v1.products.retrieve(product.id).metadata.to_dict() == {"masthead_tier_id": "3"}

    monthly = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 500,
            "currency": "EUR",
            "recurring": {"interval": "month"},
            "lookup_key": "patron-monthly",
        }
    )
    yearly = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 5000,
            "currency": "eur",
            "recurring": {"interval": "year"},
        }
    )
    assert monthly.id.startswith("price_")
    assert monthly.currency == "eur"
    assert monthly.type == "recurring"
    assert monthly.recurring.interval == "month"
    assert monthly.unit_amount == 500

    client.v1.prices.update(monthly.id, params={"active": False})
    assert client.v1.prices.retrieve(monthly.id).active is False

    listed = client.v1.prices.list(params={"product": product.id, "active": True})
    assert listed.object == "list"
    assert listed.url == "/v1/prices"
    assert [p.id for p in listed.data] == [yearly.id]
    assert listed.has_more is False
    everything = client.v1.prices.list(params={"product": product.id, "limit": 1})
    assert everything.has_more is True
    assert [p.id for p in everything.auto_paging_iter()] == [yearly.id, monthly.id]

    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.v1.prices.create(
            params={
                "product": product.id,
                "unit_amount": 600,
                "currency": "eur",
                "lookup_key": "patron-monthly",
            }
        )
    assert taken.value.param == "lookup_key"
    assert standin.event_types() == [
        "product.created",
        "product.updated",
        "price.created",
        "price.created",
        "price.updated",
    ]


def test_customers(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        params={"email": "mira@news.test", "name": "Mira", "metadata": {"member": "1"}}
    )
    assert customer.id.startswith("cus_")
    updated = client.v1.customers.update(
        customer.id, params={"name": "Mira Valen", "metadata": {"member": "", "note": "x"}}
    )
    assert updated.name == "Mira Valen"
    assert updated.metadata.to_dict() == {"note": "x"}  # "" deletes a metadata key
    assert client.v1.customers.retrieve(customer.id).email == "mira@news.test"
    found = client.v1.customers.list(params={"email": "mira@news.test"})
    assert [c.id for c in found.data] == [customer.id]


# --- Checkout and subscriptions ------------------------------------------------------------------


def test_subscription_checkout_through_the_hosted_page(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    price = _catalog(client)
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "https://news.test/join/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://news.test/join",
            "customer_email": "reader@news.test",
            "client_reference_id": "42",
            "subscription_data": {"metadata": {"masthead_member_id": "42"}},
            "metadata": {"masthead_member_id": "42"},
        }
    )
    assert session.id.startswith("cs_test_")
    assert session.url == f"{standin.url}/checkout/{session.id}"
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.subscription is None
    assert session.amount_total == 500

    status, _headers, page = _http("GET", session.url)
    assert status == 200
    assert "<title>Stripe test checkout (local stand-in)</title>" in page
    assert "Supporter" in page
    assert "€5.00" in page
    assert '<form method="post"' in page
    assert '<button type="submit">Pay</button>' in page
    assert 'href="https://news.test/join"' in page

    status, headers, _ = _http("POST", session.url, {})
    assert status == 303
    assert headers["Location"] == f"https://news.test/join/done?session={session.id}"

    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete"
    assert done.payment_status == "paid"
    assert done.url is None
    assert done.customer.startswith("cus_")
    assert done.customer_details.email == "reader@news.test"
    assert done.subscription.startswith("sub_")
    assert done.amount_total == 500
    assert done.currency == "eur"
    assert done.client_reference_id == "42"

    subscription = client.v1.subscriptions.retrieve(done.subscription)
    assert subscription.status == "active"
    assert subscription.customer == done.customer
    assert subscription.metadata.to_dict() == {"masthead_member_id": "42"}
    assert subscription.cancel_at_period_end is False
    item = subscription["items"].data[0]
    assert item.id.startswith("si_")
    assert item.price.id == price.id
    assert item.price.unit_amount == 500
    assert item.quantity == 1
    assert item.current_period_end > item.current_period_start >= subscription.created
    # API 2026-10-28: periods live on the items only.
    assert "current_period_end" not in subscription
    assert "current_period_start" not in subscription

    invoice = client.v1.invoices.retrieve(
        subscription.latest_invoice, params={"expand": ["payments"]}
    )
    assert invoice.status == "paid"
    assert invoice.amount_paid == 500
    assert invoice.billing_reason == "subscription_create"
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert "subscription" not in invoice  # moved under parent in 2025-03-31
    intent_id = invoice.payments.data[0].payment.payment_intent
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "succeeded"
    assert client.v1.charges.retrieve(intent.latest_charge).paid is True
    listed = client.v1.invoice_payments.list(params={"invoice": invoice.id})
    assert [p.payment.payment_intent for p in listed.data] == [intent_id]

    assert standin.event_types()[-4:] == [
        "customer.created",
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.paid",
    ]
    completed = standin.events_of_type("checkout.session.completed")[0].object
    assert completed["subscription"] == subscription.id
    assert completed["status"] == "complete"

    # A second click on "Pay" neither charges again nor emits anything.
    count = len(standin.events)
    assert _http("POST", session.url, {})[0] == 303
    assert len(standin.events) == count


def test_trial_subscription(client: stripe.StripeClient, standin: StripeStandIn) -> None:
    customer = client.v1.customers.create(params={"email": "trial@news.test"})
    price = _catalog(client, interval="year", amount=5000)
    session = _subscribe(
        client,
        standin,
        price.id,
        customer=customer.id,
        customer_email=None,
        subscription_data={"trial_period_days": 7},
    )
    assert session.payment_status == "no_payment_required"
    assert session.amount_total == 0
    assert session.customer == customer.id
    assert "customer.created" not in standin.event_types()[-3:]
    subscription = client.v1.subscriptions.retrieve(session.subscription)
    assert subscription.status == "trialing"
    assert subscription.trial_end - subscription.trial_start == 7 * 86400
    assert subscription["items"].data[0].current_period_end == subscription.trial_end
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.amount_paid) == ("paid", 0)

    renewal = standin.renew(subscription.id)
    assert renewal["amount_paid"] == 5000
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after.status == "active"
    assert after["items"].data[0].current_period_start == subscription.trial_end
    assert after["items"].data[0].current_period_end == add_interval(
        subscription.trial_end, "year", 1
    )


def test_changing_a_subscription(client: stripe.StripeClient, standin: StripeStandIn) -> None:
    monthly = _catalog(client)
    dearer = client.v1.prices.create(
        params={
            "product": monthly.product,
            "unit_amount": 900,
            "currency": "eur",
            "recurring": {"interval": "month"},
        }
    )
    sub_id = _subscribe(client, standin, monthly.id).subscription

    cancelling = client.v1.subscriptions.update(sub_id, params={"cancel_at_period_end": True})
    assert cancelling.cancel_at_period_end is True
    assert cancelling.cancel_at == cancelling["items"].data[0].current_period_end
    assert cancelling.status == "active"
    updated = standin.events_of_type("customer.subscription.updated")[-1].event
    assert updated["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert updated["request"]["id"].startswith("req_")

    resumed = client.v1.subscriptions.update(sub_id, params={"cancel_at_period_end": False})
    assert (resumed.cancel_at_period_end, resumed.cancel_at, resumed.canceled_at) == (
        False,
        None,
        None,
    )

    item_id = resumed["items"].data[0].id
    switched = client.v1.subscriptions.update(
        sub_id,
        params={
            "items": [{"id": item_id, "price": dearer.id}],
            "proration_behavior": "create_prorations",
        },
    )
    assert switched["items"].data[0].id == item_id
    assert switched["items"].data[0].price.id == dearer.id
    assert len(switched["items"].data) == 1

    with pytest.raises(stripe.InvalidRequestError) as wrong_item:
        client.v1.subscriptions.update(
            sub_id,
            params={
                "metadata": {"note": "never saved"},
                "items": [
                    {"id": item_id, "price": monthly.id},
                    {"id": "si_nope", "price": dearer.id},
                ],
            },
        )
    assert wrong_item.value.param == "items[1][id]"
    # A refused request changes nothing, as on Stripe: not the first item, not the metadata.
    unchanged = client.v1.subscriptions.retrieve(sub_id)
    assert unchanged["items"].data[0].price.id == dearer.id
    assert "note" not in unchanged.metadata


def test_switching_to_a_yearly_price_bills_the_new_period_now(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    monthly = _catalog(client)
    yearly = client.v1.prices.create(
        params={
            "product": monthly.product,
            "unit_amount": 5000,
            "currency": "eur",
            "recurring": {"interval": "year"},
        }
    )
    sub = client.v1.subscriptions.retrieve(_subscribe(client, standin, monthly.id).subscription)
    switched = client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": sub["items"].data[0].id, "price": yearly.id}]}
    )
    item = switched["items"].data[0]
    assert item.current_period_end == add_interval(item.current_period_start, "year", 1)
    assert switched.latest_invoice != sub.latest_invoice
    invoice = client.v1.invoices.retrieve(switched.latest_invoice)
    assert invoice.billing_reason == "subscription_update"
    assert 0 < invoice.amount_paid <= 5000
    assert standin.event_types()[-2:] == ["customer.subscription.updated", "invoice.paid"]


def test_billing_portal_cancels_at_period_end(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    session = _subscribe(client, standin, _catalog(client).id)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": session.customer, "return_url": "https://news.test/account"}
    )
    assert portal.id.startswith("bps_")
    assert portal.object == "billing_portal.session"
    assert portal.url == f"{standin.url}/portal/{portal.id}"
    assert portal.return_url == "https://news.test/account"

    status, _headers, page = _http("GET", portal.url)
    assert status == 200
    assert "Cancel subscription" in page
    assert "reader@news.test" in page

    status, headers, _ = _http("POST", portal.url, {"subscription": session.subscription})
    assert status == 303
    assert headers["Location"] == "https://news.test/account"
    subscription = client.v1.subscriptions.retrieve(session.subscription)
    assert subscription.cancel_at_period_end is True
    assert subscription.status == "active"
    event = standin.events_of_type("customer.subscription.updated")[-1].event
    assert event["data"]["object"]["cancel_at_period_end"] is True
    assert event["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert "Renew subscription" in _http("GET", portal.url)[2]

    ended = standin.end_period(session.subscription)
    assert ended["status"] == "canceled"
    assert ended["ended_at"] == subscription.cancel_at
    assert standin.event_types()[-1] == "customer.subscription.deleted"


def test_renewal_failure_recovery_and_cancellation(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    sub_id = _subscribe(client, standin, _catalog(client).id).subscription
    first = client.v1.subscriptions.retrieve(sub_id)["items"].data[0]

    invoice = standin.renew(sub_id)
    assert (invoice["status"], invoice["billing_reason"]) == ("paid", "subscription_cycle")
    renewed = client.v1.subscriptions.retrieve(sub_id)
    assert renewed["items"].data[0].current_period_start == first.current_period_end
    assert renewed.latest_invoice == invoice["id"]
    assert standin.event_types()[-2:] == ["customer.subscription.updated", "invoice.paid"]

    failed = standin.fail_payment(sub_id)
    assert (failed["status"], failed["amount_paid"], failed["attempt_count"]) == ("open", 0, 1)
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
    assert standin.event_types()[-2:] == ["invoice.payment_failed", "customer.subscription.updated"]
    assert standin.events[-1].event["data"]["previous_attributes"]["status"] == "active"

    paid = standin.recover(sub_id)
    assert paid["id"] == failed["id"]
    assert paid["status"] == "paid"
    assert client.v1.subscriptions.retrieve(sub_id).status == "active"
    # The retry charges the same PaymentIntent again, as Stripe's retries do.
    payments = client.v1.invoice_payments.list(params={"invoice": paid["id"]}).data
    assert [p.status for p in payments] == ["paid"]
    intent = client.v1.payment_intents.retrieve(payments[0].payment.payment_intent)
    assert intent.status == "succeeded"
    assert intent.amount_received == 500
    charges = client.v1.charges.list(params={"payment_intent": intent.id}).data
    assert sorted(c.status for c in charges) == ["failed", "succeeded"]

    canceled = client.v1.subscriptions.cancel(sub_id)
    assert canceled.status == "canceled"
    assert canceled.ended_at is not None
    assert standin.event_types()[-1] == "customer.subscription.deleted"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(sub_id, params={"cancel_at_period_end": True})


def test_cancel_now_and_giving_up(client: stripe.StripeClient, standin: StripeStandIn) -> None:
    price = _catalog(client)
    first = _subscribe(client, standin, price.id).subscription
    assert standin.cancel_now(first)["status"] == "canceled"

    second = _subscribe(client, standin, price.id).subscription
    standin.fail_payment(second)
    standin.fail_payment(second)
    assert standin.get(standin.get(second)["latest_invoice"])["attempt_count"] == 2
    gone = standin.give_up(second)
    assert gone["status"] == "canceled"
    assert gone["cancellation_details"]["reason"] == "payment_failed"
    assert len(standin.events_of_type("customer.subscription.deleted")) == 2


# --- One-off payments and refunds -----------------------------------------------------------------


def test_payment_checkout_and_refunds(client: stripe.StripeClient, standin: StripeStandIn) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 2500,
                        "product_data": {"name": "One-off contribution"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {"metadata": {"masthead_kind": "donation"}},
            "customer_email": "giver@news.test",
            "success_url": "https://news.test/thanks",
            "cancel_url": "https://news.test/support",
        }
    )
    assert "One-off contribution" in _http("GET", session.url)[2]
    assert standin.complete_checkout(session.id) == "https://news.test/thanks"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert (done.status, done.payment_status, done.amount_total) == ("complete", "paid", 2500)
    assert done.line_items.data[0].description == "One-off contribution"
    assert done.customer is None  # payment mode creates no customer unless asked to
    intent = client.v1.payment_intents.retrieve(done.payment_intent)
    assert intent.metadata.to_dict() == {"masthead_kind": "donation"}
    assert (intent.amount, intent.currency, intent.status) == (2500, "eur", "succeeded")
    assert standin.event_types()[-3:] == [
        "checkout.session.completed",
        "payment_intent.succeeded",
        "charge.succeeded",
    ]

    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    assert refund.id.startswith("re_")
    assert (refund.amount, refund.status, refund.charge) == (
        1000,
        "succeeded",
        intent.latest_charge,
    )
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, False)
    refunded = standin.events_of_type("charge.refunded")[-1].event["data"]
    assert refunded["object"]["amount_refunded"] == 1000
    assert refunded["previous_attributes"]["amount_refunded"] == 0

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 2000})
    assert too_much.value.param == "amount"
    client.v1.refunds.create(params={"charge": charge.id})
    assert client.v1.charges.retrieve(charge.id).refunded is True
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert again.value.code == "charge_already_refunded"


def test_checkout_refuses_what_stripe_refuses(client: stripe.StripeClient) -> None:
    monthly = _catalog(client)
    base = {
        "success_url": "https://news.test/ok",
        "line_items": [{"price": monthly.id, "quantity": 1}],
    }
    with pytest.raises(stripe.InvalidRequestError, match="recurring price"):
        client.v1.checkout.sessions.create(params={**base, "mode": "payment"})
    with pytest.raises(stripe.InvalidRequestError, match="only specify one"):
        client.v1.checkout.sessions.create(
            params={**base, "mode": "subscription", "customer": "cus_x", "customer_email": "a@b.c"}
        )
    with pytest.raises(stripe.InvalidRequestError) as missing_mode:
        client.v1.checkout.sessions.create(params=base)
    assert missing_mode.value.param == "mode"
    client.v1.prices.update(monthly.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError, match="inactive") as inactive:
        client.v1.checkout.sessions.create(params={**base, "mode": "subscription"})
    assert inactive.value.param == "line_items[0][price]"


def test_expired_checkout(client: stripe.StripeClient, standin: StripeStandIn) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": _catalog(client).id, "quantity": 1}],
            "success_url": "https://news.test/ok",
        }
    )
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert standin.event_types()[-1] == "checkout.session.expired"
    assert _http("GET", session.url)[0] == 410


# --- Errors, auth, idempotency ----------------------------------------------------------------------


def test_errors_come_back_as_the_sdks_exceptions(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.prices.retrieve("price_missing")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert missing.value.param == "id"
    assert missing.value.json_body["error"]["type"] == "invalid_request_error"
    assert missing.value.json_body["error"]["message"] == "No such price: 'price_missing'"
    assert missing.value.request_id.startswith("req_")

    with pytest.raises(stripe.InvalidRequestError) as no_name:
        client.v1.products.create(params={})
    assert (no_name.value.http_status, no_name.value.param) == (400, "name")

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create(params={"emial": "typo@news.test"})
    assert unknown.value.user_message == "Received unknown parameter: emial"
    with pytest.raises(stripe.InvalidRequestError) as nested:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": "price_x", "qty": 1}],
            }
        )
    assert nested.value.param == "line_items[0][qty]"

    with pytest.raises(stripe.InvalidRequestError) as bad_boolean:
        client.v1.products.create(params={"name": "X", "active": "yes"})
    assert bad_boolean.value.param == "active"

    for key in ("sk_live_real", "pk_test_publishable"):
        wrong = stripe.StripeClient(key, base_addresses={"api": standin.url})
        with pytest.raises(stripe.AuthenticationError) as denied:
            wrong.v1.customers.create(params={"email": "x@news.test"})
        assert denied.value.http_status == 401
    status, _headers, body = _http("GET", f"{standin.url}/v1/customers")
    assert status == 401
    assert json.loads(body)["error"]["type"] == "invalid_request_error"
    assert "did not provide an API key" in json.loads(body)["error"]["message"]


def test_only_the_configured_key_when_one_is_set() -> None:
    with StripeStandIn(api_key="sk_test_only_this") as strict:
        assert strict.client().v1.customers.create(params={}).id.startswith("cus_")
        other = stripe.StripeClient("sk_test_another", base_addresses={"api": strict.url})
        with pytest.raises(stripe.AuthenticationError):
            other.v1.customers.create(params={})


def test_idempotency_keys(client: stripe.StripeClient, standin: StripeStandIn) -> None:
    first = client.v1.products.create(
        params={"name": "Supporter"}, options={"idempotency_key": "tier-1"}
    )
    again = client.v1.products.create(
        params={"name": "Supporter"}, options={"idempotency_key": "tier-1"}
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(standin.objects("product")) == 1
    assert standin.event_types() == ["product.created"]
    assert [r.replayed for r in standin.api_requests("POST", "/v1/products")] == [False, True]

    with pytest.raises(stripe.IdempotencyError):
        client.v1.products.create(params={"name": "Other"}, options={"idempotency_key": "tier-1"})
    # Without a key of its own the SDK sends a fresh one each time.
    client.v1.products.create(params={"name": "Supporter"})
    keys = [r.idempotency_key for r in standin.api_requests("POST", "/v1/products")]
    assert keys[-1] not in (None, "tier-1")


def test_unknown_expansions_and_urls_are_refused(client: stripe.StripeClient) -> None:
    price = _catalog(client)
    expanded = client.v1.prices.retrieve(price.id, params={"expand": ["product"]})
    assert expanded.product.name == "Supporter"
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        client.v1.prices.retrieve(price.id, params={"expand": ["nickname"]})
    with pytest.raises(stripe.InvalidRequestError, match="Unrecognized request URL") as unknown:
        client.v1.coupons.retrieve("co_1")
    assert unknown.value.http_status == 404


# --- The provider being unwell -------------------------------------------------------------------------


def test_a_passing_failure_is_retried_by_the_sdk(standin: StripeStandIn) -> None:
    client = standin.client(max_network_retries=1)
    standin.fail_next_request(500)
    with fast_sdk_retries():
        customer = client.v1.customers.create(params={"email": "retry@news.test"})
    attempts = standin.api_requests("POST", "/v1/customers")
    assert [a.status for a in attempts] == [500, 200]
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert len(standin.objects("customer")) == 1
    assert standin.get(customer.id)["email"] == "retry@news.test"


@pytest.mark.parametrize(
    ("mode", "error", "status"),
    [("reset", stripe.APIConnectionError, None), ("error", stripe.APIError, 500)],
)
def test_a_provider_that_is_down(
    standin: StripeStandIn, mode: Any, error: type[Exception], status: int | None
) -> None:
    client = standin.client(max_network_retries=1)
    standin.go_down(mode)
    with fast_sdk_retries(), pytest.raises(error):
        client.v1.customers.retrieve("cus_anything")
    assert [r.status for r in standin.api_requests("GET")] == [status, status]  # one retry
    standin.come_back()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve("cus_anything")


# --- Webhooks --------------------------------------------------------------------------------------------


def test_every_event_is_signed_the_way_stripe_signs(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    session = _subscribe(client, standin, _catalog(client).id)
    standin.renew(session.subscription)
    assert len(standin.events) >= 8
    for event, payload, signature in standin.events:
        constructed = stripe.Webhook.construct_event(payload, signature, SECRET)
        assert constructed.id == event["id"]
        assert constructed.id.startswith("evt_")
        assert constructed.type == event["type"]
        assert event["api_version"] == API_VERSION
        assert event["object"] == "event"
        assert event["livemode"] is False
        assert set(event["request"]) == {"id", "idempotency_key"}
        kind = event["data"]["object"]["object"]
        assert event["type"].rsplit(".", 1)[0] in (kind, f"customer.{kind}")

    _event, payload, signature = standin.events[-1]
    tampered = payload.replace(b'"livemode": false', b'"livemode": true')
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, signature, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_someone_else")
    stale = standin.sign(payload, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale, SECRET)
    assert standin.sign(payload, 1_700_000_000) == (
        stripe.WebhookSignature.generate_signature_header(
            payload.decode(), SECRET, timestamp=1_700_000_000
        )
    )
    # Events can be fetched back through the API, as handlers that re-read them do.
    assert client.v1.events.retrieve(standin.events[0].event["id"]).type == "product.created"


class _Receiver:
    """A webhook endpoint on a local port that answers with a chosen status, maybe slowly."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, dict(self.headers)))
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_events_are_posted_to_the_webhook_url(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    receiver = _Receiver()
    try:
        standin.webhook_url = receiver.url
        session = _subscribe(client, standin, _catalog(client).id)
        standin.wait_for_deliveries()
        assert [d.status for d in standin.deliveries] == [200] * len(standin.events)
        assert [d.event_id for d in standin.deliveries] == [r.event["id"] for r in standin.events]
        for body, headers in receiver.received:
            assert headers["Content-Type"].startswith("application/json")
            event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
            assert event.object == "event"
        assert json.loads(receiver.received[-1][0])["type"] == "invoice.paid"
        assert session.status == "complete"
    finally:
        receiver.close()


def test_a_failing_or_slow_webhook_target_never_breaks_the_standin(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    failing, slow = _Receiver(status=500), _Receiver(delay=1.0)
    try:
        standin.webhook_url = failing.url
        client.v1.customers.create(params={"email": "a@news.test"})
        standin.wait_for_deliveries()
        assert standin.deliveries[-1].status == 500

        standin.webhook_url = "http://127.0.0.1:9/nothing-listens-here"
        client.v1.customers.create(params={"email": "b@news.test"})
        standin.wait_for_deliveries()
        assert standin.deliveries[-1].status is None
        assert standin.deliveries[-1].error

        standin.webhook_url = slow.url
        standin.delivery_timeout = 0.2
        started = time.monotonic()
        client.v1.customers.create(params={"email": "c@news.test"})
        client.v1.customers.create(params={"email": "d@news.test"})
        assert time.monotonic() - started < 0.5  # the API does not wait for webhooks
        standin.wait_for_deliveries()
        assert [d.status for d in standin.deliveries[-2:]] == [None, None]
        assert "timed out" in str(standin.deliveries[-1].error)

        standin.redeliver(standin.events[0].event["id"])
        standin.wait_for_deliveries()
        assert standin.deliveries[-1].event_id == standin.events[0].event["id"]
    finally:
        failing.close()
        slow.close()


def test_the_hosted_page_asks_for_an_email_when_it_has_none(
    client: stripe.StripeClient, standin: StripeStandIn
) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": _catalog(client).id, "quantity": 1}],
            "success_url": "https://news.test/ok?id={CHECKOUT_SESSION_ID}",
        }
    )
    page = _http("GET", session.url)[2]
    assert '<label for="email">Email</label>' in page
    status, headers, _ = _http("POST", session.url, {"email": "typed@news.test"})
    assert status == 303
    assert parse_qs(urlsplit(headers["Location"]).query) == {"id": [session.id]}
    customer = client.v1.customers.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).customer
    )
    assert customer.email == "typed@news.test"
