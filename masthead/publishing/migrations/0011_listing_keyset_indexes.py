"""Listing indexes that end with the article's id, as keyset paging orders by it.

Every listing walks newest first by (published_at, id), optionally within a format or a
section (``publishing.paging``). With the id in the index the walk needs no sort of equal
timestamps on PostgreSQL; on SQLite the id is the rowid, which every index carries
already. The new indexes replace the old ones, which are their prefixes.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0010_ghost_ids"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="articlepage",
            index=models.Index(fields=["published_at", "page_ptr"], name="article_published_pk"),
        ),
        migrations.AddIndex(
            model_name="articlepage",
            index=models.Index(
                fields=["format", "published_at", "page_ptr"], name="article_format_published_pk"
            ),
        ),
        migrations.AddIndex(
            model_name="articlepage",
            index=models.Index(
                fields=["section", "published_at", "page_ptr"],
                name="article_section_published_pk",
            ),
        ),
        migrations.RemoveIndex(model_name="articlepage", name="article_published"),
        migrations.RemoveIndex(model_name="articlepage", name="article_format_published"),
        migrations.RemoveIndex(model_name="articlepage", name="article_section_published"),
    ]
