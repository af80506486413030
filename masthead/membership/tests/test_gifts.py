"""Gift memberships: bought through the Stripe stand-in, emailed on their day, redeemed once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from masthead.membership import actions, jobs
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
    assert opened.status_code == 200 and opened["Referrer-Policy"] == "no-referrer"
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
    assert "when your current membership ends" in client.get("/members/account/").content.decode()

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


def test_a_refunded_or_unpaid_gift_cannot_be_redeemed(
    db: None, supporter: Tier, free_member: Member
) -> None:
    from masthead.membership.exceptions import GiftNotRedeemable

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


def _pending_gift(tier: Tier) -> tuple[Gift, str]:
    class Provider:
        def start_payment_checkout(self, **kwargs: Any) -> str:
            return "https://pay.example/"

    return actions.start_gift_purchase(
        tier=tier,
        months=1,
        buyer_email="giver@example.org",
        buyer=None,
        send_at=None,
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
    assert Gift.objects.get().status == Gift.Status.REFUNDED
