"""How the News Feed names its days: "Today", "Yesterday", then the date."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def feed_day_label(moment: datetime | None) -> str:
    """The day separator's words for ``moment``, in the site's timezone (the active one).

    The date gains its year only outside the current year, as a newspaper dates its
    archive.
    """
    if moment is None:
        return ""
    day = timezone.localtime(moment).date()
    today = timezone.localdate()
    if day == today:
        return _("Today")
    if day == today - timedelta(days=1):
        return _("Yesterday")
    return dateformat.format(day, "l, j F" if day.year == today.year else "l, j F Y")
