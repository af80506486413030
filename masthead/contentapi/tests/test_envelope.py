"""The parts every Ghost API answer shares: error envelope, headers, roots, auth errors."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from masthead.contentapi.models import Integration

pytestmark = pytest.mark.django_db

ERROR_KEYS = [
    "message",
    "context",
    "type",
    "details",
    "property",
    "help",
    "code",
    "id",
    "ghostErrorCode",
]


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    [error] = response.json()["errors"]
    assert list(error) == ERROR_KEYS
    assert error["type"] == kind
    assert error["message"]
    return dict(error)


def test_an_unknown_address_under_an_api_root_is_ghosts_404_with_its_headers(client: Any) -> None:
    response = client.get("/ghost/api/content/nothing-here/")
    error = _error(response, 404, "NotFoundError")
    assert error["message"] == "Resource not found"
    assert response["Content-Version"] == "v6.0"
    assert "Accept-Version" in response["Vary"]
    assert response["Access-Control-Allow-Origin"] == "*"
    _error(client.post("/ghost/api/admin/nothing-here/"), 404, "NotFoundError")


def test_versioned_roots_of_old_clients_reach_the_same_endpoints_marked_deprecated(
    client: Any,
) -> None:
    response = client.get("/ghost/api/v4/content/nothing-here/")
    _error(response, 404, "NotFoundError")
    assert response["Deprecation"] == "true"
    assert response["Link"].endswith('/ghost/api/content/nothing-here/>; rel="latest-version"')


def _token(integration: Integration, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iat": now, "exp": now + 300, "aud": "/admin/", **claims}
    return jwt.encode(
        payload,
        bytes.fromhex(integration.admin_secret),
        algorithm="HS256",
        headers={"kid": integration.admin_key_id},
    )


def test_admin_tokens_are_checked_as_ghost_checks_them(rf: Any) -> None:
    from masthead.contentapi.auth import admin_integration
    from masthead.ghost_errors import GhostError

    integration = Integration.objects.create(name="Zapier")
    assert len(integration.content_key) == 26
    assert len(integration.admin_key.split(":")[1]) == 64

    def check(header: str | None) -> tuple[int, str | None]:
        request = rf.get("/", HTTP_AUTHORIZATION=header) if header else rf.get("/")
        try:
            assert admin_integration(request) == integration
        except GhostError as error:
            return error.status, error.code
        return 200, None

    now = int(time.time())
    assert check(f"Ghost {_token(integration)}") == (200, None)
    assert check(f"Ghost {_token(integration, aud='/v4/admin/')}") == (200, None)
    assert check(None) == (403, None)
    assert check(f"Bearer {_token(integration)}") == (401, "INVALID_AUTH_HEADER")
    assert check("Ghost not-a-token") == (400, "INVALID_JWT")
    assert check(f"Ghost {_token(integration, aud='/members/')}") == (401, "INVALID_JWT")
    assert check(f"Ghost {_token(integration, iat=now - 900, exp=now - 600)}") == (
        401,
        "INVALID_JWT",
    )
    assert check(f"Ghost {_token(integration, exp=now + 3600)}") == (401, "INVALID_JWT")
    forged = jwt.encode(
        {"iat": now, "exp": now + 300, "aud": "/admin/"},
        b"0" * 32,
        algorithm="HS256",
        headers={"kid": integration.admin_key_id},
    )
    assert check(f"Ghost {forged}") == (401, "INVALID_JWT")
    integration.revoked_at = integration.created_at
    integration.save()
    assert check(f"Ghost {_token(integration)}") == (401, "UNKNOWN_ADMIN_API_KEY")
