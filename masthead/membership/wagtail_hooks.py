"""The membership admin: members, tiers, labels and drives under one “Members” menu."""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import URLPattern, path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_views
from .models import Campaign, Label, Member, Tier


class MemberViewSet(ModelViewSet):
    """The members list, and pages that change members only through ``actions``."""

    model = Member
    name = "members"
    icon = "user"
    menu_label = _("Members")
    index_view_class = admin_views.MemberIndexView
    filterset_class = admin_views.MemberFilterSet
    search_fields: ClassVar[list[str]] = ["email", "name"]
    ordering = "-created_at"
    list_per_page = 50
    copy_view_enabled = False
    # Members reference pages (signup_page) but are not content: indexing them would
    # queue a task on every member save and list readers under a page's "Usage".
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        view_kwargs: dict[str, Any] = super().get_common_view_kwargs(
            **{
                "import_url_name": self.get_url_name("import"),
                "export_url_name": self.get_url_name("export"),
                "data_url_name": self.get_url_name("data"),
                **kwargs,
            }
        )
        return view_kwargs

    @cached_property
    def add_view(self) -> Any:
        return self.construct_view(admin_views.MemberCreateView)

    @cached_property
    def edit_view(self) -> Any:
        return self.construct_view(admin_views.MemberEditView)

    @cached_property
    def delete_view(self) -> Any:
        return self.construct_view(admin_views.MemberDeleteView)

    def get_urlpatterns(self) -> list[URLPattern]:
        index_kwargs = self.get_index_view_kwargs()
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path("edit/<int:pk>/", self.edit_view, name="edit"),
            path("delete/<int:pk>/", self.delete_view, name="delete"),
            path(
                "data/<int:pk>/",
                self.construct_view(admin_views.MemberDataView),
                name="data",
            ),
            path("import/", self.construct_view(admin_views.MemberImportView), name="import"),
            path(
                "export/",
                self.construct_view(admin_views.MemberExportView, **index_kwargs),
                name="export",
            ),
        ]


class TierViewSet(SnippetViewSet):
    model = Tier
    icon = "tag"
    menu_label = _("Tiers")
    list_display: ClassVar[list[Any]] = [
        "name",
        "kind",
        "monthly_price",
        "yearly_price",
        "is_active",
    ]
    list_filter: ClassVar[list[str]] = ["kind", "is_active"]


class CampaignViewSet(SnippetViewSet):
    model = Campaign
    icon = "pick"
    menu_label = _("Membership drives")
    list_display: ClassVar[list[Any]] = ["name", "goal", "starts_at", "ends_at", "is_enabled"]


class LabelViewSet(SnippetViewSet):
    model = Label
    icon = "tag"
    menu_label = _("Labels")
    list_display: ClassVar[list[Any]] = ["name", "slug"]
    search_fields: ClassVar[list[str]] = ["name"]


class MembershipGroup(SnippetViewSetGroup):
    menu_label = _("Members")
    menu_icon = "group"
    menu_order = 250
    items = (MemberViewSet, TierViewSet, CampaignViewSet, LabelViewSet)


register_snippet(MembershipGroup)


@hooks.register("construct_homepage_panels")
def add_members_panel(request: Any, panels: list[Any]) -> None:
    from .admin_panels import MembersPanel

    panels.append(MembersPanel())
