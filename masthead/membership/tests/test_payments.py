"""Paid memberships through Stripe: the real SDK against a local stand-in, real signatures."""

from __future__ import annotations

import contextlib
import random
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from masthead.membership.models import (
    Member,
    Membership,
    MemberStatus,
    Payment,
    ProviderEvent,
    Subscription,
    Tier,
)
from masthead.membership.payments import get_provider

from .stripe_standin import RecordedEvent, StripeStandIn, fast_sdk_retries

WEBHOOK = "/members/webhooks/stripe/"


@pytest.fixture
def standin(settings: Any) -> Iterator[StripeStandIn]:
    with fast_sdk_retries(), StripeStandIn() as stand_in:
        settings.MASTHEAD_STRIPE_SECRET_KEY = "sk_test_masthead"
        settings.MASTHEAD_STRIPE_WEBHOOK_SECRET = stand_in.webhook_secret
        settings.MASTHEAD_STRIPE_API_BASE = stand_in.url
        yield stand_in
        assert not stand_in.internal_errors, stand_in.internal_errors


def deliver(event: RecordedEvent, client: Client | None = None) -> Any:
    return (client or Client()).post(
        WEBHOOK,
        data=event.payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=event.signature,
    )


def deliver_all(standin: StripeStandIn, start: int = 0) -> int:
    for event in standin.events[start:]:
        assert deliver(event).status_code == 200, event.type
    return len(standin.events)


def pay(
    client: Client,
    standin: StripeStandIn,
    tier: Tier,
    *,
    cadence: str = "month",
    next_url: str = "/",
) -> str:
    """Press "Join" and pay on the stand-in's checkout page; return where it sends us."""
    response = client.post(
        "/members/checkout/", {"tier": tier.pk, "cadence": cadence, "next": next_url}
    )
    assert response.status_code == 303, response.content[:500]
    assert response["Location"].startswith(standin.url + "/checkout/")
    session_id = response["Location"].rsplit("/", 1)[-1]
    return standin.complete_checkout(session_id, email="payer@example.org")


def site_path(url: str) -> str:
    return url.removeprefix(django_settings.MASTHEAD_SITE_URL)


def test_tiers_become_products_and_prices_and_a_new_price_replaces_a_changed_one(
    standin: StripeStandIn, supporter: Tier
) -> None:
    provider = get_provider()
    provider.sync_tier(supporter)
    supporter.refresh_from_db()
    monthly = standin.get(supporter.provider_monthly_price_id)
    assert monthly["unit_amount"] == 500 and monthly["recurring"]["interval"] == "month"
    assert standin.get(supporter.provider_yearly_price_id)["unit_amount"] == 5000
    old_price = supporter.provider_monthly_price_id
    supporter.monthly_price = 600
    provider.sync_tier(supporter)
    supporter.refresh_from_db()
    assert supporter.provider_monthly_price_id != old_price
    assert standin.get(old_price)["active"] is False
    assert standin.get(supporter.provider_monthly_price_id)["unit_amount"] == 600


def test_a_member_pays_and_the_webhooks_make_them_a_paying_member(
    standin: StripeStandIn, supporter: Tier, free_member: Member, member_client: Any
) -> None:
    pay(member_client(free_member), standin, supporter)
    deliver_all(standin)
    free_member.refresh_from_db()
    assert free_member.status == MemberStatus.PAID
    assert free_member.provider_customer_id.startswith("cus_")
    subscription = Subscription.objects.get(member=free_member)
    assert subscription.status == "active" and subscription.tier == supporter
    membership = subscription.membership
    assert membership is not None and membership.source == Membership.Source.PAYMENT
    assert subscription.current_period_end is not None
    assert membership.ends_at == subscription.current_period_end + timedelta(days=7)
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency, payment.member) == (500, "EUR", free_member)
    assert payment.payment_intent_id.startswith("pi_")


def test_an_anonymous_reader_pays_and_comes_back_signed_in_once(
    standin: StripeStandIn, supporter: Tier
) -> None:
    buyer = Client()
    back = pay(buyer, standin, supporter, next_url="/some-story/")
    # No webhook has arrived yet: the return page itself makes the membership real.
    response = buyer.get(site_path(back))
    assert response.status_code == 302 and response["Location"] == "/some-story/"
    assert django_settings.MASTHEAD_MEMBER_COOKIE in response.cookies
    member = Member.objects.get(email="payer@example.org")
    assert member.status == MemberStatus.PAID
    assert buyer.get("/members/api/reader/").json()["variant"].startswith("paid:")
    # The same address opened elsewhere does not sign anyone in.
    other = Client().get(site_path(back))
    assert django_settings.MASTHEAD_MEMBER_COOKIE not in other.cookies
    # The webhooks arriving afterwards change nothing.
    deliver_all(standin)
    assert Subscription.objects.count() == 1 and Membership.objects.count() == 1


def test_a_bad_signature_is_refused_and_nothing_is_stored(
    standin: StripeStandIn, supporter: Tier, free_member: Member, member_client: Any
) -> None:
    pay(member_client(free_member), standin, supporter)
    event = standin.events[-1]
    response = Client().post(
        WEBHOOK,
        data=event.payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=standin.sign(event.payload + b" "),
    )
    assert response.status_code == 400
    assert Client().post(WEBHOOK, data=b"{}", content_type="application/json").status_code == 400
    assert not ProviderEvent.objects.exists()
    assert not Subscription.objects.exists()


def test_events_twice_and_unknown_events(
    standin: StripeStandIn, supporter: Tier, free_member: Member, member_client: Any
) -> None:
    pay(member_client(free_member), standin, supporter)
    deliver_all(standin)
    deliver_all(standin)
    assert Payment.objects.count() == 1
    assert ProviderEvent.objects.count() == len({e.event["id"] for e in standin.events})
    unknown = [e for e in standin.events if e.type in {"product.created", "price.created"}]
    assert unknown and all(
        ProviderEvent.objects.get(event_id=e.event["id"]).processed_at for e in unknown
    )


def test_a_failed_renewal_keeps_access_warns_and_recovers(
    standin: StripeStandIn,
    supporter: Tier,
    free_member: Member,
    member_client: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = member_client(free_member)
    pay(client, standin, supporter)
    seen = deliver_all(standin)
    subscription = Subscription.objects.get()
    standin.fail_payment(subscription.provider_id)
    with django_capture_on_commit_callbacks(execute=True):
        seen = deliver_all(standin, seen)
    subscription.refresh_from_db()
    free_member.refresh_from_db()
    assert subscription.status == "past_due"
    assert free_member.status == MemberStatus.PAID, "access is kept during the retries"
    assert [m.to for m in mailoutbox] == [[free_member.email]]
    assert "did not go through" in mailoutbox[0].subject
    assert (
        "Your last payment did not go through" in client.get("/members/account/").content.decode()
    )
    standin.recover(subscription.provider_id)
    deliver_all(standin, seen)
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert Payment.objects.count() == 2


def test_cancel_at_period_end_keeps_access_until_then_and_can_be_taken_back(
    standin: StripeStandIn, supporter: Tier, free_member: Member, member_client: Any
) -> None:
    client = member_client(free_member)
    pay(client, standin, supporter)
    seen = deliver_all(standin)
    assert client.post("/members/account/subscription/", {"action": "cancel"}).status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.cancel_at_period_end is True
    free_member.refresh_from_db()
    assert free_member.status == MemberStatus.PAID
    assert "your access ends on" in client.get("/members/account/").content.decode()
    client.post("/members/account/subscription/", {"action": "resume"})
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False
    client.post("/members/account/subscription/", {"action": "cancel"})
    seen = deliver_all(standin, seen)
    standin.end_period(subscription.provider_id)
    deliver_all(standin, seen)
    free_member.refresh_from_db()
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert free_member.status == MemberStatus.FREE


def test_switching_tiers_moves_the_membership_and_keeps_the_history(
    standin: StripeStandIn, supporter: Tier, patron: Tier, free_member: Member, member_client: Any
) -> None:
    pay(member_client(free_member), standin, supporter)
    seen = deliver_all(standin)
    provider = get_provider()
    provider.sync_tier(patron)
    patron.refresh_from_db()
    subscription = Subscription.objects.get()
    provider.change_subscription(
        subscription.provider_id, price_id=patron.provider_monthly_price_id
    )
    deliver_all(standin, seen)
    subscription.refresh_from_db()
    assert subscription.tier == patron
    tiers = list(free_member.memberships.order_by("pk").values_list("tier__slug", flat=True))
    assert tiers == ["supporter", "patron"]
    assert [m.tier.slug for m in free_member.memberships.active()] == ["patron"]


def test_the_card_portal_and_a_cancellation_made_there(
    standin: StripeStandIn, supporter: Tier, free_member: Member, member_client: Any
) -> None:
    client = member_client(free_member)
    pay(client, standin, supporter)
    seen = deliver_all(standin)
    response = client.post("/members/account/billing/")
    portal = response["Location"]
    assert response.status_code == 303 and portal.startswith(standin.url + "/portal/")
    subscription = Subscription.objects.get()
    # The member cancels on Stripe's page; the webhook brings the change here.
    request = urllib.request.Request(
        portal,
        data=urlencode({"subscription": subscription.provider_id, "action": "cancel"}).encode(),
        method="POST",
    )
    with contextlib.suppress(urllib.error.URLError):  # the redirect back to the site is not up
        urllib.request.urlopen(request, timeout=10)
    deliver_all(standin, seen)
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is True


def test_the_provider_being_down_leaves_nothing_half_done(
    standin: StripeStandIn, supporter: Tier, free_member: Member, member_client: Any
) -> None:
    standin.go_down()
    response = member_client(free_member).post(
        "/members/checkout/", {"tier": supporter.pk, "cadence": "month"}
    )
    assert response.status_code == 503
    assert "nothing was charged" in response.content.decode()
    assert not Subscription.objects.exists()
    standin.come_back()


def test_without_keys_payments_say_they_are_off(
    db: None, supporter: Tier, free_member: Member, member_client: Any
) -> None:
    response = member_client(free_member).post(
        "/members/checkout/", {"tier": supporter.pk, "cadence": "month"}
    )
    assert response.status_code == 503
    assert "not set up" in response.content.decode()
    assert Client().post(WEBHOOK, data=b"{}", content_type="application/json").status_code == 404
    join = Client().get("/members/join/").content.decode()
    assert "payments are not set up" in join and "/members/checkout/" not in join


def test_bad_checkout_choices_are_refused_clearly(
    standin: StripeStandIn, free_member: Member, member_client: Any
) -> None:
    for tier, cadence in [("99999", "month"), ("nope", "month"), ("١٢", "month"), ("1", "decade")]:
        response = member_client(free_member).post(
            "/members/checkout/", {"tier": tier, "cadence": cadence}
        )
        assert response.status_code == 400, (tier, cadence)
        assert "no longer offered" in response.content.decode()


@pytest.fixture
def lifecycle(
    standin: StripeStandIn, supporter: Tier, free_member: Member, member_client: Any
) -> Any:
    """Record a whole life: pay, renew, fail, recover, cancel at period end, end."""
    pay(member_client(free_member), standin, supporter)
    subscription_id = standin.last("subscription")["id"]
    standin.renew(subscription_id)
    standin.fail_payment(subscription_id)
    standin.recover(subscription_id)
    get_provider().change_subscription(subscription_id, cancel_at_period_end=True)
    standin.end_period(subscription_id)
    return standin.events


def _reset_payment_state() -> None:
    ProviderEvent.objects.all().delete()
    Payment.objects.all().delete()
    Subscription.objects.all().delete()
    Membership.objects.all().delete()
    Member.objects.update(status=MemberStatus.FREE, provider_customer_id="")


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), repeats=st.integers(0, 6))
def test_any_order_and_any_repetition_of_events_ends_in_the_same_state(
    lifecycle: list[RecordedEvent], free_member: Member, seed: int, repeats: int
) -> None:
    _reset_payment_state()
    rng = random.Random(seed)
    events = list(lifecycle) + [rng.choice(lifecycle) for _ in range(repeats)]
    rng.shuffle(events)
    for event in events:
        assert deliver(event).status_code == 200
    free_member.refresh_from_db()
    subscription = Subscription.objects.get()
    assert subscription.status == "canceled"
    assert free_member.status == MemberStatus.FREE
    assert not free_member.memberships.active().exists()
    # Every paid invoice is counted once, however often and in whatever order it came.
    paid = {
        e.object["id"]
        for e in lifecycle
        if e.type == "invoice.paid" and e.object.get("amount_paid")
    }
    assert set(Payment.objects.values_list("provider_id", flat=True)) == paid


def test_paying_with_someone_elses_address_does_not_sign_in_as_them(
    standin: StripeStandIn, supporter: Tier, make_member: Any
) -> None:
    victim = make_member("payer@example.org")  # the address pay() types at the checkout
    stranger = Client()
    back = pay(stranger, standin, supporter, next_url="/some-story/")
    response = stranger.get(site_path(back))
    assert django_settings.MASTHEAD_MEMBER_COOKIE not in response.cookies
    assert response["Location"].startswith("/members/signin/")
    assert stranger.get("/members/api/reader/").json()["signed_in"] is False
    # The payment still belongs to the address it was made for.
    victim.refresh_from_db()
    assert victim.status == MemberStatus.PAID


def test_editing_a_paid_tier_updates_its_price_at_the_provider(
    standin: StripeStandIn, supporter: Tier, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        supporter.monthly_price = 700
        supporter.save()
    supporter.refresh_from_db()
    assert standin.get(supporter.provider_monthly_price_id)["unit_amount"] == 700


def test_events_whose_handling_failed_are_handled_later_by_the_worker(
    standin: StripeStandIn,
    supporter: Tier,
    free_member: Member,
    member_client: Any,
    monkeypatch: Any,
) -> None:
    import time_machine
    from django.utils import timezone

    from masthead.membership import jobs
    from masthead.membership.payments import webhooks

    pay(member_client(free_member), standin, supporter)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setitem(webhooks.HANDLERS, "customer.subscription.created", crash)
    created = standin.events_of_type("customer.subscription.created")[0]
    assert deliver(created).status_code == 500
    stored = ProviderEvent.objects.get(event_id=created.event["id"])
    assert stored.processed_at is None and "database went away" in stored.error
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        jobs.retry_provider_events()
    stored.refresh_from_db()
    assert stored.processed_at is not None
    free_member.refresh_from_db()
    assert free_member.status == MemberStatus.PAID


def test_a_member_switches_tier_from_the_account_page(
    standin: StripeStandIn, supporter: Tier, patron: Tier, free_member: Member, member_client: Any
) -> None:
    client = member_client(free_member)
    pay(client, standin, supporter)
    deliver_all(standin)
    page = client.get("/members/account/").content.decode()
    assert "Switch to Patron" in page
    response = client.post(
        "/members/account/subscription/",
        {"action": "switch", "tier": patron.pk, "cadence": "month"},
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.tier == patron
    assert [m.tier.slug for m in free_member.memberships.active()] == ["patron"]
    refused = client.post(
        "/members/account/subscription/", {"action": "switch", "tier": "nope", "cadence": "month"}
    )
    assert refused.status_code == 400


def test_a_made_up_checkout_session_is_refused_not_blamed_on_the_provider(
    standin: StripeStandIn, db: None
) -> None:
    for path in [
        "/members/checkout/done/?session_id=cs_test_madeup",
        "/members/gift/done/?session_id=x",
    ]:
        response = Client().get(path)
        assert response.status_code == 400, path
        assert "could not reach" not in response.content.decode()


@pytest.mark.django_db
def test_a_failing_handler_keeps_the_event_and_no_email_address_in_its_error(
    standin: StripeStandIn, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import IntegrityError

    from masthead.membership.payments import webhooks

    def refuse(obj: dict[str, Any], provider: Any) -> None:
        raise IntegrityError(
            'duplicate key value violates unique constraint "membership_member_email_key"\n'
            "DETAIL:  Key (email)=(reader@example.org) already exists."
        )

    monkeypatch.setitem(webhooks.HANDLERS, "customer.subscription.updated", refuse)
    stored, _ = webhooks.store_event(
        {"id": "evt_fail", "type": "customer.subscription.updated", "data": {"object": {}}}
    )
    assert webhooks.process_event(stored, get_provider()) is False
    stored.refresh_from_db()
    assert stored.processed_at is None and stored.attempts == 1
    assert "Key (email)=(<email>)" in stored.error
    assert "reader@example.org" not in stored.error + caplog.text
