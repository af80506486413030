"""Replace Wagtail's "Welcome" placeholder with masthead's home page.

A fresh install then serves a working front page right after ``migrate``. An
existing site whose root page was already changed is left alone.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's default path alphabet


def _next_root_child_path(Page):
    """The path after the last top-level page (treebeard: 4 base-36 digits a level)."""
    last = Page.objects.filter(depth=2).order_by("-path").values_list("path", flat=True).first()
    number = 0
    for char in last[-4:]:
        number = number * 36 + ALPHABET.index(char)
    number += 1
    digits = ""
    for _ in range(4):
        number, rest = divmod(number, 36)
        digits = ALPHABET[rest] + digits
    return last[:-4] + digits


def install_home_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Locale = apps.get_model("wagtailcore", "Locale")
    HomePage = apps.get_model("publishing", "HomePage")
    SiteSettings = apps.get_model("publishing", "SiteSettings")

    page_type = ContentType.objects.get_for_model(Page)
    welcome = Page.objects.filter(depth=2, content_type=page_type, slug="home", path="00010001").first()
    if welcome is None or welcome.numchild or HomePage.objects.exists():
        # Someone has already built on the placeholder: leave their tree alone.
        return
    site_ids = list(Site.objects.filter(root_page_id=welcome.pk).values_list("pk", flat=True))
    locale_id = welcome.locale_id or Locale.objects.order_by("pk").values_list("pk", flat=True).first()
    home_type, _ = ContentType.objects.get_or_create(app_label="publishing", model="homepage")
    home = HomePage.objects.create(
        title="Home",
        draft_title="Home",
        slug="home",
        content_type=home_type,
        # Created beside the placeholder first: deleting the placeholder while a
        # site still points at it would delete the site too.
        path=_next_root_child_path(Page),
        depth=2,
        numchild=0,
        url_path="/home-new/",
        locale_id=locale_id,
        live=True,
    )
    # The site's address comes from MASTHEAD_SITE_URL, so canonical links are right.
    url = urlsplit(getattr(settings, "MASTHEAD_SITE_URL", "http://localhost"))
    port = url.port or (443 if url.scheme == "https" else 80)
    Site.objects.filter(pk__in=site_ids).update(
        root_page_id=home.pk, hostname=url.hostname or "localhost", port=port
    )
    welcome.delete()
    Page.objects.filter(pk=home.pk).update(url_path="/home/")
    Page.objects.filter(depth=1).update(numchild=Page.objects.filter(depth=2).count())
    for site in Site.objects.filter(pk__in=site_ids):
        SiteSettings.objects.get_or_create(site=site)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0002_relations"),
        ("wagtailcore", "0002_initial_data"),
        ("wagtailcore", "0098_apitoken"),
    ]

    # Reversing would need Wagtail's placeholder back; keeping the home page is harmless.
    operations = [migrations.RunPython(install_home_page, migrations.RunPython.noop)]
