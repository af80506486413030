"""Copy each article's first publication time into its new ``published_at`` column."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    ArticlePage = apps.get_model("publishing", "ArticlePage")
    Page = apps.get_model("wagtailcore", "Page")
    ArticlePage.objects.update(
        published_at=Subquery(Page.objects.filter(pk=OuterRef("pk")).values("first_published_at")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0004_article_published_at")]

    # Going back drops the column, so there is nothing to undo.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
