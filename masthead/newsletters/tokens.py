"""Unsubscribe links that work without signing in, in Ghost's format.

Ghost's links are ``/unsubscribe/?uuid=<member uuid>&key=<hmac>&newsletter=<newsletter
uuid>`` where ``key`` is the HMAC-SHA256 of the member's uuid. masthead keeps that shape,
so links in emails sent before a move from Ghost keep working when the newsroom sets
``MASTHEAD_GHOST_MEMBERS_EMAIL_AUTH_SECRET`` to Ghost's ``members_email_auth_secret``.
``send`` is an extra parameter that only attributes the unsubscribe to an email in the
statistics; it is checked against the member's deliveries, never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

_UNSUBSCRIBE_SALT = "masthead.newsletters.unsubscribe"


def _keys() -> list[bytes]:
    keys = [salted_hmac(_UNSUBSCRIBE_SALT, "key", algorithm="sha256").digest()]
    if ghost_secret := getattr(settings, "MASTHEAD_GHOST_MEMBERS_EMAIL_AUTH_SECRET", ""):
        keys.append(ghost_secret.encode())
    return keys


def member_key(member_uuid: UUID | str, *, key: bytes | None = None) -> str:
    secret = key if key is not None else _keys()[0]
    return hmac.new(secret, str(member_uuid).encode(), hashlib.sha256).hexdigest()


def key_matches(member_uuid: str, key: str) -> bool:
    return any(hmac.compare_digest(member_key(member_uuid, key=k), key) for k in _keys())


@dataclass(frozen=True)
class UnsubscribeLink:
    """What an unsubscribe URL names once its key checks out."""

    member_uuid: str
    newsletter_uuid: str = ""
    send_uuid: str = ""


def unsubscribe_query(
    member_uuid: UUID | str,
    newsletter_uuid: UUID | str | None = None,
    send_uuid: UUID | str | None = None,
) -> str:
    params = {"uuid": str(member_uuid), "key": member_key(member_uuid)}
    if newsletter_uuid:
        params["newsletter"] = str(newsletter_uuid)
    if send_uuid:
        params["send"] = str(send_uuid)
    return urlencode(params)


def unsubscribe_url(
    member_uuid: UUID | str,
    newsletter_uuid: UUID | str | None = None,
    send_uuid: UUID | str | None = None,
) -> str:
    """The absolute link for the footer and for ``List-Unsubscribe``."""
    path = reverse("newsletters:unsubscribe")
    return f"{settings.MASTHEAD_SITE_URL}{path}?{unsubscribe_query(member_uuid, newsletter_uuid, send_uuid)}"


def _uuid_text(value: str) -> str:
    try:
        return str(UUID(value))
    except (ValueError, AttributeError, TypeError):
        return ""


def read_unsubscribe_link(params: dict[str, str]) -> UnsubscribeLink | None:
    """The link's contents, or None when the key does not match (tampered or made up)."""
    member_uuid = _uuid_text(params.get("uuid", ""))
    key = str(params.get("key", ""))[:128]
    if not member_uuid or not key or not key_matches(member_uuid, key):
        return None
    return UnsubscribeLink(
        member_uuid=member_uuid,
        newsletter_uuid=_uuid_text(params.get("newsletter", "")),
        send_uuid=_uuid_text(params.get("send", "")),
    )
