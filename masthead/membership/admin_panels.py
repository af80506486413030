"""Dashboard panels for staff: members (how many, who joined lately) and revenue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from .models import Cadence, Member, Membership, MemberStatus, Payment, Subscription, Tier
from .payments import payments_enabled

DAYS = 30
CHART_HEIGHT = 120
# The tier chart keeps its proportions (it has text), so it is laid out in its own units.
TIER_CHART_WIDTH = 600
TIER_LABEL_WIDTH = 150
TIER_BAR_HEIGHT = 18
TIER_BAR_GAP = 8

# Each kind of access, in the order the stacked tier bars draw them.
ACCESS_KINDS = ("paid", "gift", "comped", "free")
ACCESS_COLOURS = {"paid": "#1d3557", "gift": "#e07a5f", "comped": "#8fb3d9", "free": "#b8c0cc"}


def _kind_labels() -> dict[str, str]:
    return {
        "paid": _("Paying"),
        "gift": _("Gift"),
        "comped": _("Complimentary"),
        "free": _("Free"),
    }


def _access_kind(source: str) -> str:
    if source == Membership.Source.PAYMENT:
        return "paid"
    if source == Membership.Source.GIFT:
        return "gift"
    return "comped"


def members_overview(*, today: date | None = None, days: int = DAYS) -> dict[str, Any]:
    """Member counts, new members per day (in the active time zone) and members per tier.

    Four queries whatever the number of members: statuses, joins per day, active
    memberships per tier, and the tiers themselves.
    """
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.combine(start, time.min), tz)

    by_status = {
        row["status"]: row["n"]
        for row in Member.objects.order_by().values("status").annotate(n=Count("pk"))
    }
    joined = {
        row["day"]: row["n"]
        for row in Member.objects.filter(created_at__gte=start_at)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
    }
    series = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        series.append({"day": day, "count": joined.get(day, 0)})
    peak = max((point["count"] for point in series), default=0) or 1
    bar_width = 100 / days
    for index, point in enumerate(series):
        point["x"] = round(index * bar_width, 3)
        point["width"] = round(bar_width * 0.8, 3)
        point["height"] = round(CHART_HEIGHT * point["count"] / peak, 2)
        point["y"] = round(CHART_HEIGHT - point["height"], 2)

    tiers = _members_by_tier(free_members=by_status.get(MemberStatus.FREE, 0))
    return {
        "total": sum(by_status.values()),
        "paying": by_status.get(MemberStatus.PAID, 0),
        "comped": by_status.get(MemberStatus.COMPED, 0),
        "gift": by_status.get(MemberStatus.GIFT, 0),
        "free": by_status.get(MemberStatus.FREE, 0),
        "new": sum(point["count"] for point in series),
        "series": series,
        "peak": peak,
        "days": days,
        "today": series[-1],
        "chart_height": CHART_HEIGHT,
        "tiers": tiers,
        "tier_chart_width": TIER_CHART_WIDTH,
        "tier_label_width": TIER_LABEL_WIDTH,
        "tier_chart_height": max(len(tiers), 1) * (TIER_BAR_HEIGHT + TIER_BAR_GAP),
        "kinds": [
            {"kind": kind, "label": _kind_labels()[kind], "colour": ACCESS_COLOURS[kind]}
            for kind in ACCESS_KINDS
        ],
    }


def _members_by_tier(*, free_members: int) -> list[dict[str, Any]]:
    """One row per tier with its members split by kind of access, laid out as bars."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Membership.objects.active()
        .exclude(tier__kind=Tier.Kind.FREE)
        .order_by()
        .values("tier_id", "source")
        .annotate(n=Count("member_id", distinct=True))
    )
    for row in rows:
        kinds = counts.setdefault(row["tier_id"], {})
        kind = _access_kind(row["source"])
        kinds[kind] = kinds.get(kind, 0) + row["n"]

    tiers: list[dict[str, Any]] = []
    for tier_row in Tier.objects.all():
        if tier_row.is_free:
            kinds = {"free": free_members}
        else:
            kinds = counts.get(tier_row.pk, {})
            if not tier_row.is_active and not kinds:
                continue  # archived and empty: nothing to show
        tiers.append(
            {
                "name": tier_row.name,
                "total": sum(kinds.values()),
                **{kind: kinds.get(kind, 0) for kind in ACCESS_KINDS},
            }
        )
    peak = max((tier["total"] for tier in tiers), default=0) or 1
    # Room after the longest bar for its number.
    bar_room = TIER_CHART_WIDTH - TIER_LABEL_WIDTH - 50
    for index, tier in enumerate(tiers):
        tier["y"] = index * (TIER_BAR_HEIGHT + TIER_BAR_GAP)
        tier["height"] = TIER_BAR_HEIGHT
        tier["text_y"] = tier["y"] + TIER_BAR_HEIGHT - 5
        x = float(TIER_LABEL_WIDTH)
        segments = []
        for kind in ACCESS_KINDS:
            if not tier[kind]:
                continue
            width = round(bar_room * tier[kind] / peak, 2)
            segments.append(
                {
                    "kind": kind,
                    "label": _kind_labels()[kind],
                    "colour": ACCESS_COLOURS[kind],
                    "count": tier[kind],
                    "x": round(x, 2),
                    "width": width,
                }
            )
            x += width
        tier["total_x"] = round(x + 4, 2)
        tier["counts"] = [tier[kind] for kind in ACCESS_KINDS]
        tier["segments"] = segments
    return tiers


class MembersPanel(Component):
    name = "members_overview"
    template_name = "membership/admin/members_panel.html"
    order = 60

    def get_context_data(
        self, parent_context: Mapping[str, Any] | None = None
    ) -> Mapping[str, Any]:
        context = dict(super().get_context_data(parent_context))
        context.update(members_overview())
        return context


# --- Revenue ------------------------------------------------------------------------------

REVENUE_CHART_HEIGHT = 120
NEW_COLOUR = "#1d3557"
CHURN_COLOUR = "#c0392b"
# Subscriptions that bring money every period: a trial has not paid yet, and a failed
# renewal (past due) is still counted while the provider retries, as Stripe's MRR does.
RECURRING_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)
# Subscriptions whose first payment never went through were never a paying member.
NEVER_PAID_STATUSES = (Subscription.Status.INCOMPLETE, Subscription.Status.INCOMPLETE_EXPIRED)


def _amounts(totals: Mapping[str, int | Decimal]) -> list[dict[str, Any]]:
    """``{"EUR": 1250}`` as a list for templates, without zero amounts, by currency."""
    return [
        {"currency": currency, "amount": int(amount)}
        for currency, amount in sorted(totals.items())
        if amount
    ]


def revenue_overview(*, today: date | None = None, days: int = DAYS) -> dict[str, Any]:
    """MRR, paying members, new and ended subscriptions per day, one-time money and refunds.

    Money is kept per currency, never converted. Five queries whatever the number of
    subscriptions and payments; none when payments are switched off.
    """
    if not payments_enabled():
        return {"enabled": False, "days": days}
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.combine(start, time.min), tz)

    # MRR: a yearly subscription counts a twelfth of its price each month, summed before
    # rounding so that many yearly members do not add up rounding errors.
    monthly: dict[str, int] = {}
    yearly: dict[str, int] = {}
    for row in (
        Subscription.objects.filter(status__in=RECURRING_STATUSES, ended_at__isnull=True)
        .order_by()
        .values("currency", "cadence")
        .annotate(total=Sum("amount"))
    ):
        target = yearly if row["cadence"] == Cadence.YEAR else monthly
        target[row["currency"]] = target.get(row["currency"], 0) + (row["total"] or 0)
    mrr = {
        currency: monthly.get(currency, 0)
        + int((Decimal(yearly.get(currency, 0)) / 12).quantize(Decimal(1), ROUND_HALF_UP))
        for currency in {*monthly, *yearly}
    }

    members = Subscription.objects.filter(
        status__in=[*RECURRING_STATUSES, Subscription.Status.TRIALING], ended_at__isnull=True
    ).aggregate(
        paying=Count("member", distinct=True, filter=Q(status__in=RECURRING_STATUSES)),
        trialing=Count("member", distinct=True, filter=Q(status=Subscription.Status.TRIALING)),
        past_due=Count("member", distinct=True, filter=Q(status=Subscription.Status.PAST_DUE)),
    )

    started_subscriptions = Subscription.objects.exclude(status__in=NEVER_PAID_STATUSES)
    new = {
        row["day"]: row["n"]
        for row in started_subscriptions.filter(created_at__gte=start_at)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
    }
    churned = {
        row["day"]: row["n"]
        for row in started_subscriptions.filter(ended_at__gte=start_at)
        .annotate(day=TruncDate("ended_at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
    }

    one_time: dict[str, int] = {}
    received: dict[str, int] = {}
    refunded: dict[str, int] = {}
    refunded_in_range: dict[str, int] = {}
    in_range = Q(paid_at__gte=start_at)
    for totals in (
        Payment.objects.order_by()
        .values("currency")
        .annotate(
            one_time=Sum(
                "amount", filter=in_range & Q(kind__in=[Payment.Kind.ONE_TIME, Payment.Kind.GIFT])
            ),
            received=Sum("amount", filter=in_range),
            refunded=Sum("refunded_amount"),
            refunded_in_range=Sum("refunded_amount", filter=in_range),
        )
    ):
        currency = totals["currency"]
        one_time[currency] = totals["one_time"] or 0
        received[currency] = totals["received"] or 0
        refunded[currency] = totals["refunded"] or 0
        refunded_in_range[currency] = totals["refunded_in_range"] or 0

    series = _new_and_churned_series(start=start, days=days, new=new, churned=churned)
    return {
        "enabled": True,
        "days": days,
        "mrr": _amounts(mrr),
        "paying": members["paying"],
        "trialing": members["trialing"],
        "past_due": members["past_due"],
        "new": sum(point["new"] for point in series),
        "churned": sum(point["churned"] for point in series),
        "series": series,
        "first_day": series[0]["day"],
        "last_day": series[-1]["day"],
        "chart_height": REVENUE_CHART_HEIGHT,
        "new_colour": NEW_COLOUR,
        "churn_colour": CHURN_COLOUR,
        "one_time": _amounts(one_time),
        "received": _amounts(received),
        "refunded": _amounts(refunded),
        "refunded_in_range": _amounts(refunded_in_range),
    }


def _new_and_churned_series(
    *, start: date, days: int, new: Mapping[date, int], churned: Mapping[date, int]
) -> list[dict[str, Any]]:
    """One point a day, laid out as bars: new ones up from the middle, ended ones down."""
    series: list[dict[str, Any]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        series.append({"day": day, "new": new.get(day, 0), "churned": churned.get(day, 0)})
    peak = max((max(point["new"], point["churned"]) for point in series), default=0) or 1
    middle = REVENUE_CHART_HEIGHT / 2
    bar_width = 100 / days
    for index, point in enumerate(series):
        point["net"] = point["new"] - point["churned"]
        point["x"] = round(index * bar_width, 3)
        point["width"] = round(bar_width * 0.8, 3)
        point["new_height"] = round(middle * point["new"] / peak, 2)
        point["new_y"] = round(middle - point["new_height"], 2)
        point["churned_height"] = round(middle * point["churned"] / peak, 2)
        point["churned_y"] = middle
    return series


def can_see_revenue(user: Any) -> bool:
    """Revenue is for staff who may open members, whose payments it adds up."""
    return bool(
        user.has_perm("membership.view_member") or user.has_perm("membership.change_member")
    )


class RevenuePanel(Component):
    name = "revenue_overview"
    template_name = "membership/admin/revenue_panel.html"
    order = 65

    def __init__(self, *, revenue_url: str = "") -> None:
        self.revenue_url = revenue_url

    def get_context_data(
        self, parent_context: Mapping[str, Any] | None = None
    ) -> Mapping[str, Any]:
        context = dict(super().get_context_data(parent_context))
        context["overview"] = revenue_overview()
        context["revenue_url"] = self.revenue_url
        return context
