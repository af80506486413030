"""Gift memberships: bought through the Stripe stand-in, emailed on their day, redeemed once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from masthead.membership import actions, jobs
from masthead.membership.exceptions import GiftNotRedeemable
from masthead.membership.models import (
    Gift,
    Member,
    Membership,
    MemberStatus,
    Payment,
    Subscription,
    Tier,
    add_months,
    hash_secret,
    normalise_gift_code,
)

from .stripe_standin import StripeStandIn
from .test_payments import deliver, deliver_all, pay, site_path, standin  # noqa: F401

pytestmark = pytest.mark.django_db

REDEEM = "/members/gift/redeem/"


def buy_gift(
    client: Client,
    standin: StripeStandIn,  # noqa: F811  # the fixture, passed on
    tier: Tier,
    **fields: Any,
) -> str:
    """Fill in the gift form and pay on the stand-in's checkout page; the return address."""
    data = {
        "tier": tier.pk,
        "months": 12,
        "buyer_email": "giver@example.org",
        "buyer_name": "Gil",
        "delivery": "handover",
        "recipient_name": "",
        "recipient_email": "",
        "send_date": "",
        "message": "",
        **fields,
    }
    response = client.post("/members/gift/", data)
    assert response.status_code == 303, response.content.decode()[:2000]
    assert response["Location"].startswith(standin.url + "/checkout/")
    session_id = response["Location"].rsplit("/", 1)[-1]
    return standin.complete_checkout(session_id, email=data["buyer_email"])


def code_on(page: str) -> str:
    match = re.search(r"<code>([A-Z2-7-]+)</code>", page)
    assert match, "the page shows no gift code"
    return match.group(1)


def link_in(text: str) -> str:
    match = re.search(r"https?://\S+/members/gift/redeem/\?code=[A-Z2-7]+", text)
    assert match, "the email has no gift link"
    return site_path(match.group(0))


def test_a_gift_is_emailed_on_its_day_and_the_recipient_joins_to_redeem_it(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    smtp_inbox: Any,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    time_machine.move_to(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=True)
    buyer = Client()
    back = buy_gift(
        buyer,
        standin,
        supporter,
        months=3,
        delivery="email",
        recipient_name="Rae",
        recipient_email="Rae@Example.org",
        send_date="2026-12-24",
        message="Happy reading <3",
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = buyer.get(site_path(back)).content.decode()
    assert "We will email it to rae@example.org on 24 December 2026" in page
    assert code_on(page)
    # The receipt goes to the buyer at once, without the code: the recipient gets that.
    receipt = smtp_inbox.last_to("giver@example.org")
    assert "gift membership" in receipt["Subject"]
    assert "/members/gift/redeem/" not in smtp_inbox.text(receipt)
    assert "rae@example.org on 24 December 2026" in smtp_inbox.text(receipt)
    # The return page shows the code once.
    assert "<code>" not in buyer.get(site_path(back)).content.decode()

    gift = Gift.objects.get()
    assert (gift.status, gift.amount, gift.currency) == (Gift.Status.PAID, 1500, "EUR")
    assert gift.send_at == datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(standin)
        jobs.send_due_gifts()
    assert not [m for m in smtp_inbox.messages if "rae@example.org" in str(m["To"])]

    time_machine.move_to(datetime(2026, 12, 24, 8, 1, tzinfo=UTC), tick=True)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.send_due_gifts()
        jobs.send_due_gifts()
    received = [m for m in smtp_inbox.messages if "rae@example.org" in str(m["To"])]
    assert len(received) == 1
    assert received[0]["Subject"].startswith("Gil gave you a membership of")
    text = smtp_inbox.text(received[0])
    assert "Hello Rae," in text and "Happy reading <3" in text and "3 months of Supporter" in text
    html = received[0].get_body(preferencelist=("html",)).get_content()
    assert "Happy reading &lt;3" in html
    gift.refresh_from_db()
    assert gift.status == Gift.Status.SENT and gift.recipient_emailed_at is not None

    # Rae opens the link, is not a member yet, and joins with her email.
    rae = Client()
    opened = rae.get(link_in(text))
    # The address (with the code) never leaves as a Referer; the origin does, so the
    # page's own forms pass the CSRF origin check in real browsers.
    assert opened.status_code == 200 and opened["Referrer-Policy"] == "strict-origin"
    assert "Supporter for 3 months" in opened.content.decode()
    assert "A gift from Gil." in opened.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        asked = rae.post(
            REDEEM,
            {"action": "signin", "code": gift.reveal_code(), "email": "rae@example.org"},
        )
    assert asked.status_code == 302 and asked["Location"].startswith("/members/check-email/")
    # The code waits in a cookie, not in the sign-in request or its email.
    assert gift.reveal_code() not in smtp_inbox.text(smtp_inbox.last_to("rae@example.org"))
    signed_in = rae.get(site_path(smtp_inbox.link_for("rae@example.org")))
    assert signed_in["Location"] == REDEEM
    ready = rae.get(REDEEM).content.decode()
    assert "Redeem gift" in ready and "Signed in as rae@example.org" in ready
    with django_capture_on_commit_callbacks(execute=True):
        done = rae.post(REDEEM, {"action": "redeem", "code": gift.reveal_code()})
    assert done.status_code == 302 and done["Location"] == "/members/account/"
    account = rae.get("/members/account/").content.decode()
    assert "Your gift is redeemed: Supporter until 24 March 2027" in account

    member = Member.objects.get(email="rae@example.org")
    assert member.status == MemberStatus.GIFT
    membership = member.memberships.get()
    assert membership.source == Membership.Source.GIFT and membership.tier == supporter
    assert membership.ends_at == add_months(membership.starts_at, 3)
    gift.refresh_from_db()
    assert (gift.status, gift.redeemed_by, gift.membership) == (
        Gift.Status.REDEEMED,
        member,
        membership,
    )
    assert "was redeemed" in smtp_inbox.last_to("giver@example.org")["Subject"]


def test_the_buyer_hands_the_link_over_and_a_new_member_redeems_it(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    make_member: Any,
    member_client: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    buyer = Client()
    back = buy_gift(buyer, standin, supporter, months=6)
    with django_capture_on_commit_callbacks(execute=True):
        page = buyer.get(site_path(back)).content.decode()
    shown = code_on(page)
    assert "/members/gift/redeem/?code=" in page
    (receipt,) = mailoutbox
    assert receipt.to == ["giver@example.org"]
    assert shown in receipt.body, "the buyer's receipt repeats the code"
    gift = Gift.objects.get()
    assert gift.send_at is None and gift.amount == 3000
    assert gift.code_hash == hash_secret(normalise_gift_code(shown))
    # Only the hash and a short prefix are stored.
    assert normalise_gift_code(shown) not in str(Gift.objects.values().get())

    newcomer = make_member("new@example.org")
    client = member_client(newcomer)
    # Typed by hand: lower case, dashes, a zero for an O.
    typed = shown.lower().replace("o", "0")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REDEEM, {"action": "redeem", "code": typed})
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.status == MemberStatus.GIFT
    membership = newcomer.memberships.get()
    assert membership.starts_at <= timezone.now()
    assert membership.ends_at == add_months(membership.starts_at, 6)
    assert mailoutbox[-1].to == ["giver@example.org"]
    assert "was redeemed" in mailoutbox[-1].subject
    assert "new@example.org" not in mailoutbox[-1].body


def test_a_paying_member_s_gift_starts_when_their_paid_access_ends(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    free_member: Member,
    member_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = member_client(free_member)
    pay(client, standin, supporter)
    deliver_all(standin)
    subscription = Subscription.objects.get()
    assert subscription.current_period_end is not None
    codes = []
    for _ in range(2):
        back = buy_gift(Client(), standin, supporter, months=1)
        codes.append(code_on(Client().get(site_path(back)).content.decode()))

    response = client.post(REDEEM, {"action": "redeem", "code": codes[0]})
    assert response.status_code == 302
    first = free_member.memberships.get(source=Membership.Source.GIFT)
    assert first.starts_at == subscription.current_period_end
    assert first.ends_at == add_months(subscription.current_period_end, 1)
    free_member.refresh_from_db()
    assert free_member.status == MemberStatus.PAID
    account = client.get("/members/account/").content.decode()
    assert "when the period you have paid for ends" in account
    # "Nothing more to do" was wrong: the subscription goes on charging unless cancelled.
    assert "Nothing more to do" not in account
    assert "Your subscription still renews" in account

    # A second gift queues after the first.
    client.post(REDEEM, {"action": "redeem", "code": codes[1]})
    second = free_member.memberships.filter(source=Membership.Source.GIFT).latest("pk")
    assert second.starts_at == first.ends_at


def test_a_gift_redeemed_twice_says_it_was_used_and_an_unknown_code_says_to_check(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    make_member: Any,
    member_client: Any,
) -> None:
    back = buy_gift(Client(), standin, supporter, months=1)
    code = code_on(Client().get(site_path(back)).content.decode())
    assert member_client(make_member("a@example.org")).post(
        REDEEM, {"action": "redeem", "code": code}
    ).status_code == (302)
    again = member_client(make_member("b@example.org")).post(
        REDEEM, {"action": "redeem", "code": code}
    )
    assert again.status_code == 400
    assert "This gift has already been used. If you didn't redeem it, write to" in (
        again.content.decode().replace("&#x27;", "'")
    )
    assert Member.objects.get(email="b@example.org").status == MemberStatus.FREE

    unknown = Client().get(REDEEM, {"code": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG"})
    assert unknown.status_code == 400
    assert "We don&#x27;t know that gift code; check it against the email." in (
        unknown.content.decode()
    )
    assert 'aria-invalid="true"' in unknown.content.decode()


def test_redeem_attempts_are_rate_limited_per_address(db: None, settings: Any) -> None:
    settings.MASTHEAD_CODE_ATTEMPTS_PER_IP_HOUR = 3
    client = Client()
    statuses = [
        client.post(REDEEM, {"action": "check", "code": f"WRONG{n}"}).status_code for n in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    assert "Too many attempts" in client.get(REDEEM, {"code": "ANOTHER"}).content.decode()


def test_gift_webhooks_twice_and_in_any_order_pay_it_once_and_email_once(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    buy_gift(
        Client(),
        standin,
        supporter,
        months=12,
        delivery="email",
        recipient_email="rae@example.org",
    )
    events = [e for e in standin.events if e.type.startswith(("checkout.", "payment_intent."))]
    events += [e for e in standin.events if e.type.startswith("charge.")]
    with django_capture_on_commit_callbacks(execute=True):
        for event in [*reversed(events), *events]:
            assert deliver(event).status_code == 200
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount, payment.currency) == (Payment.Kind.GIFT, 5000, "EUR")
    gift = Gift.objects.get()
    assert gift.payment == payment
    # Sent today: paid and emailed in one go, once.
    assert gift.status == Gift.Status.SENT
    assert sorted(m.to[0] for m in mailoutbox) == ["giver@example.org", "rae@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        jobs.send_due_gifts()
        deliver_all(standin)
    assert Payment.objects.count() == 1 and len(mailoutbox) == 2


def test_a_checkout_naming_another_installation_s_gift_changes_nothing(
    db: None, supporter: Tier
) -> None:
    gift, _url = _pending_gift(supporter)
    assert (
        actions.confirm_gift_payment(
            gift_id=gift.pk,
            gift_ref="not-this-one",
            payment_intent_id="pi_x",
            amount=1,
            currency="eur",
        )
        is None
    )
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PENDING_PAYMENT and not Payment.objects.exists()


def test_an_unpaid_gift_cannot_be_redeemed(db: None, supporter: Tier, free_member: Member) -> None:
    gift, _url = _pending_gift(supporter)
    with pytest.raises(GiftNotRedeemable):
        actions.redeem_gift(member=free_member, code=gift.reveal_code())
    assert not free_member.memberships.exists()


def test_the_provider_being_down_leaves_no_gift_behind(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
) -> None:
    standin.go_down()
    response = Client().post(
        "/members/gift/",
        {
            "tier": supporter.pk,
            "months": 3,
            "buyer_email": "giver@example.org",
            "delivery": "handover",
        },
    )
    assert response.status_code == 503
    assert "nothing was charged" in response.content.decode()
    assert not Gift.objects.exists() and not Payment.objects.exists()
    standin.come_back()


def test_the_gift_form_explains_what_to_fix(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    free_member: Member,
    member_client: Any,
) -> None:
    client = member_client(free_member)
    form = client.get("/members/gift/").content.decode()
    assert 'value="free@example.org"' in form, "a member's email is filled in"
    assert "<legend" in form and "What a gift costs" in form and "€50" in form
    response = client.post(
        "/members/gift/",
        {
            "tier": supporter.pk,
            "months": 7,
            "buyer_email": "free@example.org",
            "delivery": "email",
            "recipient_email": "",
            "send_date": "2001-01-01",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose 1, 3, 6 or 12 months." in page
    assert "Enter their email address, or choose to hand over the link yourself." in page
    assert "Choose today or a later date." in page
    assert 'aria-describedby="gift-recipient-email-hint gift-recipient-email-error"' in page
    assert not Gift.objects.exists()
    assert not standin.objects("checkout.session")


def test_gift_codes_and_months() -> None:
    assert normalise_gift_code(" abcd-efgh 0123 ") == "ABCDEFGHOI23"
    assert normalise_gift_code("https://x.org/members/gift/redeem/?code=ABC2&x=1") == "ABC2"
    jan31 = datetime(2027, 1, 31, 9, tzinfo=UTC)
    assert add_months(jan31, 1) == datetime(2027, 2, 28, 9, tzinfo=UTC)
    assert add_months(jan31, 12) == datetime(2028, 1, 31, 9, tzinfo=UTC)
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)


def _pending_gift(tier: Tier, **fields: Any) -> tuple[Gift, str]:
    class Provider:
        def start_payment_checkout(self, **kwargs: Any) -> str:
            return "https://pay.example/"

    return actions.start_gift_purchase(
        **{
            "tier": tier,
            "months": 1,
            "buyer_email": "giver@example.org",
            "buyer": None,
            "send_at": None,
            **fields,
        },
        provider=Provider(),  # type: ignore[arg-type]
        success_url="https://x/",
        cancel_url="https://x/",
    )


def test_without_payments_the_gift_pages_say_so_and_sell_nothing(
    db: None, supporter: Tier, settings: Any
) -> None:
    settings.MASTHEAD_STRIPE_SECRET_KEY = ""
    page = Client().get("/members/gift/").content.decode()
    assert "Online payments are not set up" in page and "Supporter" in page
    assert 'name="buyer_email"' not in page
    assert django_settings.MASTHEAD_SUPPORT_EMAIL in page
    response = Client().post("/members/gift/", {"tier": supporter.pk, "months": 1})
    assert response.status_code == 200 and not Gift.objects.exists()


def test_a_gift_refunded_in_full_can_no_longer_be_redeemed(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
) -> None:
    buy_gift(Client(), standin, supporter, months=12)
    seen = deliver_all(standin)
    payment = Payment.objects.get()
    actions.refund_payment(payment=payment, amount=payment.amount, actor=None)
    deliver_all(standin, seen)
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.amount
    gift = Gift.objects.get()
    assert gift.status == Gift.Status.REFUNDED
    opened = Client().get(REDEEM, {"code": gift.reveal_code()})
    assert opened.status_code == 400 and "refunded" in opened.content.decode()
    with pytest.raises(GiftNotRedeemable):
        actions.redeem_gift(
            member=actions.create_member(email="r@example.org"), code=gift.reveal_code()
        )


def test_a_gift_refunded_in_part_can_still_be_redeemed(db: None, supporter: Tier) -> None:
    gift = _paid_gift(supporter)
    Payment.objects.filter(pk=gift.payment_id).update(refunded_amount=gift.amount - 1)
    member = actions.create_member(email="r@example.org")
    membership = actions.redeem_gift(member=member, code=gift.reveal_code())
    assert membership.member == member


# --- Prices, tiers, dates, redeeming twice, refunds out of order, subjects, the code field ----

GIFT_FORM = "/members/gift/"


def _paid_gift(tier: Tier, *, buyer_name: str = "", **fields: Any) -> Gift:
    gift, _url = _pending_gift(tier, buyer_name=buyer_name, **fields)
    confirmed = actions.confirm_gift_payment(
        gift_id=gift.pk,
        gift_ref=gift.public_id,
        payment_intent_id=f"pi_{gift.public_id}",
        amount=gift.amount,
        currency=gift.currency,
    )
    assert confirmed is not None
    return confirmed


def test_a_gift_priced_outside_what_can_be_charged_is_explained_on_the_form(
    standin: StripeStandIn,  # noqa: F811
) -> None:
    """The form refuses a price the provider would refuse, instead of blaming an outage."""
    cheap = Tier.objects.create(name="Penny", slug="penny", monthly_price=40, currency="EUR")
    dear = Tier.objects.create(name="Angel", slug="angel", monthly_price=9_000_000)
    base = {"buyer_email": "giver@example.org", "delivery": "handover"}
    small = Client().post(GIFT_FORM, {**base, "tier": cheap.pk, "months": 1})
    assert small.status_code == 400
    assert "costs less than we can charge online; choose a longer gift." in small.content.decode()
    assert 'aria-describedby="gift-months-error"' in small.content.decode()
    large = Client().post(GIFT_FORM, {**base, "tier": dear.pk, "months": 12})
    assert large.status_code == 400
    assert "more than we can take online at once" in large.content.decode()
    assert not Gift.objects.exists() and not standin.objects("checkout.session")
    # Three months of the cheap tier (1.20) can be charged.
    assert Client().post(GIFT_FORM, {**base, "tier": cheap.pk, "months": 3}).status_code == 303


def test_hidden_archived_and_free_tiers_cannot_be_given(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    free_tier: Tier,
) -> None:
    hidden = Tier.objects.create(name="Staff", slug="staff", monthly_price=500, is_public=False)
    archived = Tier.objects.create(name="Old", slug="old", monthly_price=500, is_active=False)
    for tier in (hidden, archived, free_tier):
        response = Client().post(
            GIFT_FORM,
            {"tier": tier.pk, "months": 1, "buyer_email": "g@example.org", "delivery": "handover"},
        )
        assert response.status_code == 400, tier
        assert "That membership is no longer offered; choose another one." in (
            response.content.decode()
        )
    for junk in ("abc", "99999999999999999999999", ""):
        response = Client().post(
            GIFT_FORM,
            {"tier": junk, "months": 1, "buyer_email": "g@example.org", "delivery": "handover"},
        )
        assert response.status_code == 400, junk
    assert not Gift.objects.exists() and not standin.objects("checkout.session")


def test_send_dates_follow_the_publication_s_timezone_and_stay_within_a_year(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    site: Any,
    time_machine: Any,
) -> None:
    from django.apps import apps

    site_settings = apps.get_model("publishing", "SiteSettings").for_site(site)
    site_settings.timezone = "Pacific/Auckland"
    site_settings.save()
    # 20:00 in London on the 1st is 09:00 on the 2nd in Auckland.
    time_machine.move_to(datetime(2026, 12, 1, 20, 0, tzinfo=UTC), tick=False)
    base = {
        "tier": supporter.pk,
        "months": 1,
        "buyer_email": "giver@example.org",
        "delivery": "email",
        "recipient_email": "rae@example.org",
    }
    yesterday = Client().post(GIFT_FORM, {**base, "send_date": "2026-12-01"})
    assert "Choose today or a later date." in yesterday.content.decode()
    too_far = Client().post(GIFT_FORM, {**base, "send_date": "2027-12-04"})
    assert "Choose a date within the next year." in too_far.content.decode()
    page = Client().get(GIFT_FORM).content.decode()
    assert 'min="2026-12-02"' in page and 'max="2027-12-03"' in page
    assert Client().post(GIFT_FORM, {**base, "send_date": "2026-12-03"}).status_code == 303
    # Eight in the morning in Auckland, stored in UTC.
    assert Gift.objects.get().send_at == datetime(2026, 12, 2, 19, 0, tzinfo=UTC)


def test_a_double_submitted_redeem_lands_on_the_account_both_times(
    db: None,
    supporter: Tier,
    make_member: Any,
    member_client: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Redeeming again as the same member (a double click, a retry) gives the same result."""
    gift = _paid_gift(supporter)
    rae = make_member("rae@example.org")
    client = member_client(rae)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(REDEEM, {"action": "redeem", "code": gift.reveal_code()})
        again = client.post(REDEEM, {"action": "redeem", "code": gift.reveal_code()})
    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == "/members/account/"
    assert rae.memberships.count() == 1
    assert [m.subject for m in mailoutbox].count(mailoutbox[-1].subject) == 1
    assert "was redeemed" in mailoutbox[-1].subject
    # Anyone else is still told that it was used.
    other = member_client(make_member("other@example.org"))
    refused = other.post(REDEEM, {"action": "redeem", "code": gift.reveal_code()})
    assert refused.status_code == 400 and "already been used" in refused.content.decode()


# serialized_rollback: the flush after a transactional test would otherwise leave the
# migrations' rows (content types) renumbered for the browser tests that follow it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_readers_redeeming_one_gift_at_the_same_moment_get_it_once(
    supporter: Tier,
    make_member: Any,
    member_client: Any,
) -> None:
    from django.db import connection

    from .test_payments_concurrency import all_at_once

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    gift = _paid_gift(supporter)
    clients = [member_client(make_member(f"reader{n}@example.org")) for n in range(4)]
    code = gift.reveal_code()
    statuses = sorted(
        response.status_code
        for response in all_at_once(
            [partial(client.post, REDEEM, {"action": "redeem", "code": code}) for client in clients]
        )
    )
    assert statuses == [302, 400, 400, 400]
    assert Membership.objects.filter(source=Membership.Source.GIFT).count() == 1
    gift.refresh_from_db()
    assert gift.status == Gift.Status.REDEEMED and gift.membership is not None


def test_a_refund_reported_before_its_payment_leaves_the_gift_refunded(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    free_member: Member,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A refund whose event comes before the payment's leaves the gift unpaid and unsent."""
    from masthead.membership.payments import get_provider

    buy_gift(Client(), standin, supporter, delivery="email", recipient_email="rae@example.org")
    intent = standin.last("checkout.session")["payment_intent"]
    get_provider().refund(payment_intent_id=intent)
    refunds = standin.events_of_type("charge.refunded")
    assert refunds
    with django_capture_on_commit_callbacks(execute=True):
        for event in [*refunds, *standin.events]:
            assert deliver(event).status_code == 200
        jobs.send_due_gifts()
    payment = Payment.objects.get()
    assert payment.refunded_amount == payment.amount == 5000
    gift = Gift.objects.get()
    assert gift.status == Gift.Status.REFUNDED
    assert not mailoutbox, "neither a receipt nor the gift goes out for money paid back"
    with pytest.raises(GiftNotRedeemable):
        actions.redeem_gift(member=free_member, code=gift.reveal_code())


def test_gift_emails_keep_names_as_typed_in_their_subjects(
    db: None,
    supporter: Tier,
    site: Any,
    make_member: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Subjects are plain text: "&" and "'" stay as typed, not HTML entities."""
    from django.apps import apps

    site_settings = apps.get_model("publishing", "SiteSettings").for_site(site)
    site_settings.publication_name = "Smith & Sons' Gazette"
    site_settings.save()
    with django_capture_on_commit_callbacks(execute=True):
        gift = _paid_gift(
            supporter,
            buyer_name="Anne & Bob O'Brien",
            recipient_email="rae@example.org",
            send_at=timezone.now(),
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.redeem_gift(member=make_member("rae@example.org"), code=gift.reveal_code())
    subjects = [message.subject for message in mailoutbox]
    assert subjects == [
        "Your gift membership of Smith & Sons' Gazette",
        "Anne & Bob O'Brien gave you a membership of Smith & Sons' Gazette",
        "Your gift of Smith & Sons' Gazette was redeemed",
    ]


def test_a_code_that_opens_nothing_stays_in_its_field_to_be_corrected(db: None) -> None:
    """A wrong code is shown back in its field, with its error, to be corrected in place."""
    response = Client().post(REDEEM, {"action": "check", "code": "ABCD-EFGH-IJKL"})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="ABCD-EFGH-IJKL"' in page
    assert 'id="redeem-code-error"' in page and "We don&#x27;t know that gift code" in page
    assert 'aria-describedby="redeem-code-hint redeem-code-error"' in page


def test_a_code_waiting_in_the_cookie_that_was_redeemed_meanwhile_says_so(
    db: None, supporter: Tier, make_member: Any
) -> None:
    from django.core import signing

    from masthead.membership import payment_views

    gift = _paid_gift(supporter)
    actions.redeem_gift(member=make_member("first@example.org"), code=gift.reveal_code())
    client = Client()
    client.cookies[payment_views.GIFT_COOKIE] = signing.dumps(
        gift.reveal_code(), salt=payment_views._GIFT_COOKIE_SALT
    )
    response = client.get(REDEEM)
    assert response.status_code == 400
    assert "This gift has already been used" in response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gift_support_and_redeem_forms_with_their_errors_have_no_accessibility_violations(
    browser: Any,
    live_server: Any,
    axe_violations: Any,
    standin: StripeStandIn,  # noqa: F811
) -> None:
    import json

    Tier.objects.create(name="Supporter", slug="supporter", monthly_price=500, yearly_price=5000)
    page = browser.new_page()
    report = {}

    def check(name: str) -> None:
        if violations := axe_violations(page):
            report[name] = violations

    page.goto(live_server.url + GIFT_FORM)
    check("gift")
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_label("Send it on (optional)").fill("2001-01-01")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_text("Enter a complete email address").first.wait_for()
    check("gift with errors")

    page.goto(live_server.url + "/members/support/")
    check("support")
    page.get_by_label("Another amount").check()
    page.get_by_label("Your amount").fill("1")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_text("The smallest amount we can take").wait_for()
    check("support with errors")

    page.goto(live_server.url + REDEEM)
    check("redeem")
    page.get_by_label("Gift code").fill("ABCD-EFGH")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("We don't know that gift code").wait_for()
    check("redeem with an error")
    page.close()
    assert report == {}, json.dumps(report, indent=2)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_member_opens_the_gift_link_in_a_browser_and_redeems_it(
    browser: Any, live_server: Any, supporter: Tier, make_member: Any
) -> None:
    """The redeem page's forms pass the CSRF origin check in a real browser."""
    from django.http import HttpResponse

    from masthead.membership import auth
    from masthead.membership.tasks import gift_redeem_url

    gift = _paid_gift(supporter)
    rae = make_member("rae@example.org")
    response = HttpResponse()
    auth.issue_member_cookie(response, rae)
    cookie = response.cookies[django_settings.MASTHEAD_MEMBER_COOKIE].value
    page = browser.new_page()
    page.context.add_cookies(
        [{"name": django_settings.MASTHEAD_MEMBER_COOKIE, "value": cookie, "url": live_server.url}]
    )
    page.goto(live_server.url + site_path(gift_redeem_url(gift.reveal_code())))
    page.get_by_role("button", name="Redeem gift").click()
    page.wait_for_url(live_server.url + "/members/account/")
    assert page.get_by_text("Your gift is redeemed: Supporter until").is_visible()
    page.close()
    gift.refresh_from_db()
    assert gift.status == Gift.Status.REDEEMED and gift.redeemed_by == rae
