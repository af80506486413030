"""Article bodies that work away from the site: in an email, in a feed reader.

Away from the site nothing resolves a relative link, no stylesheet or script runs and no
player loads, so every link and image here is absolute (on ``MASTHEAD_SITE_URL``) and the
blocks that only work on the web become plain links or nothing. Newsletters build their
email from this; feeds build their item bodies from it.

A feed shows many articles at once. ``convert_bodies`` and ``load_references`` load what all
their bodies point at (photos and their renditions, linked pages, embeds) in a fixed number of
queries, where converting each body on its own would cost queries per article.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from wagtail.blocks import StreamValue
from wagtail.embeds.models import Embed
from wagtail.images.models import SourceImageIOError
from wagtail.models import Page
from wagtail.rich_text import expand_db_html

from .blocks import parse_video_url
from .models import ArticlePage, Photo, PhotoRendition

logger = logging.getLogger(__name__)

# Wide enough for a reader's full column on a high-density screen.
RENDITION_FILTER = "width-1200"

VIDEO_PROVIDERS = {"youtube": "YouTube", "vimeo": "Vimeo"}


# --- Addresses ---------------------------------------------------------------------------------

_URL_ATTRIBUTE = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def absolute_url(url: str, *, base: str = "", keep_prefix: str = "") -> str:
    """``url`` as read away from the site: site paths on ``MASTHEAD_SITE_URL``, the rest kept.

    Relative addresses and fragments resolve against ``base`` (the article). Addresses with a
    scheme a reader should not follow (``javascript:``) become ``base``. Addresses starting
    with ``keep_prefix`` (an email's per-recipient placeholders) are left as they are.
    """
    url = url.strip()
    site_url = settings.MASTHEAD_SITE_URL
    if keep_prefix and url.startswith(keep_prefix):
        return url
    if scheme := _SCHEME.match(url):
        return url if scheme.group(1).lower() in _SAFE_SCHEMES else (base or site_url + "/")
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("/"):
        return site_url + url
    return urljoin(base or site_url + "/", url)


def absolutise_html(markup: str, *, base: str, keep_prefix: str = "") -> str:
    """Every ``href`` and ``src`` in ``markup`` made absolute with ``absolute_url``."""

    def replace(match: re.Match[str]) -> str:
        attribute, quote, value = match.groups()
        url = absolute_url(html.unescape(value), base=base, keep_prefix=keep_prefix)
        return f"{attribute}{quote}{html.escape(url)}{quote}"

    return _URL_ATTRIBUTE.sub(replace, markup)


def page_url(page: Page) -> str:
    """The page's absolute address on ``MASTHEAD_SITE_URL``, or "" if it has none."""
    parts = page.get_url_parts()
    if not parts or not parts[2]:
        return ""
    return absolute_url(parts[2])


# --- Loading many bodies at once ---------------------------------------------------------------


@dataclass
class References:
    """What a set of bodies points at, loaded once: expanded rich text and cached embeds."""

    rich_text: dict[str, str] = field(default_factory=dict)
    embeds: dict[str, Embed] = field(default_factory=dict)


def convert_bodies(articles: Sequence[ArticlePage]) -> None:
    """Turn the stored bodies of ``articles`` into blocks in one pass, in place.

    Each body converted on its own loads its photos, linked pages and drives with a query
    per article; one stream holding every body loads each kind once for all of them.
    """
    if not articles:
        return
    stream_block = ArticlePage._meta.get_field("body").stream_block
    raw: list[dict[str, Any]] = []
    spans = []
    for article in articles:
        blocks = list(article.body.raw_data)
        spans.append((len(raw), len(blocks)))
        raw.extend(blocks)
    children = list(StreamValue(stream_block, raw, is_lazy=True))
    for article, (start, count) in zip(articles, spans, strict=True):
        article.body = StreamValue(stream_block, children[start : start + count])


def load_references(
    bodies: Iterable[Iterable[Any]],
    *,
    images: Iterable[Photo | None] = (),
    notes: Iterable[str] = (),
    rendition_filter: str = RENDITION_FILTER,
) -> References:
    """Load what ``bodies`` (lists of blocks) show, plus ``images`` and the rich text ``notes``.

    Photos get their ``rendition_filter`` rendition prefetched, linked pages are fetched in
    one query for all the rich text, and embeds come from Wagtail's embed cache in one query.
    """
    # Every object standing for a photo gets the prefetch, even when blocks share a photo.
    photos: list[Photo] = [image for image in images if image is not None]
    sources: list[str] = list(notes)
    embed_urls: set[str] = set()
    for blocks in bodies:
        for block in blocks:
            kind, value = block.block_type, block.value
            if kind == "paragraph":
                sources.append(value.source)
            elif kind == "editors_note":
                sources.append(value["text"].source)
            elif kind == "image" and value["image"] is not None:
                photos.append(value["image"])
            elif kind == "video" and value["poster"] is not None:
                photos.append(value["poster"])
            elif kind == "embed" and value["embed"] is not None:
                embed_urls.add(value["embed"].url)
    if photos:
        prefetch_related_objects(
            photos,
            Prefetch(
                "renditions",
                queryset=PhotoRendition.objects.filter(filter_spec=rendition_filter),
            ),
        )
    embeds: dict[str, Embed] = {}
    if embed_urls:
        for embed in Embed.objects.filter(url__in=embed_urls).order_by("last_updated"):
            embeds[embed.url] = embed  # the newest wins, as in a single lookup
    return References(rich_text=expand_rich_texts(sources), embeds=embeds)


def expand_rich_texts(sources: Iterable[str]) -> dict[str, str]:
    """Expand stored rich texts to HTML together, so their page links cost one lookup in all.

    Wagtail expands each rich text on its own, one query per text with a link. Joining the
    texts with a marker that cannot occur in them expands them all in one call.
    """
    unique = list(dict.fromkeys(source or "" for source in sources))
    if not unique:
        return {}
    marker = f"<!--{uuid.uuid4().hex}-->"
    expanded = expand_db_html(marker.join(unique)).split(marker)
    if len(expanded) != len(unique):
        # A text that swallowed the marker (a broken comment); expand them one by one.
        expanded = [expand_db_html(source) for source in unique]
    return dict(zip(unique, expanded, strict=True))


# --- Blocks ------------------------------------------------------------------------------------


def figure(
    image: Photo | None,
    *,
    alt: str,
    base: str,
    caption: str = "",
    credit: str = "",
    link: str = "",
    rendition_filter: str = RENDITION_FILTER,
    max_width: int | None = None,
) -> dict[str, Any] | None:
    """An image away from the site: one rendition, absolute, with its size and description."""
    if image is None:
        return None
    try:
        rendition = image.get_rendition(rendition_filter)
    except (SourceImageIOError, OSError):
        # A missing file must not stop an email or a feed; it goes out without the picture.
        logger.warning("Image %s has no readable file; left out", image.pk)
        return None
    width = rendition.width if max_width is None else min(rendition.width, max_width)
    return {
        "src": absolute_url(rendition.url, base=base),
        "width": width,
        "height": round(rendition.height * width / rendition.width) if rendition.width else 0,
        "alt": alt,
        "caption": caption,
        "credit": credit,
        "link": link,
        "rendition": rendition,
    }


def rich_html(source: str, *, base: str, references: References | None = None) -> SafeString:
    """Rich text from the database as HTML with absolute links."""
    source = source or ""
    if references is not None and source in references.rich_text:
        expanded = references.rich_text[source]
    else:
        expanded = expand_db_html(source)
    return mark_safe(absolutise_html(expanded, base=base))  # noqa: S308  editors' rich text, cleaned by Wagtail


def portable_blocks(
    blocks: Iterable[Any],
    *,
    base: str,
    references: References | None = None,
    rendition_filter: str = RENDITION_FILTER,
    max_width: int | None = None,
) -> list[dict[str, Any]]:
    """Body blocks prepared for use away from the site, web-only blocks left out.

    Each item has ``kind`` (the block type) and the fields its kind shows: ``html`` for
    paragraphs and editor's notes, ``figure`` for images, ``url`` and titles for links.
    """
    prepared = []
    for block in blocks:
        item = _portable_block(
            block.block_type,
            block.value,
            base=base,
            references=references,
            rendition_filter=rendition_filter,
            max_width=max_width,
        )
        if item is not None:
            item["kind"] = block.block_type
            prepared.append(item)
    return prepared


def _portable_block(
    kind: str,
    value: Any,
    *,
    base: str,
    references: References | None,
    rendition_filter: str,
    max_width: int | None,
) -> dict[str, Any] | None:
    if kind == "paragraph":
        return {"html": rich_html(value.source, base=base, references=references)}
    if kind == "heading":
        return {"text": value["text"], "level": "h3" if value["level"] == "h3" else "h2"}
    if kind == "image":
        image = value["image"]
        if image is None:
            return None
        shown = figure(
            image,
            alt=value["alt_text"] or image.alt_text,
            base=base,
            caption=value["caption"] or image.caption,
            credit=value["credit"] or image.credit,
            rendition_filter=rendition_filter,
            max_width=max_width,
        )
        return {"figure": shown} if shown else None
    if kind == "pull_quote":
        return {"quote": value["quote"], "attribution": value["attribution"]}
    if kind == "editors_note":
        return {"html": rich_html(value["text"].source, base=base, references=references)}
    if kind == "embed":
        return _embed(value, base=base, references=references)
    if kind == "video":
        parsed = parse_video_url(value["url"])
        if parsed is None:
            return None
        url = absolute_url(value["url"], base=base)
        poster = figure(
            value["poster"],
            alt=value["title"],
            base=base,
            link=url,
            rendition_filter=rendition_filter,
            max_width=max_width,
        )
        return {
            "url": url,
            "title": value["title"],
            "caption": value["caption"],
            "provider": VIDEO_PROVIDERS[parsed[0]],
            "poster": poster,
        }
    if kind == "read_also":
        article = value["article"]
        url = page_url(article) if article is not None and article.live else ""
        if not url:
            return None
        return {"label": value["label"], "title": article.title, "url": url}
    if kind == "membership_drive":
        # The drive's live counter needs the web page; away from it, an invitation to join.
        return {"url": absolute_url(reverse("membership:join"))}
    # The paywall marker, the community counter and unknown blocks have nothing to show.
    return None


def _embed(value: Any, *, base: str, references: References | None) -> dict[str, Any] | None:
    """An embedded post as a link: no player or script runs away from the site.

    The title and provider come from Wagtail's embed cache only, with no request to the
    provider; nor is the provider's thumbnail shown, as loading it would tell the provider
    who opened the email or the feed (the site, too, loads nothing from them before a click).
    """
    embed = value["embed"]
    url = absolute_url(embed.url, base=base) if embed else ""
    if not url:
        return None
    if references is not None:
        cached = references.embeds.get(embed.url)
    else:
        cached = Embed.objects.filter(url=embed.url).order_by("-last_updated").first()
    return {
        "url": url,
        "title": cached.title if cached else "",
        "provider": cached.provider_name if cached else "",
        "caption": value["caption"],
    }
