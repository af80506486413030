"""The Admin API's webhook endpoints: add, edit, delete, and their errors."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from masthead.contentapi.models import Integration, Webhook

pytestmark = pytest.mark.django_db

ROOT = "/ghost/api/admin/webhooks/"
WEBHOOK_KEYS = [
    "id",
    "event",
    "target_url",
    "name",
    "secret",
    "api_version",
    "integration_id",
    "status",
    "last_triggered_at",
    "last_triggered_status",
    "last_triggered_error",
    "created_at",
    "updated_at",
]


def _auth(integration: Integration) -> dict[str, str]:
    now = int(time.time())
    token = jwt.encode(
        {"iat": now, "exp": now + 300, "aud": "/admin/"},
        bytes.fromhex(integration.admin_secret),
        algorithm="HS256",
        headers={"kid": integration.admin_key_id},
    )
    return {"HTTP_AUTHORIZATION": f"Ghost {token}"}


@pytest.fixture
def integration() -> Integration:
    return Integration.objects.create(name="Zapier")


def _send(client: Any, method: str, path: str, integration: Integration, body: Any) -> Any:
    return getattr(client, method)(
        path, body, content_type="application/json", **_auth(integration)
    )


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    [error] = response.json()["errors"]
    assert error["type"] == kind
    return dict(error)


def test_adding_a_webhook_answers_201_in_ghosts_shape(
    client: Any, integration: Integration
) -> None:
    body = {
        "webhooks": [
            {
                "event": "post.published",
                "target_url": "https://hooks.example.org/ghost",
                "name": "Rebuild",
                "secret": "s3cret",
                "integration_id": "000000000000000000000000",
            }
        ]
    }
    response = _send(client, "post", ROOT, integration, body)
    assert response.status_code == 201, response.content
    assert response["Content-Version"] == "v6.0"
    [webhook] = response.json()["webhooks"]
    assert list(webhook) == WEBHOOK_KEYS
    assert webhook["event"] == "post.published"
    assert webhook["target_url"] == "https://hooks.example.org/ghost"
    assert webhook["name"] == "Rebuild"
    assert webhook["secret"] == "s3cret"
    assert webhook["status"] == "available"
    # The webhook belongs to the integration that signed, whatever the body says.
    assert webhook["integration_id"] == integration.ghost_id
    assert webhook["last_triggered_at"] is None
    assert webhook["created_at"].endswith("Z")
    stored = Webhook.objects.get()
    assert stored.integration == integration
    assert stored.ghost_id == webhook["id"]


def test_editing_and_deleting_a_webhook(client: Any, integration: Integration) -> None:
    webhook = Webhook.objects.create(
        integration=integration, event="post.added", target_url="https://a.example/"
    )
    response = _send(
        client,
        "put",
        f"{ROOT}{webhook.ghost_id}/",
        integration,
        {"webhooks": [{"event": "post.edited", "name": "Edits", "secret": None}]},
    )
    assert response.status_code == 200, response.content
    [edited] = response.json()["webhooks"]
    assert edited["event"] == "post.edited"
    assert edited["name"] == "Edits"
    assert edited["target_url"] == "https://a.example/"
    assert edited["secret"] is None
    response = client.delete(f"{ROOT}{webhook.ghost_id}/", **_auth(integration))
    assert response.status_code == 204
    assert not Webhook.objects.exists()


def test_another_integrations_webhook_is_not_found(client: Any, integration: Integration) -> None:
    other = Integration.objects.create(name="Other")
    webhook = Webhook.objects.create(
        integration=other, event="post.added", target_url="https://a.example/"
    )
    path = f"{ROOT}{webhook.ghost_id}/"
    _error(client.delete(path, **_auth(integration)), 404, "NotFoundError")
    body = {"webhooks": [{"name": "Mine now"}]}
    _error(_send(client, "put", path, integration, body), 404, "NotFoundError")
    _error(client.delete(f"{ROOT}nope/", **_auth(integration)), 404, "NotFoundError")
    assert Webhook.objects.get().name == ""


@pytest.mark.parametrize(
    ("item", "prop"),
    [
        ({"event": "post.exploded", "target_url": "https://a.example/"}, "event"),
        ({"event": "post.added", "target_url": "ftp://a.example/"}, "target_url"),
        ({"event": "post.added", "target_url": "/relative"}, "target_url"),
        ({"target_url": "https://a.example/"}, "event"),
        ({"event": "post.added"}, "target_url"),
        ({"event": 7, "target_url": "https://a.example/"}, "event"),
        ({"event": "post.added", "target_url": "https://a.example/", "name": "x" * 192}, "name"),
    ],
)
def test_invalid_webhooks_are_422_naming_the_property(
    client: Any, integration: Integration, item: dict[str, Any], prop: str
) -> None:
    response = _send(client, "post", ROOT, integration, {"webhooks": [item]})
    error = _error(response, 422, "ValidationError")
    assert error["property"] == prop
    assert error["message"] == "Validation error, cannot save webhook."
    assert not Webhook.objects.exists()


def test_the_same_event_and_url_twice_is_ghosts_validation_error(
    client: Any, integration: Integration
) -> None:
    body = {"webhooks": [{"event": "post.added", "target_url": "https://a.example/"}]}
    assert _send(client, "post", ROOT, integration, body).status_code == 201
    error = _error(_send(client, "post", ROOT, integration, body), 422, "ValidationError")
    # Integrations compare this text to recognise a webhook they registered before.
    assert error["context"] == "Target URL has already been used for this event."


@pytest.mark.parametrize("body", [{}, {"webhooks": []}, {"webhooks": "x"}, {"webhooks": [3]}])
def test_a_body_without_webhooks_is_a_bad_request(
    client: Any, integration: Integration, body: Any
) -> None:
    _error(_send(client, "post", ROOT, integration, body), 400, "BadRequestError")


def test_errors_of_the_request_itself(client: Any, integration: Integration) -> None:
    body = {"webhooks": [{"event": "post.added", "target_url": "https://a.example/"}]}
    _error(client.post(ROOT, body, content_type="application/json"), 403, "NoPermissionError")
    _error(
        client.post(ROOT, "not json", content_type="application/json", **_auth(integration)),
        400,
        "BadRequestError",
    )
    _error(
        client.post(ROOT, "event=post.added", content_type="text/plain", **_auth(integration)),
        415,
        "UnsupportedMediaTypeError",
    )
    _error(client.get(ROOT, **_auth(integration)), 404, "NotFoundError")
    integration.revoked_at = integration.created_at
    integration.save()
    _error(_send(client, "post", ROOT, integration, body), 401, "UnauthorizedError")
