"""Admin API webhooks: add, edit and delete, as Ghost's ``api/endpoints/webhooks.js``.

Ghost has no browse or read for webhooks; an integration manages only its own. The
webhook always belongs to the integration that signed the request, whatever
``integration_id`` the body names, as Ghost's input serializer does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from masthead.ghost_errors import BadRequestError, NotFoundError, ValidationError

from . import webhooks
from .auth import admin_integration
from .http import api_view, json_response, read_json_body
from .models import Integration, Webhook, WebhookEvent

# Column sizes of Ghost's webhooks table, which its JSON schema enforces.
MAX_LENGTHS = {"event": 50, "target_url": 2000, "name": 191, "secret": 191, "api_version": 50}
EDITABLE = ("event", "target_url", "name", "secret", "api_version")


def ghost_datetime(value: datetime | None) -> str | None:
    """Ghost's format for webhook and integration dates: UTC, milliseconds, ``Z``."""
    if value is None:
        return None
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def serialize_webhook(webhook: Webhook) -> dict[str, Any]:
    """A webhook in Ghost's shape and key order; empty text is ``null`` as in Ghost."""
    return {
        "id": webhook.ghost_id,
        "event": webhook.event,
        "target_url": webhook.target_url,
        "name": webhook.name or None,
        "secret": webhook.secret or None,
        "api_version": webhook.api_version,
        "integration_id": webhook.integration.ghost_id,
        "status": "available",
        "last_triggered_at": ghost_datetime(webhook.last_triggered_at),
        "last_triggered_status": webhook.last_triggered_status or None,
        "last_triggered_error": webhook.last_triggered_error or None,
        "created_at": ghost_datetime(webhook.created_at),
        "updated_at": ghost_datetime(webhook.updated_at),
    }


def _invalid(context: str, prop: str) -> ValidationError:
    return ValidationError(
        _("Validation error, cannot save webhook."),
        context=context,
        property=prop,
        help=_(
            'Send the webhook as {"webhooks": [{"event": "post.published", "target_url": "https://…"}]}.'
        ),
    )


def _webhook_data(request: HttpRequest, *, partial: bool) -> dict[str, str]:
    body = read_json_body(request)
    items = body.get("webhooks")
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise BadRequestError(
            _("No root key ('webhooks') provided."),
            context=_('Send {"webhooks": [{…}]} with one webhook object in the list.'),
        )
    raw: dict[str, Any] = items[0]
    data: dict[str, str] = {}
    for key in EDITABLE:
        if key not in raw:
            continue
        value = raw[key]
        if value is None and key in ("name", "secret"):
            value = ""
        if not isinstance(value, str):
            raise _invalid(_("%(key)s must be a string.") % {"key": key}, key)
        if len(value) > MAX_LENGTHS[key]:
            raise _invalid(
                _("%(key)s must be at most %(max)s characters long.")
                % {"key": key, "max": MAX_LENGTHS[key]},
                key,
            )
        data[key] = value.strip() if key in ("event", "target_url") else value
    if not partial:
        for key in ("event", "target_url"):
            if not data.get(key):
                raise _invalid(_("%(key)s is required.") % {"key": key}, key)
    if "event" in data:
        event = data["event"].lower()
        if event not in WebhookEvent.values:
            raise _invalid(
                _("“%(event)s” is not a webhook event. Choose one of: %(events)s.")
                % {"event": data["event"], "events": ", ".join(WebhookEvent.values)},
                "event",
            )
        data["event"] = event
    if "target_url" in data and not webhooks.is_web_url(data["target_url"]):
        raise _invalid(
            _("target_url must be an absolute http:// or https:// address."), "target_url"
        )
    if "api_version" in data and not data["api_version"]:
        del data["api_version"]
    return data


def _refuse_duplicate(
    integration: Integration, data: dict[str, str], *, exclude: int | None = None
) -> None:
    clash = Webhook.objects.filter(
        integration=integration, event=data["event"], target_url=data["target_url"]
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError(
            _("Validation error, cannot save webhook."),
            # Ghost's message, which existing integrations compare to recognise a webhook
            # they registered before.
            context="Target URL has already been used for this event.",
            property="target_url",
        )


@api_view("admin", methods=("POST",))
def add_webhook(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/``: register a webhook for the signing integration; 201."""
    integration = admin_integration(request)
    data = _webhook_data(request, partial=False)
    _refuse_duplicate(integration, data)
    webhook = Webhook.objects.create(integration=integration, **data)
    webhook.integration = integration
    return json_response({"webhooks": [serialize_webhook(webhook)]}, status=201)


def _own_webhook(integration: Integration, webhook_id: str) -> Webhook:
    webhook = (
        Webhook.objects.select_related("integration")
        .filter(ghost_id=webhook_id, integration=integration)
        .first()
    )
    if webhook is None:
        # Another integration's webhook is answered the same as a missing one, so ids
        # cannot be probed across integrations.
        raise NotFoundError(
            _("Webhook not found."),
            context=_("No webhook of this integration has the id %(id)s.") % {"id": webhook_id},
        )
    return webhook


@api_view("admin", methods=("PUT", "DELETE"))
def webhook_detail(request: HttpRequest, webhook_id: str) -> HttpResponse:
    """``PUT /webhooks/:id/`` edits the webhook; ``DELETE`` removes it (204)."""
    integration = admin_integration(request)
    webhook = _own_webhook(integration, webhook_id)
    if request.method == "DELETE":
        webhook.delete()
        return HttpResponse(status=204)
    data = _webhook_data(request, partial=True)
    merged = {"event": webhook.event, "target_url": webhook.target_url, **data}
    _refuse_duplicate(integration, merged, exclude=webhook.pk)
    for key, value in data.items():
        setattr(webhook, key, value)
    webhook.save()
    return json_response({"webhooks": [serialize_webhook(webhook)]})
