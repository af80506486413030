"""How the News Feed names its days: "Today", "Yesterday", then the date."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from masthead.cachetags import valid_until

register = template.Library()


def next_local_midnight(now: datetime) -> datetime:
    """The next midnight in the active (the site's) timezone."""
    local = timezone.localtime(now)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


@register.filter
def feed_day_label(moment: datetime | None) -> str:
    """The day separator's words for ``moment``, in the site's timezone (the active one).

    The date gains its year only outside the current year, as a newspaper dates its
    archive.
    """
    if moment is None:
        return ""
    now = timezone.now()
    # "Today" becomes "Yesterday" at midnight: what shows the label is kept until then.
    valid_until(next_local_midnight(now))
    day = timezone.localtime(moment).date()
    today = timezone.localdate(now)
    if day == today:
        return _("Today")
    if day == today - timedelta(days=1):
        return _("Yesterday")
    return dateformat.format(day, "l, j F" if day.year == today.year else "l, j F Y")
