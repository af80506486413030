"""Ghost ids, uuids and creation times for articles and standard pages, filled in for existing rows.

Added empty first, filled row by row, then made unique: a callable default on a new unique
column would give every existing row the same value.
"""

import uuid

import django.utils.timezone
from django.db import migrations, models

import masthead.identifiers


def fill(apps, schema_editor):
    for model_name, has_ghost_id in (("ArticlePage", False), ("StandardPage", True)):
        model = apps.get_model("publishing", model_name)
        for row in model.objects.only(
            "pk", "first_published_at", "latest_revision_created_at"
        ).iterator():
            values = {
                "uuid": uuid.uuid4(),
                "created_at": row.first_published_at
                or row.latest_revision_created_at
                or django.utils.timezone.now(),
            }
            if has_ghost_id:
                values["ghost_id"] = masthead.identifiers.new_object_id()
            model.objects.filter(pk=row.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0009_live_coverage_and_video"),
    ]

    operations = [
        migrations.AddField(
            model_name="articlepage",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="standardpage",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="standardpage",
            name="ghost_id",
            field=models.CharField(max_length=24, null=True, editable=False),
        ),
        migrations.AddField(
            model_name="articlepage",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="standardpage",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="articlepage",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="standardpage",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="standardpage",
            name="ghost_id",
            field=models.CharField(
                default=masthead.identifiers.new_object_id,
                editable=False,
                help_text="Stable public id, in Ghost's format.",
                max_length=24,
                unique=True,
            ),
        ),
    ]
