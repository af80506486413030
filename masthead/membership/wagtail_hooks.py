"""The membership admin: members, tiers, labels and drives under one “Members” menu."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Campaign, Label, Tier


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
    items = (TierViewSet, CampaignViewSet, LabelViewSet)


register_snippet(MembershipGroup)
