"""Admin wiring: the “Newsletters” menu, “Send by email” on articles, the dashboard panel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import LogFormatter
from wagtail.models import Page
from wagtail.permissions import policy_registry

from masthead.publishing.models import ArticlePage

from . import admin_views
from .models import Newsletter, NewsletterSend
from .viewsets import NewslettersGroup, NewsletterViewSet, SendViewSet

SEND_ARTICLE_URL_NAME = SendViewSet().get_url_name("send_article")


@hooks.register("register_admin_viewset")
def register_newsletters_menu() -> NewslettersGroup:
    return NewslettersGroup()


def _can_send(page: Page, user: Any) -> bool:
    if not issubclass(page.specific_class or Page, ArticlePage):
        return False
    return bool(policy_registry.get_by_type(NewsletterSend).user_has_permission(user, "add"))


def _send_button(page: Page, priority: int) -> Button:
    return Button(
        gettext_lazy("Send by email"),
        url=reverse(SEND_ARTICLE_URL_NAME, args=(page.pk,)),
        icon_name="mail",
        attrs={"title": _("Send this article to a newsletter, or send a test of it")},
        priority=priority,
    )


@hooks.register("register_page_header_buttons")
def send_by_email_header_button(
    page: Page, user: Any, view_name: str, next_url: str | None = None
) -> Iterator[Button]:
    if _can_send(page, user):
        yield _send_button(page, priority=35)


@hooks.register("register_page_listing_more_buttons")
def send_by_email_listing_button(
    page: Page, user: Any, next_url: str | None = None
) -> Iterator[Button]:
    if _can_send(page, user):
        yield _send_button(page, priority=25)


@hooks.register("construct_homepage_panels")
def add_subscribers_panel(request: HttpRequest, panels: list[Any]) -> None:
    if not policy_registry.get_by_type(Newsletter).user_has_any_permission(
        request.user, ["add", "change"]
    ):
        return
    panels.append(
        admin_views.SubscribersPanel(
            newsletters_url=reverse(NewsletterViewSet().get_url_name("index"))
        )
    )


class _SendLogFormatter(LogFormatter):
    label = gettext_lazy("Send by email")

    def format_message(self, log_entry: Any) -> str:
        newsletter = log_entry.data.get("newsletter", "")
        if log_entry.data.get("status") == NewsletterSend.Status.WAITING:
            return _("Set to go to “%(newsletter)s” when published") % {"newsletter": newsletter}
        return _("Sent by email to “%(newsletter)s”") % {"newsletter": newsletter}


class _CancelLogFormatter(LogFormatter):
    label = gettext_lazy("Cancel send by email")

    def format_message(self, log_entry: Any) -> str:
        return _("Cancelled the email to “%(newsletter)s”") % {
            "newsletter": log_entry.data.get("newsletter", "")
        }


@hooks.register("register_log_actions")
def register_newsletter_log_actions(actions: Any) -> None:
    actions.register_action(admin_views.SEND_LOGGED)(_SendLogFormatter)
    actions.register_action(admin_views.CANCEL_LOGGED)(_CancelLogFormatter)
    actions.register_action(
        admin_views.ARCHIVE_LOGGED, gettext_lazy("Archive"), gettext_lazy("Archived")
    )
    actions.register_action(
        admin_views.RESTORE_LOGGED, gettext_lazy("Restore"), gettext_lazy("Restored")
    )
