"""Webhooks and the return page racing each other, on PostgreSQL where they truly can.

A buyer's browser comes back from the checkout at the same moment as the provider's
webhooks, and the provider may send the same event twice at once. SQLite serialises every
writer, so these races only exist on a real server database: the tests skip elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from masthead.membership.models import (
    Member,
    Membership,
    MemberStatus,
    Payment,
    ProviderEvent,
    Subscription,
    Tier,
)

from .stripe_standin import StripeStandIn
from .test_payments import deliver, pay, site_path, standin  # noqa: F401 (fixture)

# Skipped before any database work: a transactional test empties the tables when it ends,
# and the serialised rollback puts back what later tests need (content types, the site).
pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
        reason="concurrent writers need PostgreSQL: set MASTHEAD_DATABASE_URL=postgres://… "
        "(SQLite serialises writers, so there is no race to test)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each thread closes its connection."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_the_return_page_and_every_webhook_twice_at_once_make_one_paying_member(
    standin: StripeStandIn,  # noqa: F811  # the fixture, passed on
    supporter: Tier,
) -> None:
    buyer = Client()
    back = site_path(pay(buyer, standin, supporter, next_url="/story/"))
    events = list(standin.events)
    assert {"checkout.session.completed", "customer.subscription.created", "invoice.paid"} <= {
        event.type for event in events
    }
    calls: list[Callable[[], Any]] = [lambda: buyer.get(back)]
    for event in events * 2:
        calls.append(lambda event=event: deliver(event, Client()))
    responses = all_at_once(calls)

    assert [response.status_code for response in responses] == [302] + [200] * (2 * len(events))
    member = Member.objects.get(email="payer@example.org")
    assert member.status == MemberStatus.PAID
    subscription = Subscription.objects.get()
    assert subscription.member == member and subscription.status == "active"
    assert Membership.objects.filter(member=member).count() == 1
    payment = Payment.objects.get()
    assert (payment.amount, payment.member) == (500, member)
    assert ProviderEvent.objects.count() == len(events)
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()


def test_one_event_delivered_many_times_at_once_is_handled_once(
    standin: StripeStandIn,  # noqa: F811  # the fixture, passed on
    supporter: Tier,
    free_member: Member,
    member_client: Any,
) -> None:
    pay(member_client(free_member), standin, supporter)
    for event in standin.events:
        if event.type != "invoice.paid":
            assert deliver(event).status_code == 200
    (invoice_paid,) = standin.events_of_type("invoice.paid")
    responses = all_at_once([lambda: deliver(invoice_paid, Client()) for _ in range(6)])

    assert [response.status_code for response in responses] == [200] * 6
    stored = ProviderEvent.objects.get(event_id=invoice_paid.event["id"])
    assert stored.attempts == 1 and stored.processed_at is not None
    assert Payment.objects.filter(member=free_member).count() == 1
