"""Revenue in the admin, payment history, refunds through Stripe, and the payment emails."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from masthead.membership import actions, notifications, tasks
from masthead.membership.admin_panels import revenue_overview
from masthead.membership.factories import MemberFactory
from masthead.membership.models import Cadence, Member, Payment, Subscription, Tier
from masthead.membership.payments import PaymentsNotConfigured
from masthead.staff.factories import UserFactory

from .stripe_standin import StripeStandIn
from .test_payments import deliver_all, pay, standin  # noqa: F401

NOW = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture
def staff(db: None) -> Any:
    return UserFactory(superuser=True, first_name="Rita", last_name="Desk")


@pytest.fixture
def staff_client(client: Any, staff: Any) -> Any:
    client.force_login(staff)
    return client


@pytest.fixture
def payments_on(settings: Any) -> None:
    """Payments switched on, for tests that never call Stripe."""
    settings.MASTHEAD_STRIPE_SECRET_KEY = "sk_test_masthead"


def subscription(
    tier: Tier,
    *,
    status: str = Subscription.Status.ACTIVE,
    amount: int = 500,
    cadence: str = Cadence.MONTH,
    currency: str = "EUR",
    created_days_ago: int = 0,
    ended_days_ago: int | None = None,
    member: Member | None = None,
    cancel_at_period_end: bool = False,
) -> Subscription:
    now = timezone.now()
    return Subscription.objects.create(
        provider_id=f"sub_test_{next(_ids)}",
        member=member or MemberFactory(),
        tier=tier,
        status=status,
        amount=amount,
        cadence=cadence,
        currency=currency,
        current_period_end=now + timedelta(days=20),
        cancel_at_period_end=cancel_at_period_end,
        created_at=now - timedelta(days=created_days_ago),
        ended_at=now - timedelta(days=ended_days_ago) if ended_days_ago is not None else None,
    )


def payment(
    *,
    kind: str = Payment.Kind.SUBSCRIPTION,
    amount: int = 500,
    currency: str = "EUR",
    days_ago: int = 0,
    refunded: int = 0,
    member: Member | None = None,
    sub: Subscription | None = None,
) -> Payment:
    return Payment.objects.create(
        provider_id=f"in_test_{next(_ids)}",
        payment_intent_id=f"pi_test_{next(_ids)}",
        kind=kind,
        amount=amount,
        currency=currency,
        refunded_amount=refunded,
        member=member,
        subscription=sub,
        paid_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def known_revenue(supporter: Tier, patron: Tier) -> dict[str, Any]:
    """Subscriptions and payments whose totals are worked out by hand in the test."""
    with time_machine.travel(NOW, tick=False):
        subs = {
            "monthly": subscription(supporter, created_days_ago=0),
            "yearly": subscription(
                supporter, amount=5000, cadence=Cadence.YEAR, created_days_ago=1
            ),
            "retrying": subscription(
                patron, status=Subscription.Status.PAST_DUE, amount=1500, created_days_ago=40
            ),
            "trial": subscription(
                supporter, status=Subscription.Status.TRIALING, created_days_ago=2
            ),
            "ended": subscription(
                supporter,
                status=Subscription.Status.CANCELED,
                created_days_ago=10,
                ended_days_ago=3,
            ),
            "never_paid": subscription(
                supporter, status=Subscription.Status.INCOMPLETE_EXPIRED, created_days_ago=0
            ),
            "dollars": subscription(supporter, amount=1000, currency="USD", created_days_ago=0),
        }
        payment(kind=Payment.Kind.ONE_TIME, amount=2000, days_ago=2)
        payment(kind=Payment.Kind.GIFT, amount=3000, days_ago=10)
        payment(kind=Payment.Kind.ONE_TIME, amount=700, days_ago=40)  # before the 30 days
        payment(amount=500, refunded=200, sub=subs["monthly"])
        payment(amount=500, days_ago=50, refunded=100)
    return subs


def test_revenue_overview_adds_up_mrr_members_new_and_ended_per_day(
    payments_on: None, known_revenue: dict[str, Any], django_assert_num_queries: Any
) -> None:
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(5):
        overview = revenue_overview()
    # 500 monthly + 1500 retrying + 5000 / 12 = 416.67 rounded to 417; dollars apart.
    assert overview["mrr"] == [
        {"currency": "EUR", "amount": 2417},
        {"currency": "USD", "amount": 1000},
    ]
    assert (overview["paying"], overview["trialing"], overview["past_due"]) == (4, 1, 1)
    by_day = {point["day"]: point for point in overview["series"]}
    today = NOW.date()
    assert len(overview["series"]) == 30 and overview["last_day"] == today
    assert by_day[today]["new"] == 2  # monthly and dollars; never_paid is not counted
    assert by_day[today - timedelta(days=1)]["new"] == 1
    assert by_day[today - timedelta(days=2)]["new"] == 1  # the trial
    assert by_day[today - timedelta(days=10)]["new"] == 1
    assert by_day[today - timedelta(days=3)]["churned"] == 1
    assert by_day[today - timedelta(days=3)]["net"] == -1
    assert (overview["new"], overview["churned"]) == (5, 1)
    assert overview["one_time"] == [{"currency": "EUR", "amount": 5000}]
    assert overview["received"] == [{"currency": "EUR", "amount": 5500}]
    assert overview["refunded"] == [{"currency": "EUR", "amount": 300}]
    assert overview["refunded_in_range"] == [{"currency": "EUR", "amount": 200}]


def test_revenue_overview_takes_as_many_queries_for_much_more_data(
    payments_on: None,
    known_revenue: dict[str, Any],
    supporter: Tier,
    django_assert_num_queries: Any,
) -> None:
    with time_machine.travel(NOW, tick=False):
        for days_ago in range(60):
            sub = subscription(supporter, created_days_ago=days_ago, currency="GBP")
            payment(amount=500, currency="GBP", days_ago=days_ago, sub=sub, refunded=days_ago)
        with django_assert_num_queries(5):
            overview = revenue_overview(days=365)
    assert len(overview["series"]) == 365
    assert {"currency": "GBP", "amount": 30000} in overview["mrr"]


def test_revenue_overview_asks_nothing_when_payments_are_off(
    db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        assert revenue_overview() == {"enabled": False, "days": 30}


def test_dashboard_panel_shows_grouped_numbers_money_and_a_chart_with_its_table(
    payments_on: None, staff_client: Any, supporter: Tier
) -> None:
    subscription(supporter, amount=123_456_700)
    body = staff_client.get("/admin/").content.decode()
    assert "Monthly recurring revenue" in body
    assert "€1,234,567" in body
    assert "New and ended subscriptions per day" in body
    assert 'aria-labelledby="revenue-panel-subscriptions-title"' in body
    assert "Show the numbers" in body and '<th scope="col">Net</th>' in body
    assert 'href="/admin/revenue/"' in body


def test_counts_are_grouped_with_thousands_separators() -> None:
    html = render_to_string(
        "membership/admin/revenue_overview.html",
        {
            "overview": {
                "enabled": True,
                "days": 30,
                "mrr": [{"currency": "EUR", "amount": 1_250_000}],
                "paying": 12345,
                "trialing": 0,
                "past_due": 1200,
                "new": 4321,
                "churned": 1000,
                "series": [],
            },
            "id_prefix": "t",
        },
    )
    assert "12,345" in html and "1,200 with a failed renewal" in html
    assert "4,321 new and 1,000 ended" in html
    assert "€12,500" in html


def test_with_payments_off_the_panel_and_the_page_say_how_to_switch_them_on(
    staff_client: Any,
) -> None:
    for url in ("/admin/", "/admin/revenue/"):
        body = staff_client.get(url).content.decode()
        assert "Payments are switched off" in body, url
        assert "docs/operations/payments.md" in body
        assert "MASTHEAD_STRIPE_SECRET_KEY" in body
        assert "Monthly recurring revenue" not in body


def test_revenue_page_offers_longer_periods_and_lists_the_latest_payments(
    payments_on: None, staff_client: Any, supporter: Tier
) -> None:
    member = MemberFactory(email="payer@example.org")
    sub = subscription(supporter, member=member, created_days_ago=200)
    payment(amount=500, member=member, sub=sub, days_ago=200)
    response = staff_client.get("/admin/revenue/", {"days": "365"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Received in the last 365 days" in body
    assert 'aria-current="page">Last 365 days' in body
    assert f'href="/admin/members/edit/{member.pk}/">payer@example.org' in body
    # An unknown period falls back to 90 days rather than failing.
    assert "in the last 90 days" in staff_client.get("/admin/revenue/?days=7").content.decode()


def test_staff_who_cannot_see_members_see_no_revenue(
    db: None, client: Any, payments_on: None
) -> None:
    from django.contrib.auth.models import Permission

    editor = UserFactory()
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert client.get("/admin/revenue/").status_code in (302, 403)
    assert "Monthly recurring revenue" not in client.get("/admin/").content.decode()


# --- A member's payments ------------------------------------------------------------------


def test_member_page_lists_subscriptions_and_payments_newest_first(
    payments_on: None, staff_client: Any, supporter: Tier, patron: Tier
) -> None:
    member = MemberFactory()
    old = subscription(
        supporter, member=member, created_days_ago=100, status="canceled", ended_days_ago=40
    )
    new = subscription(
        patron, member=member, cadence=Cadence.YEAR, amount=15000, cancel_at_period_end=True
    )
    payment(amount=500, member=member, sub=old, days_ago=90)
    payment(amount=15000, member=member, sub=new, days_ago=1, refunded=2500)
    payment(kind=Payment.Kind.ONE_TIME, amount=1234, member=member, days_ago=20)
    body = staff_client.get(f"/admin/members/edit/{member.pk}/").content.decode()
    assert "Subscriptions and payments" in body
    history = body[body.index("member-payments") :]
    assert history.index("Patron") < history.index("Supporter")
    assert "€150 a year" in history and "€5 a month" in history
    assert "Yes: it will not renew" in history and "Cancelled" in history
    amounts = [history.index(text) for text in ("€150", "€12.34", "€5<")]
    assert amounts == sorted(amounts), "newest payment first"
    assert "€25" in history  # refunded so far
    assert history.count(">Refund<") == 3


def test_member_page_queries_do_not_grow_with_payments(
    payments_on: None, staff_client: Any, supporter: Tier, django_assert_max_num_queries: Any
) -> None:
    member = MemberFactory()
    sub = subscription(supporter, member=member)
    payment(member=member, sub=sub)
    url = f"/admin/members/edit/{member.pk}/"
    with django_assert_max_num_queries(60) as few:
        staff_client.get(url)
    for days_ago in range(1, 30):
        payment(member=member, sub=subscription(supporter, member=member), days_ago=days_ago)
    with django_assert_max_num_queries(len(few)):
        staff_client.get(url)


# --- Refunds ------------------------------------------------------------------------------


@pytest.fixture
def paid(
    standin: StripeStandIn,  # noqa: F811
    supporter: Tier,
    free_member: Member,
    member_client: Any,
) -> tuple[Payment, int]:
    """A member who paid €5 through the stand-in; the payment and the events seen so far."""
    pay(member_client(free_member), standin, supporter)
    seen = deliver_all(standin)
    return Payment.objects.get(), seen


def refund_url(payment: Payment) -> str:
    return f"/admin/members/refund/{payment.pk}/"


def test_a_partial_then_a_full_refund_go_through_stripe_and_come_back_by_webhook(
    staff_client: Any,
    standin: StripeStandIn,  # noqa: F811
    paid: tuple[Payment, int],
    free_member: Member,
) -> None:
    payment, seen = paid
    member_page = f"/admin/members/edit/{free_member.pk}/"
    assert f'href="{refund_url(payment)}"' in staff_client.get(member_page).content.decode()
    form = staff_client.get(refund_url(payment)).content.decode()
    assert 'value="5.00"' in form and "Left to refund" in form

    response = staff_client.post(refund_url(payment), {"amount": "2"}, follow=True)
    body = response.content.decode()
    assert "Refund of €2 requested from Stripe" in body
    assert "€2 requested; it appears here when Stripe confirms it" in body
    assert [r["amount"] for r in standin.objects("refund")] == [200]
    payment.refresh_from_db()
    assert payment.refunded_amount == 0, "nothing is recorded before Stripe confirms it"
    entry = ModelLogEntry.objects.get(action=actions.REFUND_REQUESTED)
    assert entry.object_id == str(payment.pk) and entry.user is not None
    assert free_member.email not in f"{entry.label} {entry.data}"
    assert "Refund requested" in staff_client.get("/admin/reports/site-history/").content.decode()

    seen = deliver_all(standin, seen)
    payment.refresh_from_db()
    assert payment.refunded_amount == 200
    body = staff_client.get(member_page).content.decode()
    assert "requested; it appears here" not in body

    form = staff_client.get(refund_url(payment)).content.decode()
    assert 'value="3.00"' in form
    staff_client.post(refund_url(payment), {"amount": "3.00"})
    deliver_all(standin, seen)
    payment.refresh_from_db()
    assert payment.refunded_amount == 500
    assert f'href="{refund_url(payment)}"' not in staff_client.get(member_page).content.decode()
    assert "refunded in full" in staff_client.get(refund_url(payment)).content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("5.01", "At most €5 is left to refund on this payment"),
        ("0", "Enter an amount above zero"),
        ("-1", "Enter an amount above zero"),
        ("1.005", "EUR amounts have at most 2 decimals"),
        ("lots", "Enter a number"),
    ],
)
def test_a_refund_outside_what_is_left_is_refused_and_nothing_is_asked_of_stripe(
    staff_client: Any,
    standin: StripeStandIn,  # noqa: F811
    paid: tuple[Payment, int],
    amount: str,
    message: str,
) -> None:
    payment, _seen = paid
    response = staff_client.post(refund_url(payment), {"amount": amount})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was refunded. Correct the amount below." in body
    assert message in body
    assert not standin.objects("refund")
    assert not ModelLogEntry.objects.filter(action=actions.REFUND_REQUESTED).exists()


def test_pressing_refund_twice_does_not_refund_twice(
    staff_client: Any,
    standin: StripeStandIn,  # noqa: F811
    paid: tuple[Payment, int],
) -> None:
    payment, _seen = paid
    staff_client.post(refund_url(payment), {"amount": "5"})
    second = staff_client.post(refund_url(payment), {"amount": "5"}).content.decode()
    assert "Nothing was refunded" in second
    assert "Everything left is already requested" in second
    assert len(standin.objects("refund")) == 1
    with pytest.raises(ValueError, match="left to refund"):
        actions.refund_payment(payment=payment, amount=100, actor=None)


def test_stripe_being_down_refunds_nothing_and_says_so(
    staff_client: Any,
    standin: StripeStandIn,  # noqa: F811
    paid: tuple[Payment, int],
) -> None:
    payment, _seen = paid
    standin.go_down()
    try:
        body = staff_client.post(refund_url(payment), {"amount": "5"}).content.decode()
    finally:
        standin.come_back()
    assert "Nothing was refunded: Stripe could not be reached" in body
    assert 'value="5"' in body or 'value="5.00"' in body, "the form is kept to try again"
    assert not standin.objects("refund")
    assert not ModelLogEntry.objects.filter(action=actions.REFUND_REQUESTED).exists()
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_with_payments_off_nothing_can_be_refunded_from_the_admin(
    staff_client: Any, supporter: Tier, free_member: Member
) -> None:
    payment_row = payment(member=free_member)
    body = staff_client.get(f"/admin/members/edit/{free_member.pk}/").content.decode()
    assert "Subscriptions and payments" in body and ">Refund<" not in body
    page = staff_client.get(refund_url(payment_row)).content.decode()
    assert "Payments are switched off on this site" in page
    assert "docs/operations/payments.md" in page
    response = staff_client.post(refund_url(payment_row), {"amount": "5"})
    assert "Nothing was refunded" in response.content.decode()
    with pytest.raises(PaymentsNotConfigured):
        actions.refund_payment(payment=payment_row, amount=500, actor=None)


def test_refunds_need_the_payment_change_permission(
    client: Any, payments_on: None, free_member: Member
) -> None:
    from django.contrib.auth.models import Group, Permission

    editor = UserFactory()
    group = Group.objects.create(name="Member desk")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_member"),
    )
    editor.groups.add(group)
    client.force_login(editor)
    payment_row = payment(member=free_member)
    body = client.get(f"/admin/members/edit/{free_member.pk}/").content.decode()
    assert "€5" in body and ">Refund<" not in body
    assert client.post(refund_url(payment_row), {"amount": "5"}).status_code in (302, 403)
    assert not ModelLogEntry.objects.filter(action=actions.REFUND_REQUESTED).exists()
    change_payment = Permission.objects.get(codename="change_payment")
    # Administrators can give the permission to a group in Settings → Groups.
    admin = Client()
    admin.force_login(UserFactory(superuser=True))
    group_page = admin.get(f"/admin/groups/edit/{group.pk}/").content.decode()
    assert f'value="{change_payment.pk}"' in group_page
    group.permissions.add(change_payment)
    editor = type(editor).objects.get(pk=editor.pk)  # forget the cached permissions
    client.force_login(editor)
    assert client.get(refund_url(payment_row)).status_code == 200


# --- Emails -------------------------------------------------------------------------------


def test_a_new_subscription_brings_one_welcome_email(
    db: None,
    supporter: Tier,
    free_member: Member,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    supporter.benefits = "Every story, no paywall\nThe weekly members' letter"
    supporter.save()
    sub = subscription(supporter, member=free_member, amount=500)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.notify_subscription_change(before=None, after=sub) == ["welcome"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [free_member.email]
    assert "Welcome to" in message.subject
    assert "Hello Fay Free," in message.body
    assert "Thank you for becoming a Supporter member" in message.body
    assert "Your membership includes:\n- Every story, no paywall\n- The weekly" in message.body
    assert "You pay €5 a month." in message.body
    assert "The next payment is on" in message.body
    assert "/members/account/" in message.body
    # The same start reported again, or the task run twice, sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_subscription_change(before=None, after=sub)
        tasks.send_welcome_email.enqueue(member_id=free_member.pk)
        notifications.notify_subscription_change(before=notifications.snapshot(sub), after=sub)
    assert len(mailoutbox) == 1


def test_a_trial_welcome_says_when_the_first_payment_is_taken(
    db: None, supporter: Tier, free_member: Member, mailoutbox: list[Any]
) -> None:
    sub = subscription(
        supporter,
        member=free_member,
        status=Subscription.Status.TRIALING,
        cadence=Cadence.YEAR,
        amount=5000,
    )
    Subscription.objects.filter(pk=sub.pk).update(trial_end=timezone.now() + timedelta(days=14))
    tasks.send_welcome_email.enqueue(member_id=free_member.pk)
    assert "Then you pay €50 a year, unless you cancel before." in mailoutbox[0].body


def test_no_welcome_for_a_renewal_a_recovery_or_an_unpaid_start(
    db: None, supporter: Tier, free_member: Member, mailoutbox: list[Any]
) -> None:
    sub = subscription(supporter, member=free_member)
    for before_status in ("active", "past_due", "trialing"):
        before = {**notifications.snapshot(sub), "status": before_status}  # type: ignore[dict-item]
        assert notifications.notify_subscription_change(before=before, after=sub) == []
    incomplete = subscription(supporter, status=Subscription.Status.INCOMPLETE)
    assert notifications.notify_subscription_change(before=None, after=incomplete) == []
    before = {**notifications.snapshot(sub), "status": "incomplete"}  # type: ignore[dict-item]
    assert notifications.notify_subscription_change(before=before, after=sub) == ["welcome"]


def test_cancelling_at_period_end_brings_one_cancellation_email(
    db: None,
    supporter: Tier,
    free_member: Member,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    sub = subscription(supporter, member=free_member)
    before = notifications.snapshot(sub)
    sub.cancel_at_period_end = True
    sub.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.notify_subscription_change(before=before, after=sub) == [
            "cancellation"
        ]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject.endswith("membership is cancelled")
    assert "Your Supporter membership is cancelled, as you asked." in message.body
    assert "You keep full access until" in message.body
    assert "/members/account/" in message.body
    # Resumed and cancelled again in the same period: told once is enough.
    with django_capture_on_commit_callbacks(execute=True):
        resumed = {**notifications.snapshot(sub), "cancel_at_period_end": False}  # type: ignore[dict-item]
        notifications.notify_subscription_change(before=resumed, after=sub)
    assert len(mailoutbox) == 1
    # Resumed before the worker ran: nothing is sent.
    Subscription.objects.filter(pk=sub.pk).update(
        cancel_at_period_end=False, current_period_end=sub.current_period_end + timedelta(days=30)
    )
    tasks.send_cancellation_email.enqueue(subscription_id=sub.pk)
    assert len(mailoutbox) == 1


def test_a_membership_payment_brings_one_receipt(
    db: None,
    supporter: Tier,
    free_member: Member,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    sub = subscription(supporter, member=free_member, cadence=Cadence.YEAR, amount=5000)
    paid = payment(amount=5000, member=free_member, sub=sub)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.notify_payment_recorded(paid, created=True) is True
        assert notifications.notify_payment_recorded(paid, created=False) is False
        tasks.send_receipt_email.enqueue(payment_id=paid.pk)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject.startswith("Your receipt from")
    assert "Amount: €50" in message.body
    assert "For: Supporter membership, yearly" in message.body
    assert "Paid until:" in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_one_time_and_gift_payments_get_their_own_emails_not_a_second_receipt(
    db: None, free_member: Member, mailoutbox: list[Any]
) -> None:
    for kind in (Payment.Kind.ONE_TIME, Payment.Kind.GIFT):
        paid = payment(kind=kind, member=free_member)
        assert notifications.notify_payment_recorded(paid, created=True) is False
    # The receipt task itself can word them, should a flow ask for one.
    tasks.send_receipt_email.enqueue(payment_id=paid.pk)
    assert "For: A gift membership" in mailoutbox[0].body


def test_a_receipt_goes_through_real_smtp_and_a_failure_names_no_address(
    db: None, free_member: Member, smtp_inbox: Any, settings: Any, supporter: Tier
) -> None:
    paid = payment(amount=750, member=free_member, sub=subscription(supporter, member=free_member))
    tasks.send_receipt_email.enqueue(payment_id=paid.pk)
    text = smtp_inbox.text(smtp_inbox.last_to(free_member.email))
    assert "Amount: €7.50" in text

    other = payment(amount=300, member=free_member)
    inbox_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(tasks.DeliveryFailed) as failure:
        tasks.send_receipt_email.call(payment_id=other.pk)
    assert free_member.email not in str(failure.value)
    assert str(other.pk) in str(failure.value)
    # No mark was left, so the retry sends it.
    settings.EMAIL_PORT = inbox_port
    tasks.send_receipt_email.call(payment_id=other.pk)
    assert "Amount: €3" in smtp_inbox.text(smtp_inbox.messages[-1])


def test_emails_are_not_sent_for_members_or_rows_that_are_gone(
    db: None, supporter: Tier, mailoutbox: list[Any]
) -> None:
    tasks.send_welcome_email.enqueue(member_id=999_999)
    tasks.send_receipt_email.enqueue(payment_id=999_999)
    tasks.send_cancellation_email.enqueue(subscription_id=999_999)
    orphan = payment(member=None)
    tasks.send_receipt_email.enqueue(payment_id=orphan.pk)
    ended = subscription(supporter, status=Subscription.Status.CANCELED, ended_days_ago=1)
    tasks.send_welcome_email.enqueue(member_id=ended.member_id)
    assert mailoutbox == []
