"""A member's access variant, cached so a cached page costs a signed-in member no query.

Pages are cached per ``Reader.variant`` (anonymous, free, paid with a tier set). Finding a
member's variant takes three queries, so the answer is kept in the shared cache, keyed by
member, with the session version of the cookie it was found for. It is forgotten the
moment it may change: a membership or the member saved or deleted, a sign-out everywhere
(the session version moves), a tier saved (every member's, through an epoch). Access that
starts or lapses by the clock is covered by keeping it only until the next start or end of
one of the member's memberships, and at most an hour.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from . import auth

_PREFIX = "masthead:reader-variant:"
_EPOCH_KEY = "masthead:reader-variant-epoch"
# Moves whenever any member's variant is forgotten: each process's own copies then go.
_CHANGES_KEY = "masthead:reader-variant-changes"
_MAX_SECONDS = 3600
_LOCAL_MAX = 20_000

# This process's copies: cookie → (variant, valid until, changes token). Checking a
# cookie's signature costs more than serving the page, so a cookie seen before is looked
# up here; the changes token (read at most every MASTHEAD_PAGE_CACHE_CHECK_MS) retires them.
_local: dict[str, tuple[str, float, str]] = {}
# "every": how long a token read stays current, copied from the settings at each read
# (a lazy settings lookup on every signed-in member's hit was a tenth of its cost).
_seen: dict[str, Any] = {"changes": "", "at": -1e9, "every": 0.0}
# Held while ``_seen`` is refreshed or changed here: a thread that read the old token must
# not write it over a change another thread made meanwhile (the change would stay unseen
# in this process for up to the check interval).
_seen_lock = threading.Lock()


def _changes_token() -> str:
    now = time.monotonic()
    if now - _seen["at"] >= _seen["every"]:
        with _seen_lock:
            _seen.update(
                changes=str(cache.get(_CHANGES_KEY, "")),
                at=now,
                every=settings.MASTHEAD_PAGE_CACHE_CHECK_MS / 1000,
            )
    return str(_seen["changes"])


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "MASTHEAD_PAGE_CACHE_CHECK_MS":
        _seen.update(at=-1e9)  # read afresh, with the new interval


def variant_for_cookie(cookie_value: str) -> str:
    """The access variant of the member whose cookie this is ("anonymous" if invalid)."""
    token = _changes_token()
    local = _local.get(cookie_value)
    if local is not None and local[2] == token and time.time() < local[1]:
        return local[0]
    variant, until = _shared_variant(cookie_value)
    if until:
        if len(_local) >= _LOCAL_MAX:
            _local.clear()
        _local[cookie_value] = (variant, until, token)
    return variant


def _shared_variant(cookie_value: str) -> tuple[str, float]:
    """The variant and until when it holds (0 for a cookie that is not valid)."""
    parsed = auth.member_id_from_cookie(cookie_value)
    if parsed is None:
        return "anonymous", 0.0
    member_id, version = parsed
    epoch = cache.get(_EPOCH_KEY, "0")
    cached = cache.get(f"{_PREFIX}{member_id}")
    if (
        isinstance(cached, tuple)
        and len(cached) == 4
        and cached[0] == version
        and cached[1] == epoch
        and time.time() < cached[3]
    ):
        return str(cached[2]), float(cached[3])
    variant, until = _resolve(member_id, version)
    cache.set(f"{_PREFIX}{member_id}", (version, epoch, variant, until), timeout=_MAX_SECONDS)
    return variant, until


def _resolve(member_id: int, version: int) -> tuple[str, float]:
    from .actions import touch_last_seen
    from .middleware import reader_for_member
    from .models import Member, Membership

    member = Member.objects.filter(pk=member_id, session_version=version).first()
    now = timezone.now()
    until = now.timestamp() + _MAX_SECONDS
    if member is None:
        return "anonymous", until
    # A cached page skips the middleware that notes the visit: note it here, where the
    # member's variant is looked up afresh (at least hourly).
    touch_last_seen(member=member, now=now)
    for starts_at, ends_at in Membership.objects.filter(member_id=member_id).values_list(
        "starts_at", "ends_at"
    ):
        for moment in (starts_at, ends_at):
            if moment is not None and moment > now:
                until = min(until, moment.timestamp())
    return reader_for_member(member).variant, until


def forget_member(member_id: int) -> None:
    """Drop a member's cached variant: their access changed, or they signed out.

    Now, and again after the commit: a request that looked the variant up in between
    read the old rows and kept what they said.
    """
    _forget_member(member_id)
    transaction.on_commit(lambda: _forget_member(member_id), robust=True)


def _forget_member(member_id: int) -> None:
    cache.delete(f"{_PREFIX}{member_id}")
    _changed()


def forget_all() -> None:
    """Drop every member's cached variant (a tier was saved or deleted), now and after
    the commit."""
    _forget_all()
    transaction.on_commit(_forget_all, robust=True)


def _forget_all() -> None:
    cache.set(_EPOCH_KEY, secrets.token_hex(8), timeout=None)
    _changed()


def _changed() -> None:
    token = secrets.token_hex(8)
    with _seen_lock:
        cache.set(_CHANGES_KEY, token, timeout=None)
        _seen.update(changes=token, at=time.monotonic())


def reset() -> None:
    """Forget this process's copies (tests)."""
    _local.clear()
    _seen.update(changes="", at=-1e9, every=0.0)


def _membership_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_member(instance.member_id)


def _member_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_member(instance.pk)


def _tier_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_all()


def connect() -> None:
    from .models import Member, Membership, Tier

    for signal in (post_save, post_delete):
        name = "save" if signal is post_save else "delete"
        signal.connect(_membership_changed, sender=Membership, dispatch_uid=f"mv-ms-{name}")
        signal.connect(_member_changed, sender=Member, dispatch_uid=f"mv-m-{name}")
        signal.connect(_tier_changed, sender=Tier, dispatch_uid=f"mv-t-{name}")
    setting_changed.connect(_setting_changed, dispatch_uid="mv-settings")
