"""Wagtail's Editors and Moderators can send articles by email from the start.

Editors send and watch sends; Moderators also manage the lists and the suppression list.
Groups can be changed in Settings → Groups like any other permission.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SEND = ["add_newslettersend", "change_newslettersend", "view_newslettersend"]
MANAGE = [
    "add_newsletter",
    "change_newsletter",
    "view_newsletter",
    "add_suppression",
    "delete_suppression",
    "view_suppression",
]
GRANTS = {"Editors": SEND, "Moderators": SEND + MANAGE}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="newsletters", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="newsletters", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("newsletters", "0002_default_newsletter"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0002_initial_data"),  # creates the Editors and Moderators groups
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
