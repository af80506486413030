"""Admin wiring: snippets for tags, authors and desks, a filterable article list, the live
desk; and rich text's page links, which name the page they point at."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.pages.listing import PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.admin.widgets.button import Button
from wagtail.models import Revision
from wagtail.rich_text.pages import PageLinkHandler as WagtailPageLinkHandler
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from masthead.cachetags import depends_on

from . import live_admin
from .models import ArticleFormat, ArticlePage, Author, Desk, LivePage, Tag
from .richtext_cache import page_link_tags


class PageLinkHandler(WagtailPageLinkHandler):
    """Wagtail's page links in rich text, each naming the page it points at for whatever
    is being rendered (``cachetags``).

    Registered in place of Wagtail's own, so every expansion says what it showed: the
    cached text (``richtext_cache``), a note's text, a live update, an email. Kept parts
    that show rich text (a story, a card) then last until a linked page changes, not
    until the next publish anywhere.
    """

    @classmethod
    def expand_db_attributes_many(cls, attrs_list: list[dict[str, Any]]) -> list[str]:
        depends_on(*page_link_tags(attrs.get("id") for attrs in attrs_list))
        return list(super().expand_db_attributes_many(attrs_list))


@hooks.register("register_rich_text_features", order=1)
def register_page_links(features: Any) -> None:
    """Page links that name the page they point at; after Wagtail's own (``order``), whose
    handler this one replaces."""
    features.register_link_type(PageLinkHandler)


class ArticleFilterSet(PageFilterSet):
    section = django_filters.ModelChoiceFilter(
        label=_("Section"), queryset=Tag.objects.filter(is_section=True)
    )
    author = django_filters.ModelChoiceFilter(
        label=_("Author"), queryset=Author.objects.all(), method="filter_author"
    )
    format = django_filters.ChoiceFilter(label=_("Format"), choices=ArticleFormat.choices)
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            ("live", _("Published")),
            ("draft", _("Draft")),
            ("scheduled", _("Scheduled")),
            ("changes", _("Published, with unpublished changes")),
        ],
        method="filter_status",
    )

    class Meta:
        model = ArticlePage
        fields: list[str] = []

    def filter_author(
        self, queryset: QuerySet[Any], name: str, value: Author | None
    ) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(article_authors__author=value).distinct()

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # Wagtail keeps schedules on revisions (object ids are strings there).
        scheduled = [
            int(pk)
            for pk in Revision.page_revisions.filter(approved_go_live_at__isnull=False).values_list(
                "object_id", flat=True
            )
        ]
        if value == "live":
            return queryset.filter(live=True)
        if value == "draft":
            return queryset.filter(live=False).exclude(pk__in=scheduled)
        if value == "scheduled":
            return queryset.filter(pk__in=scheduled)
        if value == "changes":
            return queryset.filter(live=True, has_unpublished_changes=True)
        return queryset


class ArticleListingViewSet(PageListingViewSet):
    """All articles in one flat list, newest first, filterable by section and author."""

    model = ArticlePage
    icon = "doc-full"
    menu_label = _("Articles")
    menu_order = 150
    add_to_admin_menu = True
    name = "articles"
    filterset_class = ArticleFilterSet
    columns = [
        *PageListingViewSet.columns,
        Column("section", label=_("Section"), accessor="section"),
        Column("format", label=_("Format"), accessor="get_format_display"),
        DateColumn("first_published_at", label=_("Published"), sort_key="first_published_at"),
    ]


@hooks.register("register_admin_viewset")
def register_article_listing() -> ArticleListingViewSet:
    return ArticleListingViewSet()


class TagViewSet(SnippetViewSet):
    model = Tag
    icon = "tag"
    list_display = ["name", "slug", "is_section", "nav_order", "visibility"]
    list_filter = ["is_section", "visibility"]
    search_fields = ["name", "slug"]
    ordering = ["-is_section", "nav_order", "name"]


class AuthorViewSet(SnippetViewSet):
    model = Author
    icon = "user"
    list_display = ["name", "job_title", "desk", "show_on_team_page"]
    list_filter = ["desk", "show_on_team_page"]
    search_fields = ["name", "job_title"]


class DeskViewSet(SnippetViewSet):
    model = Desk
    icon = "group"
    list_display = ["name", "sort_order"]


class NewsroomGroup(SnippetViewSetGroup):
    menu_label = _("Newsroom")
    menu_icon = "group"
    menu_order = 160
    items = (TagViewSet, AuthorViewSet, DeskViewSet)


register_snippet(NewsroomGroup)


@hooks.register("construct_homepage_panels")
def add_publishing_activity_panel(request: Any, panels: list[Any]) -> None:
    from .admin_panels import PublishingActivityPanel

    panels.append(PublishingActivityPanel())


# --- The live desk -----------------------------------------------------------------


@hooks.register("register_admin_urls")
def register_live_desk_urls() -> list[Any]:
    return live_admin.admin_urls()


@hooks.register("register_admin_menu_item")
def register_live_coverage_menu_item() -> Any:
    return live_admin.menu_item()


def _live_desk_button(page: Any, user: Any, priority: int) -> Iterator[Button]:
    if issubclass(page.specific_class or type(page), LivePage) and (
        page.permissions_for_user(user).can_edit()
    ):
        yield Button(
            _("Live desk"),
            url=live_admin.desk_url(page.pk),
            icon_name="radio-full",
            attrs={"title": _("Post, edit and pin the updates of this live page")},
            priority=priority,
        )


@hooks.register("register_page_header_buttons")
def live_desk_header_button(
    page: Any, user: Any, view_name: str, next_url: str | None = None
) -> Iterator[Button]:
    yield from _live_desk_button(page, user, priority=5)


@hooks.register("register_page_listing_more_buttons")
def live_desk_listing_button(page: Any, user: Any, next_url: str | None = None) -> Iterator[Button]:
    yield from _live_desk_button(page, user, priority=3)


@hooks.register("register_log_actions")
def register_live_update_log_actions(actions: Any) -> None:
    for action, (label, message) in live_admin.LOGGED_ACTIONS.items():
        actions.register_action(action, label, message)


@hooks.register("before_serve_page")
def cache_public_pages(page: Any, request: Any, serve_args: Any, serve_kwargs: Any) -> None:
    """Let the page cache keep public pages, depending on the page and what it lists.

    Every page shows the site's chrome and lists of articles (the sidebar, "read also"),
    so edits to those reach it; the home page and live pages also show live updates.
    """
    from .invalidation import page_tags
    from .pagecache import mark_cacheable

    mark_cacheable(request, *page_tags(page))
