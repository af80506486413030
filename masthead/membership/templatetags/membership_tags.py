"""Template tags for membership: prices, the community counter, the membership drive."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.formats import number_format
from wagtail.models import Site

from masthead.cachetags import valid_until
from masthead.membership.counters import (
    campaign_progress,
    community_count,
    fill_placeholders,
    running_campaigns,
)
from masthead.membership.models import Campaign, MembershipSettings

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "UAH": "₴", "JPY": "¥", "PLN": "zł"}
ZERO_DECIMAL = {"JPY", "KRW"}


@register.filter
def money(amount: int | None, currency: str = "EUR") -> str:
    """Minor units to a price a reader reads: 500, "EUR" → "€5"; 550 → "€5.50"."""
    if amount is None:
        return ""
    currency = (currency or "").upper()
    value = Decimal(amount) if currency in ZERO_DECIMAL else Decimal(amount) / 100
    places = 0 if value == value.to_integral_value() else 2
    text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return f"{text} {currency}"
    return f"{text} {symbol}" if symbol == "zł" else f"{symbol}{text}"


def _membership_settings(request: HttpRequest | None) -> MembershipSettings | None:
    try:
        if request is not None:
            return MembershipSettings.for_request(request)
        return MembershipSettings.for_site(Site.objects.filter(is_default_site=True).first())
    except MembershipSettings.DoesNotExist:
        return None


# These tags render the same HTML for every reader: no names, no member status. Pages
# that show them can be cached per access variant without leaking one reader's page to
# another. Components are rendered without the page's context, like an include with
# ``only``.


@register.simple_tag
def membership_drive_banner() -> str:
    """The site-wide banner of the newest running drive that has its banner on, or nothing."""
    campaign = next((c for c in running_campaigns() if c.show_banner), None)
    if campaign is None:
        return ""
    return render_to_string(
        "components/drive_banner.html", {"progress": campaign_progress(campaign)}
    )


@register.simple_tag
def membership_drive(campaign: Campaign | None = None, heading_level: int = 2) -> str:
    """A drive's progress and buttons: ``campaign``, or else the newest running drive.

    A chosen drive shows from its start, and after its end with its closing headline; a
    drive that is switched off or has not started shows nothing.
    """
    if campaign is None:
        running = running_campaigns()
        if not running:
            return ""
        campaign = running[0]
    if not campaign.is_enabled:
        return ""
    progress = campaign_progress(campaign)
    if progress.state == Campaign.State.SCHEDULED:
        valid_until(campaign.starts_at)  # a page kept until then shows it from its start
        return ""
    return render_to_string(
        "components/membership_drive.html",
        {"progress": progress, "heading_level": heading_level},
    )


@register.simple_tag(takes_context=True)
def community_counter(context: template.Context) -> str:
    """“25,000 people chose to be part of our community”, worded as in Membership settings."""
    config = _membership_settings(context.get("request"))
    if config is None:
        return ""
    count = community_count(config.counter_basis)
    # "0 people chose to be part of our community" asks nobody to join: a new
    # publication shows the counter from its first member on.
    if count == 0:
        return ""
    text = fill_placeholders(config.counter_text, {"count": count})
    return render_to_string("components/community_counter.html", {"text": text})
