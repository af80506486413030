"""What every public page shows around its content, read once per site change.

The site record, Site settings (logo, navigation, footer), Membership settings, the
sections of the navigation fallback and the offered tiers are the same for every page of
a site. Loading them per request cost five or more queries on every cache miss; here they
are one value in the shared cache (``pagecache.memoize`` under the ``site`` tag, which any
change to them bumps), so a miss costs no query for them once the value is warm.

``install`` hands the value to the places that would otherwise query: Wagtail's
``Site.find_for_request`` and ``BaseSiteSetting.for_request`` both look at attributes of
the request first, and the rest of the code reads ``chrome_for(request)``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F, Q, prefetch_related_objects
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.utils import timezone
from wagtail.blocks import StructBlock, StructValue
from wagtail.models import Site

if TYPE_CHECKING:
    from wagtail.models import Page

    from masthead.membership.models import MembershipSettings, Tier

    from .models import ArticlePage, SiteSettings, Tag

_ATTRIBUTE = "_masthead_chrome"
# The logo's size in base.html; its rendition is read with the settings.
LOGO_RENDITIONS = ["height-56"]


@dataclass
class SiteChrome:
    """One site's shared page furniture, as plain loaded rows (picklable)."""

    site: Site
    site_settings: SiteSettings
    membership_settings: MembershipSettings
    nav_sections: list[Tag]
    offered_tiers: list[Tier]
    free_tier_id: int | None
    # The live Video section and Team page under the home page (its "Video" heading, its
    # structured data's ``masthead``); other pages than articles bump ``site``.
    video_page: Page | None = None
    team_page: Page | None = None
    # The navigation and footer streams as resolved values. A pickled StreamValue keeps
    # only its raw data and would look its chosen sections and pages up again on every
    # request; unpickling hands these back to it (``__setstate__``).
    navigation_items: list[tuple[str, Any, str | None]] = field(default_factory=list)
    footer_items: list[tuple[str, Any, str | None]] = field(default_factory=list)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A value kept by an earlier version of this code may lack the newer fields.
        defaults = {"video_page": None, "team_page": None}
        self.__dict__.update({**defaults, "navigation_items": [], "footer_items": [], **state})
        _restore(self.site_settings.navigation, self.navigation_items)
        _restore(self.site_settings.footer_links, self.footer_items)


def _resolved(stream: Any) -> list[tuple[str, Any, str | None]]:
    """A stream's children as (type, value, id), struct values as plain dicts."""
    items = []
    for child in stream:
        value = dict(child.value) if isinstance(child.value, StructValue) else child.value
        items.append((child.block_type, value, child.id))
    return items


def _restore(stream: Any, items: list[tuple[str, Any, str | None]]) -> None:
    """Give an unpickled stream its resolved children back, so reading it queries nothing."""
    if len(items) != len(stream.raw_data):
        return
    for index, (type_name, value, block_id) in enumerate(items):
        child_block = stream.stream_block.child_blocks[type_name]
        if isinstance(child_block, StructBlock) and isinstance(value, dict):
            value = StructValue(child_block, list(value.items()))
        stream[index] = (type_name, value, block_id)


def host_and_port(request: HttpRequest) -> tuple[str, int | str]:
    # Wagtail matches sites on the raw host (no ALLOWED_HOSTS check) and the port.
    hostname = split_domain_port(request._get_raw_host())[0]  # type: ignore[attr-defined]
    return hostname, request.get_port()


def _build(request: HttpRequest) -> SiteChrome | None:
    from masthead.membership.models import MembershipSettings, Tier

    from .models import HomePage, SiteSettings, Tag, TeamPage, VideoIndexPage

    site = Site._find_for_request(request)
    if site is None:
        return None
    # Routing starts at the root page in its specific class (``HomePage.route``); any
    # change to the home page bumps ``site``, so the copy kept here is never stale.
    site.root_page = site.root_page.specific
    site_settings = (
        SiteSettings.base_queryset()
        .select_related("logo", "share_image", "corrections_policy_page", "ethics_policy_page")
        .filter(site=site)
        .first()
    )
    if site_settings is None:
        site_settings = SiteSettings.for_site(site)
    if site_settings.logo is not None:
        prefetch_related_objects([site_settings.logo], "renditions")
    # The streams' chosen sections and pages, resolved once for the cached value.
    navigation_items = _resolved(site_settings.navigation)
    footer_items = _resolved(site_settings.footer_links)
    site_settings.__dict__.pop("_request", None)
    home = site.root_page
    # The home page's curated top stories and the privacy settings over it: any change to
    # them bumps ``site``, so a home page render reads neither.
    if isinstance(home, HomePage):
        prefetch_related_objects([home], "top_stories")
        home.__dict__["known_view_restrictions"] = list(home.get_view_restrictions())
    return SiteChrome(
        site=site,
        site_settings=site_settings,
        membership_settings=MembershipSettings.for_site(site),
        nav_sections=list(Tag.objects.sections().public()),
        offered_tiers=list(Tier.objects.offered()),
        free_tier_id=Tier.objects.filter(kind=Tier.Kind.FREE).values_list("pk", flat=True).first(),
        video_page=VideoIndexPage.objects.live().child_of(home).first(),
        team_page=TeamPage.objects.live().descendant_of(home).first(),
        navigation_items=navigation_items,
        footer_items=footer_items,
    )


def chrome_for(request: HttpRequest | None) -> SiteChrome | None:
    """The chrome of the request's site, from the request, else the shared cache."""
    if request is None:
        return None
    if hasattr(request, _ATTRIBUTE):
        chrome: SiteChrome | None = getattr(request, _ATTRIBUTE)
        return chrome
    from . import pagecache

    hostname, port = host_and_port(request)
    # "listing" too: menus and the policy pages may point at articles, which an unpublish
    # or a deletion changes without touching the site's settings. Kept in this process
    # as well (unpickling it was a tenth of a page-cache miss); each request gets its
    # own copies of the rows it annotates (``_for_request``).
    shared = pagecache.memoize(
        f"chrome:{hostname}:{port}", ["site", "listing"], lambda: _build(request), immutable=True
    )
    chrome = _for_request(shared) if shared is not None else None
    setattr(request, _ATTRIBUTE, chrome)
    return chrome


def _for_request(shared: SiteChrome) -> SiteChrome:
    """``shared`` with its own copies of the rows one request annotates.

    Requests set the request on the settings (``install``) and cache what they work out
    on the site, its home page and the settings (routing, ``specific``, page URLs,
    prefetched rows); a copy of each, with its own field, prefetch and page URL caches,
    keeps that to the request. The other rows are only read.
    """
    site = copy.copy(shared.site)
    site.root_page = home = copy.copy(shared.site.root_page)
    if hasattr(home, "_prefetched_objects_cache"):
        home._prefetched_objects_cache = dict(home._prefetched_objects_cache)
    settings = (copy.copy(shared.site_settings), copy.copy(shared.membership_settings))
    for setting in settings:
        # Wagtail's cache of the settings' page URLs, filled with the request's site.
        setting._page_url_cache = dict(getattr(setting, "_page_url_cache", {}))
    return replace(shared, site=site, site_settings=settings[0], membership_settings=settings[1])


def installed(request: HttpRequest | None) -> SiteChrome | None:
    """The chrome ``install`` put on this request (public pages), else None."""
    return getattr(request, _ATTRIBUTE, None)


def install(request: HttpRequest) -> SiteChrome | None:
    """Put the chrome where Wagtail and the templates look, so they query nothing."""
    from masthead.membership.models import MembershipSettings

    from .models import SiteSettings

    chrome = chrome_for(request)
    if chrome is None:
        return None
    request._wagtail_site = chrome.site  # type: ignore[attr-defined]
    for setting in (chrome.site_settings, chrome.membership_settings):
        setting._request = request
    setattr(request, SiteSettings.get_cache_attr_name(), chrome.site_settings)
    setattr(request, MembershipSettings.get_cache_attr_name(), chrome.membership_settings)
    return chrome


def breaking_candidates(site: Site | None) -> list[ArticlePage]:
    """Stories whose banner is up now or may still be, newest first; shared by all pages.

    A banner goes up with a publish or an edit (which bump ``listing``) or, for a story
    dated in the future, at that date (the list is kept only until then); it goes down
    with time, which each request checks at its own moment.
    """
    from . import pagecache
    from .listings import published_articles
    from .models import BREAKING_DEFAULT_HOURS

    def build() -> list[ArticlePage]:
        now = timezone.now()
        # Stories whose banner is up now or will be: one dated in the future counts from
        # its date, and the list is kept only until then (``valid_until``).
        stories = list(
            published_articles(site)
            .filter(
                Q(breaking_until__gt=now)
                | Q(
                    breaking_until__isnull=True,
                    published_at__gt=now - timedelta(hours=BREAKING_DEFAULT_HOURS),
                ),
                is_breaking=True,
            )
            .order_by("-published_at", "-pk")
            .defer("body", "video_transcript")
            .annotate(breaking_coverage_status=F("livepage__coverage_status"))
        )
        starts = [s.published_at for s in stories if s.published_at and s.published_at > now]
        if starts:
            pagecache.valid_until(min(starts))
        return stories

    key = f"breaking:{site.pk if site is not None else 'all'}"
    return pagecache.memoize(key, ["listing"], build)


def breaking_story_now(site: Site | None) -> ArticlePage | None:
    """The newest story whose banner is up at this moment, if any."""
    from . import pagecache
    from .models import BREAKING_DEFAULT_HOURS

    now = timezone.now()
    story = next((s for s in breaking_candidates(site) if s.is_breaking_at(now)), None)
    if story is not None and story.published_at is not None:
        # The page must not show the banner after it is due to come down.
        pagecache.valid_until(
            story.breaking_until or story.published_at + timedelta(hours=BREAKING_DEFAULT_HOURS)
        )
    return story
