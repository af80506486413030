"""The live desk: where editors post, edit, pin, delete and promote a live page's updates.

Posting an update must take seconds and must not republish the page, so updates are
written here through ``actions`` and never through the page editor. Views parse and
authorise; every change goes through ``actions``, exactly as ``masthead live`` does.

Viewing the desk needs permission to edit the page; every change needs permission to
publish it, because an update is on the public page the moment it is posted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.core.paginator import Page as PaginatorPage
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log
from wagtail.permissions import page_permission_policy

from . import actions
from .models import Author, CoverageStatus, LivePage, LiveUpdate

UPDATES_PER_PAGE = 50
PAGES_PER_INDEX = 50
URL_NAMESPACE = "masthead_live"
# The largest id a database's integer column holds; SQLite fails on larger ones.
MAX_ID = 2**63 - 1

# Actions recorded on a live page's history (the "History" tab of the page editor).
POSTED = "masthead.live_update.post"
EDITED = "masthead.live_update.edit"
PINNED = "masthead.live_update.pin"
UNPINNED = "masthead.live_update.unpin"
DELETED = "masthead.live_update.delete"
PROMOTED = "masthead.live_update.promote"
LOGGED_ACTIONS = {
    POSTED: (gettext_lazy("Post live update"), gettext_lazy("Posted a live update")),
    EDITED: (gettext_lazy("Edit live update"), gettext_lazy("Edited a live update")),
    PINNED: (gettext_lazy("Pin live update"), gettext_lazy("Pinned a live update")),
    UNPINNED: (gettext_lazy("Unpin live update"), gettext_lazy("Unpinned a live update")),
    DELETED: (gettext_lazy("Delete live update"), gettext_lazy("Deleted a live update")),
    PROMOTED: (
        gettext_lazy("Promote live update"),
        gettext_lazy("Made a draft article from a live update"),
    ),
}


def url_name(name: str) -> str:
    return f"{URL_NAMESPACE}:{name}"


def desk_url(page: LivePage | int) -> str:
    return reverse(url_name("desk"), args=(getattr(page, "pk", page),))


# --- Forms ------------------------------------------------------------------------


class LiveUpdateForm(WagtailAdminModelForm):
    """An update's fields, with the body in Wagtail's block editor.

    The form only validates; the view hands ``cleaned_data`` to ``actions``, which numbers
    the change. An empty body gets the actions' message (the same the command line
    prints) instead of the block editor's "This field is required" on a blank paragraph.
    """

    class Meta:
        model = LiveUpdate
        fields: ClassVar[list[str]] = ["headline", "body", "author", "is_pinned", "is_key_event"]
        labels: ClassVar[dict[str, Any]] = {"headline": gettext_lazy("Headline (optional)")}

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None and "body-count" not in data:
            # The block editor reads its block count unchecked: a post without one (a
            # script, a truncated request) would fail with a server error, not "write something".
            data = data.copy()
            data["body-count"] = "0"
        super().__init__(data, *args, **kwargs)
        self.fields["author"].queryset = Author.objects.order_by("name")
        self.fields["author"].required = False

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or "body" not in self._errors:
            return
        field = self.fields["body"]
        value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix("body"))
        raw = value.get_prep_value() if hasattr(value, "get_prep_value") else []
        try:
            actions.check_live_update(headline="", body=raw)
        except ValidationError as error:
            self._errors["body"] = self.error_class(error.message_dict["body"])
            self.cleaned_data.pop("body", None)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        if "body" in cleaned:
            try:
                actions.check_live_update(
                    headline=cleaned.get("headline") or "", body=cleaned["body"]
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        self.add_error(field, problem)
        return cleaned

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for ``post_live_update`` and ``edit_live_update``."""
        data = self.cleaned_data
        return {
            "headline": data.get("headline") or "",
            "body": data["body"],
            "author": data.get("author"),
            "is_pinned": bool(data.get("is_pinned")),
            "is_key_event": bool(data.get("is_key_event")),
        }


class LiveUpdateEditForm(LiveUpdateForm):
    """Editing adds the time, for correcting it; a new update is stamped when posted."""

    class Meta(LiveUpdateForm.Meta):
        fields: ClassVar[list[str]] = [*LiveUpdateForm.Meta.fields, "posted_at"]

    def changes(self) -> dict[str, Any]:
        return {**super().changes(), "posted_at": self.cleaned_data.get("posted_at")}


def default_author(user: Any) -> Author | None:
    """The byline of the editor posting: their linked author, else one with their email."""
    if not getattr(user, "pk", None):
        return None
    linked = Author.objects.filter(user=user).first()
    if linked is not None:
        return linked
    email = (getattr(user, "email", "") or "").strip()
    if not email:
        return None
    return Author.objects.filter(email__iexact=email).order_by("pk").first()


def blank_update(page: LivePage, user: Any) -> LiveUpdate:
    """A new update with one empty paragraph open, so the editor can type at once."""
    return LiveUpdate(
        page=page, body=[{"type": "paragraph", "value": ""}], author=default_author(user)
    )


# --- Views ------------------------------------------------------------------------


class LivePageMixin(WagtailAdminTemplateMixin):
    """Loads the live page of the URL and checks the editor may see (and change) it."""

    header_icon = "radio-full"
    request: HttpRequest
    page: LivePage

    def load_page(self, request: HttpRequest, page_id: int) -> None:
        if page_id > MAX_ID:
            # The page's id is a link to Page, which Django does not guard against overflow.
            raise Http404(_("There is no such live page."))
        self.page = get_object_or_404(LivePage, pk=page_id)
        permissions = self.page.permissions_for_user(request.user)
        if not permissions.can_edit():
            raise PermissionDenied
        self.can_publish = permissions.can_publish()
        if request.method == "POST" and not self.can_publish:
            raise PermissionDenied

    def get_page_subtitle(self) -> str:
        return self.page.get_admin_display_title()

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(url_name("index")), "label": _("Live coverage")},
            {"url": desk_url(self.page), "label": self.page.get_admin_display_title()},
            {"url": "", "label": self.get_page_title()},
        ]

    def log(self, action: str, update: LiveUpdate) -> None:
        log(
            instance=self.page,
            action=action,
            user=self.request.user,
            data={"update": update.pk, "headline": str(update)},
        )

    def back_to_desk(self, fallback_anchor: str = "") -> HttpResponse:
        """The desk page the editor came from (``next``), else the desk's first page."""
        target = self.request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}
        ) or not target.startswith(desk_url(self.page)):
            target = desk_url(self.page) + fallback_anchor
        return redirect(target)


class UpdateMixin(LivePageMixin):
    update: LiveUpdate

    def load_update(self, update_id: int) -> None:
        self.update = get_object_or_404(
            LiveUpdate.objects.visible().select_related("author", "promoted_to"),
            pk=update_id,
            page=self.page,
        )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.load_page(request, kwargs["page_id"])
        self.load_update(kwargs["update_id"])
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response


class DeskView(LivePageMixin, TemplateView):
    """The page's status, the form to post an update, and its updates newest first."""

    template_name = "publishing/admin/live_desk.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.load_page(request, kwargs["page_id"])
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_page_title(self) -> str:
        return _("Live desk")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(url_name("index")), "label": _("Live coverage")},
            {"url": "", "label": self.page.get_admin_display_title()},
        ]

    def get_header_buttons(self) -> list[Any]:
        buttons = []
        if self.page.live and self.page.url:
            buttons.append(
                HeaderButton(
                    _("View live page"),
                    url=self.page.url,
                    icon_name="link-external",
                    attrs={"target": "_blank", "rel": "noreferrer"},
                    priority=10,
                )
            )
        buttons.append(
            HeaderButton(
                _("Edit page"),
                url=reverse("wagtailadmin_pages:edit", args=(self.page.pk,)),
                icon_name="edit",
                priority=20,
            )
        )
        return buttons

    def updates(self) -> PaginatorPage:
        updates = (
            LiveUpdate.objects.filter(page=self.page)
            .visible()
            .newest_first()
            .select_related("author", "promoted_to")
        )
        paginator = Paginator(updates, UPDATES_PER_PAGE)
        number = self.request.GET.get("p", "1")
        try:
            return paginator.page(int(number) if number.isdigit() else 0)
        except InvalidPage as error:
            raise Http404(_("There is no such page of updates.")) from error

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        if self.can_publish:
            context.setdefault(
                "form", LiveUpdateForm(instance=blank_update(self.page, self.request.user))
            )
        updates = self.updates()
        page_url = self.page.get_full_url(self.request) or ""
        for update in updates:
            update.link = update.permalink(page_url)
        context.update(
            page=self.page,
            can_publish=self.can_publish,
            is_ongoing=self.page.is_ongoing,
            updates=updates,
            elided_page_range=updates.paginator.get_elided_page_range(updates.number),
            coverage_url=reverse(
                url_name("end" if self.page.is_ongoing else "resume"), args=(self.page.pk,)
            ),
            here=self.request.get_full_path(),
        )
        return context

    def post(self, request: HttpRequest, page_id: int) -> HttpResponse:
        form = LiveUpdateForm(request.POST, instance=blank_update(self.page, request.user))
        if form.is_valid():
            try:
                update = actions.post_live_update(
                    page=self.page, user=request.user, **form.changes()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.log(POSTED, update)
                messages.success(request, _("Update posted. Readers see it within seconds."))
                return redirect(desk_url(self.page))
        messages.error(request, _("The update was not posted. Correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form))


class EditUpdateView(UpdateMixin, TemplateView):
    template_name = "publishing/admin/live_update_edit.html"

    def get_page_title(self) -> str:
        return _("Edit update")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        if self.can_publish:
            context.setdefault("form", LiveUpdateEditForm(instance=self.update))
        context.update(
            page=self.page,
            update=self.update,
            can_publish=self.can_publish,
            desk_url=desk_url(self.page),
        )
        return context

    def post(self, request: HttpRequest, page_id: int, update_id: int) -> HttpResponse:
        form = LiveUpdateEditForm(request.POST, instance=self.update)
        if form.is_valid():
            try:
                update = actions.edit_live_update(update=self.update, **form.changes())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.log(EDITED, update)
                messages.success(request, _("Update changed. Open pages show the new version."))
                return redirect(desk_url(self.page) + f"#{update.anchor}")
        messages.error(request, _("The update was not changed. Correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form))


class DeleteUpdateView(UpdateMixin, TemplateView):
    template_name = "publishing/admin/live_update_delete.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.load_page(request, kwargs["page_id"])
        if not self.can_publish:
            raise PermissionDenied
        self.load_update(kwargs["update_id"])
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_page_title(self) -> str:
        return _("Delete update")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(page=self.page, update=self.update, desk_url=desk_url(self.page))
        return context

    def post(self, request: HttpRequest, page_id: int, update_id: int) -> HttpResponse:
        actions.delete_live_update(update=self.update)
        self.log(DELETED, self.update)
        messages.success(request, _("Update deleted. Open pages remove it."))
        return redirect(desk_url(self.page))


class PinUpdateView(UpdateMixin, View):
    """POST only: ``pinned=1`` pins, anything else unpins."""

    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, page_id: int, update_id: int) -> HttpResponse:
        pinned = request.POST.get("pinned") == "1"
        actions.set_live_update_pinned(update=self.update, pinned=pinned)
        self.log(PINNED if pinned else UNPINNED, self.update)
        if pinned:
            messages.success(request, _("Update pinned to the top of the page."))
        else:
            messages.success(request, _("Update unpinned."))
        return self.back_to_desk(f"#{self.update.anchor}")


class PromoteUpdateView(UpdateMixin, View):
    """POST only: make a draft article of the update and open it in the page editor."""

    http_method_names: ClassVar[list[str]] = ["post"]  # type: ignore[misc]

    def post(self, request: HttpRequest, page_id: int, update_id: int) -> HttpResponse:
        if self.update.promoted_to_id:
            messages.info(request, _("This update was already made into this article."))
            return redirect("wagtailadmin_pages:edit", self.update.promoted_to_id)
        try:
            article = actions.promote_live_update(update=self.update, user=request.user)
        except ValidationError as error:
            messages.error(
                request,
                _("No draft article was made from the update: %(problem)s")
                % {"problem": " ".join(error.messages)},
            )
            return self.back_to_desk(f"#{self.update.anchor}")
        self.log(PROMOTED, self.update)
        messages.success(
            request,
            _(
                "A draft article was made from the update. Expand it and publish it; the update "
                "then links to it."
            ),
        )
        return redirect("wagtailadmin_pages:edit", article.pk)


class CoverageStatusView(LivePageMixin, TemplateView):
    """Confirm, then end or resume coverage (a new published revision of the page)."""

    template_name = "publishing/admin/live_coverage_status.html"
    status = CoverageStatus.ENDED

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.load_page(request, kwargs["page_id"])
        if not self.can_publish:
            raise PermissionDenied
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_page_title(self) -> str:
        if self.status == CoverageStatus.ENDED:
            return _("End coverage")
        return _("Resume coverage")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(
            page=self.page,
            ending=self.status == CoverageStatus.ENDED,
            unchanged=self.page.coverage_status == self.status,
            desk_url=desk_url(self.page),
        )
        return context

    def post(self, request: HttpRequest, page_id: int) -> HttpResponse:
        if self.page.coverage_status != self.status:
            actions.set_coverage_status(page=self.page, status=self.status, user=request.user)
        if self.status == CoverageStatus.ENDED:
            messages.success(request, _("Coverage ended. Readers' pages stop waiting for updates."))
        else:
            messages.success(request, _("Coverage resumed. Readers' pages follow updates again."))
        return redirect(desk_url(self.page))


class LiveIndexView(WagtailAdminTemplateMixin, TemplateView):
    """Every live page the editor may edit: ongoing ones first, then by their last update."""

    template_name = "publishing/admin/live_index.html"
    header_icon = "radio-full"
    page_title = gettext_lazy("Live coverage")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def pages(self) -> QuerySet[LivePage]:
        editable = page_permission_policy.instances_user_has_any_permission_for(
            self.request.user, ["change", "publish"]
        )
        visible = Q(updates__deleted_at__isnull=True)
        return (
            LivePage.objects.filter(pk__in=editable.values("pk"))
            .annotate(
                update_count=Count("updates", filter=visible),
                last_update_at=Max("updates__posted_at", filter=visible),
                ongoing=Case(
                    When(coverage_status=CoverageStatus.LIVE, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
            )
            .order_by(
                "ongoing",
                F("last_update_at").desc(nulls_last=True),
                "-latest_revision_created_at",
                "-pk",
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        number = self.request.GET.get("p", "1")
        paginator = Paginator(self.pages(), PAGES_PER_INDEX)
        try:
            pages = paginator.page(int(number) if number.isdigit() else 0)
        except InvalidPage as error:
            raise Http404(_("There is no such page of live coverage.")) from error
        context.update(
            pages=pages,
            elided_page_range=paginator.get_elided_page_range(pages.number),
            add_url=reverse("wagtailadmin_pages:add_subpage", args=(self.home_id(),))
            if self.home_id()
            else "",
        )
        return context

    def home_id(self) -> int | None:
        from wagtail.models import Site

        site = Site.find_for_request(self.request)
        return site.root_page_id if site else None


class LiveCoverageMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return bool(
            page_permission_policy.user_has_any_permission(request.user, ["change", "publish"])
        )


def menu_item() -> LiveCoverageMenuItem:
    return LiveCoverageMenuItem(
        gettext_lazy("Live coverage"),
        reverse(url_name("index")),
        name="live-coverage",
        icon_name="radio-full",
        order=155,
    )


class _EndView(CoverageStatusView):
    status = CoverageStatus.ENDED


class _ResumeView(CoverageStatusView):
    status = CoverageStatus.LIVE


urlpatterns: list[URLPattern] = [
    path("", LiveIndexView.as_view(), name="index"),
    path("<int:page_id>/", DeskView.as_view(), name="desk"),
    path("<int:page_id>/end/", _EndView.as_view(), name="end"),
    path("<int:page_id>/resume/", _ResumeView.as_view(), name="resume"),
    path("<int:page_id>/updates/<int:update_id>/edit/", EditUpdateView.as_view(), name="edit"),
    path(
        "<int:page_id>/updates/<int:update_id>/delete/", DeleteUpdateView.as_view(), name="delete"
    ),
    path("<int:page_id>/updates/<int:update_id>/pin/", PinUpdateView.as_view(), name="pin"),
    path(
        "<int:page_id>/updates/<int:update_id>/promote/",
        PromoteUpdateView.as_view(),
        name="promote",
    ),
]


def admin_urls() -> list[Any]:
    """For the ``register_admin_urls`` hook: the desk under ``/admin/live/``."""
    return [path("live/", include((urlpatterns, URL_NAMESPACE), namespace=URL_NAMESPACE))]
