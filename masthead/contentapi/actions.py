"""Changes to integrations and their webhooks, shared by the admin screen and the CLI.

Every change is recorded in Wagtail's audit log (Reports → Site history) under one of the
actions below. Keys never go into the log: a log entry is readable by anyone who may see
the site's history, and a key there would outlive its regeneration.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.identifiers import new_object_id

from .models import Integration, Webhook, WebhookDelivery, new_admin_secret, new_content_key
from .webhooks import fail_revoked

CREATED = "masthead.integration.create"
EDITED = "masthead.integration.edit"
CONTENT_KEY_REGENERATED = "masthead.integration.regenerate_content_key"
ADMIN_KEY_REGENERATED = "masthead.integration.regenerate_admin_key"
REVOKED = "masthead.integration.revoke"
RESTORED = "masthead.integration.restore"
WEBHOOK_DELETED = "masthead.integration.delete_webhook"

# Actions that change a key: the screen's "last key change" is the latest of these.
KEY_CHANGES = (CREATED, CONTENT_KEY_REGENERATED, ADMIN_KEY_REGENERATED)

LOGGED_ACTIONS: dict[str, tuple[Any, Any]] = {
    CREATED: (_("Create integration"), _("Created the integration")),
    EDITED: (_("Edit integration"), _("Edited the integration's name or description")),
    CONTENT_KEY_REGENERATED: (
        _("Regenerate Content API key"),
        _("Regenerated the Content API key"),
    ),
    ADMIN_KEY_REGENERATED: (_("Regenerate Admin API key"), _("Regenerated the Admin API key")),
    REVOKED: (_("Revoke integration"), _("Revoked the integration; its keys stopped working")),
    RESTORED: (_("Restore integration"), _("Restored the integration; its keys work again")),
    WEBHOOK_DELETED: (_("Delete webhook"), _("Deleted a webhook of the integration")),
}

KEY_KINDS = ("content", "admin")

User = AbstractBaseUser | AnonymousUser | None


def _log(integration: Integration, action: str, user: User, **data: Any) -> None:
    from wagtail.log_actions import log

    staff = user if isinstance(user, AbstractBaseUser) else None
    log(instance=integration, action=action, user=staff, title=integration.name, data=data)


def create_integration(*, name: str, description: str = "", user: User = None) -> Integration:
    """A new integration with fresh content and admin keys."""
    name = name.strip()
    if not name:
        raise ValueError("An integration needs a name, such as the tool that will use it.")
    creator = user if isinstance(user, AbstractBaseUser) else None
    with transaction.atomic():
        integration = Integration.objects.create(
            name=name,
            description=description.strip(),
            created_by=creator,  # type: ignore[misc]  # AbstractBaseUser is the user model here
        )
        _log(integration, CREATED, user)
    return integration


def edit_integration(
    *, integration: Integration, name: str, description: str, user: User = None
) -> Integration:
    """Rename an integration or change its description; its keys stay the same."""
    name = name.strip()
    if not name:
        raise ValueError("An integration needs a name, such as the tool that will use it.")
    with transaction.atomic():
        integration.name = name
        integration.description = description.strip()
        integration.save(update_fields=["name", "description", "updated_at"])
        _log(integration, EDITED, user)
    return integration


def regenerate_key(*, integration: Integration, kind: str, user: User = None) -> Integration:
    """Replace the integration's content or admin key; the old one stops working at once.

    A new admin key gets a new id as well as a new secret, so a client still signing with
    the old key is told "Unknown Admin API Key" rather than a puzzling signature error.
    """
    if kind not in KEY_KINDS:
        raise ValueError(f"The key to regenerate is 'content' or 'admin', not {kind!r}.")
    with transaction.atomic():
        if kind == "content":
            integration.content_key = new_content_key()
            fields = ["content_key"]
            action = CONTENT_KEY_REGENERATED
        else:
            integration.admin_key_id = new_object_id()
            integration.admin_secret = new_admin_secret()
            fields = ["admin_key_id", "admin_secret"]
            action = ADMIN_KEY_REGENERATED
        integration.save(update_fields=[*fields, "updated_at"])
        _log(integration, action, user)
    return integration


def revoke_integration(*, integration: Integration, user: User = None) -> Integration:
    """Stop both keys of the integration working; the integration and its webhooks stay.

    Its deliveries still waiting (first attempts and retries) are marked failed, so its
    receivers get nothing more; restoring it does not send them again.
    """
    if integration.revoked_at is not None:
        return integration
    with transaction.atomic():
        integration.revoked_at = timezone.now()
        integration.save(update_fields=["revoked_at", "updated_at"])
        fail_revoked(WebhookDelivery.objects.filter(webhook__integration=integration))
        _log(integration, REVOKED, user)
    return integration


def restore_integration(*, integration: Integration, user: User = None) -> Integration:
    """Let a revoked integration's keys work again."""
    if integration.revoked_at is None:
        return integration
    with transaction.atomic():
        integration.revoked_at = None
        integration.save(update_fields=["revoked_at", "updated_at"])
        _log(integration, RESTORED, user)
    return integration


def delete_webhook(*, webhook: Webhook, user: User = None) -> None:
    """Stop calling the webhook's URL; deliveries still waiting are dropped with it."""
    integration = webhook.integration
    with transaction.atomic():
        _log(
            integration,
            WEBHOOK_DELETED,
            user,
            event=webhook.event,
            # Only the host: a webhook URL often carries its own secret (Zapier's do).
            target_host=urlsplit(webhook.target_url).hostname or "",
        )
        webhook.delete()
