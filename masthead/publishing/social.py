"""What a page shows when it is shared: Open Graph and X cards, and generated share images.

An article shared without a lead image would show no picture at all, so it gets a
card drawn with Pillow (its headline, section and the publication's name), served at
``/share/<article id>-<hash>.png``. The hash covers everything drawn, so a URL never
changes its picture and may be cached forever; the file is drawn once into the default
storage, after publication by a task or else on the first request.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import URLPattern, path, re_path, reverse
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext, to_locale
from wagtail.images.views.serve import ServeView, generate_image_url
from wagtail.models import Page, Site

from .models import ArticlePage, Author, HomePage, Photo, SiteSettings, Tag

logger = logging.getLogger(__name__)

CARD_WIDTH, CARD_HEIGHT = 1200, 630
# The Open Graph picture of a photo: Facebook's and LinkedIn's 1.91:1 at full width.
SHARE_RENDITION = "fill-1200x630"
# Bump when the drawing changes, so every card gets a new URL instead of a stale cache.
CARD_VERSION = "1"
# DejaVu Sans (Bitstream Vera licence, see fonts/LICENSE.txt): Pillow's bundled scalable
# font has no Cyrillic, and newsrooms write in many scripts.
FONT = Path(__file__).resolve().parent.parent / "theme/static/masthead/fonts/DejaVuSans-Bold.ttf"
SHARE_IMAGE_CACHE = "public, max-age=31536000, immutable"


# --- Pictures ----------------------------------------------------------------------


@dataclass(frozen=True)
class ShareImage:
    url: str
    width: int
    height: int
    alt: str


def rendition_url(request: HttpRequest | None, photo: Photo, spec: str) -> str:
    """An absolute URL that serves ``photo`` cut to ``spec``, without touching the database.

    The URL is signed (Wagtail's dynamic image serve view), and the rendition is made when
    it is first fetched. Page views therefore cost no query per rendition, and a page
    never waits for an image to be cut.
    """
    return full_url(request, generate_image_url(photo, spec, viewname="publishing:image"))


def fill_size(photo: Photo, spec: str) -> tuple[int, int]:
    """The size a ``fill-WxH`` rendition of ``photo`` comes out at (Wagtail never upscales)."""
    width, height = (int(n) for n in spec.removeprefix("fill-").split("x"))
    scale = min(1.0, photo.width / width, photo.height / height)
    return round(width * scale), round(height * scale)


def photo_share_image(request: HttpRequest | None, photo: Photo, *, alt: str = "") -> ShareImage:
    width, height = fill_size(photo, SHARE_RENDITION)
    return ShareImage(
        url=rendition_url(request, photo, SHARE_RENDITION),
        width=width,
        height=height,
        alt=alt or photo.alt_text,
    )


def needs_card(article: ArticlePage) -> bool:
    """Whether sharing ``article`` shows a generated card: it has no picture of its own."""
    return not (article.lead_image_id or article.og_image_id or article.twitter_image_id)


def article_card_digest(article: ArticlePage, settings: SiteSettings) -> str:
    section = article.section.name if article.section_id and article.section else ""
    return _digest(
        CARD_VERSION, article.title, section, settings.publication_name, settings.accent_colour
    )


def site_card_digest(settings: SiteSettings) -> str:
    return _digest(
        CARD_VERSION, settings.publication_name, settings.tagline, settings.accent_colour
    )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def article_card(
    request: HttpRequest | None, article: ArticlePage, settings: SiteSettings
) -> ShareImage:
    digest = article_card_digest(article, settings)
    url = reverse("publishing:share_card", kwargs={"pk": article.pk, "digest": digest})
    return ShareImage(
        url=full_url(request, url), width=CARD_WIDTH, height=CARD_HEIGHT, alt=article.title
    )


def site_share_image(request: HttpRequest | None, settings: SiteSettings) -> ShareImage:
    """The picture of pages that are not articles: the chosen share image, else a card."""
    if settings.share_image_id and settings.share_image:
        return photo_share_image(request, settings.share_image)
    url = reverse("publishing:site_card", kwargs={"digest": site_card_digest(settings)})
    return ShareImage(
        url=full_url(request, url),
        width=CARD_WIDTH,
        height=CARD_HEIGHT,
        alt=settings.publication_name,
    )


def full_url(request: HttpRequest | None, url: str) -> str:
    """``url`` on the site's own root URL, the one Wagtail gives its pages' full URLs."""
    if request is None or "://" in url:
        return url
    site = Site.find_for_request(request)
    if site is None:
        return request.build_absolute_uri(url)
    return site.root_url + url


# --- Social meta -------------------------------------------------------------------


@dataclass
class SocialMeta:
    """Everything ``components/social_meta.html`` prints for one page."""

    title: str
    description: str
    canonical_url: str
    site_name: str
    locale: str
    og_type: str = "website"
    og_title: str = ""
    og_description: str = ""
    og_image: ShareImage | None = None
    twitter_title: str = ""
    twitter_description: str = ""
    twitter_image: ShareImage | None = None
    twitter_site: str = ""
    twitter_creator: str = ""
    robots: str = ""
    published_time: datetime | None = None
    modified_time: datetime | None = None
    section: str = ""
    tags: list[str] = field(default_factory=list)
    author_urls: list[str] = field(default_factory=list)
    json_ld: list[str] = field(default_factory=list)
    # All of the above as ``components/social_meta.html`` prints it (``social_tags``).
    html: str = ""


def page_meta(context: Any) -> SocialMeta:
    """Title, description, canonical URL and social cards of the page being rendered.

    Works from what the page's template already has in its context (``page``, ``tag``,
    ``author``, ``query``), so the views stay as they are, and reads no gated text:
    descriptions come from fields written for the public (the standfirst, the SEO
    description, overrides) or from the free preview.
    """
    from .structured_data import page_json_ld

    request: HttpRequest | None = context.get("request")
    settings = site_settings(request)
    page = context.get("page")
    page = page.specific if isinstance(page, Page) else None
    meta = SocialMeta(
        title=settings.publication_name,
        description=settings.tagline,
        canonical_url=full_url(request, request.path) if request is not None else "",
        site_name=settings.publication_name,
        locale=to_locale(get_language() or "en"),
        twitter_site=x_handle(settings.x_url),
    )
    image: ShareImage | None = None
    if isinstance(page, ArticlePage):
        _article_meta(meta, request, page, settings, authors=context.get("authors"))
    elif isinstance(page, Page):
        meta.title = page.seo_title or page.title
        if isinstance(page, HomePage):
            meta.title = page.seo_title or settings.tagline or page.title
            meta.og_title = page.seo_title or settings.publication_name
        meta.description = page.search_description or getattr(page, "intro", "") or settings.tagline
        meta.canonical_url = page.get_full_url(request) or meta.canonical_url
    elif isinstance(context.get("tag"), Tag):
        tag: Tag = context["tag"]
        meta.title = tag.name
        meta.description = tag.description or settings.tagline
        if tag.feature_image_id and tag.feature_image:
            image = photo_share_image(request, tag.feature_image, alt="")
    elif isinstance(context.get("author"), Author):
        author: Author = context["author"]
        meta.title = author.name
        meta.og_type = "profile"
        meta.description = Truncator(author.bio).chars(200) or author.job_title or author.name
        if author.cover_image_id and author.cover_image:
            image = photo_share_image(request, author.cover_image, alt="")
    elif request is not None and request.resolver_match is not None:
        name = request.resolver_match.view_name
        if name == "publishing:news_feed":
            meta.title = gettext("News Feed")
            meta.description = gettext(
                "The latest news as it happens, in short timestamped updates."
            )
        elif name == "publishing:search":
            meta.title = gettext("Search")
            if context.get("query"):
                # Result pages are endless and thin; search engines are asked not to index them.
                meta.robots = "noindex, follow"
    meta.og_title = meta.og_title or meta.title
    meta.og_description = meta.og_description or meta.description
    meta.og_image = meta.og_image or image or site_share_image(request, settings)
    meta.twitter_title = meta.twitter_title or meta.og_title
    meta.twitter_description = meta.twitter_description or meta.og_description
    meta.twitter_image = meta.twitter_image or meta.og_image
    meta.json_ld = page_json_ld(context, request=request, settings=settings, page=page)
    return meta


def _article_meta(
    meta: SocialMeta,
    request: HttpRequest | None,
    article: ArticlePage,
    settings: SiteSettings,
    *,
    authors: list[Author] | None,
) -> None:
    """Fill ``meta`` for an article: its overrides first, then its own fields."""
    meta.og_type = "article"
    meta.title = article.seo_title or article.title
    # The excerpt is the standfirst or the opening of the free preview: public either way.
    meta.description = article.search_description or article.excerpt
    meta.og_title = article.og_title or meta.title
    meta.og_description = article.og_description or meta.description
    meta.twitter_title = article.twitter_title or meta.og_title
    meta.twitter_description = article.twitter_description or meta.og_description
    if article.email_only:
        # Read at its email's own address, which stays canonical, and kept out of indexes.
        meta.robots = "noindex"
    else:
        meta.canonical_url = article.canonical_url or article.get_full_url(request) or ""
    lead = (
        photo_share_image(request, article.lead_image, alt=article.lead_alt)
        if article.lead_image_id and article.lead_image
        else None
    )
    og_image = (
        photo_share_image(request, article.og_image)
        if article.og_image_id and article.og_image
        else None
    )
    twitter_image = (
        photo_share_image(request, article.twitter_image)
        if article.twitter_image_id and article.twitter_image
        else None
    )
    card = None
    if needs_card(article) and not article.email_only:
        card = article_card(request, article, settings)
    meta.og_image = og_image or lead or twitter_image or card
    meta.twitter_image = twitter_image or og_image or lead or card
    meta.published_time = article.first_published_at
    meta.modified_time = article.updated_at or article.first_published_at
    meta.section = article.section.name if article.section_id and article.section else ""
    meta.tags = article.public_tag_names
    if authors is None:
        authors = article.ordered_authors
    meta.author_urls = [full_url(request, author.get_absolute_url()) for author in authors]
    if authors and authors[0].x_handle:
        meta.twitter_creator = "@" + authors[0].x_handle.lstrip("@")


def x_handle(url: str) -> str:
    """``@name`` from the address of an X (or Twitter) profile, else ``""``."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("mobile.")
    name = parts.path.strip("/").split("/")[0]
    if host in {"x.com", "twitter.com"} and name:
        return "@" + name.lstrip("@")
    return ""


def site_settings(request: HttpRequest | None) -> SiteSettings:
    """The settings of the request's site; defaults when no site answers for its host."""
    if request is not None:
        # for_request keeps the row on the request, for the templates' own lookups.
        found = Site.find_for_request(request) is not None
        return SiteSettings.for_request(request) if found else SiteSettings()
    site = Site.objects.filter(is_default_site=True).first()
    return SiteSettings.for_site(site) if site is not None else SiteSettings()


# --- Drawing -----------------------------------------------------------------------


@cache
def _font_data() -> bytes | None:
    try:
        return FONT.read_bytes()
    except OSError:
        logger.warning("the share-image font is missing; cards use Pillow's own font")
        return None


@cache
def _font(size: int) -> Any:
    from PIL import ImageFont

    data = _font_data()
    if data is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(io.BytesIO(data), size=size)


def _wrap(text: str, font: Any, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width``; a word too long for a line is split."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        # Scripts written without spaces, and very long words, are cut by characters.
        while font.getlength(word) > width:
            cut = max(1, len(word) - 1)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def _fit(text: str, *, width: int, height: int) -> tuple[Any, list[str], int]:
    """The largest font (and its lines) at which ``text`` fits the box, from 76 down to 34 px.

    A headline too long even at the smallest size loses its end to an ellipsis.
    """
    for size in range(76, 33, -6):
        font = _font(size)
        line_height = round(size * 1.22)
        lines = _wrap(text, font, width)
        if len(lines) * line_height <= height:
            return font, lines, line_height
    lines = lines[: max(1, height // line_height)]
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return font, lines, line_height


def draw_card(*, headline: str, kicker: str, publication: str, accent: str) -> bytes:
    """A 1200 by 630 PNG: kicker in the accent colour, the headline, the publication's name."""
    from PIL import Image, ImageColor, ImageDraw

    try:
        colour = ImageColor.getrgb(accent)
    except ValueError:
        colour = ImageColor.getrgb("#B3261E")
    image = Image.new("RGB", (CARD_WIDTH, CARD_HEIGHT), "#FFFFFF")
    draw = ImageDraw.Draw(image)
    margin = 80
    draw.rectangle((0, 0, 24, CARD_HEIGHT), fill=colour)
    draw.rectangle((0, CARD_HEIGHT - 24, CARD_WIDTH, CARD_HEIGHT), fill=colour)
    top = 64
    if kicker:
        kicker_font = _font(34)
        draw.text((margin, top), kicker.upper(), font=kicker_font, fill=colour)
        top += 70
    bottom = CARD_HEIGHT - 24 - 110
    font, lines, line_height = _fit(headline, width=CARD_WIDTH - 2 * margin, height=bottom - top)
    y = top + max(0, (bottom - top - len(lines) * line_height) // 2)
    for line in lines:
        draw.text((margin, y), line, font=font, fill="#161616")
        y += line_height
    name_font = _font(36)
    publication = Truncator(publication).chars(48)
    draw.text((margin, CARD_HEIGHT - 24 - 80), publication, font=name_font, fill="#3D3D3D")
    out = io.BytesIO()
    # zlib's default level: "optimize" halves the speed of drawing for a tenth of the bytes.
    image.save(out, format="PNG")
    return out.getvalue()


def article_card_name(article: ArticlePage, settings: SiteSettings) -> str:
    return f"share/{article.pk}-{article_card_digest(article, settings)}.png"


def site_card_name(settings: SiteSettings) -> str:
    return f"share/site-{site_card_digest(settings)}.png"


def store_article_card(article: ArticlePage, settings: SiteSettings) -> str:
    """The storage name of ``article``'s card, drawn now if it is not stored yet."""
    name = article_card_name(article, settings)
    section = article.section.name if article.section_id and article.section else ""
    return _store(
        name,
        lambda: draw_card(
            headline=article.title,
            kicker=section,
            publication=settings.publication_name,
            accent=settings.accent_colour,
        ),
    )


def store_site_card(settings: SiteSettings) -> str:
    return _store(
        site_card_name(settings),
        lambda: draw_card(
            headline=settings.tagline or settings.publication_name,
            kicker="",
            publication=settings.publication_name,
            accent=settings.accent_colour,
        ),
    )


def _store(name: str, draw: Any) -> str:
    if default_storage.exists(name):
        return name
    saved = default_storage.save(name, ContentFile(draw()))
    if saved != name:
        # Another worker stored the same picture first; the names say it is identical.
        default_storage.delete(saved)
    return name


def card_article(pk: int) -> ArticlePage | None:
    """The article whose card may be shown: live, listed and published, else ``None``."""
    from .listings import published_articles

    return published_articles().select_related("section").filter(pk=pk).first()


# --- Views -------------------------------------------------------------------------


def _png(name: str) -> FileResponse:
    response = FileResponse(default_storage.open(name), content_type="image/png")
    response["Cache-Control"] = SHARE_IMAGE_CACHE
    return response


def share_card(request: HttpRequest, pk: int, digest: str) -> HttpResponseBase:
    """An article's generated card; an old hash is sent on to the current picture."""
    article = card_article(pk)
    if article is None or not needs_card(article):
        raise Http404
    settings = site_settings(request)
    current = article_card_digest(article, settings)
    if digest != current:
        return redirect("publishing:share_card", pk=pk, digest=current)
    return _png(store_article_card(article, settings))


def site_card(request: HttpRequest, digest: str) -> HttpResponseBase:
    settings = site_settings(request)
    current = site_card_digest(settings)
    if digest != current:
        return redirect("publishing:site_card", digest=current)
    return _png(store_site_card(settings))


def draw_card_after_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Receiver of Wagtail's ``page_published``: draw a new article's card in the background."""
    if not isinstance(instance, ArticlePage) or instance.email_only or not needs_card(instance):
        return
    from .tasks import draw_share_card

    article_id = instance.pk
    transaction.on_commit(lambda: draw_share_card.enqueue(article_id=article_id))


urlpatterns: list[URLPattern] = [
    path("share/<int:pk>-<slug:digest>.png", share_card, name="share_card"),
    path("share/site-<slug:digest>.png", site_card, name="site_card"),
    # Wagtail's signed, on-demand renditions (its documented dynamic serve view), so
    # social and structured-data pictures cost page views no query.
    re_path(
        r"^share/images/([^/]*)/(\d*)/([^/]*)/[^/]*$",
        ServeView.as_view(action="serve"),
        name="image",
    ),
]
