"""``masthead integrations``: list, create, show, regenerate, revoke and restore API keys.

The same changes as the admin's Settings → Integrations screen, through the same
``actions``, so a deploy script can create the key a static-site build needs. ``--json``
prints one JSON document for scripts; every refusal is one line on standard error and
a non-zero exit.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from masthead.contentapi import actions
from masthead.contentapi.models import Integration
from masthead.identifiers import OBJECT_ID
from masthead.publishing.middleware import site_timezone


def find_integration(reference: str) -> Integration:
    """The integration whose Ghost id or name is ``reference`` (revoked ones included)."""
    integrations = Integration.objects.all()
    if OBJECT_ID.match(reference):
        by_id = integrations.filter(ghost_id=reference).first()
        if by_id is not None:
            return by_id
    found = list(integrations.filter(name__iexact=reference.strip())[:2])
    if not found:
        raise CommandError(
            f"No integration has the id or name {reference!r}; "
            "`masthead integrations list` shows them."
        )
    if len(found) > 1:
        raise CommandError(
            f"Several integrations are named {reference!r}; give the integration's id instead."
        )
    return found[0]


def summary(integration: Integration, *, webhooks: int) -> dict[str, Any]:
    return {
        "id": integration.ghost_id,
        "name": integration.name,
        "description": integration.description,
        "status": "active" if integration.is_active else "revoked",
        "created_at": integration.created_at.isoformat(),
        "revoked_at": integration.revoked_at.isoformat() if integration.revoked_at else None,
        "webhooks": webhooks,
    }


def details(integration: Integration) -> dict[str, Any]:
    """Everything a client needs to connect, keys included."""
    return {
        **summary(integration, webhooks=integration.webhooks.count()),
        "api_url": settings.MASTHEAD_SITE_URL,
        "content_api_key": integration.content_key,
        "admin_api_key": integration.admin_key,
    }


class Command(BaseCommand):
    help = "API integrations: list, create, show, regenerate a key, revoke or restore."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)

        listing = commands.add_parser("list", help="List integrations (no keys).")
        listing.add_argument("--json", action="store_true", help="Print JSON for scripts.")

        create = commands.add_parser("create", help="Create an integration and print its keys.")
        create.add_argument("name", help="What uses the keys, e.g. 'Static site build'.")
        create.add_argument("--description", default="", help="An optional note.")
        create.add_argument("--json", action="store_true", help="Print JSON for scripts.")

        show = commands.add_parser("show", help="Print an integration's API URL and keys.")
        show.add_argument("integration", help="The integration's id or name.")
        show.add_argument("--json", action="store_true", help="Print JSON for scripts.")

        regenerate = commands.add_parser(
            "regenerate", help="Replace a key; the old key stops working at once."
        )
        regenerate.add_argument("integration", help="The integration's id or name.")
        regenerate.add_argument(
            "--key", required=True, choices=actions.KEY_KINDS, help="Which key to replace."
        )
        regenerate.add_argument("--json", action="store_true", help="Print JSON for scripts.")

        for name, what in (
            ("revoke", "Stop both keys working; the integration is kept."),
            ("restore", "Let a revoked integration's keys work again."),
        ):
            sub = commands.add_parser(name, help=what)
            sub.add_argument("integration", help="The integration's id or name.")
            sub.add_argument("--json", action="store_true", help="Print JSON for scripts.")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        as_json = options["json"]
        if subcommand == "list":
            self.list_integrations(as_json=as_json)
            return
        if subcommand == "create":
            try:
                integration = actions.create_integration(
                    name=options["name"], description=options["description"]
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.show(integration, as_json=as_json, heading="Created")
            return
        integration = find_integration(options["integration"])
        if subcommand == "show":
            self.show(integration, as_json=as_json)
        elif subcommand == "regenerate":
            if not integration.is_active:
                raise CommandError(
                    f"{integration.name!r} is revoked; restore it before regenerating a key."
                )
            actions.regenerate_key(integration=integration, kind=options["key"])
            label = "Content API" if options["key"] == "content" else "Admin API"
            self.show(
                integration,
                as_json=as_json,
                heading=f"Regenerated the {label} key of",
            )
        elif subcommand == "revoke":
            was_active = integration.is_active
            actions.revoke_integration(integration=integration)
            self.report_status(integration, as_json, "revoked" if was_active else None)
        else:
            was_revoked = not integration.is_active
            actions.restore_integration(integration=integration)
            self.report_status(integration, as_json, "restored" if was_revoked else None)

    def list_integrations(self, *, as_json: bool) -> None:
        integrations = Integration.objects.annotate(webhook_count=Count("webhooks")).order_by(
            "name", "pk"
        )
        rows = [summary(item, webhooks=item.webhook_count) for item in integrations]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write("No integrations yet. `masthead integrations create NAME` makes one.")
            return
        tz = site_timezone()
        table = [("ID", "NAME", "STATUS", "WEBHOOKS", "CREATED")]
        for item, row in zip(integrations, rows, strict=True):
            table.append(
                (
                    row["id"],
                    row["name"],
                    row["status"],
                    str(row["webhooks"]),
                    item.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                )
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for line in table:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(line, widths, strict=True)
                ).rstrip()
            )

    def show(self, integration: Integration, *, as_json: bool, heading: str = "") -> None:
        data = details(integration)
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if heading:
            self.stdout.write(f"{heading} {integration.name!r}.")
        lines = [
            ("Name", data["name"]),
            ("Id", data["id"]),
            ("Status", data["status"]),
            ("API URL", data["api_url"]),
            ("Content API key", data["content_api_key"]),
            ("Admin API key", data["admin_api_key"]),
        ]
        width = max(len(label) for label, _value in lines)
        for label, value in lines:
            self.stdout.write(f"{label.ljust(width)}  {value}")
        if not integration.is_active:
            self.stdout.write(
                "These keys do not work while the integration is revoked; "
                "`masthead integrations restore` turns them back on."
            )

    def report_status(self, integration: Integration, as_json: bool, changed: str | None) -> None:
        if as_json:
            data = summary(integration, webhooks=integration.webhooks.count())
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if changed == "revoked":
            self.stdout.write(f"Revoked {integration.name!r}: its keys stopped working.")
        elif changed == "restored":
            self.stdout.write(f"Restored {integration.name!r}: its keys work again.")
        else:
            state = "active" if integration.is_active else "revoked"
            self.stdout.write(f"{integration.name!r} is already {state}.")
