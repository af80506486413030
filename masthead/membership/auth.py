"""Magic links, one-time codes and the member cookie.

A sign-in request stores only hashes. The link token and the 6-digit code are derived
from the request's random ``public_id`` with the site's secret key, so the task that
sends the email needs only the request's id, and a copy of the database (or of the task
queue) is not enough to sign in as anyone.
"""

from __future__ import annotations

import base64
import hmac
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import salted_hmac

from .models import hash_secret

if TYPE_CHECKING:
    from .models import Member, SignInRequest

_LINK_SALT = "masthead.membership.link"
_CODE_SALT = "masthead.membership.code"
_COOKIE_SALT = "masthead.membership.session"
CODE_DIGITS = 6


def link_token(public_id: str) -> str:
    digest = salted_hmac(_LINK_SALT, public_id, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def one_time_code(public_id: str) -> str:
    digest = salted_hmac(_CODE_SALT, public_id, algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def token_hash(token: str) -> str:
    return hash_secret(token)


def code_hash(public_id: str, code: str) -> str:
    return hash_secret(f"{public_id}:{code}")


def code_matches(request: SignInRequest, code: str) -> bool:
    return hmac.compare_digest(request.code_hash, code_hash(request.public_id, code))


def client_ip(request: HttpRequest) -> str:
    """The reader's address; behind a proxy, from the header the operator names."""
    header = settings.MASTHEAD_CLIENT_IP_HEADER
    if header and (forwarded := request.META.get(header)):
        # The last entry is the one the trusted proxy added itself; earlier ones come
        # from the client and can be anything it likes.
        return str(forwarded).split(",")[-1].strip() or "unknown"
    return str(request.META.get("REMOTE_ADDR") or "unknown")


# --- The member cookie ------------------------------------------------------------


def issue_member_cookie(response: HttpResponseBase, member: Member) -> None:
    value = signing.dumps([member.pk, member.session_version], salt=_COOKIE_SALT, compress=False)
    response.set_cookie(
        settings.MASTHEAD_MEMBER_COOKIE,
        value,
        max_age=settings.MASTHEAD_MEMBER_SESSION_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def clear_member_cookie(response: HttpResponseBase) -> None:
    response.delete_cookie(settings.MASTHEAD_MEMBER_COOKIE, samesite="Lax")


def member_id_from_cookie(value: str) -> tuple[int, int] | None:
    """The (member id, session version) a valid cookie carries, or None."""
    try:
        member_id, version = signing.loads(
            value, salt=_COOKIE_SALT, max_age=settings.MASTHEAD_MEMBER_SESSION_DAYS * 86400
        )
        return int(member_id), int(version)
    except (signing.BadSignature, ValueError, TypeError):
        return None
