"""A dashboard panel for staff: how many members there are, and who joined lately."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from .models import Member, Membership, MemberStatus, Tier

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
