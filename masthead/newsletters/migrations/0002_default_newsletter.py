"""A new site has one newsletter, so sign-up and sending work before anyone sets one up."""

from django.db import migrations


def create_default_newsletter(apps, schema_editor):
    Newsletter = apps.get_model("newsletters", "Newsletter")
    if not Newsletter.objects.exists():
        Newsletter.objects.create(
            name="Newsletter",
            slug="default-newsletter",  # Ghost's slug, so imported sites line up
            description="Our latest stories, in your inbox.",
            subscribe_on_signup=True,
        )


class Migration(migrations.Migration):
    dependencies = [("newsletters", "0001_initial")]

    operations = [migrations.RunPython(create_default_newsletter, migrations.RunPython.noop)]
