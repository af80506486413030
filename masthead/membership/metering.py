"""The optional monthly meter: some gated articles free before the paywall shows.

Anonymous readers are counted in a signed cookie (clearing it resets the count, which
every cookie meter allows; the meter is a nudge, not a lock). Members are counted in
the database, so the count follows them across devices. Re-reading an article already
counted this month is free.
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

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def _month_key() -> str:
    return actions.month_start(timezone.now()).strftime("%Y-%m")


def _cookie_pages(request: HttpRequest) -> list[int]:
    value = request.COOKIES.get(METER_COOKIE)
    if not value:
        return []
    try:
        payload = signing.loads(value, salt=_METER_SALT, max_age=_COOKIE_DAYS * 86400)
        if payload.get("m") != _month_key():
            return []
        return [int(page_id) for page_id in payload.get("p", [])][:1000]
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return []


def meter_status(request: HttpRequest, reader: Reader) -> MeterDecision | None:
    """How much of the month's allowance this reader has used; None when not metered."""
    config = MembershipSettings.for_request(request)
    if not config.metering_enabled or reader.kind == ReaderKind.STAFF or reader.has_paid_access:
        return None
    if reader.kind == ReaderKind.ANONYMOUS or reader.member_id is None:
        return MeterDecision(limit=config.anonymous_monthly_limit, used=len(_cookie_pages(request)))
    used = MeteredRead.objects.filter(
        member_id=reader.member_id, month=actions.month_start(timezone.now())
    ).count()
    return MeterDecision(limit=config.free_member_monthly_limit, used=used)


def use_meter(request: HttpRequest, reader: Reader, *, page_id: int) -> MeterDecision | None:
    """Spend one article of the allowance on ``page_id`` if any is left (or it was read)."""
    config = MembershipSettings.for_request(request)
    if not config.metering_enabled or reader.kind == ReaderKind.STAFF:
        return None
    if reader.kind == ReaderKind.ANONYMOUS or reader.member_id is None:
        pages = _cookie_pages(request)
        limit = config.anonymous_monthly_limit
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
    value = signing.dumps({"m": _month_key(), "p": decision.cookie_pages}, salt=_METER_SALT)
    response.set_cookie(
        METER_COOKIE, value, max_age=_COOKIE_DAYS * 86400, httponly=True, samesite="Lax"
    )
