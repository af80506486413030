"""The numbers readers see: the community counter and a membership drive's progress.

Counts come from the members table and are cached for
``MASTHEAD_COUNTER_CACHE_SECONDS``. Only the integers are cached: the text around them
is filled in for each request, because the number format follows the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone
from django.utils.formats import number_format

from masthead.cachetags import valid_until

from .models import Campaign, Member, Membership, MembershipSettings, Tier

RUNNING_CAMPAIGNS_KEY = "masthead:campaigns-not-ended"


def running_campaigns(now: datetime | None = None) -> list[Campaign]:
    """Enabled drives running at ``now``, the one that started last first.

    Every page's banner asks, so the enabled drives that have not ended are cached, as
    plain field values rather than pickled models, and filtered by time on each call:
    a drive still starts and ends on the second. Saving or deleting a drive forgets
    the cached list.
    """
    now = now or timezone.now()
    rows = cache.get(RUNNING_CAMPAIGNS_KEY)
    if rows is None:
        rows = list(
            Campaign.objects.filter(is_enabled=True, ends_at__gt=now)
            .order_by("-starts_at", "-pk")
            .values()
        )
        cache.set(RUNNING_CAMPAIGNS_KEY, rows, settings.MASTHEAD_COUNTER_CACHE_SECONDS)
    # Rows cached by the previous release may name a field that a migration removed.
    fields = {field.attname for field in Campaign._meta.concrete_fields}
    campaigns = [Campaign(**{k: v for k, v in row.items() if k in fields}) for row in rows]
    _note_next_change(campaigns, now)
    return [c for c in campaigns if c.starts_at <= now < c.ends_at]


def _note_next_change(campaigns: list[Campaign], now: datetime) -> None:
    """Tell the page cache when the drives shown change by the clock (one starts or ends):
    cached pages that show drives are rendered again at that second, not later."""
    moments = [m for c in campaigns for m in (c.starts_at, c.ends_at) if m > now]
    if moments:
        valid_until(min(moments))


def forget_running_campaigns() -> None:
    cache.delete(RUNNING_CAMPAIGNS_KEY)


def format_count(number: int) -> str:
    """A whole number grouped for the active language: 25000 → "25,000" in English."""
    return number_format(number, force_grouping=True)


def fill_placeholders(text: str, numbers: dict[str, int]) -> str:
    """``text`` with ``{name}`` replaced by each number, formatted for the active language.

    Text that uses anything but the given names in braces comes back unchanged: stored
    copy that slipped past validation must never break a page.
    """
    if not Campaign.uses_only_placeholders(text, tuple(numbers)):
        return text
    try:
        return text.format_map({name: format_count(value) for name, value in numbers.items()})
    except (KeyError, IndexError, ValueError):
        return text


def community_count(basis: str) -> int:
    """How many members there are: all of them, or those with paid access (``basis``)."""
    key = f"masthead:community-count:{basis}"
    count = cache.get(key)
    if count is None:
        members = Member.objects.all()
        if basis == MembershipSettings.CounterBasis.PAID_MEMBERS:
            members = members.with_paid_access()
        count = members.count()
        cache.set(key, count, settings.MASTHEAD_COUNTER_CACHE_SECONDS)
    _counted()
    return int(count)


def _count_new(campaign: Campaign, start: datetime, end: datetime) -> int:
    if campaign.goal_kind == Campaign.Goal.NEW_PAID_MEMBERS:
        # A member who was free before the drive and pays during it is a new paying
        # member; one who paid before, lapsed and came back during it is not. Gifts are
        # paid for by someone; complimentary memberships are not, so they do not count.
        return (
            Membership.objects.exclude(tier__kind=Tier.Kind.FREE)
            .exclude(source=Membership.Source.COMP)
            .order_by()
            .values("member_id")
            .annotate(first_starts_at=Min("starts_at"))
            .filter(first_starts_at__gte=start, first_starts_at__lt=end)
            .count()
        )
    return Member.objects.joined_between(start, end).count()


def campaign_count(campaign: Campaign, now: datetime | None = None) -> int:
    """New members (or new paying members) between the drive's start and ``now`` or its end."""
    now = now or timezone.now()
    if now < campaign.starts_at:
        return 0
    # The window is in the key so that an editor moving the dates sees the new count at
    # once, not after the cache expires.
    key = ":".join(
        [
            "masthead:campaign-count",
            str(campaign.pk),
            str(int(campaign.starts_at.timestamp())),
            str(int(campaign.ends_at.timestamp())),
            campaign.goal_kind,
        ]
    )
    count = cache.get(key)
    if count is None:
        count = _count_new(campaign, campaign.starts_at, min(now, campaign.ends_at))
        cache.set(key, count, settings.MASTHEAD_COUNTER_CACHE_SECONDS)
    _counted()
    return int(count)


def _counted() -> None:
    """A page that shows a count is kept no longer than the count itself, so cached pages
    follow the counter as closely as uncached ones did."""
    valid_until(timezone.now().timestamp() + settings.MASTHEAD_COUNTER_CACHE_SECONDS)


@dataclass(frozen=True)
class CampaignProgress:
    """A drive at one moment, with its copy filled in for the active language."""

    campaign: Campaign
    state: Campaign.State
    count: int
    goal: int
    remaining: int
    percent: int
    headline: str
    body: str

    @property
    def bar_value(self) -> int:
        """The count capped at the goal, as ``aria-valuenow`` must not exceed ``aria-valuemax``."""
        return min(self.count, self.goal)

    @property
    def count_text(self) -> str:
        return format_count(self.count)

    @property
    def goal_text(self) -> str:
        return format_count(self.goal)


def campaign_progress(campaign: Campaign, now: datetime | None = None) -> CampaignProgress:
    """The drive's count, goal, state and copy at ``now``."""
    now = now or timezone.now()
    count = campaign_count(campaign, now)
    goal = campaign.goal_for(count)
    remaining = max(goal - count, 0)
    state = campaign.state_at(now, count)
    numbers = {"count": count, "goal": goal, "remaining": remaining}
    # The body asks readers to help reach the goal, which no longer makes sense once
    # the drive is over; the ended headline thanks them instead.
    body = "" if state == Campaign.State.ENDED else fill_placeholders(campaign.body, numbers)
    return CampaignProgress(
        campaign=campaign,
        state=state,
        count=count,
        goal=goal,
        remaining=remaining,
        percent=min(100, count * 100 // goal) if goal else 100,
        headline=fill_placeholders(campaign.headline_for(state), numbers),
        body=body,
    )
