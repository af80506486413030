"""Settings → Integrations in the admin: keys to copy, regenerate, revoke, webhooks."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import ModelLogEntry

from masthead.contentapi import actions
from masthead.contentapi.models import Integration, Webhook
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db

INDEX = "/admin/integrations/"


@pytest.fixture
def owner(client: Any) -> Any:
    user = UserFactory(superuser=True, email="owner@example.org")
    client.force_login(user)
    return user


@pytest.fixture
def integration() -> Integration:
    return actions.create_integration(name="Static site build", description="Eleventy on CI")


def detail(integration: Integration, action: str = "") -> str:
    return f"{INDEX}{integration.pk}/{action}"


def test_the_empty_list_explains_what_an_integration_is(client: Any, owner: Any) -> None:
    response = client.get(INDEX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "There are no integrations yet" in page
    assert "its own keys" in page
    assert 'href="/admin/integrations/new/"' in page


def test_the_list_shows_each_integration_without_its_keys(
    client: Any, owner: Any, integration: Integration
) -> None:
    Webhook.objects.create(
        integration=integration, event="post.published", target_url="https://ci.example/build"
    )
    revoked = actions.create_integration(name="Old app")
    actions.revoke_integration(integration=revoked)

    response = client.get(INDEX)

    page = response.content.decode()
    assert "Static site build" in page
    assert "Old app" in page
    assert "Revoked" in page
    assert integration.content_key not in page
    assert integration.admin_secret not in page
    [row] = [item for item in response.context["integrations"] if item.pk == integration.pk]
    assert row.webhook_count == 1
    assert row.last_key_change is not None
    assert list(response.context["integrations"])[-1] == revoked


def test_adding_an_integration_shows_its_keys(client: Any, owner: Any, settings: Any) -> None:
    settings.MASTHEAD_SITE_URL = "https://news.example"
    assert client.get(f"{INDEX}new/").status_code == 200

    response = client.post(f"{INDEX}new/", {"name": "  Zapier ", "description": ""}, follow=True)

    integration = Integration.objects.get()
    assert integration.name == "Zapier"
    assert integration.created_by == owner
    assert response.redirect_chain[-1][0] == detail(integration)
    page = response.content.decode()
    assert f'value="{integration.content_key}"' in page
    assert f'value="{integration.admin_key}"' in page
    assert 'value="https://news.example"' in page
    assert 'url: "https://news.example"' in page
    assert 'version: "v6.0"' in page
    assert '<label class="w-field__label" for="content-key">' in page
    assert ModelLogEntry.objects.filter(action=actions.CREATED).count() == 1


def test_a_blank_name_is_refused_with_a_message(client: Any, owner: Any) -> None:
    response = client.post(f"{INDEX}new/", {"name": "   "})

    assert response.status_code == 200
    assert not Integration.objects.exists()
    assert response.context["form"].errors["name"]


def test_editing_keeps_the_keys(client: Any, owner: Any, integration: Integration) -> None:
    keys = (integration.content_key, integration.admin_key)

    client.post(detail(integration, "edit/"), {"name": "Hugo build", "description": "CI"})

    integration.refresh_from_db()
    assert integration.name == "Hugo build"
    assert (integration.content_key, integration.admin_key) == keys


@pytest.mark.parametrize("kind", ["content", "admin"])
def test_regenerating_asks_first_then_replaces_the_key(
    client: Any, owner: Any, integration: Integration, kind: str
) -> None:
    old = integration.content_key if kind == "content" else integration.admin_key
    url = detail(integration, f"regenerate/{kind}/")

    confirm = client.get(url)

    assert confirm.status_code == 200
    assert "stops working at once" in confirm.content.decode()
    integration.refresh_from_db()
    assert old in (integration.content_key, integration.admin_key)

    response = client.post(url)

    assert response.status_code == 302
    integration.refresh_from_db()
    assert old not in (integration.content_key, integration.admin_key)
    entry = ModelLogEntry.objects.filter(object_id=str(integration.pk)).latest("pk")
    assert entry.user_id == owner.pk
    assert entry.action in (actions.CONTENT_KEY_REGENERATED, actions.ADMIN_KEY_REGENERATED)


def test_an_unknown_key_kind_or_huge_id_is_not_found(
    client: Any, owner: Any, integration: Integration
) -> None:
    assert client.get(detail(integration, "regenerate/members/")).status_code == 404
    assert client.get(f"{INDEX}99999999999999999999999/").status_code == 404
    assert client.get(f"{INDEX}{integration.pk + 1}/").status_code == 404


def test_revoking_and_restoring(client: Any, owner: Any, integration: Integration) -> None:
    assert "stop working at once" in client.get(detail(integration, "revoke/")).content.decode()

    client.post(detail(integration, "revoke/"))

    integration.refresh_from_db()
    assert integration.revoked_at is not None
    page = client.get(detail(integration)).content.decode()
    assert "Restore the integration" in page
    assert detail(integration, "regenerate/content/") not in page
    assert client.post(detail(integration, "regenerate/content/")).status_code == 302
    assert not ModelLogEntry.objects.filter(action=actions.CONTENT_KEY_REGENERATED).exists()

    client.post(detail(integration, "restore/"))

    integration.refresh_from_db()
    assert integration.revoked_at is None


def test_webhooks_are_listed_and_can_be_deleted(
    client: Any, owner: Any, integration: Integration
) -> None:
    webhook = Webhook.objects.create(
        integration=integration,
        event="post.published",
        target_url="https://ci.example/build",
        last_triggered_status="200",
    )
    other = actions.create_integration(name="Other")
    page = client.get(detail(integration)).content.decode()
    assert "post.published" in page
    assert "https://ci.example/build" in page
    delete_url = detail(integration, f"webhooks/{webhook.pk}/delete/")
    assert delete_url in page

    assert client.post(f"{INDEX}{other.pk}/webhooks/{webhook.pk}/delete/").status_code == 404
    assert client.get(delete_url).status_code == 200
    client.post(delete_url)

    assert not Webhook.objects.exists()


def test_only_superusers_and_staff_with_the_permission_see_it(
    client: Any, integration: Integration
) -> None:
    group = Group.objects.create(name="Site tools")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    editor = UserFactory()
    editor.groups.add(group)
    client.force_login(editor)

    assert client.get(INDEX).status_code in (302, 403)
    assert client.get(detail(integration)).status_code in (302, 403)
    assert client.post(detail(integration, "revoke/")).status_code in (302, 403)
    integration.refresh_from_db()
    assert integration.revoked_at is None
    assert '"url": "/admin/integrations/"' not in client.get("/admin/").content.decode()

    group.permissions.add(
        Permission.objects.get(content_type__app_label="contentapi", codename="change_integration")
    )

    assert client.get(detail(integration)).status_code == 200
    assert '"url": "/admin/integrations/"' in client.get("/admin/").content.decode()


def test_the_permission_can_be_given_to_groups(client: Any, owner: Any) -> None:
    page = client.get("/admin/groups/new/").content.decode()

    assert "change_integration" in page or "Can change integration" in page
