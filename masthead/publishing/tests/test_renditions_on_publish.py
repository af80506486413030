"""Publishing cuts every image rendition a page shows, so its first reader waits for none."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from masthead.publishing import renditions
from masthead.publishing.actions import post_live_update
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    LivePageFactory,
    PhotoFactory,
    image_block,
    paragraph_blocks,
)
from masthead.publishing.models import PhotoRendition
from masthead.publishing.tasks import make_page_renditions

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "theme" / "templates"
# Pictures of the site's chrome rather than of a page: the logo in the masthead and a
# tag's header photo are chosen in settings and on tags, never published with a page.
CHROME_SPECS = {"height-56", "fill-800x300", "fill-1600x600"}


def specs_of(photo: Any) -> set[str]:
    return set(PhotoRendition.objects.filter(image=photo).values_list("filter_spec", flat=True))


def video_block(poster: Any) -> dict[str, Any]:
    return {
        "type": "video",
        "value": {
            "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "title": "The crossing at dawn",
            "caption": "",
            "poster": poster.pk,
        },
    }


def test_publishing_cuts_the_lead_body_poster_and_byline_renditions(
    home: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    lead, body_photo, wide_photo, poster, portrait = PhotoFactory.create_batch(5)
    author = AuthorFactory(avatar=portrait)
    story = ArticlePageFactory(
        parent=home,
        live=False,
        first_published_at=None,
        lead_image=lead,
        authors=[author],
        body=[
            *paragraph_blocks(["The bridge reopened at dawn."]),
            image_block(body_photo),
            image_block(wide_photo, layout="full"),
            video_block(poster),
        ],
    )
    assert PhotoRendition.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()

    assert specs_of(lead) >= {"fill-640x360", "fill-960x540", "fill-1280x720", "fill-240x160"}
    assert specs_of(lead) >= {"fill-1200x630", "fill-1200x675", "width-1200"}
    assert specs_of(body_photo) == {"width-640", "width-960", "width-1280", "width-1200"}
    assert specs_of(wide_photo) == {"width-800", "width-1280", "width-1920", "width-1200"}
    assert specs_of(poster) == {"fill-640x360", "fill-960x540", "fill-1280x720"}
    assert specs_of(portrait) >= {"fill-96x96", "fill-240x240"}

    cut = PhotoRendition.objects.count()
    response = client.get(story.url)
    assert response.status_code == 200
    assert 'srcset="' in response.content.decode()
    assert PhotoRendition.objects.count() == cut, "rendering the page cut a rendition"


def test_a_second_run_cuts_and_writes_nothing(home: Any) -> None:
    story = ArticlePageFactory(
        parent=home, lead_image=PhotoFactory(), body=[image_block(PhotoFactory())]
    )
    make_page_renditions.call(page_id=story.pk)
    cut = PhotoRendition.objects.count()
    assert cut > 0

    with CaptureQueriesContext(connection) as queries:
        make_page_renditions.call(page_id=story.pk)

    assert PhotoRendition.objects.count() == cut
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert len(queries) <= 6


def test_a_page_deleted_before_the_task_runs_is_skipped(home: Any) -> None:
    story = ArticlePageFactory(parent=home, lead_image=PhotoFactory())
    page_id = story.pk
    story.delete()

    make_page_renditions.call(page_id=page_id)

    assert PhotoRendition.objects.count() == 0


def test_a_posted_live_update_gets_its_photo_cut(
    home: Any, django_capture_on_commit_callbacks: Any
) -> None:
    live = LivePageFactory(parent=home)
    photo = PhotoFactory()

    with django_capture_on_commit_callbacks(execute=True):
        post_live_update(page=live, headline="Crossing reopens", body=[image_block(photo)])

    assert specs_of(photo) == {"width-640", "width-960", "width-1280", "width-1200"}


def template_specs() -> dict[str, set[str]]:
    """Every rendition filter the theme's ``{% image %}`` and ``{% srcset_image %}`` tags ask for."""
    tag = re.compile(r"{%\s*(?:srcset_image|image)\s+\S+\s+(\S+)")
    found: dict[str, set[str]] = {}
    for path in TEMPLATES.rglob("*.html"):
        for spec in tag.findall(path.read_text()):
            for expanded in expand_braces(spec):
                found.setdefault(expanded, set()).add(str(path.relative_to(TEMPLATES)))
    return found


def expand_braces(spec: str) -> list[str]:
    """``fill-{640x360,960x540}`` as Wagtail's srcset_image reads it: one spec per size."""
    parts = re.split(r"{([^}]*)}", spec)
    choices = [[part] if i % 2 == 0 else part.split(",") for i, part in enumerate(parts)]
    return ["".join(combo) for combo in product(*choices)]


def test_every_size_the_theme_asks_for_is_cut_on_publish() -> None:
    known = {
        *renditions.LEAD_RENDITIONS,
        *renditions.POSTER_RENDITIONS,
        *renditions.AVATAR_RENDITIONS,
        *(spec for specs in renditions.BODY_RENDITIONS.values() for spec in specs),
    }
    asked = template_specs()
    assert "fill-1280x720" in asked  # the pattern still reads the theme's tags

    missing = {spec: sorted(asked[spec]) for spec in asked.keys() - known - CHROME_SPECS}

    assert missing == {}, "templates ask for sizes renditions.py does not cut"
