"""Every site has exactly one free tier: the tier every member has without paying."""

from django.db import migrations


def create_free_tier(apps, schema_editor):
    Tier = apps.get_model("membership", "Tier")
    if not Tier.objects.filter(kind="free").exists():
        Tier.objects.create(
            name="Free",
            slug="free",
            kind="free",
            description="Read members-only stories and get our newsletters.",
            currency="",
        )


class Migration(migrations.Migration):
    dependencies = [("membership", "0001_members_tiers_campaigns")]

    operations = [migrations.RunPython(create_free_tier, migrations.RunPython.noop)]
