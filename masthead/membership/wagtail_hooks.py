"""The membership admin: members, tiers, labels, drives and revenue under one “Members” menu."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_views, tasks
from .actions import REFUND_REQUESTED
from .admin_panels import can_see_revenue
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
                "refund_url_name": self.get_url_name("refund"),
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
                "refund/<int:pk>/",
                self.construct_view(admin_views.PaymentRefundView),
                name="refund",
            ),
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


class RevenueMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_see_revenue(request.user)


class RevenueViewSet(ViewSet):
    """Revenue over longer periods than the dashboard's, with the latest payments."""

    name = "revenue"
    icon = "table"
    menu_label = _("Revenue")
    menu_item_class = RevenueMenuItem

    def get_urlpatterns(self) -> list[URLPattern]:
        return [
            path(
                "",
                admin_views.RevenueView.as_view(
                    index_url_name=self.get_url_name("index"),
                    member_url_name=MemberViewSet().get_url_name("edit"),
                ),
                name="index",
            )
        ]


class MembershipGroup(SnippetViewSetGroup):
    menu_label = _("Members")
    menu_icon = "group"
    menu_order = 250
    items = (MemberViewSet, TierViewSet, CampaignViewSet, LabelViewSet, RevenueViewSet)


register_snippet(MembershipGroup)


@hooks.register("construct_homepage_panels")
def add_members_panel(request: Any, panels: list[Any]) -> None:
    from .admin_panels import MembersPanel

    panels.append(MembersPanel())


@hooks.register("construct_homepage_panels")
def add_revenue_panel(request: Any, panels: list[Any]) -> None:
    if not can_see_revenue(request.user):
        return
    from .admin_panels import RevenuePanel

    panels.append(RevenuePanel(revenue_url=reverse("revenue:index")))


@hooks.register("register_log_actions")
def register_payment_log_actions(actions: Any) -> None:
    actions.register_action(REFUND_REQUESTED, _("Refund requested"), _("Refund requested"))
    actions.register_action(tasks.WELCOME_SENT, _("Welcome email sent"), _("Welcome email sent"))
    actions.register_action(tasks.RECEIPT_SENT, _("Receipt sent"), _("Receipt sent"))
    actions.register_action(
        tasks.CANCELLATION_SENT, _("Cancellation email sent"), _("Cancellation email sent")
    )
    actions.register_action(
        tasks.GIFT_REDEEMED_SENT, _("Gift redeemed email sent"), _("Gift redeemed email sent")
    )


@hooks.register("register_permissions")
def register_refund_permission() -> QuerySet[Permission]:
    # "Can change payment" is the permission to refund: groups get it in Settings → Groups.
    return Permission.objects.filter(
        content_type__app_label="membership", codename="change_payment"
    )
