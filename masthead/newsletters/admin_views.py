"""The newsletters admin: lists, sending an article, sends and their progress, suppressions.

Views parse and authorise; every change goes through ``actions`` (sends, cancels,
suppressions) or Wagtail's generic views (a newsletter's settings), so the admin writes
exactly what the rest of the site writes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from anymail.exceptions import AnymailError  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn, NumberColumn
from wagtail.admin.views.generic import CreateView, DeleteView, IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import MenuItem
from wagtail.log_actions import log
from wagtail.models import Page

from masthead.membership.models import MemberStatus
from masthead.publishing.models import ArticlePage

from . import actions
from .delivery import send_progress as delivery_progress
from .delivery import send_test_email
from .forms_admin import SendForm, TestEmailForm
from .models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    Segment,
    Suppression,
)

logger = logging.getLogger(__name__)

# Actions recorded on an article's history (its "History" tab in the page editor).
SEND_LOGGED = "newsletters.send"
CANCEL_LOGGED = "newsletters.cancel_send"
ARCHIVE_LOGGED = "newsletters.archive"
RESTORE_LOGGED = "newsletters.restore"

DAYS = 30
CHART_HEIGHT = 120
SEND_COLOUR = "#1d3557"
FAILED_DELIVERIES_SHOWN = 50
SAMPLE_READER_NAME = gettext_lazy("Alex Reader")

# What happened to each recipient, in the order the outcome bar draws them.
OUTCOMES = ("sent", "failed", "suppressed", "cancelled", "sending", "queued")
OUTCOME_COLOURS = {
    "sent": "#1d3557",
    "failed": "#c0392b",
    "suppressed": "#e07a5f",
    "cancelled": "#8a94a3",
    "sending": "#8fb3d9",
    "queued": "#d5dbe3",
}
SUBSCRIBER_COLOURS = {"paying": "#1d3557", "free": "#8fb3d9"}
STATISTIC_COLOURS = {
    "sent": "#1d3557",
    "delivered": "#457b9d",
    "opened": "#8fb3d9",
    "clicked": "#e07a5f",
    "unsubscribed": "#c0392b",
}
STATISTIC_CHART_WIDTH = 600
STATISTIC_LABEL_WIDTH = 110
STATISTIC_BAR_HEIGHT = 18
STATISTIC_BAR_GAP = 8


def _outcome_labels() -> dict[str, str]:
    return {
        "sent": _("Sent"),
        "failed": _("Failed"),
        "suppressed": _("Not sent: suppressed"),
        "cancelled": _("Not sent: cancelled"),
        "sending": _("Handed over, not confirmed"),
        "queued": _("Waiting to go"),
    }


def suppressed_emails() -> QuerySet[Suppression, str]:
    return Suppression.objects.values_list("email", flat=True)


def reachable_count(newsletter: Newsletter, segment: str, tiers: Any = ()) -> tuple[int, int]:
    """(Recipients a send would mail now, members of the segment left out as suppressed)."""
    members = actions.segment_members(newsletter, segment, tiers)
    suppressed = members.filter(email__in=suppressed_emails()).count()
    return members.count() - suppressed, suppressed


# --- Progress and statistics of one send -----------------------------------------------


def send_progress(send: NewsletterSend) -> dict[str, Any]:
    """How far a send has got, as the detail page shows it and its JSON endpoint returns it."""
    counts = delivery_progress(send)
    progress: dict[str, Any] = {key: int(counts.get(key, 0)) for key in (*OUTCOMES, "total")}
    total = progress["total"]
    done = sum(progress[key] for key in ("sent", "failed", "suppressed", "cancelled"))
    # A send that finished with nobody to mail (all cancelled before choosing) is complete.
    percent = min(100, done * 100 // total) if total else (100 if send.is_finished else 0)
    progress.update(
        status=send.status,
        status_label=send.get_status_display(),
        is_finished=send.is_finished,
        done=done,
        percent=percent,
    )
    return progress


def outcome_bar(progress: Mapping[str, int]) -> list[dict[str, Any]]:
    """The recipients' outcomes as segments of one bar 100 units wide."""
    total = sum(progress.get(key, 0) for key in OUTCOMES)
    labels = _outcome_labels()
    segments = []
    x = 0.0
    for key in OUTCOMES:
        count = progress.get(key, 0)
        if not count or not total:
            continue
        width = round(100 * count / total, 3)
        segments.append(
            {
                "key": key,
                "label": labels[key],
                "count": count,
                "colour": OUTCOME_COLOURS[key],
                "x": round(x, 3),
                "width": width,
            }
        )
        x += width
    return segments


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else ""


def send_statistics(send: NewsletterSend, *, sent: int) -> dict[str, Any]:
    """Delivered, unsubscribed and (with tracking on) opened and clicked; two queries."""
    totals = Delivery.objects.filter(send=send).aggregate(
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    )
    unsubscribed = NewsletterSubscription.objects.filter(unsubscribed_from=send).count()
    tracking = bool(getattr(settings, "MASTHEAD_EMAIL_TRACKING", False))
    measures = [
        (_("Sent"), sent, STATISTIC_COLOURS["sent"]),
        (_("Delivered"), totals["delivered"], STATISTIC_COLOURS["delivered"]),
    ]
    if tracking:
        measures += [
            (_("Opened"), totals["opened"], STATISTIC_COLOURS["opened"]),
            (_("Clicked"), totals["clicked"], STATISTIC_COLOURS["clicked"]),
        ]
    measures.append((_("Unsubscribed"), unsubscribed, STATISTIC_COLOURS["unsubscribed"]))
    bar_room = STATISTIC_CHART_WIDTH - STATISTIC_LABEL_WIDTH - 70
    bars = []
    for index, (label, count, colour) in enumerate(measures):
        y = index * (STATISTIC_BAR_HEIGHT + STATISTIC_BAR_GAP)
        width = round(bar_room * min(count, sent) / sent, 2) if sent else 0
        bars.append(
            {
                "label": label,
                "count": count,
                "colour": colour,
                "y": y,
                "height": STATISTIC_BAR_HEIGHT,
                "width": width,
                "text_y": y + STATISTIC_BAR_HEIGHT - 5,
                "total_x": round(STATISTIC_LABEL_WIDTH + width + 4, 2),
            }
        )
    return {
        "bars": bars,
        "chart_width": STATISTIC_CHART_WIDTH,
        "label_width": STATISTIC_LABEL_WIDTH,
        "chart_height": len(bars) * (STATISTIC_BAR_HEIGHT + STATISTIC_BAR_GAP),
        "sent": sent,
        "delivered": totals["delivered"],
        "delivered_rate": _rate(totals["delivered"], sent),
        "unsubscribed": unsubscribed,
        "unsubscribed_rate": _rate(unsubscribed, sent),
        "tracking": tracking,
        "opened": totals["opened"] if tracking else None,
        "opened_rate": _rate(totals["opened"], sent) if tracking else "",
        "clicked": totals["clicked"] if tracking else None,
        "clicked_rate": _rate(totals["clicked"], sent) if tracking else "",
    }


# --- Charts over time -------------------------------------------------------------------


def sends_per_day(*, today: date | None = None, days: int = DAYS) -> dict[str, Any]:
    """Sends and their recipients per day (the day each started), laid out as bars; one query."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.combine(start, time.min), tz)
    rows = {
        row["day"]: row
        for row in NewsletterSend.objects.exclude(status=NewsletterSend.Status.WAITING)
        .annotate(went_at=Coalesce("started_at", "created_at"))
        .filter(went_at__gte=start_at)
        .annotate(day=TruncDate("went_at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(sends=Count("pk"), recipients=Sum("recipient_count"))
    }
    series: list[dict[str, Any]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row: Mapping[str, Any] = rows.get(day, {})
        series.append(
            {"day": day, "sends": row.get("sends", 0), "recipients": row.get("recipients") or 0}
        )
    peak = max((point["recipients"] for point in series), default=0) or 1
    bar_width = 100 / days
    for index, point in enumerate(series):
        point["x"] = round(index * bar_width, 3)
        point["width"] = round(bar_width * 0.8, 3)
        # A send that reached nobody yet still shows as a sliver, so the day is not blank.
        height = CHART_HEIGHT * point["recipients"] / peak
        if point["sends"] and height < 2:
            height = 2
        point["height"] = round(height, 2)
        point["y"] = round(CHART_HEIGHT - point["height"], 2)
    return {
        "series": series,
        "days": days,
        "sends": sum(point["sends"] for point in series),
        "recipients": sum(point["recipients"] for point in series),
        "first_day": series[0]["day"],
        "last_day": series[-1]["day"],
        "chart_height": CHART_HEIGHT,
        "colour": SEND_COLOUR,
    }


def with_subscriber_counts(newsletters: QuerySet[Newsletter]) -> QuerySet[Newsletter]:
    """Subscribed members per newsletter, split free and paying, in the same query."""
    subscribed = Q(subscriptions__status=NewsletterSubscription.Status.SUBSCRIBED)
    free = Q(subscriptions__member__status=MemberStatus.FREE)
    # Meta.ordering is dropped from aggregating queries: order explicitly.
    return newsletters.annotate(
        subscriber_count=Count("subscriptions", filter=subscribed),
        free_count=Count("subscriptions", filter=subscribed & free),
        paying_count=Count("subscriptions", filter=subscribed & ~free),
    ).order_by("sort_order", "name")


# Laid out in its own units, as the members panel's tier chart is: it has text.
SUBSCRIBER_CHART_WIDTH = 600
SUBSCRIBER_LABEL_WIDTH = 170
SUBSCRIBER_BAR_HEIGHT = 18
SUBSCRIBER_BAR_GAP = 8


def subscribers_overview() -> dict[str, Any]:
    """Active newsletters with their free and paying subscribers, laid out as bars; one query."""
    # Annotated rows: the type checker cannot see subscriber_count and the others.
    rows: list[Any] = list(with_subscriber_counts(Newsletter.objects.active()))
    peak = max((row.subscriber_count for row in rows), default=0) or 1
    bar_room = SUBSCRIBER_CHART_WIDTH - SUBSCRIBER_LABEL_WIDTH - 60
    labels = {"paying": _("Paying"), "free": _("Free")}
    bars = []
    for index, newsletter in enumerate(rows):
        y = index * (SUBSCRIBER_BAR_HEIGHT + SUBSCRIBER_BAR_GAP)
        x = float(SUBSCRIBER_LABEL_WIDTH)
        segments = []
        for kind in ("paying", "free"):
            count = newsletter.paying_count if kind == "paying" else newsletter.free_count
            if not count:
                continue
            width = round(bar_room * count / peak, 2)
            segments.append(
                {
                    "label": labels[kind],
                    "count": count,
                    "colour": SUBSCRIBER_COLOURS[kind],
                    "x": round(x, 2),
                    "width": width,
                }
            )
            x += width
        bars.append(
            {
                "name": newsletter.name,
                "total": newsletter.subscriber_count,
                "paying": newsletter.paying_count,
                "free": newsletter.free_count,
                "y": y,
                "height": SUBSCRIBER_BAR_HEIGHT,
                "text_y": y + SUBSCRIBER_BAR_HEIGHT - 5,
                "total_x": round(x + 4, 2),
                "segments": segments,
            }
        )
    return {
        "newsletters": bars,
        "chart_width": SUBSCRIBER_CHART_WIDTH,
        "label_width": SUBSCRIBER_LABEL_WIDTH,
        "chart_height": max(len(bars), 1) * (SUBSCRIBER_BAR_HEIGHT + SUBSCRIBER_BAR_GAP),
        "kinds": [
            {"label": labels[kind], "colour": SUBSCRIBER_COLOURS[kind]}
            for kind in ("paying", "free")
        ],
    }


class SubscribersPanel(Component):
    name = "newsletter_subscribers"
    template_name = "newsletters/admin/subscribers_panel.html"
    order = 70

    def __init__(self, *, newsletters_url: str = "") -> None:
        self.newsletters_url = newsletters_url

    def get_context_data(
        self, parent_context: Mapping[str, Any] | None = None
    ) -> Mapping[str, Any]:
        context = dict(super().get_context_data(parent_context))
        context.update(subscribers_overview())
        context["newsletters_url"] = self.newsletters_url
        return context


# --- Newsletters ------------------------------------------------------------------------


class NewsletterIndexView(IndexView):
    """Every newsletter, active first, with how many members are subscribed."""

    archive_url_name: str | None = None

    def get_base_queryset(self) -> QuerySet[Newsletter]:
        return with_subscriber_counts(Newsletter.objects.all())

    def order_queryset(self, queryset: QuerySet[Newsletter]) -> QuerySet[Newsletter]:
        if not self.ordering:
            return queryset.order_by("status", "sort_order", "name")
        ordered: QuerySet[Newsletter] = super().order_queryset(queryset)
        return ordered

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self._get_title_column("name"),
            Column("visibility", label=_("Who can subscribe"), accessor="get_visibility_display"),
            Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
            NumberColumn("subscriber_count", label=_("Subscribers"), sort_key="subscriber_count"),
            NumberColumn("paying_count", label=_("Paying subscribers")),
            Column(
                "subscribe_on_signup",
                label=_("New members subscribed"),
                accessor=lambda newsletter: _("Yes") if newsletter.subscribe_on_signup else _("No"),
            ),
            Column("sort_order", label=_("Order"), sort_key="sort_order"),
        ]

    def get_list_more_buttons(self, instance: Newsletter) -> list[Any]:
        buttons: list[Any] = list(super().get_list_more_buttons(instance))
        if self.archive_url_name and self.user_has_permission("change"):
            archived = instance.status == Newsletter.Status.ARCHIVED
            buttons.append(
                MenuItem(
                    _("Restore") if archived else _("Archive"),
                    url=reverse(self.archive_url_name, args=(instance.pk,)),
                    icon_name="undo" if archived else "folder-inverse",
                    priority=30,
                )
            )
        return buttons


class NewsletterArchiveView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Archive a newsletter (no more sends or sign-ups; subscribers kept), or restore it."""

    model = Newsletter
    permission_required = "change"
    template_name = "newsletters/admin/newsletter_archive.html"
    header_icon = "mail"
    index_url_name = ""
    edit_url_name = ""
    newsletter: Newsletter

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.newsletter = get_object_or_404(
            with_subscriber_counts(Newsletter.objects.all()), pk=kwargs["pk"]
        )

    @property
    def archiving(self) -> bool:
        return self.newsletter.status == Newsletter.Status.ACTIVE

    def get_page_title(self) -> str:
        return _("Archive newsletter") if self.archiving else _("Restore newsletter")

    def get_page_subtitle(self) -> str:
        return self.newsletter.name

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Newsletters")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.newsletter.name},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(
            newsletter=self.newsletter,
            archiving=self.archiving,
            unfinished_sends=self.newsletter.sends.exclude(
                status__in=[
                    NewsletterSend.Status.SENT,
                    NewsletterSend.Status.CANCELLED,
                    NewsletterSend.Status.FAILED,
                ]
            ).count(),
            cancel_url=reverse(self.index_url_name),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        newsletter = self.newsletter
        archiving = self.archiving
        newsletter.status = Newsletter.Status.ARCHIVED if archiving else Newsletter.Status.ACTIVE
        newsletter.save(update_fields=["status", "updated_at"])
        log(newsletter, ARCHIVE_LOGGED if archiving else RESTORE_LOGGED, user=request.user)
        if archiving:
            message = _(
                "Archived “%(name)s”. Readers can no longer subscribe and nothing more can be "
                "sent to it; its %(count)s subscribers are kept, should you restore it."
            )
        else:
            message = _(
                "Restored “%(name)s”. Its %(count)s subscribers receive what you send to it again."
            )
        messages.success(
            request,
            message
            % {"name": newsletter.name, "count": getattr(newsletter, "subscriber_count", 0)},
        )
        return redirect(self.index_url_name)


# --- Sending an article -------------------------------------------------------------------


def audience_table() -> list[dict[str, Any]]:
    """Each active newsletter's readers in each segment today, suppressed addresses left out."""
    subscribed = Q(subscriptions__status=NewsletterSubscription.Status.SUBSCRIBED) & ~Q(
        subscriptions__member__email__in=suppressed_emails()
    )
    free = Q(subscriptions__member__status=MemberStatus.FREE)
    rows = (
        Newsletter.objects.active()
        .annotate(
            free_reach=Count("subscriptions", filter=subscribed & free),
            paying_reach=Count("subscriptions", filter=subscribed & ~free),
        )
        .order_by("sort_order", "name")
    )
    table = []
    for newsletter in rows:
        paid_only = newsletter.visibility == Newsletter.Visibility.PAID
        free_reach = 0 if paid_only else newsletter.free_reach
        table.append(
            {
                "newsletter": newsletter,
                "all": free_reach + newsletter.paying_reach,
                "free": free_reach,
                "paying": newsletter.paying_reach,
            }
        )
    return table


class SendArticleView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Send one article to a newsletter: choose, check the number of recipients, confirm.

    The same page sends a test of the email to a few addresses and previews it.
    """

    model = NewsletterSend
    permission_required = "add"
    template_name = "newsletters/admin/send_article.html"
    header_icon = "mail"
    index_url_name = ""
    detail_url_name = ""
    preview_url_name = ""
    page: ArticlePage

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.page = get_object_or_404(ArticlePage, pk=kwargs["page_id"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Whoever may send must also be able to open the article they send.
        if not self.page.permissions_for_user(request.user).can_edit():
            raise PermissionDenied
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_page_title(self) -> str:
        return _("Send by email")

    def get_page_subtitle(self) -> str:
        return self.page.title

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("wagtailadmin_pages:edit", args=(self.page.pk,)),
                "label": self.page.get_admin_display_title(),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def draft(self) -> Page:
        """The article as last saved, so tests and previews show edits not yet published."""
        latest: Page = self.page.get_latest_revision_as_object()
        return latest

    @property
    def url(self) -> str:
        return self.request.path

    def initial_newsletter(self) -> Newsletter | None:
        return Newsletter.objects.active().first()

    def make_send_form(self, data: Any = None) -> SendForm:
        return SendForm(
            data,
            is_live=self.page.live,
            initial={"subject": self.page.title, "newsletter": self.initial_newsletter()},
        )

    def make_test_form(self, data: Any = None) -> TestEmailForm:
        return TestEmailForm(
            data,
            prefix="test",
            initial={
                "subject": self.draft.title,
                "addresses": getattr(self.request.user, "email", ""),
                "newsletter": self.initial_newsletter(),
            },
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.setdefault("form", self.make_send_form())
        context.setdefault("test_form", self.make_test_form())
        newsletters = list(Newsletter.objects.active())
        scheduled = None if self.page.live else self.page.scheduled_revision
        context.update(
            page=self.page,
            page_status=self.page.status_string,
            scheduled_at=scheduled.approved_go_live_at if scheduled else None,
            audience=audience_table(),
            newsletters=newsletters,
            earlier_sends=list(
                NewsletterSend.objects.filter(page=self.page)
                .select_related("newsletter", "created_by")
                .order_by("-created_at")
            ),
            detail_url_name=self.detail_url_name,
            preview_url=reverse(self.preview_url_name, args=(self.page.pk,)),
            edit_url=reverse("wagtailadmin_pages:edit", args=(self.page.pk,)),
            variants=Delivery.Variant.choices,
        )
        return context

    def post(self, request: HttpRequest, page_id: int) -> HttpResponse:
        step = request.POST.get("action", "check")
        if step == "test":
            return self.send_test(request)
        form = self.make_send_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Nothing was sent. Correct the errors below."))
            return self.render_to_response(self.get_context_data(form=form))
        if step == "send":
            return self.create_send(request, form)
        if step == "edit":
            return self.render_to_response(self.get_context_data(form=form))
        return self.confirm(request, form)

    def confirm(self, request: HttpRequest, form: SendForm) -> HttpResponse:
        newsletter: Newsletter = form.cleaned_data["newsletter"]
        recipients, suppressed = reachable_count(
            newsletter, form.cleaned_data["segment"], form.cleaned_data["tiers"]
        )
        if not recipients and not form.when_published:
            form.add_error(
                None,
                _(
                    "Nobody would receive this: “%(name)s” has no subscribers in that group "
                    "who can be emailed. Choose another newsletter or group."
                )
                % {"name": newsletter.name},
            )
            return self.render_to_response(self.get_context_data(form=form))
        return self.render_to_response(
            self.get_context_data(
                form=form,
                confirming=True,
                newsletter=newsletter,
                segment_label=Segment(form.cleaned_data["segment"]).label,
                tiers=form.cleaned_data["tiers"],
                subject=form.cleaned_data["subject"],
                when_published=form.when_published,
                recipients=recipients,
                suppressed=suppressed,
            )
        )

    def create_send(self, request: HttpRequest, form: SendForm) -> HttpResponse:
        newsletter: Newsletter = form.cleaned_data["newsletter"]
        try:
            send = actions.create_send(
                page=self.page,
                newsletter=newsletter,
                segment=form.cleaned_data["segment"],
                tiers=form.cleaned_data["tiers"],
                subject=form.cleaned_data["subject"],
                actor=request.user,  # type: ignore[arg-type]
                when_published=form.when_published,
            )
        except actions.SendRefused as refusal:
            form.add_error(None, str(refusal))
            messages.error(request, _("Nothing was sent. See why below."))
            return self.render_to_response(self.get_context_data(form=form))
        log(
            self.page,
            SEND_LOGGED,
            user=request.user,
            data={"newsletter": newsletter.name, "send": send.pk, "status": send.status},
        )
        if send.status == NewsletterSend.Status.WAITING:
            message = _(
                "“%(title)s” will go to “%(name)s” as soon as it is published. Until then you "
                "can cancel it here."
            )
        else:
            message = _(
                "Sending “%(title)s” to “%(name)s”. This page shows its progress; you can leave it."
            )
        messages.success(request, message % {"title": self.page.title, "name": newsletter.name})
        return redirect(self.detail_url_name, send.pk)

    def send_test(self, request: HttpRequest) -> HttpResponse:
        test_form = self.make_test_form(request.POST)
        if not test_form.is_valid():
            messages.error(request, _("The test was not sent. Correct the errors below."))
            return self.render_to_response(self.get_context_data(test_form=test_form))
        addresses: list[str] = test_form.cleaned_data["addresses"]
        try:
            send_test_email(
                page=self.draft,
                newsletter=test_form.cleaned_data["newsletter"],
                emails=addresses,
                subject=test_form.cleaned_data["subject"],
                variant=test_form.cleaned_data["variant"],
            )
        except (OSError, AnymailError):
            logger.exception("Test email of page %s could not be sent", self.page.pk)
            test_form.add_error(
                None,
                _(
                    "The mail server did not accept the test, so nothing was sent. Try again in "
                    "a minute; if it keeps failing, check the site's email settings."
                ),
            )
            return self.render_to_response(self.get_context_data(test_form=test_form))
        messages.success(
            request,
            _("Sent a test to %(addresses)s. It should arrive within a minute.")
            % {"addresses": ", ".join(addresses)},
        )
        return redirect(f"{self.url}#test-email")


class EmailPreviewView(PermissionCheckedMixin, View):
    """The article's email as a reader would get it, with a sample reader's name and links."""

    model = NewsletterSend
    any_permission_required = ["add", "change", "view"]

    def get(self, request: HttpRequest, page_id: int) -> HttpResponse:
        from .rendering import personalise, render_article_email

        page = get_object_or_404(ArticlePage, pk=page_id)
        if not page.permissions_for_user(request.user).can_edit():
            raise PermissionDenied
        draft = page.get_latest_revision_as_object()
        newsletters = Newsletter.objects.all()
        chosen = request.GET.get("newsletter", "")
        newsletter = (
            newsletters.filter(pk=int(chosen)).first()
            if chosen.isdigit() and len(chosen) < 10
            else None
        ) or Newsletter.objects.active().first()
        if newsletter is None:
            return HttpResponse(
                _("There is no active newsletter to preview with."),
                content_type="text/plain; charset=utf-8",
                status=404,
            )
        variant = request.GET.get("variant", "")
        if variant not in Delivery.Variant.values:
            variant = Delivery.Variant.FULL
        subject = (request.GET.get("subject") or draft.title)[:255]
        rendered = render_article_email(
            page=draft,
            newsletter=newsletter,
            variant=variant,
            subject=subject,
            view_in_browser_url=(page.full_url if page.live else "") or settings.MASTHEAD_SITE_URL,
        )
        html, text = personalise(
            rendered, name=str(SAMPLE_READER_NAME), unsubscribe_url="#", manage_url="#"
        )
        if request.GET.get("format") == "text":
            response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        else:
            response = HttpResponse(html, content_type="text/html; charset=utf-8")
        # An email has no scripts; should an embed carry one, it does not run in the admin.
        response["Content-Security-Policy"] = "script-src 'none'"
        return response


# --- Sends --------------------------------------------------------------------------------


def _count_of(status: str) -> Coalesce:
    deliveries = (
        Delivery.objects.filter(send=OuterRef("pk"), status=status)
        .order_by()
        .values("send")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(deliveries, output_field=IntegerField()), 0)


def _article_title(send: NewsletterSend) -> str:
    return send.page.title if send.page else _("(article deleted)")


def _segment_text(send: NewsletterSend) -> str:
    return send.get_segment_display()


def _sent_and_failed(send: NewsletterSend) -> str:
    sent = getattr(send, "sent_count", 0)
    failed = getattr(send, "failed_count", 0)
    return _("%(sent)s sent, %(failed)s failed") % {"sent": sent, "failed": failed}


def _created_by(send: NewsletterSend) -> str:
    return str(send.created_by) if send.created_by else ""


class SendIndexView(IndexView):
    """Every send, newest first, with emails sent per day over the last 30 days."""

    template_name = "newsletters/admin/send_index.html"
    results_template_name = "newsletters/admin/send_index_results.html"
    default_ordering = "-created_at"

    def get_base_queryset(self) -> QuerySet[NewsletterSend]:
        # The counts are subqueries, so only the sends on the page are counted.
        return NewsletterSend.objects.select_related("page", "newsletter", "created_by").annotate(
            sent_count=_count_of(Delivery.Status.SENT),
            failed_count=_count_of(Delivery.Status.FAILED),
        )

    def order_queryset(self, queryset: QuerySet[NewsletterSend]) -> QuerySet[NewsletterSend]:
        ordered = super().order_queryset(queryset)
        return ordered.order_by(*ordered.query.order_by, "-pk")

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self._get_title_column("subject"),
            Column("article", label=_("Article"), accessor=_article_title),
            Column("newsletter", label=_("Newsletter"), accessor="newsletter.name"),
            Column("segment", label=_("Sent to"), accessor=_segment_text),
            Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
            NumberColumn("recipient_count", label=_("Recipients"), sort_key="recipient_count"),
            Column("delivered", label=_("Sent / failed"), accessor=_sent_and_failed),
            DateColumn("created_at", label=_("Created"), sort_key="created_at"),
            Column("created_by", label=_("By"), accessor=_created_by),
        ]

    def get_page_title(self) -> str:
        return _("Sends")

    def get_context_data(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(*args, **kwargs)
        if not self.results_only:
            context["overview"] = sends_per_day()
        return context


class SendDetailView(InspectView):
    """One send: what, to whom, its progress while it runs, and its outcome."""

    template_name = "newsletters/admin/send_detail.html"
    page_title = gettext_lazy("Send")
    progress_url_name = ""
    cancel_url_name = ""
    object: NewsletterSend

    def get_object(self, queryset: Any = None) -> NewsletterSend:
        return get_object_or_404(
            NewsletterSend.objects.select_related("page", "newsletter", "created_by"),
            pk=self.pk,
        )

    def get_page_subtitle(self) -> str:
        return self.object.subject

    def get_fields(self) -> list[str]:
        return []

    def can_cancel(self) -> bool:
        return bool(not self.object.is_finished and self.user_has_any_permission(["add", "change"]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        send = self.object
        progress = send_progress(send)
        context.update(
            send=send,
            tiers=list(send.tiers.all()) if send.segment == Segment.TIERS else [],
            progress=progress,
            outcomes=outcome_bar(progress),
            statistics=send_statistics(send, sent=progress["sent"]),
            failed_deliveries=list(
                send.deliveries.filter(status=Delivery.Status.FAILED).order_by("failed_at", "pk")[
                    :FAILED_DELIVERIES_SHOWN
                ]
            )
            if progress["failed"]
            else [],
            failed_limit=FAILED_DELIVERIES_SHOWN,
            progress_url=reverse(self.progress_url_name, args=(send.pk,)),
            cancel_url=reverse(self.cancel_url_name, args=(send.pk,)) if self.can_cancel() else "",
            article_edit_url=(
                reverse("wagtailadmin_pages:edit", args=(send.page_id,)) if send.page_id else ""
            ),
            is_waiting=send.status == NewsletterSend.Status.WAITING,
        )
        return context


class SendProgressView(PermissionCheckedMixin, View):
    """The send's progress as JSON, for the detail page to poll."""

    model = NewsletterSend
    any_permission_required = ["add", "change", "view"]

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        send = get_object_or_404(NewsletterSend, pk=pk)
        # Wagtail's admin marks every response uncacheable, so each poll is fresh.
        return JsonResponse(send_progress(send))


class SendCancelView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm, then stop a send: recipients not yet mailed are not mailed."""

    model = NewsletterSend
    any_permission_required = ["add", "change"]
    template_name = "newsletters/admin/send_cancel.html"
    header_icon = "mail"
    index_url_name = ""
    detail_url_name = ""
    send: NewsletterSend

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.send = get_object_or_404(
            NewsletterSend.objects.select_related("page", "newsletter"), pk=kwargs["pk"]
        )

    def get_page_title(self) -> str:
        return _("Cancel send")

    def get_page_subtitle(self) -> str:
        return self.send.subject

    @property
    def detail_url(self) -> str:
        return reverse(self.detail_url_name, args=(self.send.pk,))

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Sends")},
            {"url": self.detail_url, "label": self.send.subject},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(
            send=self.send,
            progress=send_progress(self.send) if not self.send.is_finished else None,
            detail_url=self.detail_url,
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if self.send.is_finished:
            messages.warning(
                request,
                _("This send had already finished (%(status)s), so nothing was changed.")
                % {"status": self.send.get_status_display()},
            )
            return redirect(self.detail_url)
        send = actions.cancel_send(send=self.send)
        if send.status != NewsletterSend.Status.CANCELLED:
            messages.warning(
                request,
                _("This send finished a moment ago (%(status)s), so nothing was changed.")
                % {"status": send.get_status_display()},
            )
            return redirect(self.detail_url)
        if send.page is not None:
            log(
                send.page,
                CANCEL_LOGGED,
                user=request.user,
                data={"newsletter": send.newsletter.name, "send": send.pk},
            )
        messages.success(
            request,
            _(
                "Cancelled. Nobody else receives “%(subject)s”; emails already sent cannot be "
                "called back."
            )
            % {"subject": send.subject},
        )
        return redirect(self.detail_url)


# --- Suppressions -------------------------------------------------------------------------


def _send_subject(suppression: Suppression) -> str:
    return suppression.send.subject if suppression.send else ""


class SuppressionIndexView(IndexView):
    """Addresses never mailed: bounces, complaints, and those staff added."""

    results_template_name = "newsletters/admin/suppression_index_results.html"
    default_ordering = "-created_at"

    def get_base_queryset(self) -> QuerySet[Suppression]:
        return Suppression.objects.select_related("send")

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self._get_title_column("email"),
            Column("reason", label=_("Reason"), accessor="get_reason_display", sort_key="reason"),
            Column("detail", label=_("Detail")),
            Column("send", label=_("From the send"), accessor=_send_subject),
            DateColumn("created_at", label=_("Added"), sort_key="created_at"),
        ]

    def get_page_title(self) -> str:
        return _("Suppressed addresses")

    @cached_property
    def add_item_label(self) -> str:
        return _("Add an address")

    def get_list_more_buttons(self, instance: Suppression) -> list[Any]:
        buttons = []
        if delete_url := self.get_delete_url(instance):
            buttons.append(
                MenuItem(_("Remove from the list"), url=delete_url, icon_name="bin", priority=30)
            )
        return buttons


class SuppressionCreateView(CreateView):
    page_subtitle = gettext_lazy("Suppressed address")

    def get_page_title(self) -> str:
        return _("Add a suppressed address")

    def save_instance(self) -> Suppression:
        return actions.suppress(
            email=self.form.cleaned_data["email"],
            reason=Suppression.Reason.STAFF,
            detail=self.form.cleaned_data["detail"],
        )

    def get_success_message(self, instance: Suppression) -> str:
        return _(
            "%(email)s is on the suppression list: no newsletter is sent to it until you remove it."
        ) % {"email": instance.email}

    def get_success_buttons(self) -> list[Any]:
        return []


class SuppressionDeleteView(DeleteView):
    page_title = gettext_lazy("Remove from the suppression list")

    @property
    def confirmation_message(self) -> str:
        return _(
            "Remove %(email)s from the suppression list? Newsletters it is subscribed to are "
            "sent to it again. If it bounced or complained, sending again can harm the site's "
            "reputation with mail providers."
        ) % {"email": self.object.email}

    def delete_action(self) -> None:
        actions.lift_suppression(email=self.object.email)

    def get_success_message(self) -> str:
        return _("%(email)s can receive newsletters again.") % {"email": self.object.email}
