"""Image renditions cut when a page is published, so no reader waits for a resize.

Wagtail cuts a rendition the first time a template asks for it, inside that reader's
request: a new article with a lead photo and three body photos costs its first reader
about twenty resizes. Publishing enqueues ``make_page_renditions`` instead, which cuts
every size the public templates, feeds, emails, the Content API and the share and
structured-data pictures ask for. The sizes are listed here next to the templates that
use them; a test reads the theme's templates and fails when one asks for a size that is
missing here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from wagtail.models import Page

from .listings import CARD_RENDITIONS
from .models import (
    ArticlePage,
    Author,
    LivePage,
    LiveUpdate,
    Photo,
    PhotoRendition,
    StandardPage,
)
from .portable import RENDITION_FILTER as PORTABLE_RENDITION
from .social import SHARE_RENDITION
from .structured_data import ARTICLE_RENDITIONS, AVATAR_RENDITION

# publishing/article_page.html and live_page.html (lead), components/article_card.html
# (every card variant), components/video_player.html (poster), the Content API's
# feature_image and the feeds' enclosure (width-1200).
LEAD_RENDITIONS = (*CARD_RENDITIONS, PORTABLE_RENDITION)
# What a shared link and search engines show: Open Graph / X and JSON-LD pictures.
SHARE_RENDITIONS = (SHARE_RENDITION, *ARTICLE_RENDITIONS)
# blocks/image.html by layout, plus the feeds' and emails' column width.
BODY_RENDITIONS = {
    "full": ("width-800", "width-1280", "width-1920", PORTABLE_RENDITION),
    "standard": ("width-640", "width-960", "width-1280", PORTABLE_RENDITION),
}
# components/video_facade.html and video_player.html.
POSTER_RENDITIONS = ("fill-640x360", "fill-960x540", "fill-1280x720")
# components/avatar.html (small and medium, large) and the author's JSON-LD.
AVATAR_RENDITIONS = ("fill-96x96", "fill-240x240", AVATAR_RENDITION)


def page_renditions(page: Page) -> dict[int, set[str]]:
    """The renditions ``page`` shows, as photo id → filter specs."""
    wanted: dict[int, set[str]] = defaultdict(set)
    if isinstance(page, ArticlePage):
        if page.lead_image_id:
            wanted[page.lead_image_id].update(LEAD_RENDITIONS, SHARE_RENDITIONS)
        for photo_id in (page.og_image_id, page.twitter_image_id):
            if photo_id:
                wanted[photo_id].update(SHARE_RENDITIONS)
        _add_body(wanted, page.body.raw_data)
        avatars = Author.objects.filter(credits__page=page, avatar__isnull=False).values_list(
            "avatar_id", flat=True
        )
        for avatar_id in avatars:
            wanted[avatar_id].update(AVATAR_RENDITIONS)
    if isinstance(page, LivePage):
        for body in LiveUpdate.objects.filter(page=page).values_list("body", flat=True):
            _add_body(wanted, _raw_blocks(body))
    if isinstance(page, StandardPage):
        _add_body(wanted, page.body.raw_data)
    return dict(wanted)


def _raw_blocks(body: Any) -> Iterable[Mapping[str, Any]]:
    """A StreamField's blocks as raw dicts, whether it came back parsed or as stored."""
    raw = getattr(body, "raw_data", body)
    return raw if isinstance(raw, Iterable) else ()


def _add_body(wanted: dict[int, set[str]], blocks: Iterable[Mapping[str, Any]]) -> None:
    """Add the photos of body blocks (images and video posters), read from the raw data.

    The raw ids are enough: parsing the stream would load each photo on its own.
    """
    for block in blocks:
        value = block.get("value")
        if not isinstance(value, Mapping):
            continue
        if block.get("type") == "image" and _photo_id(value.get("image")):
            layout = "full" if value.get("layout") == "full" else "standard"
            wanted[_photo_id(value["image"])].update(BODY_RENDITIONS[layout])
        elif block.get("type") == "video" and _photo_id(value.get("poster")):
            wanted[_photo_id(value["poster"])].update(POSTER_RENDITIONS)


def _photo_id(value: Any) -> int:
    """A chooser's stored value as a photo id, 0 when empty or not a number."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def make_renditions(page: Page) -> int:
    """Cut every rendition ``page`` shows that does not exist yet; return how many photos.

    The existing renditions of every photo are read in one prefetch, and ``get_renditions``
    cuts only the missing ones, so a second run (a live page re-scanned for each posted
    update) costs a few queries and writes nothing. ``get_rendition`` in a loop would
    also rewrite the rendition cache entry on each call.
    """
    wanted = page_renditions(page)
    if not wanted:
        return 0
    specs = set().union(*wanted.values())
    photos = Photo.objects.filter(pk__in=wanted).prefetch_related(
        Prefetch("renditions", queryset=PhotoRendition.objects.filter(filter_spec__in=specs))
    )
    count = 0
    for photo in photos:
        photo.get_renditions(*sorted(wanted[photo.pk]))
        count += 1
    return count


def make_renditions_after_publish(sender: Any, instance: Page, **kwargs: Any) -> None:
    """Receiver of Wagtail's ``page_published``: cut the page's renditions in the background."""
    from .tasks import make_page_renditions

    page_id = instance.pk
    transaction.on_commit(lambda: make_page_renditions.enqueue(page_id=page_id))


def make_renditions_after_live_update(
    sender: Any, page_id: int, change: str = "", **kwargs: Any
) -> None:
    """Receiver of ``live_update_changed``: an update is posted without publishing the page.

    The signal is sent after the commit, so the task is enqueued at once.
    """
    if change == "deleted":
        return
    from .tasks import make_page_renditions

    make_page_renditions.enqueue(page_id=page_id)
