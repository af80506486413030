"""The “Newsletters” admin menu: newsletters, sends and suppressed addresses.

Each part is a Wagtail ``ModelViewSet``, so lists, forms, permissions and the menu
follow Wagtail's own conventions; the views that send, cancel and suppress are in
``admin_views`` and go through ``actions``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.views.generic import EditView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button

from . import admin_views
from .forms_admin import SuppressionAddForm
from .models import Newsletter, NewsletterSend, Suppression


def _without(permissions: QuerySet[Permission], *actions: str) -> QuerySet[Permission]:
    return permissions.exclude(codename__regex=rf"^({'|'.join(actions)})_")


class NewsletterEditView(EditView):
    """Wagtail's edit page, with “Archive” (or “Restore”) where “Delete” would be."""

    archive_url_name: str | None = None

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons: list[Any] = list(super().header_more_buttons)
        if self.archive_url_name and self.user_has_permission("change"):
            archived = self.object.status == Newsletter.Status.ARCHIVED
            buttons.append(
                Button(
                    _("Restore") if archived else _("Archive"),
                    url=reverse(self.archive_url_name, args=(self.object.pk,)),
                    icon_name="undo" if archived else "folder-inverse",
                    priority=20,
                )
            )
        return buttons


class NewsletterViewSet(ModelViewSet):
    """Newsletters are archived, never deleted: their sends and statistics stay."""

    model = Newsletter
    # "newsletters" is the namespace of the public pages (/unsubscribe/, /newsletters/).
    name = "newsletter_lists"
    url_prefix = "newsletters"
    icon = "mail"
    menu_label = _("Newsletters")
    index_view_class = admin_views.NewsletterIndexView
    edit_view_class = NewsletterEditView
    copy_view_enabled = False
    search_fields: ClassVar[list[str]] = ["name", "slug", "description"]
    list_filter: ClassVar[list[str]] = ["status", "visibility"]
    panels: ClassVar[list[Any]] = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")],
            heading=_("Newsletter"),
        ),
        MultiFieldPanel(
            [FieldPanel("sender_name"), FieldPanel("sender_email"), FieldPanel("reply_to")],
            heading=_("Sender"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("visibility"),
                FieldPanel("subscribe_on_signup"),
                FieldPanel("status"),
                FieldPanel("sort_order"),
            ],
            heading=_("Subscribers"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("header_image"),
                FieldPanel("show_feature_image"),
                FieldPanel("show_excerpt"),
                FieldPanel("footer"),
            ],
            heading=_("Look of the email"),
        ),
    ]

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        view_kwargs: dict[str, Any] = super().get_common_view_kwargs(
            **{"archive_url_name": self.get_url_name("archive"), **kwargs}
        )
        view_kwargs["delete_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self) -> list[URLPattern]:
        patterns = [pattern for pattern in super().get_urlpatterns() if pattern.name != "delete"]
        patterns.append(
            path(
                "archive/<int:pk>/",
                self.construct_view(admin_views.NewsletterArchiveView),
                name="archive",
            )
        )
        return patterns

    def get_permissions_to_register(self) -> QuerySet[Permission]:
        return _without(super().get_permissions_to_register(), "delete")


class SendViewSet(ModelViewSet):
    """Sends are made from an article (“Send by email”) and only watched or cancelled here."""

    model = NewsletterSend
    name = "newsletter_sends"
    url_prefix = "newsletters/sends"
    icon = "mail"
    menu_label = _("Sends")
    index_view_class = admin_views.SendIndexView
    inspect_view_class = admin_views.SendDetailView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    list_filter: ClassVar[list[str]] = ["newsletter", "status"]
    list_per_page = 30

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        view_kwargs: dict[str, Any] = super().get_common_view_kwargs(
            **{
                "progress_url_name": self.get_url_name("progress"),
                "cancel_url_name": self.get_url_name("cancel"),
                "detail_url_name": self.get_url_name("inspect"),
                "preview_url_name": self.get_url_name("preview"),
                **kwargs,
            }
        )
        for name in ("add", "edit", "delete", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self) -> list[URLPattern]:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/", self.inspect_view, name="inspect"),
            path(
                "<int:pk>/progress/",
                self.construct_view(admin_views.SendProgressView),
                name="progress",
            ),
            path(
                "<int:pk>/cancel/",
                self.construct_view(admin_views.SendCancelView),
                name="cancel",
            ),
            path(
                "article/<int:page_id>/",
                self.construct_view(admin_views.SendArticleView),
                name="send_article",
            ),
            path(
                "article/<int:page_id>/preview/",
                self.construct_view(admin_views.EmailPreviewView),
                name="preview",
            ),
        ]

    @property
    def url_finder_class(self) -> type[ModelAdminURLFinder]:
        return type(
            "_SendURLFinder",
            (ModelAdminURLFinder,),
            {"edit_url_name": self.get_url_name("inspect")},
        )

    def get_permissions_to_register(self) -> QuerySet[Permission]:
        # “Add” sends an article, “change” cancels sends, “view” watches them.
        return _without(super().get_permissions_to_register(), "delete")


class SuppressionViewSet(ModelViewSet):
    """Addresses that are never mailed; added by hand or by bounces and complaints."""

    model = Suppression
    name = "newsletter_suppressions"
    url_prefix = "newsletters/suppressions"
    icon = "warning"
    menu_label = _("Suppressions")
    index_view_class = admin_views.SuppressionIndexView
    add_view_class = admin_views.SuppressionCreateView
    delete_view_class = admin_views.SuppressionDeleteView
    copy_view_enabled = False
    add_to_reference_index = False
    search_fields: ClassVar[list[str]] = ["email"]
    list_filter: ClassVar[list[str]] = ["reason"]
    list_per_page = 50

    def get_form_class(self, for_update: bool = False) -> type[SuppressionAddForm]:
        return SuppressionAddForm

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        view_kwargs: dict[str, Any] = super().get_common_view_kwargs(**kwargs)
        for name in ("edit", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self) -> list[URLPattern]:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path("delete/<int:pk>/", self.delete_view, name="delete"),
        ]

    @property
    def url_finder_class(self) -> type[ModelAdminURLFinder]:
        return type(
            "_SuppressionURLFinder",
            (ModelAdminURLFinder,),
            {"edit_url_name": self.get_url_name("delete")},
        )

    def get_permissions_to_register(self) -> QuerySet[Permission]:
        # Rows are added and removed, never edited; “view” lets a desk see the list.
        return Permission.objects.filter(
            content_type__app_label="newsletters",
            codename__in=["add_suppression", "delete_suppression", "view_suppression"],
        )


class NewslettersGroup(ModelViewSetGroup):
    menu_label = _("Newsletters")
    menu_icon = "mail"
    menu_order = 260
    items = (NewsletterViewSet, SendViewSet, SuppressionViewSet)
