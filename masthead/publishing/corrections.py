"""The corrections archive: every correction and clarification, newest first, and its feeds.

A newsroom that corrects in public lists its corrections in one place (``/corrections/``),
as the Trust Project and press councils ask. Updates are not listed: a story that moved on
was not wrong. A note quotes the story it corrects, so it is gated with it: a reader who may
not read the story sees the kind, the date and the headline, not the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from wagtail.models import Site

from masthead.membership.access import ANONYMOUS
from masthead.membership.middleware import current_reader

from .feeds import FEED_SIZE, Channel, FeedEntry, serve_channel
from .listings import published_articles, site_for
from .models import ArticleNote, SiteSettings
from .paging import Cursor, paginate
from .plain_text import html_to_text
from .portable import absolute_url, expand_rich_texts, load_references, rich_html
from .social import site_settings

PAGE_SIZE = 20
LISTED_KINDS = (ArticleNote.Kind.CORRECTION, ArticleNote.Kind.CLARIFICATION)


def correction_notes(site: Site | None) -> QuerySet[ArticleNote]:
    """Corrections and clarifications on published, listed articles, ready for paging.

    ``published_at`` is the note's own time, under the name ``paging.paginate`` walks.
    """
    return (
        ArticleNote.objects.filter(kind__in=LISTED_KINDS, page__in=published_articles(site))
        .annotate(published_at=F("noted_at"))
        .select_related("page")
        .defer("page__body")
        .prefetch_related("page__tiers")
    )


def corrections(request: HttpRequest) -> HttpResponse:
    """The archive page, or only the next batch when "Show More" asks with ``partial=1``."""
    site = site_for(request)
    batch = paginate(
        correction_notes(site), cursor=Cursor.decode(request.GET.get("before")), size=PAGE_SIZE
    )
    reader = current_reader(request)
    readable = {note.pk for note in batch.items if note.page.can_be_read_by(reader)}
    # One expansion for every note, not one query per note that links to a page.
    expanded = expand_rich_texts(note.text for note in batch.items if note.pk in readable)
    context = {
        "batch": batch,
        "entries": [
            {
                "note": note,
                "article": note.page,
                "can_read": note.pk in readable,
                "html": mark_safe(expanded[note.text]) if note.pk in readable else "",  # noqa: S308  editors' rich text, cleaned by Wagtail
            }
            for note in batch.items
        ],
        "more_url": reverse("publishing:corrections"),
    }
    if request.GET.get("partial") == "1":
        return TemplateResponse(request, "components/correction_batch.html", context)
    site_settings = SiteSettings.for_request(request)
    policy = site_settings.corrections_policy_page
    context["policy_url"] = policy.url if policy is not None and policy.live else ""
    return TemplateResponse(request, "publishing/corrections.html", context)


def correction_entries(notes: Sequence[ArticleNote]) -> list[FeedEntry]:
    """One feed item per note; the text only where anyone may read the story."""
    readable = {note.pk for note in notes if note.page.can_be_read_by(ANONYMOUS)}
    references = load_references([], notes=[note.text for note in notes if note.pk in readable])
    entries = []
    for note in notes:
        article = note.page
        link = absolute_url(article.url or "/")
        kind = note.get_kind_display()
        if note.pk in readable:
            text = rich_html(note.text, base=link, references=references)
            summary = html_to_text(text)
        else:
            summary = _("A %(kind)s on a story for members.") % {"kind": kind.lower()}
            text = format_html("<p>{}</p>", summary)
        content = text + format_html(
            '<p><a href="{}">{}</a></p>', link, _("Read “%(title)s”") % {"title": article.title}
        )
        entries.append(
            FeedEntry(
                guid=f"{article.ghost_id}-note-{note.pk}",
                title=f"{kind}: {article.title}",
                link=link,
                summary=summary,
                content_html=content,
                published=note.noted_at,
                updated=note.noted_at,
                changed=max(note.noted_at, article.last_published_at or note.noted_at),
                categories=[kind],
            )
        )
    return entries


def corrections_feed(kind: str) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        def build(request: HttpRequest, suffix: str) -> Channel:
            config = site_settings(request)
            notes = list(
                correction_notes(site_for(request)).order_by("-noted_at", "-pk")[:FEED_SIZE]
            )
            home = reverse("publishing:corrections")
            return Channel(
                title=f"{_('Corrections')} - {config.publication_name}",
                description=_("Corrections and clarifications to our stories."),
                home_url=absolute_url(home),
                path=home + suffix,
                page=1,
                entries=correction_entries(notes),
                has_more=False,
                language=settings.LANGUAGE_CODE,
                publication=config.publication_name,
            )

        return serve_channel(request, build, kind=kind)

    return view


urlpatterns = [
    path("corrections/", corrections, name="corrections"),
    path("corrections/rss/", corrections_feed("rss"), name="corrections_rss"),
    path("corrections/atom/", corrections_feed("atom"), name="corrections_atom"),
    path("corrections/feed.json", corrections_feed("json"), name="corrections_json"),
]
