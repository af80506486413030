"""The optional monthly meter: some gated articles free before the paywall shows.

Anonymous readers are counted in a signed cookie (clearing it resets the count, which
every cookie meter allows; the meter is a nudge, not a lock). Members are counted in
the database, so the count follows them across devices. Re-reading an article already
counted this month is free.

A request without a meter cookie gets no free article: crawlers, scrapers and archives
never keep cookies, and would otherwise read every gated story in full. Such a reader
sees the paywall with a "Read this story free" button, which ``start_meter`` answers by
setting an empty meter and sending them back; site.js presses it for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core import signing
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from . import actions
from .access import Reader, ReaderKind
from .models import MembershipSettings, MeteredRead

METER_COOKIE = "masthead-meter"
_METER_SALT = "masthead.membership.meter"
_COOKIE_DAYS = 40


@dataclass
class MeterDecision:
    limit: int
    used: int
    granted: bool = False
    # For anonymous readers: the page ids to write back into the cookie.
    cookie_pages: list[int] | None = field(default=None)
    # An anonymous reader with allowance whose browser has no meter yet.
    needs_start: bool = False

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def _month_key() -> str:
    return actions.month_start(timezone.now()).strftime("%Y-%m")


def _cookie_pages(request: HttpRequest) -> list[int] | None:
    """Pages counted this month in the reader's meter cookie; None without a valid one."""
    value = request.COOKIES.get(METER_COOKIE)
    if not value:
        return None
    try:
        payload = signing.loads(value, salt=_METER_SALT, max_age=_COOKIE_DAYS * 86400)
        if payload.get("m") != _month_key():
            return []  # last month's meter: a fresh allowance
        return [int(page_id) for page_id in payload.get("p", [])][:1000]
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return None


def meter_status(request: HttpRequest, reader: Reader) -> MeterDecision | None:
    """How much of the month's allowance this reader has used; None when not metered."""
    config = MembershipSettings.for_request(request)
    if not config.metering_enabled or reader.kind == ReaderKind.STAFF or reader.has_paid_access:
        return None
    if reader.kind == ReaderKind.ANONYMOUS or reader.member_id is None:
        return MeterDecision(
            limit=config.anonymous_monthly_limit, used=len(_cookie_pages(request) or [])
        )
    used = MeteredRead.objects.filter(
        member_id=reader.member_id, month=actions.month_start(timezone.now())
    ).count()
    return MeterDecision(limit=config.free_member_monthly_limit, used=used)


def use_meter(request: HttpRequest, reader: Reader, *, page_id: int) -> MeterDecision | None:
    """Spend one article of the allowance on ``page_id`` if any is left (or it was read)."""
    config = MembershipSettings.for_request(request)
    if not config.metering_enabled or reader.kind == ReaderKind.STAFF or reader.has_paid_access:
        # Paying members are never metered, not even on stories for another tier.
        return None
    if reader.kind == ReaderKind.ANONYMOUS or reader.member_id is None:
        limit = config.anonymous_monthly_limit
        pages = _cookie_pages(request)
        if pages is None:
            return MeterDecision(limit=limit, used=0, needs_start=limit > 0)
        if page_id in pages:
            return MeterDecision(limit=limit, used=len(pages), granted=True)
        if len(pages) >= limit:
            return MeterDecision(limit=limit, used=len(pages))
        pages.append(page_id)
        return MeterDecision(limit=limit, used=len(pages), granted=True, cookie_pages=pages)

    from .models import Member

    limit = config.free_member_monthly_limit
    month = actions.month_start(timezone.now())
    reads = MeteredRead.objects.filter(member_id=reader.member_id, month=month)
    if reads.filter(page_id=page_id).exists():
        return MeterDecision(limit=limit, used=reads.count(), granted=True)
    used = reads.count()
    if used >= limit:
        return MeterDecision(limit=limit, used=used)
    member = Member.objects.get(pk=reader.member_id)
    actions.record_metered_read(member=member, page_id=page_id)
    return MeterDecision(limit=limit, used=used + 1, granted=True)


def store_meter_cookie(response: HttpResponseBase, decision: MeterDecision | None) -> None:
    if decision is None or decision.cookie_pages is None:
        return
    _set_cookie(response, decision.cookie_pages)


def start_meter(request: HttpRequest, response: HttpResponseBase) -> None:
    """Give a browser without a meter an empty one for this month (keeps a valid one)."""
    if _cookie_pages(request) is None:
        _set_cookie(response, [])


def _set_cookie(response: HttpResponseBase, pages: list[int]) -> None:
    value = signing.dumps({"m": _month_key(), "p": pages}, salt=_METER_SALT)
    response.set_cookie(
        METER_COOKIE, value, max_age=_COOKIE_DAYS * 86400, httponly=True, samesite="Lax"
    )
