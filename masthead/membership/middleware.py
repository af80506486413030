"""Resolve who is reading: anonymous, a member (with their tiers), or staff."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import auth
from .access import ANONYMOUS, STAFF, Reader, ReaderKind
from .models import Member, Membership, Tier


def resolve_member(request: HttpRequest) -> Member | None:
    value = request.COOKIES.get(settings.MASTHEAD_MEMBER_COOKIE)
    if not value:
        return None
    parsed = auth.member_id_from_cookie(value)
    if parsed is None:
        return None
    member_id, version = parsed
    member = Member.objects.filter(pk=member_id, session_version=version).first()
    if member is not None:
        from .actions import touch_last_seen

        touch_last_seen(member=member)
    return member


def reader_for_member(member: Member | None) -> Reader:
    if member is None:
        return ANONYMOUS
    now = timezone.now()
    tiers = list(
        Membership.objects.active(now).filter(member=member).values_list("tier_id", "tier__kind")
    )
    tier_ids = {tier_id for tier_id, _ in tiers}
    free_tier_id = Tier.objects.filter(kind=Tier.Kind.FREE).values_list("pk", flat=True).first()
    if free_tier_id is not None:
        # Every member has the free tier, so content limited to it reaches them all.
        tier_ids.add(free_tier_id)
    return Reader(
        kind=ReaderKind.MEMBER,
        tier_ids=frozenset(tier_ids),
        has_paid_access=any(kind == Tier.Kind.PAID for _, kind in tiers),
        member_id=member.pk,
    )


def resolve_reader(request: HttpRequest) -> Reader:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"):
        # Editors read everything on the public site, as they do in previews.
        return STAFF
    return reader_for_member(current_member(request))


class ReaderMiddleware:
    """Attach ``request.member`` and ``request.reader``, both resolved only when used.

    Pages that never ask (static files, the admin) cost no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = SimpleLazyObject(lambda: resolve_member(request))  # type: ignore[attr-defined]
        request.reader = SimpleLazyObject(lambda: resolve_reader(request))  # type: ignore[attr-defined]
        return self.get_response(request)


def current_member(request: HttpRequest) -> Member | None:
    """The signed-in member, unwrapped from the lazy object (None when signed out)."""
    member = getattr(request, "member", None)
    if member is None:
        return None
    # SimpleLazyObject wrapping None is truthy; compare its wrapped value.
    return member if bool(getattr(member, "pk", None)) else None


def current_reader(request: HttpRequest) -> Reader:
    reader = getattr(request, "reader", None)
    if reader is None:
        return ANONYMOUS
    return Reader(
        kind=reader.kind,
        tier_ids=reader.tier_ids,
        has_paid_access=reader.has_paid_access,
        member_id=reader.member_id,
    )
