"""A dashboard panel for editors: what the newsroom published in the last 30 days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.models import Revision

from .models import ArticleFormat, ArticlePage

DAYS = 30
CHART_HEIGHT = 120


def publishing_activity(*, today: date | None = None, days: int = DAYS) -> dict[str, Any]:
    """Stories and briefs published per day (in the active timezone), plus queue sizes."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    rows = (
        ArticlePage.objects.live()
        .filter(published_at__date__gte=start)
        .annotate(day=TruncDate("published_at", tzinfo=tz))
        # Pages are ordered by tree path; that ordering would split the groups.
        .order_by()
        .values("day")
        .annotate(
            briefs=Count("pk", filter=Q(format=ArticleFormat.BRIEF)),
            stories=Count("pk", filter=~Q(format=ArticleFormat.BRIEF)),
        )
    )
    by_day = {row["day"]: row for row in rows}
    series = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row = by_day.get(day, {})
        series.append(
            {"day": day, "stories": row.get("stories", 0), "briefs": row.get("briefs", 0)}
        )
    peak = max((d["stories"] + d["briefs"] for d in series), default=0) or 1
    bar_width = 100 / days
    for index, point in enumerate(series):
        total = point["stories"] + point["briefs"]
        point["x"] = round(index * bar_width, 3)
        point["width"] = round(bar_width * 0.8, 3)
        point["stories_height"] = round(CHART_HEIGHT * point["stories"] / peak, 2)
        point["briefs_height"] = round(CHART_HEIGHT * point["briefs"] / peak, 2)
        point["briefs_y"] = round(CHART_HEIGHT - CHART_HEIGHT * total / peak, 2)
        point["stories_y"] = round(CHART_HEIGHT - point["stories_height"], 2)
    scheduled = Revision.page_revisions.filter(approved_go_live_at__isnull=False).count()
    return {
        "series": series,
        "peak": peak,
        "chart_height": CHART_HEIGHT,
        "total_stories": sum(d["stories"] for d in series),
        "total_briefs": sum(d["briefs"] for d in series),
        "today": series[-1],
        "scheduled": scheduled,
        "drafts": ArticlePage.objects.filter(live=False).count() - scheduled,
        "days": days,
    }


class PublishingActivityPanel(Component):
    name = "publishing_activity"
    template_name = "publishing/admin/publishing_activity_panel.html"
    order = 50

    def get_context_data(
        self, parent_context: Mapping[str, Any] | None = None
    ) -> Mapping[str, Any]:
        context = dict(super().get_context_data(parent_context))
        context.update(publishing_activity())
        return context
