"""Admin wiring: Settings → Integrations, its permission, and its audit-log actions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from wagtail import hooks

from . import actions, admin_screens


@hooks.register("register_admin_urls")
def register_integrations_urls() -> list[Any]:
    return admin_screens.admin_urls()


@hooks.register("register_settings_menu_item")
def register_integrations_menu_item() -> admin_screens.IntegrationsMenuItem:
    return admin_screens.menu_item()


@hooks.register("register_permissions")
def register_integration_permission() -> QuerySet[Permission]:
    # "Can change integration" lets a group see and manage every integration's keys
    # (Settings → Groups); superusers always can.
    return Permission.objects.filter(
        content_type__app_label="contentapi", codename="change_integration"
    )


@hooks.register("register_log_actions")
def register_integration_log_actions(registry: Any) -> None:
    for action, (label, message) in actions.LOGGED_ACTIONS.items():
        registry.register_action(action, label, message)
