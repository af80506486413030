"""schema.org JSON-LD for search engines: articles, breadcrumbs, the newsroom, authors.

What each type carries follows Google's documentation for Article (NewsArticle),
BreadcrumbList, Organization (NewsMediaOrganization), ProfilePage and subscription and
paywalled content; live coverage is a LiveBlogPosting, the type behind the "Live" label
in Google's Top stories. Like the rest of the page it varies only by access variant
(decision 0012): a reader who may not read an article gets no word of its body, nor
its corrections, which quote it (decision 0013).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator

from .chrome import installed
from .gating import ArticleAccess
from .models import (
    ArticleNote,
    ArticlePage,
    Author,
    HomePage,
    LivePage,
    LiveUpdate,
    Photo,
    SiteSettings,
    Tag,
    TeamPage,
)
from .plain_text import html_to_text
from .social import article_card, full_url, needs_card, rendition_url, site_settings

# Google shows no more than this of a headline and asks for no more.
HEADLINE_LENGTH = 110
# Google wants several aspect ratios of an article's picture, at least 1200 px wide.
ARTICLE_RENDITIONS = ("fill-1200x675", "fill-1200x900", "fill-1200x1200")
AVATAR_RENDITION = "fill-600x600"
# How far ahead an ongoing live page without a planned end says it will end.
ONGOING_COVERAGE_HORIZON = timedelta(days=1)
CORRECTING_KINDS = {ArticleNote.Kind.CORRECTION, ArticleNote.Kind.CLARIFICATION}
# Until an editor names a corrections policy page, the corrections archive stands in.
CORRECTIONS_ARCHIVE = "/corrections/"


def json_ld_text(data: dict[str, Any] | list[Any]) -> str:
    """``data`` as JSON that is safe inside ``<script>``."""
    text = json.dumps(data, ensure_ascii=False)
    # Inside <script>, "</" would end the element early; escape it as JSON allows.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def article_json_ld(
    article: ArticlePage,
    *,
    authors: list[Author],
    access: ArticleAccess,
    request: HttpRequest | None,
) -> str:
    """schema.org NewsArticle for search engines; never any of the body.

    Gated articles say ``isAccessibleForFree: false`` and point at the body they gate,
    as search engines ask of paywalled news, so the preview is not taken for cloaking.
    """
    url = article.get_full_url(request)
    settings = _settings(request, article)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": Truncator(article.title).chars(HEADLINE_LENGTH),
        "url": url,
        "mainEntityOfPage": url,
        "isAccessibleForFree": not article.is_gated,
    }
    description = article.search_description or article.dek
    if description:
        data["description"] = description
    images = _article_images(request, article, settings)
    if images:
        data["image"] = images
    notes = article.published_notes
    if article.first_published_at:
        data["datePublished"] = _date(article.first_published_at)
    changed = [
        moment
        for moment in [
            article.updated_at or article.first_published_at,
            *(note.noted_at for note in notes),
        ]
        if moment
    ]
    if changed:
        data["dateModified"] = _date(max(changed))
    if authors:
        data["author"] = [_person(request, author) for author in authors]
    data["publisher"] = organization(request, settings)
    if article.section_id and article.section:
        data["articleSection"] = article.section.name
    if article.public_tag_names:
        data["keywords"] = article.public_tag_names
    if article.word_count:
        data["wordCount"] = article.word_count
    if article.is_gated:
        # Google: the paywalled part is marked by a class selector on an element of the
        # page. The body element is on every variant of the page: the free preview for
        # readers without access, the whole story for the rest.
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".article__body",
        }
    may_read = access.can_read
    corrections = [note for note in notes if note.kind in CORRECTING_KINDS]
    if may_read and corrections:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": html_to_text(note.text),
                "datePublished": _date(note.noted_at),
            }
            for note in corrections
        ]
    video = _video(request, article, images)
    if video:
        data["video"] = video
    if isinstance(article, LivePage):
        _live_blog(request, article, data, url=url)
    return json_ld_text(data)


def _live_blog(
    request: HttpRequest | None, page: LivePage, data: dict[str, Any], *, url: str
) -> None:
    """Make ``data`` a LiveBlogPosting: coverage times and the latest updates, newest first.

    The updates are those the page shows at its top (``LivePage.latest_updates``, one query
    the page shares). Search engines ask for an end time even while coverage goes on: ended
    coverage gives the moment it ended; ongoing coverage gives the end the editor planned
    (under "Coverage times"), or else a day after the latest update, moved on by every new
    one, so the page never claims to be over while it is still being updated.
    """
    data["@type"] = "LiveBlogPosting"
    start = page.coverage_start
    if start is not None:
        data["coverageStartTime"] = _date(start)
    updates = page.latest_updates
    end = page.coverage_ended_at
    if page.is_ongoing:
        latest = max((update.posted_at for update in updates), default=start)
        rolling = (latest or timezone.now()) + ONGOING_COVERAGE_HORIZON
        end = end if end is not None and end > timezone.now() else rolling
    if end is not None:
        data["coverageEndTime"] = _date(end)
    photos = _update_photos(updates)
    posts = []
    for update in updates:
        text = update.summary_text
        post: dict[str, Any] = {
            "@type": "BlogPosting",
            "headline": Truncator(str(update) or page.title).chars(HEADLINE_LENGTH),
            "datePublished": _date(update.posted_at),
            "url": update.permalink(url),
            "articleBody": text or update.headline or page.title,
        }
        if update.author is not None:
            post["author"] = _person(request, update.author)
        photo = photos.get(update.pk)
        if photo is not None:
            post["image"] = rendition_url(request, photo, ARTICLE_RENDITIONS[0])
        posts.append(post)
    data["liveBlogUpdate"] = posts
    moments = [moment for update in updates for moment in (update.posted_at, update.changed_at)]
    if "dateModified" in data:
        moments.append(datetime.fromisoformat(data["dateModified"]))
    if moments:
        data["dateModified"] = _date(max(moments))


def _update_photos(updates: list[LiveUpdate]) -> dict[int, Photo]:
    """The first photo of each update that has one, loaded in one query for all."""
    wanted: dict[int, int] = {}
    for update in updates:
        for block in update.body.raw_data:
            value = block.get("value")
            if block.get("type") == "image" and isinstance(value, dict) and value.get("image"):
                wanted[update.pk] = int(value["image"])
                break
    if not wanted:
        return {}
    photos = Photo.objects.in_bulk(set(wanted.values()))
    return {pk: photos[photo_id] for pk, photo_id in wanted.items() if photo_id in photos}


def _article_images(
    request: HttpRequest | None, article: ArticlePage, settings: SiteSettings
) -> list[str]:
    photo: Photo | None = None
    if article.lead_image_id:
        photo = article.lead_image
    elif article.og_image_id:
        photo = article.og_image
    if photo is not None:
        return [rendition_url(request, photo, spec) for spec in ARTICLE_RENDITIONS]
    if needs_card(article) and not article.email_only:
        return [article_card(request, article, settings).url]
    return []


def _video(
    request: HttpRequest | None, article: ArticlePage, images: list[str]
) -> dict[str, Any] | None:
    """Google's VideoObject for a video lead: what it shows, how long, where it plays.

    Google requires a name, a thumbnail and an upload date, and indexes the video itself
    through its player (``embedUrl``, YouTube and Vimeo) or its file (``contentUrl``,
    uploads). The transcript follows the video, which every reader may watch.
    """
    if not article.first_published_at:
        return None
    data: dict[str, Any] = {"@type": "VideoObject", "name": article.title}
    video = article.lead_video
    if video is not None:
        provider, video_id = video
        if provider == "youtube":
            thumbnails = images or [f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg"]
            data["embedUrl"] = f"https://www.youtube-nocookie.com/embed/{video_id}"
        else:
            thumbnails = images
            data["embedUrl"] = f"https://player.vimeo.com/video/{video_id}"
    else:
        media = article.lead_video_media
        if media is None:
            return None
        thumbnails = images or ([full_url(request, media.thumbnail.url)] if media.thumbnail else [])
        data["contentUrl"] = full_url(request, media.url)
    if not thumbnails:
        return None
    data["thumbnailUrl"] = thumbnails
    data["uploadDate"] = _date(article.first_published_at)
    description = article.search_description or article.dek
    if description:
        data["description"] = description
    length = article.lead_video_length
    if length is not None:
        data["duration"] = length.iso
    transcript = article.video_transcript.strip()
    if transcript:
        data["transcript"] = transcript
    return data


def _person(request: HttpRequest | None, author: Author) -> dict[str, Any]:
    person: dict[str, Any] = {
        "@type": "Person",
        "name": author.name,
        "url": full_url(request, author.get_absolute_url()),
    }
    if author.job_title:
        person["jobTitle"] = author.job_title
    return person


def organization(
    request: HttpRequest | None, settings: SiteSettings, *, home: HomePage | None = None
) -> dict[str, Any]:
    """The newsroom as a NewsMediaOrganization; on its ``home`` page with links and policies."""
    data: dict[str, Any] = {
        "@type": "NewsMediaOrganization",
        "name": settings.publication_name,
        "url": full_url(request, "/"),
    }
    if settings.logo_id and settings.logo:
        logo = settings.logo
        # The original file: a logo is small, and its URL needs no rendition lookup.
        data["logo"] = {
            "@type": "ImageObject",
            "url": full_url(request, logo.file.url),
            "width": logo.width,
            "height": logo.height,
        }
    if home is None:
        return data
    same_as = [url for _label, url in settings.social_links]
    if same_as:
        data["sameAs"] = same_as
    corrections = _live_page_url(request, settings.corrections_policy_page)
    data["correctionsPolicy"] = corrections or full_url(request, CORRECTIONS_ARCHIVE)
    ethics = _live_page_url(request, settings.ethics_policy_page)
    if ethics:
        data["ethicsPolicy"] = ethics
    chrome = installed(request)
    if chrome is not None and chrome.site.root_page_id == home.pk:
        team = chrome.team_page
    else:
        team = TeamPage.objects.live().descendant_of(home).first()
    if team is not None:
        data["masthead"] = team.get_full_url(request)
    return data


def page_json_ld(
    context: Any, *, request: HttpRequest | None, settings: SiteSettings, page: Any
) -> list[str]:
    """The JSON-LD of the page being rendered: a story's NewsArticle (or LiveBlogPosting)
    as its reader may see it (``access`` in its context) and its breadcrumbs, the
    newsroom's, a tag's or an author's."""
    home = full_url(request, "/")
    if isinstance(page, ArticlePage):
        items = []
        access: ArticleAccess | None = context.get("access")
        if access is not None:
            authors = context.get("authors")
            if authors is None:
                authors = page.ordered_authors
            items.append(article_json_ld(page, authors=authors, access=access, request=request))
        trail = [(settings.publication_name, home)]
        if page.section_id and page.section:
            trail.append((page.section.name, full_url(request, page.section.get_absolute_url())))
        trail.append((page.title, page.get_full_url(request)))
        items.append(json_ld_text(breadcrumbs(trail)))
        return items
    if isinstance(page, HomePage):
        search = full_url(request, "/search/") + "?q={search_term_string}"
        return [
            json_ld_text(
                {"@context": "https://schema.org", **organization(request, settings, home=page)}
            ),
            json_ld_text(
                {
                    "@context": "https://schema.org",
                    "@type": "WebSite",
                    "name": settings.publication_name,
                    "url": home,
                    "potentialAction": {
                        "@type": "SearchAction",
                        "target": {"@type": "EntryPoint", "urlTemplate": search},
                        "query-input": "required name=search_term_string",
                    },
                }
            ),
        ]
    if page is None and isinstance(context.get("tag"), Tag):
        tag: Tag = context["tag"]
        trail = [
            (settings.publication_name, home),
            (tag.name, full_url(request, tag.get_absolute_url())),
        ]
        return [json_ld_text(breadcrumbs(trail))]
    if page is None and isinstance(context.get("author"), Author):
        return [json_ld_text(profile_page(request, context["author"]))]
    return []


def breadcrumbs(trail: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": url}
            for position, (name, url) in enumerate(trail, start=1)
        ],
    }


def profile_page(request: HttpRequest | None, author: Author) -> dict[str, Any]:
    person = _person(request, author)
    if author.bio:
        person["description"] = author.bio
    if author.avatar_id and author.avatar:
        person["image"] = rendition_url(request, author.avatar, AVATAR_RENDITION)
    same_as = [url for _label, url in author.social_links]
    if same_as:
        person["sameAs"] = same_as
    return {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "url": person["url"],
        "dateCreated": _date(author.created_at),
        "dateModified": _date(author.updated_at),
        "mainEntity": person,
    }


def _live_page_url(request: HttpRequest | None, page: Any) -> str:
    if page is None or not page.live:
        return ""
    return str(page.get_full_url(request) or "")


def _settings(request: HttpRequest | None, article: ArticlePage) -> SiteSettings:
    if request is not None:
        return site_settings(request)
    site = article.get_site()
    return SiteSettings.for_site(site) if site is not None else SiteSettings()


def _date(moment: Any) -> str:
    """ISO 8601 in the site's timezone (the middleware has made it current)."""
    return str(timezone.localtime(moment).isoformat())
