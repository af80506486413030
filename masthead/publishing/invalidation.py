"""What each change makes stale: the page cache's tags for models, bumped on save/delete.

The rules, from the narrowest to the widest:

* a page's own draft bookkeeping (a revision saved, a lock) touches only ``page:<id>``;
* a page's content, publication, move or deletion: ``page:<id>``, ``published:<id>``
  (the page as cards and links show it, which a draft or a live update leaves alone) and
  ``listing`` (every list of articles), plus ``site`` for pages other than articles
  (menus and settings may point at them). ``published:<id>`` is only ever bumped with
  ``listing``, so an answer that depends on ``listing`` needs not name it
  (``pagecache.essential_tags``);
* a live update: its live page and ``live`` (the home page's live block, the poll);
* a search-index task finishing: ``search`` (search results and suggestions);
* site-wide things (settings, tags, authors, drives, tiers, images, integrations...):
  ``site``, which every cached answer depends on.

Renditions, revisions, members, deliveries, logs and other bookkeeping change nothing
a reader sees and bump nothing. Member access changes drop that member's cached variant
instead (``membership.variants``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.membership.counters import forget_running_campaigns

from . import pagecache

# Fields Wagtail saves for a draft, a lock or a workflow: no public change.
_BOOKKEEPING_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "has_unpublished_changes",
        "draft_title",
        "locked",
        "locked_at",
        "locked_by",
    }
)

_PHOTO_BOOKKEEPING = frozenset({"file_hash", "file_size"})
_SETTINGS_MODELS = frozenset({"publishing.sitesettings", "membership.membershipsettings"})

# Models whose rows every page may show: any change bumps "site" (and "listing", as cards
# and bylines in lists show them too).
SITE_MODELS = frozenset(
    {
        "publishing.sitesettings",
        "publishing.tag",
        "publishing.author",
        "publishing.desk",
        "publishing.photo",
        "publishing.hometopstory",
        "membership.campaign",
        "membership.tier",
        "membership.membershipsettings",
        "newsletters.newsletter",
        "contentapi.integration",
        "wagtailcore.site",
        "wagtailcore.pageviewrestriction",
        "wagtailredirects.redirect",
        "wagtailmedia.media",
        "wagtaildocs.document",
    }
)


def page_tags(page: Page) -> list[str]:
    """What a served page depends on (see the module docstring)."""
    from .models import HomePage, LivePage

    tags = ["site", "listing", f"page:{page.pk}"]
    specific_class = page.specific_class
    if specific_class is not None and issubclass(specific_class, (HomePage, LivePage)):
        tags.append("live")
    return tags


def page_change_tags(page: Page) -> list[str]:
    from .models import ArticlePage

    tags = [f"page:{page.pk}", f"published:{page.pk}", "listing"]
    specific_class = page.specific_class
    if specific_class is None or not issubclass(specific_class, ArticlePage):
        tags.append("site")
    return tags


def page_urls(page: Page) -> list[str]:
    """The public addresses a change of ``page`` makes stale, for CDNs that purge by URL.

    The page, the home page and the lists that show it first (its tags and authors, the
    News Feed and the site's feeds). Deeper pages of a list are purged by key, or age out
    at the edge (``MASTHEAD_EDGE_MAX_AGE``).
    """
    from .models import ArticlePage

    site = page.get_site()
    if site is None:
        return []
    root = site.root_url.rstrip("/")
    urls = {f"{root}/", f"{root}/news-feed/", f"{root}/rss/", f"{root}/sitemap.xml"}
    page_url = page.get_full_url()
    if page_url:
        urls.add(page_url)
    specific = page.specific_deferred
    if isinstance(specific, ArticlePage):
        if specific.section is not None:
            urls.add(f"{root}/tag/{specific.section.slug}/")
        for tag_slug in specific.tags.values_list("slug", flat=True):
            urls.add(f"{root}/tag/{tag_slug}/")
        for author_slug in specific.article_authors.values_list("author__slug", flat=True):
            urls.add(f"{root}/author/{author_slug}/")
    return sorted(urls)


def _page_saved(sender: Any, instance: Page, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= _BOOKKEEPING_FIELDS:
        pagecache.bump(f"page:{instance.pk}")
        return
    pagecache.bump(*page_change_tags(instance))


def _page_published(sender: Any, instance: Page, **kwargs: Any) -> None:
    pagecache.bump(*page_change_tags(instance), urls=page_urls(instance))


def _page_moved(sender: Any, instance: Page, **kwargs: Any) -> None:
    # Descendants move with it (their addresses change in one UPDATE): every list and
    # menu may show one of them.
    pagecache.bump(
        f"page:{instance.pk}",
        f"published:{instance.pk}",
        "listing",
        "site",
        urls=page_urls(instance),
    )


def _page_deleted(sender: Any, instance: Page, **kwargs: Any) -> None:
    pagecache.bump(*page_change_tags(instance))


def _model_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Page):
        return  # the page receivers above
    label = instance._meta.label_lower
    if label in SITE_MODELS:
        if label == "publishing.photo" and (
            kwargs.get("created") or set(kwargs.get("update_fields") or ()) & _PHOTO_BOOKKEEPING
        ):
            # A new upload shows nowhere until a page that uses it is published; Wagtail
            # notes a photo's size and hash while rendering, which changes nothing shown.
            return
        if label in _SETTINGS_MODELS and kwargs.get("created"):
            return  # made with its defaults on first read, in the middle of a render
        if label == "membership.campaign":
            # The shared list of running drives goes first: a render between the new
            # versions and a later forget would keep the old list under them.
            transaction.on_commit(forget_running_campaigns, robust=True)
        pagecache.bump("site", "listing")
    elif label == "publishing.liveupdate":
        pagecache.bump("live", f"page:{instance.page_id}")
    elif label in ("publishing.articlenote", "publishing.articleauthor"):
        pagecache.bump("listing", f"page:{instance.page_id}", f"published:{instance.page_id}")


def _task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """Search results change when the index does, which a task updates after the publish:
    the ``search`` tag is bumped when such a task finishes, not when the page is saved."""
    if task_result.task.module_path.startswith("modelsearch."):
        pagecache.bump("search")


def _after_migrate(sender: Any, **kwargs: Any) -> None:
    """A deploy (``masthead migrate``) may change what pages and memoized values hold:
    retire them all, so no value built by the previous release is used by this one."""
    if sender.name == "masthead.publishing":
        pagecache.bump_now(["site", "listing", "live", "search"])


def connect() -> None:
    """Wire the receivers (from ``PublishingConfig.ready``)."""
    from django.db.models.signals import post_migrate
    from django_tasks.signals import task_finished

    post_migrate.connect(_after_migrate, dispatch_uid="masthead.pagecache.migrate")
    task_finished.connect(_task_finished, dispatch_uid="masthead.pagecache.search_index")
    for signal in (post_save, post_delete):
        signal.connect(_model_changed, dispatch_uid=f"masthead.pagecache.{signal!r}")
    for model in _page_models():
        post_save.connect(_page_saved, sender=model, dispatch_uid=f"masthead.pc.save.{model}")
        post_delete.connect(_page_deleted, sender=model, dispatch_uid=f"masthead.pc.del.{model}")
    page_published.connect(_page_published, dispatch_uid="masthead.pagecache.published")
    page_unpublished.connect(_page_published, dispatch_uid="masthead.pagecache.unpublished")
    post_page_move.connect(_page_moved, dispatch_uid="masthead.pagecache.moved")


def _page_models() -> list[type[Page]]:
    from wagtail.models import get_page_models

    return list(get_page_models())
