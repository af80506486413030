"""One-time support and pay what you want, through the Stripe stand-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from wagtail.models import Site

from masthead.membership import actions
from masthead.membership.counters import campaign_count
from masthead.membership.models import (
    Campaign,
    Member,
    MembershipSettings,
    MemberStatus,
    Payment,
    SignupSource,
    Subscription,
    Tier,
)
from masthead.membership.payments import get_provider

from .stripe_standin import StripeStandIn
from .test_payments import deliver, deliver_all, site_path, standin  # noqa: F401

pytestmark = pytest.mark.django_db

SUPPORT = "/members/support/"


def give(
    client: Client,
    standin: StripeStandIn,  # noqa: F811  # the fixture, passed on
    **fields: Any,
) -> str:
    """Fill in the support form and pay on the stand-in's checkout page; the return address."""
    data = {"amount": "2500", "custom_amount": "", "email": "fan@example.org", **fields}
    response = client.post(SUPPORT, data)
    assert response.status_code == 303, response.content.decode()[:2000]
    session_id = response["Location"].rsplit("/", 1)[-1]
    return standin.complete_checkout(session_id, email=data["email"])


def test_one_time_support_is_recorded_once_with_one_receipt(
    standin: StripeStandIn,  # noqa: F811
    smtp_inbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reader = Client()
    back = give(reader, standin)
    assert standin.last("checkout.session")["mode"] == "payment"
    with django_capture_on_commit_callbacks(execute=True):
        page = reader.get(site_path(back))
    assert page.status_code == 200
    assert "Your contribution of €25 funds the reporting" in page.content.decode()
    # The webhooks arriving afterwards, twice, change nothing.
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(standin)
        deliver_all(standin)
        reader.get(site_path(back))
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount, payment.currency) == (Payment.Kind.ONE_TIME, 2500, "EUR")
    assert payment.payment_intent_id.startswith("pi_")
    member = Member.objects.get(email="fan@example.org")
    assert payment.member == member
    assert (member.signup_source, member.status) == (SignupSource.DIRECT, MemberStatus.FREE)
    receipts = [m for m in smtp_inbox.messages if "fan@example.org" in str(m["To"])]
    assert len(receipts) == 1
    assert receipts[0]["Subject"].startswith("Thank you for supporting")
    assert "contribution of €25" in smtp_inbox.text(receipts[0])
    # Nobody is signed in by a return address that anyone could have typed an email into.
    assert reader.get("/members/api/reader/").json()["signed_in"] is False


def test_a_known_supporter_gets_the_payment_on_their_account(
    standin: StripeStandIn,  # noqa: F811
    free_member: Member,
    member_client: Any,
) -> None:
    client = member_client(free_member)
    assert 'value="free@example.org"' in client.get(SUPPORT).content.decode()
    give(client, standin, amount="other", custom_amount="12,50", email="free@example.org")
    assert standin.last("checkout.session")["amount_total"] == 1250
    deliver_all(standin)
    payment = Payment.objects.get()
    assert (payment.member, payment.amount) == (free_member, 1250)
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ("lots", "Enter an amount in numbers, like 15 or 15.50."),
        ("-500", "Enter an amount in numbers, like 15 or 15.50."),
        ("12.345", "Enter an amount in numbers, like 15 or 15.50."),
        ("", "Enter an amount in numbers, like 15 or 15.50."),
        ("4.99", "The smallest amount we can take is €5. Enter that or more."),
        ("100000.01", "Online we can take up to €100,000 at a time."),
        ("9" * 30, "Ensure this value has at most 20 characters"),
    ],
)
def test_amounts_that_cannot_be_taken_are_explained(
    standin: StripeStandIn,  # noqa: F811
    custom: str,
    message: str,
) -> None:
    response = Client().post(
        SUPPORT, {"amount": "other", "custom_amount": custom, "email": "fan@example.org"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert 'aria-describedby="support-custom-amount-hint support-custom-amount-error"' in page
    assert not standin.objects("checkout.session")
    assert not Payment.objects.exists() and not Member.objects.exists()


def test_the_largest_amount_and_the_presets_are_taken(
    standin: StripeStandIn,  # noqa: F811
) -> None:
    ok = Client().post(
        SUPPORT, {"amount": "other", "custom_amount": "€ 100 000", "email": "fan@example.org"}
    )
    assert ok.status_code == 303
    assert standin.last("checkout.session")["amount_total"] == 10_000_000
    refused = Client().post(SUPPORT, {"amount": "777", "email": "fan@example.org"})
    assert refused.status_code == 400
    assert "Choose one of the amounts, or enter your own." in refused.content.decode()
    missing = Client().post(SUPPORT, {"email": "fan@example.org"})
    assert "Choose an amount, or enter your own." in missing.content.decode()


def test_monthly_pay_what_you_want_creates_a_subscription_and_a_paying_member(
    standin: StripeStandIn,  # noqa: F811
) -> None:
    reader = Client()
    back = give(
        reader,
        standin,
        amount="other",
        custom_amount="7.50",
        monthly="on",
        email="monthly@example.org",
    )
    assert standin.last("checkout.session")["mode"] == "subscription"
    # The existing return page makes it real before any webhook, and signs the new buyer in.
    response = reader.get(site_path(back))
    assert response.status_code == 302 and response["Location"] == "/members/account/"
    deliver_all(standin)
    member = Member.objects.get(email="monthly@example.org")
    assert member.status == MemberStatus.PAID
    subscription = Subscription.objects.get()
    assert (subscription.member, subscription.amount, subscription.status) == (
        member,
        750,
        "active",
    )
    tier = subscription.tier
    assert tier.slug == "pay-what-you-want" and not tier.is_public
    assert tier not in Tier.objects.offered()
    assert Payment.objects.get().kind == Payment.Kind.SUBSCRIPTION
    assert "Supporter (pay what you want)" not in Client().get("/members/join/").content.decode()
    # A second supporter joins the same hidden tier, at their own amount.
    give(Client(), standin, amount="1000", monthly="on", email="other@example.org")
    deliver_all(standin)
    assert Tier.objects.filter(slug="pay-what-you-want").count() == 1
    assert sorted(Subscription.objects.values_list("amount", flat=True)) == [750, 1000]


def test_one_time_supporters_count_as_new_members_but_not_as_new_paying_members(
    standin: StripeStandIn,  # noqa: F811
) -> None:
    now = timezone.now()
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=1)}
    drive = Campaign.objects.create(name="All", goal=10, **window)
    paid_drive = Campaign.objects.create(
        name="Paid", goal=10, goal_kind=Campaign.Goal.NEW_PAID_MEMBERS, **window
    )
    give(Client(), standin, email="once@example.org")
    give(Client(), standin, amount="1000", monthly="on", email="monthly@example.org")
    deliver_all(standin)
    assert campaign_count(drive) == 2
    assert campaign_count(paid_drive) == 1


def test_the_settings_refuse_amounts_that_cannot_work(site: Site) -> None:
    config = MembershipSettings.for_site(site)
    config.support_preset_amounts = "1000, 2500, 1000"
    config.support_currency = "usd"
    config.full_clean()
    assert (config.support_preset_amounts, config.support_currency) == ("1000,2500", "USD")
    for field, value in [
        ("support_preset_amounts", "ten,twenty"),
        ("support_preset_amounts", "100"),
        ("support_minimum_amount", 10),
        ("support_currency", "euro"),
    ]:
        bad = MembershipSettings.for_site(site)
        setattr(bad, field, value)
        with pytest.raises(ValidationError) as raised:
            bad.full_clean()
        assert field in raised.value.message_dict


def test_the_page_offers_the_configured_amounts(
    standin: StripeStandIn,  # noqa: F811
    site: Site,
) -> None:
    config = MembershipSettings.for_site(site)
    config.support_preset_amounts = "300,900"
    config.support_minimum_amount = 300
    config.support_currency = "GBP"
    config.save()
    page = Client().get(SUPPORT).content.decode()
    assert "£3" in page and "£9" in page and "€" not in page
    assert "<legend" in page and 'name="monthly"' in page
    Client().post(SUPPORT, {"amount": "900", "email": "fan@example.org"})
    session = standin.last("checkout.session")
    assert (session["amount_total"], session["currency"]) == (900, "gbp")


def test_monthly_support_is_refused_plainly_once_staff_archive_its_tier(
    standin: StripeStandIn,  # noqa: F811
) -> None:
    """An archived pay-what-you-want tier pauses monthly support; giving once still works."""
    tier = actions.pay_what_you_want_tier(currency="EUR", minimum=500)
    assert tier is not None
    Tier.objects.filter(pk=tier.pk).update(is_active=False)
    response = Client().post(
        SUPPORT, {"amount": "2500", "email": "fan@example.org", "monthly": "on"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Monthly support is paused at the moment" in page
    assert 'aria-describedby="support-monthly-hint support-monthly-error"' in page
    assert not standin.objects("checkout.session")
    # Giving once still works.
    assert Client().post(SUPPORT, {"amount": "2500", "email": "fan@example.org"}).status_code == (
        303
    )


def test_the_pay_what_you_want_tier_is_not_taken_from_a_free_tier_of_that_name(
    db: None, free_tier: Tier
) -> None:
    Tier.objects.filter(pk=free_tier.pk).update(slug="pay-what-you-want")
    assert actions.pay_what_you_want_tier(currency="EUR", minimum=500) is None


def test_a_refund_reported_before_the_contribution_is_not_counted_as_money_kept(
    standin: StripeStandIn,  # noqa: F811
) -> None:
    """A refund whose event comes before the contribution's is counted when it is recorded."""
    give(Client(), standin)
    intent = standin.last("checkout.session")["payment_intent"]
    get_provider().refund(payment_intent_id=intent, amount=1000)
    refunds = standin.events_of_type("charge.refunded")
    for event in [*refunds, *standin.events]:
        assert deliver(event).status_code == 200
    payment = Payment.objects.get()
    assert (payment.amount, payment.refunded_amount) == (2500, 1000)


def test_support_email_subjects_are_plain_text(
    standin: StripeStandIn,  # noqa: F811
    site: Site,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.apps import apps

    site_settings = apps.get_model("publishing", "SiteSettings").for_site(site)
    site_settings.publication_name = "Smith & Sons' Gazette"
    site_settings.save()
    with django_capture_on_commit_callbacks(execute=True):
        give(Client(), standin)
        deliver_all(standin)
    assert [m.subject for m in mailoutbox] == ["Thank you for supporting Smith & Sons' Gazette"]


@pytest.mark.parametrize("monthly", ["", "on"])
def test_the_provider_being_down_charges_nothing_and_says_so(
    standin: StripeStandIn,  # noqa: F811
    monthly: str,
) -> None:
    standin.go_down()
    response = Client().post(
        SUPPORT, {"amount": "2500", "email": "fan@example.org", "monthly": monthly}
    )
    standin.come_back()
    assert response.status_code == 503
    assert "nothing was charged" in response.content.decode()
    assert not Payment.objects.exists() and not Member.objects.exists()
    assert not Subscription.objects.exists()
