"""The members admin: list, add, edit, comp, import and export members; revenue and refunds.

Views parse and authorise; every change goes through ``actions`` (or ``member_csv`` for
imports), so the admin writes exactly what the site and the importers write.
"""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from django.views.generic.base import ContextMixin, TemplateResponseMixin
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton

from . import actions, member_csv
from .admin_panels import can_see_revenue, revenue_overview
from .exceptions import EmailInUse
from .forms_admin import (
    CompForm,
    MemberAddForm,
    MemberDetailsForm,
    MemberEmailForm,
    MemberImportForm,
    RefundForm,
)
from .models import (
    Label,
    Member,
    MemberEvent,
    Membership,
    MemberStatus,
    Payment,
    SignupSource,
    Tier,
)
from .payments import PaymentsNotConfigured, ProviderUnavailable, payments_enabled
from .personal_data import member_data_export
from .templatetags.membership_tags import money

TIMELINE_LIMIT = 200
PAYMENTS_LIMIT = 100
LATEST_PAYMENTS_LIMIT = 20
REVENUE_RANGES = (30, 90, 365)


def can_refund(user: Any) -> bool:
    """Refunds send money back: they need the payment change permission, not only members'."""
    return bool(user.has_perm("membership.change_payment"))


# --- The list ---------------------------------------------------------------------------


def with_list_relations(members: QuerySet[Member]) -> QuerySet[Member]:
    """Labels and active memberships in one query each, whatever the page size."""
    return members.prefetch_related(
        "labels",
        Prefetch(
            "memberships",
            queryset=Membership.objects.active().select_related("tier").order_by("starts_at"),
            to_attr="active_memberships",
        ),
    )


class MemberFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=MemberStatus.choices,
        empty_label=gettext_lazy("All"),
        widget=forms.RadioSelect,
    )
    tier = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Tier"),
        queryset=Tier.objects.all(),
        method="filter_tier",
    )
    label = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Label"),
        queryset=Label.objects.all(),
        method="filter_label",
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Joined"), widget=DateRangePickerWidget
    )
    signup_source = django_filters.ChoiceFilter(
        label=gettext_lazy("Signed up through"),
        choices=SignupSource.choices,
        empty_label=gettext_lazy("All"),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Member
        fields: list[str] = []

    def filter_tier(
        self, queryset: QuerySet[Member], name: str, value: Tier | None
    ) -> QuerySet[Member]:
        if value is None:
            return queryset
        if value.is_free:
            # Nobody holds the free tier as a membership: it is what members without
            # paid access have.
            return queryset.filter(status=MemberStatus.FREE)
        # A subquery rather than a join, so no member is listed twice.
        holders = Membership.objects.active().filter(tier=value).values("member_id")
        return queryset.filter(pk__in=holders)

    def filter_label(
        self, queryset: QuerySet[Member], name: str, value: Label | None
    ) -> QuerySet[Member]:
        if value is None:
            return queryset
        labelled = Member.labels.through.objects.filter(label=value).values("member_id")
        return queryset.filter(pk__in=labelled)


def _tier_names(member: Member) -> str:
    names: list[str] = []
    for membership in getattr(member, "active_memberships", []):
        if membership.tier.name not in names:
            names.append(membership.tier.name)
    return ", ".join(names)


def _label_names(member: Member) -> str:
    return ", ".join(label.name for label in member.labels.all())


class MemberIndexView(IndexView):
    model = Member
    results_template_name = "membership/admin/member_index_results.html"
    search_fields = ["email", "name"]
    default_ordering = "-created_at"
    import_url_name: str | None = None
    export_url_name: str | None = None

    def get_base_queryset(self) -> QuerySet[Member]:
        return with_list_relations(Member.objects.all())

    def order_queryset(self, queryset: QuerySet[Member]) -> QuerySet[Member]:
        queryset = super().order_queryset(queryset)
        # Imports give many members the same created_at: the pk keeps pages stable.
        return queryset.order_by(*queryset.query.order_by, "-pk")

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self._get_title_column("email"),
            Column("name", label=_("Name"), sort_key="name"),
            Column("status", label=_("Status"), accessor="get_status_display"),
            Column("tiers", label=_("Tiers"), accessor=_tier_names),
            Column("labels", label=_("Labels"), accessor=_label_names),
            Column("signup_source", label=_("Source"), accessor="get_signup_source_display"),
            DateColumn("created_at", label=_("Joined"), sort_key="created_at"),
            DateColumn("last_seen_at", label=_("Last seen"), sort_key="last_seen_at"),
        ]

    def get_page_title(self) -> str:
        return _("Members")

    @cached_property
    def export_url(self) -> str:
        query = self.request.GET.copy()
        for key in ("p", "_w_filter_fragment"):
            query.pop(key, None)
        url = reverse(self.export_url_name or "")
        return f"{url}?{query.urlencode()}" if query else url

    @cached_property
    def header_buttons(self) -> list[Any]:
        buttons = list(super().header_buttons)
        if self.import_url_name and self.user_has_permission("add"):
            buttons.append(
                HeaderButton(
                    _("Import CSV"),
                    url=reverse(self.import_url_name),
                    icon_name="upload",
                    priority=20,
                )
            )
        if self.export_url_name and self.user_has_any_permission({"change", "view"}):
            buttons.append(
                HeaderButton(
                    _("Export CSV"),
                    url=self.export_url,
                    icon_name="download",
                    attrs={"download": ""},
                    priority=30,
                )
            )
        return buttons

    def get_context_data(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(*args, **kwargs)
        context["import_url"] = reverse(self.import_url_name) if self.import_url_name else ""
        return context


class MemberExportView(MemberIndexView):
    """The list's filters and search, streamed as Ghost's members CSV."""

    any_permission_required = ["change", "view"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.filters and not self.filters.is_valid():
            # The list shows everyone when a filter value is invalid; a download of
            # personal data must not quietly do the same.
            messages.error(
                request,
                _(
                    "Nothing was exported: a filter has a value that does not exist any more. "
                    "Clear the filters on the list, choose them again, then export."
                ),
            )
            return HttpResponseRedirect(reverse(self.index_url_name or ""))
        members = self.get_queryset()
        response = StreamingHttpResponse(
            member_csv.iter_members_csv(members), content_type="text/csv; charset=utf-8"
        )
        filename = f"members.{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# --- Pages about one member ------------------------------------------------------------


class MemberViewMixin(PermissionCheckedMixin, WagtailAdminTemplateMixin):
    """Breadcrumbs, URL names and permission checks shared by the member pages."""

    model = Member
    header_icon = "user"
    index_url_name: str | None = None
    add_url_name: str | None = None
    edit_url_name: str | None = None
    delete_url_name: str | None = None
    data_url_name: str | None = None
    import_url_name: str | None = None
    refund_url_name: str | None = None
    request: HttpRequest

    @property
    def actor(self) -> actions.Actor:
        """The signed-in staff member, recorded on timelines and comps."""
        return self.request.user

    def member_url(self, member: Member) -> str:
        return reverse(self.edit_url_name or "", args=(member.pk,))

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name or ""), "label": _("Members")},
        ]
        member = getattr(self, "member", None)
        if member is not None and self.get_page_title() != str(member.email):
            items.append({"url": self.member_url(member), "label": member.email})
        items.append({"url": "", "label": self.get_page_title()})
        return items


class MemberCreateView(MemberViewMixin, TemplateResponseMixin, ContextMixin, View):
    permission_required = "add"
    template_name = "membership/admin/member_add.html"

    def get_page_title(self) -> str:
        return _("Add a member")

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=MemberAddForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MemberAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The member was not added. Correct the errors below."))
            return self.render_to_response(self.get_context_data(form=form))
        member = actions.create_member(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
            labels=form.cleaned_data["labels"],
            source=SignupSource.ADMIN,
            actor=self.actor,
        )
        messages.success(
            request,
            _(
                "%(email)s is now a free member. Nothing was emailed to them; to give them "
                "a paid tier, use “Give a complimentary membership” below."
            )
            % {"email": member.email},
        )
        return HttpResponseRedirect(self.member_url(member))


class MemberEditView(MemberViewMixin, TemplateResponseMixin, ContextMixin, View):
    """A member's page: details, email, memberships, comps and their timeline."""

    any_permission_required = ["change", "view"]
    template_name = "membership/admin/member_detail.html"
    member: Member

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.member = get_object_or_404(
            Member.objects.select_related("signup_campaign", "signup_page"), pk=kwargs["pk"]
        )

    def get_page_title(self) -> str:
        return self.member.email

    @cached_property
    def can_change(self) -> bool:
        return bool(self.user_has_permission("change"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        member = self.member
        labels = list(member.labels.all())
        forms_by_name: dict[str, forms.Form] = {
            "details_form": MemberDetailsForm(
                initial={"name": member.name, "note": member.note, "labels": labels},
                auto_id="id_details_%s",
            ),
            "email_form": MemberEmailForm(member=member, auto_id="id_email_%s"),
            "comp_form": CompForm(auto_id="id_comp_%s"),
        }
        forms_by_name.update(kwargs.pop("forms", {}))
        memberships = list(
            member.memberships.select_related("tier", "granted_by").order_by("-starts_at", "-pk")
        )
        now = timezone.now()
        active = [m for m in memberships if m.is_active_on(now)]
        events = list(member.events.select_related("actor")[:TIMELINE_LIMIT])
        status_labels = dict(MemberStatus.choices)
        for event in events:
            if event.kind == MemberEvent.Kind.STATUS_CHANGED:
                event.status_change = (  # type: ignore[attr-defined]
                    status_labels.get(event.detail.get("old"), event.detail.get("old")),
                    status_labels.get(event.detail.get("new"), event.detail.get("new")),
                )
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(forms_by_name)
        context.update(self.payment_context())
        context.update(
            member=member,
            labels=labels,
            memberships=memberships,
            active_memberships=active,
            active_comps=[m for m in active if m.source == Membership.Source.COMP],
            events=events,
            events_truncated=len(events) == TIMELINE_LIMIT,
            can_change=self.can_change,
            can_comp=forms_by_name["comp_form"].fields["tier"].queryset.exists(),  # type: ignore[attr-defined]
            action_url=self.member_url(member),
            delete_url=(
                reverse(self.delete_url_name, args=(member.pk,))
                if self.delete_url_name and self.user_has_permission("delete")
                else ""
            ),
            data_url=reverse(self.data_url_name, args=(member.pk,)) if self.data_url_name else "",
        )
        return context

    def payment_context(self) -> dict[str, Any]:
        """The member's subscriptions and payments, newest first; three queries."""
        subscriptions = list(
            self.member.subscriptions.select_related("tier").order_by("-created_at", "-pk")
        )
        payments = list(
            self.member.payments.select_related("subscription__tier").order_by("-paid_at", "-pk")[
                : PAYMENTS_LIMIT + 1
            ]
        )
        truncated = len(payments) > PAYMENTS_LIMIT
        payments = payments[:PAYMENTS_LIMIT]
        pending = actions.pending_refunds(payments)
        refunds_here = (
            bool(self.refund_url_name) and can_refund(self.request.user) and payments_enabled()
        )
        rows = []
        for payment in payments:
            waiting = pending.get(payment.pk, 0)
            refundable = refunds_here and actions.refundable_amount(payment, pending=waiting) > 0
            rows.append(
                {
                    "payment": payment,
                    "pending": waiting,
                    "refund_url": (
                        reverse(self.refund_url_name or "", args=(payment.pk,))
                        if refundable
                        else ""
                    ),
                }
            )
        return {
            "subscriptions": subscriptions,
            "payment_rows": rows,
            "payments_truncated": truncated,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.can_change:
            raise PermissionDenied
        handler = {
            "details": self.save_details,
            "email": self.change_email,
            "comp": self.comp,
            "remove_comp": self.remove_comp,
        }.get(request.POST.get("action", ""))
        if handler is None:
            messages.error(request, _("Nothing was changed. Use one of the buttons on the page."))
            return HttpResponseRedirect(self.member_url(self.member))
        return handler(request)

    def _invalid(self, request: HttpRequest, name: str, form: forms.Form) -> HttpResponse:
        messages.error(request, _("Nothing was changed. Correct the errors below."))
        return self.render_to_response(self.get_context_data(forms={name: form}))

    def save_details(self, request: HttpRequest) -> HttpResponse:
        form = MemberDetailsForm(request.POST, auto_id="id_details_%s")
        if not form.is_valid():
            return self._invalid(request, "details_form", form)
        actions.update_member(
            member=self.member,
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
            actor=self.actor,
        )
        actions.set_labels(member=self.member, labels=form.cleaned_data["labels"], actor=self.actor)
        messages.success(request, _("Saved %(email)s's details.") % {"email": self.member.email})
        return HttpResponseRedirect(self.member_url(self.member))

    def change_email(self, request: HttpRequest) -> HttpResponse:
        form = MemberEmailForm(request.POST, member=self.member, auto_id="id_email_%s")
        if not form.is_valid():
            return self._invalid(request, "email_form", form)
        old_email = self.member.email
        try:
            actions.change_email(
                member=self.member, new_email=form.cleaned_data["email"], actor=self.actor
            )
        except EmailInUse:
            form.add_error(
                "email",
                _("Another member took that address a moment ago. Search for them instead."),
            )
            return self._invalid(request, "email_form", form)
        messages.success(
            request,
            _(
                "Changed the address from %(old)s to %(new)s. The member was signed out "
                "everywhere and signs in with the new address from now on."
            )
            % {"old": old_email, "new": self.member.email},
        )
        return HttpResponseRedirect(self.member_url(self.member))

    def comp(self, request: HttpRequest) -> HttpResponse:
        form = CompForm(request.POST, auto_id="id_comp_%s")
        if not form.is_valid():
            return self._invalid(request, "comp_form", form)
        tier: Tier = form.cleaned_data["tier"]
        last_day = form.cleaned_data["last_day"]
        actions.comp_member(member=self.member, tier=tier, ends_at=form.ends_at, actor=self.actor)
        if last_day is None:
            message = _(
                "%(email)s now has %(tier)s for free, until you remove it. Their status is "
                "%(status)s."
            )
        else:
            message = _(
                "%(email)s now has %(tier)s for free until the end of %(day)s. Their status "
                "is %(status)s."
            )
        messages.success(
            request,
            message
            % {
                "email": self.member.email,
                "tier": tier.name,
                "day": date_format(last_day) if last_day else "",
                "status": self.member.get_status_display(),
            },
        )
        return HttpResponseRedirect(self.member_url(self.member))

    def remove_comp(self, request: HttpRequest) -> HttpResponse:
        had_comp = self.member.memberships.active().filter(source=Membership.Source.COMP).exists()
        actions.remove_comp(member=self.member, actor=self.actor)
        if had_comp:
            messages.success(
                request,
                _(
                    "Removed the complimentary membership of %(email)s. Their status is now "
                    "%(status)s."
                )
                % {"email": self.member.email, "status": self.member.get_status_display()},
            )
        else:
            messages.warning(
                request,
                _("%(email)s has no complimentary membership, so nothing was removed.")
                % {"email": self.member.email},
            )
        return HttpResponseRedirect(self.member_url(self.member))


class MemberDeleteView(MemberViewMixin, TemplateResponseMixin, ContextMixin, View):
    permission_required = "delete"
    template_name = "membership/admin/member_delete.html"
    member: Member

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.member = get_object_or_404(Member, pk=kwargs["pk"])

    def get_page_title(self) -> str:
        return _("Delete member")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(
            member=self.member,
            cancel_url=self.member_url(self.member),
            data_url=reverse(self.data_url_name, args=(self.member.pk,))
            if self.data_url_name
            else "",
            membership_count=self.member.memberships.count(),
            event_count=self.member.events.count(),
        )
        return context

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        email = self.member.email
        actions.delete_member(member=self.member)
        messages.success(
            request,
            _(
                "Deleted %(email)s and everything recorded about them. If they join again, "
                "they start as a new member."
            )
            % {"email": email},
        )
        return HttpResponseRedirect(reverse(self.index_url_name or ""))


class MemberDataView(MemberViewMixin, View):
    """Everything kept about one member, as the JSON file they could download themselves."""

    any_permission_required = ["change", "view"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        member = get_object_or_404(Member, pk=pk)
        export = member_data_export(member)
        actions.record_event(member, MemberEvent.Kind.EXPORTED, actor=self.actor)
        response = HttpResponse(
            json.dumps(export, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="member-{member.ghost_id}.json"'
        return response


class MemberImportView(MemberViewMixin, TemplateResponseMixin, ContextMixin, View):
    permission_required = "add"
    template_name = "membership/admin/member_import.html"

    def get_page_title(self) -> str:
        return _("Import members")

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=MemberImportForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MemberImportForm(request.POST, request.FILES)
        summary = None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = member_csv.decode_csv_bytes(upload.read())
                summary = member_csv.import_members_csv(
                    text, actor=self.actor, file_name=upload.name
                )
            except member_csv.CSVFileError as error:
                form.add_error("file", error.user_message())
        if summary is None:
            messages.error(request, _("Nothing was imported. Correct the error below."))
            return self.render_to_response(self.get_context_data(form=form))
        message = _(
            "Import finished. New members: %(created)s. Updated: %(updated)s. Already up to "
            "date: %(unchanged)s."
        ) % {
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        }
        if summary.rejected:
            messages.warning(
                request,
                message
                + " "
                + _(
                    "Rows not imported: %(count)s. Fix them in the file (see the list below) "
                    "and import it again; rows already imported stay as they are."
                )
                % {"count": len(summary.rejected)},
            )
        else:
            messages.success(request, message)
        return self.render_to_response(
            self.get_context_data(form=MemberImportForm(), summary=summary)
        )


class PaymentRefundView(MemberViewMixin, TemplateResponseMixin, ContextMixin, View):
    """Ask Stripe to refund all or part of one payment, after a confirmation form."""

    permission_required = "change"
    template_name = "membership/admin/payment_refund.html"
    payment: Payment
    member: Member

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.payment = get_object_or_404(
            Payment.objects.select_related("member", "subscription__tier"),
            pk=kwargs["pk"],
            member__isnull=False,
        )
        assert self.payment.member is not None  # noqa: S101 - narrows the type
        self.member = self.payment.member

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_refund(request.user):
            raise PermissionDenied
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_page_title(self) -> str:
        return _("Refund a payment")

    @cached_property
    def pending(self) -> int:
        return actions.pending_refunds([self.payment]).get(self.payment.pk, 0)

    @property
    def left(self) -> int:
        return actions.refundable_amount(self.payment, pending=self.pending)

    def make_form(self, data: Any = None) -> RefundForm | None:
        if not self.left:
            return None
        return RefundForm(data, currency=self.payment.currency, left=self.left)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.setdefault("form", self.make_form())
        context.update(
            member=self.member,
            payment=self.payment,
            left=self.left,
            pending=self.pending,
            payments_on=payments_enabled(),
            cancel_url=self.member_url(self.member) + "#member-payments",
        )
        return context

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = self.make_form(request.POST)
        if form is None or not payments_enabled():
            messages.error(
                request, _("Nothing was refunded: there is nothing left to refund here.")
            )
            return self.render_to_response(self.get_context_data())
        if not form.is_valid():
            messages.error(request, _("Nothing was refunded. Correct the amount below."))
            return self.render_to_response(self.get_context_data(form=form))
        amount: int = form.cleaned_data["amount"]
        try:
            actions.refund_payment(payment=self.payment, amount=amount, actor=self.actor)
        except PaymentsNotConfigured:
            messages.error(
                request,
                _(
                    "Nothing was refunded: payments are switched off on this site. Refund it "
                    "in Stripe's dashboard instead."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form))
        except ProviderUnavailable:
            messages.error(
                request,
                _(
                    "Nothing was refunded: Stripe could not be reached or did not accept the "
                    "refund. Try again in a few minutes; if it keeps failing, refund it in "
                    "Stripe's dashboard."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form))
        except ValueError:
            # Another refund of this payment was requested since the form was shown.
            del self.pending
            self.payment.refresh_from_db()
            messages.error(
                request,
                _("Nothing was refunded: someone refunded part of this payment meanwhile."),
            )
            return self.render_to_response(self.get_context_data(form=self.make_form()))
        messages.success(
            request,
            _(
                "Refund of %(amount)s requested from Stripe. It shows in %(email)s's payments "
                "when Stripe confirms it, usually within a minute."
            )
            % {"amount": money(amount, self.payment.currency), "email": self.member.email},
        )
        return HttpResponseRedirect(self.member_url(self.member) + "#member-payments")


# --- Revenue ---------------------------------------------------------------------------


class RevenueView(WagtailAdminTemplateMixin, TemplateView):
    """Revenue over 30, 90 or 365 days, and the latest payments."""

    template_name = "membership/admin/revenue.html"
    header_icon = "table"
    member_url_name = ""
    index_url_name = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_see_revenue(request.user):
            raise PermissionDenied
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_page_title(self) -> str:
        return _("Revenue")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    @cached_property
    def days(self) -> int:
        chosen = self.request.GET.get("days", "")
        return int(chosen) if chosen in {str(days) for days in REVENUE_RANGES} else 90

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        overview = revenue_overview(days=self.days)
        payments: list[Payment] = []
        if overview["enabled"]:
            payments = list(
                Payment.objects.select_related("member", "subscription__tier").order_by(
                    "-paid_at", "-pk"
                )[:LATEST_PAYMENTS_LIMIT]
            )
        url = reverse(self.index_url_name) if self.index_url_name else ""
        context.update(
            overview=overview,
            ranges=[
                {
                    "days": days,
                    "label": _("Last %(days)s days") % {"days": days},
                    "url": f"{url}?days={days}",
                    "current": days == self.days,
                }
                for days in REVENUE_RANGES
            ],
            payments=payments,
            payments_limit=LATEST_PAYMENTS_LIMIT,
            member_url_name=self.member_url_name,
        )
        return context
