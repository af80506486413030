"""``masthead integrations`` and the actions behind it and the admin screen."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.models import ModelLogEntry

from masthead.contentapi import actions
from masthead.contentapi.auth import content_integration
from masthead.contentapi.models import Integration, Webhook
from masthead.ghost_errors import UnauthorizedError

pytestmark = pytest.mark.django_db


def integrations(*args: str) -> str:
    out = io.StringIO()
    call_command("integrations", *args, stdout=out)
    return out.getvalue()


def test_create_prints_both_keys_in_ghosts_formats(settings: Any) -> None:
    settings.MASTHEAD_SITE_URL = "https://news.example"

    out = integrations("create", "Static site build", "--description", "Eleventy on CI")

    integration = Integration.objects.get()
    assert integration.name == "Static site build"
    assert integration.description == "Eleventy on CI"
    assert out.startswith("Created 'Static site build'.")
    assert f"Content API key  {integration.content_key}" in out
    assert f"Admin API key    {integration.admin_key}" in out
    assert "API URL          https://news.example" in out


def test_create_as_json_is_a_document_for_scripts() -> None:
    data = json.loads(integrations("create", "Zapier", "--json"))

    integration = Integration.objects.get()
    assert data["id"] == integration.ghost_id
    assert data["content_api_key"] == integration.content_key
    assert data["admin_api_key"] == integration.admin_key
    assert data["status"] == "active"
    assert data["webhooks"] == 0


def test_create_refuses_a_blank_name() -> None:
    with pytest.raises(CommandError, match="needs a name"):
        integrations("create", "   ")
    assert not Integration.objects.exists()


def test_list_shows_status_and_webhooks_but_no_keys() -> None:
    zapier = actions.create_integration(name="Zapier")
    Webhook.objects.create(
        integration=zapier, event="post.published", target_url="https://z.example/h"
    )
    old = actions.create_integration(name="Old app")
    actions.revoke_integration(integration=old)

    out = integrations("list")

    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATUS", "WEBHOOKS", "CREATED"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows[zapier.ghost_id][1:4] == ["Zapier", "active", "1"]
    assert rows[old.ghost_id][1:5] == ["Old", "app", "revoked", "0"]
    assert zapier.content_key not in out
    assert zapier.admin_secret not in out
    listed = json.loads(integrations("list", "--json"))
    assert [row["name"] for row in listed] == ["Old app", "Zapier"]
    assert "content_api_key" not in listed[0]


def test_list_says_how_to_start_when_there_is_nothing() -> None:
    assert "masthead integrations create NAME" in integrations("list")


def test_show_finds_an_integration_by_id_or_name() -> None:
    integration = actions.create_integration(name="iA Writer")

    by_id = integrations("show", integration.ghost_id)
    by_name = integrations("show", "ia writer")

    assert by_id == by_name
    assert integration.admin_key in by_id


def test_an_unknown_or_ambiguous_reference_is_one_clear_error() -> None:
    with pytest.raises(CommandError, match="integrations list"):
        integrations("show", "nothing")
    actions.create_integration(name="Twin")
    actions.create_integration(name="Twin")
    with pytest.raises(CommandError, match="give the integration's id"):
        integrations("show", "Twin")


def test_regenerating_a_key_replaces_only_that_key_and_logs_without_it() -> None:
    integration = actions.create_integration(name="Zapier")
    content_key, admin_key = integration.content_key, integration.admin_key

    out = integrations("regenerate", "Zapier", "--key", "content")

    integration.refresh_from_db()
    assert integration.content_key != content_key
    assert integration.admin_key == admin_key
    assert "Regenerated the Content API key of 'Zapier'." in out

    integrations("regenerate", integration.ghost_id, "--key", "admin")
    integration.refresh_from_db()
    new_id, new_secret = integration.admin_key.split(":")
    assert new_id != admin_key.split(":")[0]
    assert new_secret != admin_key.split(":")[1]
    assert len(new_id) == 24
    assert len(new_secret) == 64

    entries = ModelLogEntry.objects.filter(object_id=str(integration.pk)).order_by("pk")
    assert [entry.action for entry in entries] == [
        actions.CREATED,
        actions.CONTENT_KEY_REGENERATED,
        actions.ADMIN_KEY_REGENERATED,
    ]
    logged = json.dumps([entry.data for entry in entries]) + " ".join(
        entry.label for entry in entries
    )
    assert integration.content_key not in logged
    assert content_key not in logged
    assert integration.admin_secret not in logged


def test_regenerate_needs_a_known_key_kind_and_an_active_integration() -> None:
    integration = actions.create_integration(name="Zapier")
    with pytest.raises(CommandError):
        integrations("regenerate", "Zapier", "--key", "members")
    actions.revoke_integration(integration=integration)
    with pytest.raises(CommandError, match="restore it"):
        integrations("regenerate", "Zapier", "--key", "content")
    with pytest.raises(ValueError, match="'content' or 'admin'"):
        actions.regenerate_key(integration=integration, kind="members")


def test_revoke_and_restore_switch_the_keys_off_and_on(rf: Any) -> None:
    integration = actions.create_integration(name="Zapier")
    request = rf.get("/ghost/api/content/posts/", {"key": integration.content_key})
    assert content_integration(request) == integration.pk  # the key is now a shared answer

    assert "Revoked 'Zapier'" in integrations("revoke", "Zapier")
    assert not Integration.objects.active().exists()
    with pytest.raises(UnauthorizedError):
        content_integration(request)
    assert "already revoked" in integrations("revoke", "Zapier")

    assert "Restored 'Zapier'" in integrations("restore", "Zapier")
    assert content_integration(request) == integration.pk
    data = json.loads(integrations("restore", "Zapier", "--json"))
    assert data["status"] == "active"
    actions_logged = list(
        ModelLogEntry.objects.filter(object_id=str(integration.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions_logged == [actions.CREATED, actions.REVOKED, actions.RESTORED]


def test_deleting_a_webhook_logs_its_event_and_host_only() -> None:
    integration = actions.create_integration(name="Zapier")
    webhook = Webhook.objects.create(
        integration=integration,
        event="post.published",
        target_url="https://hooks.zapier.example/catch/123/s3cr3t/",
    )

    actions.delete_webhook(webhook=webhook)

    assert not Webhook.objects.exists()
    entry = ModelLogEntry.objects.filter(action=actions.WEBHOOK_DELETED).get()
    assert entry.data == {"event": "post.published", "target_host": "hooks.zapier.example"}
