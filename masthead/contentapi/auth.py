"""Who is calling the APIs: an integration by its content key, or by a signed admin token.

The rules and messages are Ghost's (``core/server/services/auth/api-key/{content,admin}.js``),
because Ghost's clients and the tools built on them show those messages to people.
"""

from __future__ import annotations

import re
import time
from typing import Any

import jwt
from django.http import HttpRequest
from django.utils.translation import gettext as _

from masthead.ghost_errors import BadRequestError, NoPermissionError, UnauthorizedError

from .models import Integration

CONTENT_KEY = re.compile(r"^[0-9a-f]{26}$")
# Ghost's clients of every version sign for "/admin/", "/v2/admin/" … "/canary/admin/".
ADMIN_AUDIENCE = re.compile(r"^/?(?:(?:v\d+(?:\.\d+)?|canary)/)?admin/?$")
TOKEN_LIFETIME_SECONDS = 5 * 60
# A little leeway for clocks a few seconds apart, as Ghost's jsonwebtoken allows none but
# clients routinely run on other machines.
CLOCK_LEEWAY_SECONDS = 10
KEY_MEMO_SECONDS = 5 * 60


def content_integration(request: HttpRequest) -> int:
    """The id of the integration whose content key is in ``?key=``; raises Ghost's errors
    otherwise."""
    keys = request.GET.getlist("key")
    if not keys:
        raise NoPermissionError(
            _("Authorization failed"),
            context=_(
                "Unable to determine the authenticated member or integration. Check the "
                "supplied Content API Key and ensure cookies are being passed through if "
                "member auth is failing."
            ),
        )
    if len(keys) > 1:
        raise BadRequestError(
            _("Multiple values for the Content API Key were supplied."),
            context=_("Send exactly one key parameter."),
            code="INVALID_REQUEST",
        )
    key = keys[0]
    integration = _active_integration(key) if CONTENT_KEY.match(key) else None
    if integration is None:
        raise UnauthorizedError(
            _("Unknown Content API Key"),
            context=_(
                "Check the key in your site's Integrations screen; it may have been regenerated or revoked."
            ),
            code="UNKNOWN_CONTENT_API_KEY",
        )
    return integration


def _active_integration(content_key: str) -> int | None:
    """The id of the active integration with this key, shared by every request until an
    integration is saved, revoked or deleted (each bumps ``site``), and for five minutes
    at most (a revocation while the shared store was down still ends). Only the id is
    kept: the row holds the Admin API secret, which the shared store must never see.
    Unknown keys are not kept: anyone can make those up."""
    from masthead.publishing import pagecache

    return pagecache.memoize(
        f"content-key:{content_key}",
        ["site"],
        lambda: (
            Integration.objects.active()
            .filter(content_key=content_key)
            .values_list("pk", flat=True)
            .first()
        ),
        timeout=KEY_MEMO_SECONDS,
        keep=lambda found: found is not None,
    )


def admin_token(request: HttpRequest) -> str | None:
    """The token of ``Authorization: Ghost <token>``, None when there is no header at all."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _space, token = header.strip().partition(" ")
    if scheme != "Ghost" or not token.strip():
        raise UnauthorizedError(
            _('Authorization header format is "Authorization: Ghost [token]"'),
            code="INVALID_AUTH_HEADER",
        )
    return token.strip()


def admin_integration(request: HttpRequest) -> Integration:
    """The integration that signed the request's admin token; raises Ghost's errors otherwise.

    Ghost's rules: HS256 only, key id in the header's ``kid``, audience ``/admin/``, a token
    at most five minutes old and not expired. The secret is the hex-decoded second half of
    the admin key.
    """
    token = admin_token(request)
    if token is None:
        raise NoPermissionError(
            _("Authorization failed"),
            context=_(
                "Unable to determine the authenticated user or integration. Check that cookies are being passed through if using session authentication."
            ),
        )
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise BadRequestError(
            _("Invalid JSON Web Token"),
            context=_("The Authorization header does not hold a token that can be read."),
            code="INVALID_JWT",
        ) from None
    key_id = header.get("kid")
    if not isinstance(key_id, str) or not key_id:
        raise UnauthorizedError(
            _("Invalid JSON Web Token"),
            context=_("Admin API kid missing."),
            code="INVALID_JWT",
        )
    integration = Integration.objects.active().filter(admin_key_id=key_id).first()
    if integration is None:
        raise UnauthorizedError(
            _("Unknown Admin API Key"),
            context=_(
                "Check the key in your site's Integrations screen; it may have been regenerated or revoked."
            ),
            code="UNKNOWN_ADMIN_API_KEY",
        )
    claims = verify_admin_token(token, secret=integration.admin_secret)
    audience = claims.get("aud")
    if not isinstance(audience, str) or not ADMIN_AUDIENCE.match(audience):
        raise UnauthorizedError(
            _("Invalid token"),
            context=_("The token's audience must be /admin/."),
            code="INVALID_JWT",
        )
    return integration


def verify_admin_token(token: str, *, secret: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            bytes.fromhex(secret),
            algorithms=["HS256"],
            options={"require": ["iat", "exp"], "verify_aud": False},
            leeway=CLOCK_LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise UnauthorizedError(
            _("Invalid token"),
            context=_("jwt expired"),
            help=_("Sign a new token for each request, or at least every five minutes."),
            code="INVALID_JWT",
        ) from None
    except jwt.PyJWTError as error:
        raise UnauthorizedError(
            _("Invalid token"), context=str(error), code="INVALID_JWT"
        ) from None
    issued, expires = claims["iat"], claims["exp"]
    if not isinstance(issued, (int, float)) or not isinstance(expires, (int, float)):
        raise UnauthorizedError(
            _("Invalid token"), context=_("iat and exp must be numbers."), code="INVALID_JWT"
        )
    if expires - issued > TOKEN_LIFETIME_SECONDS:
        raise UnauthorizedError(
            _("Invalid token"),
            context=_("maxAge exceeded"),
            help=_("A token may live at most five minutes."),
            code="INVALID_JWT",
        )
    if time.time() - issued > TOKEN_LIFETIME_SECONDS + CLOCK_LEEWAY_SECONDS:
        raise UnauthorizedError(
            _("Invalid token"), context=_("maxAge exceeded"), code="INVALID_JWT"
        )
    return claims
