"""Background work of the publishing app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from .models import SiteSettings
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
