"""The parts every Ghost API answer shares: error envelope, headers, roots, auth errors."""

from __future__ import annotations

import json
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


# --- Requests Django cannot read -------------------------------------------------------------


def _admin_client(client: Any) -> Any:
    integration = Integration.objects.create(name="Uploader")
    client.defaults["HTTP_AUTHORIZATION"] = f"Ghost {_token(integration)}"
    return client


def test_a_json_body_over_the_upload_limit_is_413_saying_the_limit(
    client: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = _admin_client(client)
    body = '{"posts": [{"title": "Big", "html": "' + "x" * 2000 + '"}]}'
    error = _error(
        api.post("/ghost/api/admin/posts/", data=body, content_type="application/json"),
        413,
        "RequestEntityTooLargeError",
    )
    assert "1000 bytes" in error["context"]


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\x00"],
)
def test_a_multipart_body_without_a_usable_boundary_is_400(client: Any, content_type: str) -> None:
    api = _admin_client(client)
    response = api.post(
        "/ghost/api/admin/images/upload/", data=b"--x\r\n", content_type=content_type
    )
    error = _error(response, 400, "BadRequestError")
    assert "boundary" in error["help"]


def test_too_many_fields_is_413(client: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    response = client.get("/ghost/api/content/posts/?key=k&a=1&b=2&c=3")
    error = _error(response, 413, "RequestEntityTooLargeError")
    assert "2 fields" in error["context"]


def test_too_many_files_is_413(client: Any, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    api = _admin_client(client)
    files = {
        name: SimpleUploadedFile(f"{name}.png", b"\x89PNG", content_type="image/png")
        for name in ("file", "other")
    }
    response = api.post("/ghost/api/admin/images/upload/", data=files)
    _error(response, 413, "RequestEntityTooLargeError")


def test_undecodable_input_is_400_not_500(rf: Any) -> None:
    from masthead.contentapi.http import api_view

    @api_view("admin", methods=("GET",))
    def view(request: Any) -> Any:
        return b"\xff".decode()

    response = view(rf.get("/"))
    assert response.status_code == 400
    [error] = json.loads(response.content)["errors"]
    assert (list(error), error["type"]) == (ERROR_KEYS, "BadRequestError")


def test_error_ids_are_random_and_carry_no_machine_address(client: Any) -> None:
    import uuid

    first, second = (
        uuid.UUID(
            _error(client.get("/ghost/api/content/nothing-here/"), 404, "NotFoundError")["id"]
        )
        for _ in range(2)
    )
    assert first != second
    assert (first.version, second.version) == (4, 4)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("delete", "/ghost/api/admin/members/\x00/", None),
        ("get", "/ghost/api/admin/tags/?filter=slug:a&order=name\x00", None),
        ("post", "/ghost/api/admin/tags/", {"tags": [{"name": "War\x00"}]}),
        (
            "post",
            "/ghost/api/admin/members/",
            {"members": [{"email": "a@b.c", "labels": ["\x00"]}]},
        ),
    ],
)
def test_a_nul_character_anywhere_is_a_400_before_any_lookup(
    client: Any, method: str, path: str, body: Any
) -> None:
    # PostgreSQL refuses NUL in text: without the check these were server errors there.
    api = _admin_client(client)
    send = getattr(api, method)
    response = (
        send(path)
        if body is None
        else send(path, data=json.dumps(body), content_type="application/json")
    )
    error = _error(response, 400, "BadRequestError")
    assert "NUL" in error["message"]
