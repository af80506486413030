"""Which member the Content API reads as: the member cookie or a ``GhostMembers`` token.

Ghost lets a site's own pages call the Content API as the signed-in member, so gated posts
come back whole for readers who may read them. Two ways identify the member, as in Ghost:

- the member cookie, sent by the site's own pages;
- ``Authorization: GhostMembers <token>``, for code on another origin: the token is what
  ``GET /members/api/session/`` gives a signed-in member (plain text, as Ghost answers).

Staff are never recognised here: an editor's admin session must not unlock gated posts
through a public API whose answers may be cached and passed on.

The token is a JWT (HS256) signed with a key derived from ``SECRET_KEY``, valid for ten
minutes, whose subject is the member's Ghost id and session version: signing out
everywhere (which bumps the version) ends every token at once.
"""

from __future__ import annotations

import time

import jwt
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from masthead.ghost_errors import UnauthorizedError
from masthead.membership.access import ANONYMOUS, Reader
from masthead.membership.middleware import current_member, reader_for_member
from masthead.membership.models import Member

TOKEN_LIFETIME_SECONDS = 10 * 60
TOKEN_AUDIENCE = "ghost-members-content"  # noqa: S105  a claim value, not a secret
_KEY_SALT = "masthead.contentapi.members_context.token"
SCHEME = "GhostMembers"


def _signing_key() -> bytes:
    return salted_hmac(_KEY_SALT, "GhostMembers token key", algorithm="sha256").digest()


def issue_member_token(member: Member, *, now: float | None = None) -> str:
    """A ten-minute token that reads the Content API as ``member``."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": f"{member.ghost_id}:{member.session_version}",
        "aud": TOKEN_AUDIENCE,
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME_SECONDS,
    }
    return jwt.encode(claims, _signing_key(), algorithm="HS256")


def _invalid(context: str) -> UnauthorizedError:
    return UnauthorizedError(
        _("Invalid member token"),
        context=context,
        help=_(
            "Ask /members/api/session/ for a new token while signed in; tokens last ten minutes."
        ),
        code="INVALID_MEMBER_TOKEN",
    )


def member_from_token(token: str) -> Member:
    """The member a ``GhostMembers`` token names; Ghost's 401 when it is bad or stale."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=["HS256"],
            audience=TOKEN_AUDIENCE,
            options={"require": ["sub", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise _invalid(_("The token has expired.")) from None
    except jwt.PyJWTError:
        raise _invalid(_("The token was not issued by this site or was altered.")) from None
    ghost_id, _sep, version = str(claims["sub"]).partition(":")
    member = Member.objects.filter(ghost_id=ghost_id).first()
    if member is None or str(member.session_version) != version:
        raise _invalid(_("The member signed out or no longer exists."))
    return member


def api_member(request: HttpRequest) -> Member | None:
    """The member the request reads as, from its token or else its member cookie."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _space, token = header.partition(" ")
    if scheme == SCHEME:
        if not token.strip():
            raise _invalid(_("The Authorization header has no token after GhostMembers."))
        return member_from_token(token.strip())
    return current_member(request)


def api_reader(request: HttpRequest) -> Reader:
    """The reader whose access the Content API answers with (never staff).

    Marks the request, so ``personalise`` knows the answer must stay private.
    """
    member = api_member(request)
    if member is None:
        return ANONYMOUS
    request.ghost_member_answer = True  # type: ignore[attr-defined]  # read by personalise()
    return reader_for_member(member)


def personalise(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Headers for an answer that depends on who asks.

    Every such answer varies on the cookie and the Authorization header; one computed for
    a member is private, so no shared cache hands it to somebody else.
    """
    patch_vary_headers(response, ["Cookie", "Authorization"])
    if getattr(request, "ghost_member_answer", False):
        patch_cache_control(response, private=True, max_age=0)
    return response


@never_cache
@require_GET
def session_token(request: HttpRequest) -> HttpResponse:
    """``GET /members/api/session/``: a token for the signed-in member, as plain text.

    Without a signed-in member the answer is empty (204), as Ghost's is.
    """
    member = current_member(request)
    if member is None:
        return HttpResponse(status=204)
    response = HttpResponse(issue_member_token(member), content_type="text/plain; charset=utf-8")
    patch_vary_headers(response, ["Cookie"])
    return response
