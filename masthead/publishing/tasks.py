"""Background work of the publishing app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django_tasks import task
from wagtail.models import Page

from .models import SiteSettings
from .renditions import make_renditions
from .social import card_article, needs_card, store_article_card


@task()
def draw_share_card(*, article_id: int) -> None:
    """Draw and store the share card of a published article that has no picture of its own.

    A card already stored under its current name is kept, so a second run draws nothing.
    """
    article = card_article(article_id)
    if article is None or not needs_card(article):
        return
    site = article.get_site()
    settings = SiteSettings.for_site(site) if site is not None else SiteSettings()
    store_article_card(article, settings)


@task()
def make_page_renditions(*, page_id: int) -> None:
    """Cut the image renditions a published page shows, before its readers ask for them.

    Renditions that exist are kept, so a second run cuts nothing.
    """
    page = Page.objects.filter(pk=page_id).first()
    if page is not None:
        make_renditions(page.specific)
