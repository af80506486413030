"""Settings → Integrations: the API keys outside tools use, as Ghost's Integrations screen.

Views check who may see keys and parse forms; every change goes through ``actions``,
exactly as ``masthead integrations`` does. A key is shown only on its integration's page,
never in a list, a message or the audit log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Count, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, include, path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.models import ModelLogEntry

from . import actions
from .forms import IntegrationForm
from .models import Integration, Webhook

URL_NAMESPACE = "masthead_integrations"
PERMISSION = "contentapi.change_integration"
# The largest id a database's integer column holds; SQLite fails on larger ones.
MAX_ID = 2**63 - 1


def url_name(name: str) -> str:
    return f"{URL_NAMESPACE}:{name}"


def can_manage_integrations(user: Any) -> bool:
    """Superusers, and staff given "Can change integration" in Settings → Groups."""
    return bool(
        getattr(user, "is_active", False)
        and (getattr(user, "is_superuser", False) or user.has_perm(PERMISSION))
    )


def integrations_with_summary() -> QuerySet[Integration]:
    """Integrations with their webhook count and the time a key last changed."""
    key_changes = (
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Integration),
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
            action__in=actions.KEY_CHANGES,
        )
        .values("object_id")
        .annotate(latest=Max("timestamp"))
        .values("latest")
    )
    return Integration.objects.annotate(
        webhook_count=Count("webhooks"),
        last_key_change=Subquery(key_changes[:1]),
    ).order_by(F("revoked_at").asc(nulls_first=True), "name", "pk")


class IntegrationsMixin(WagtailAdminTemplateMixin):
    """Refuses everyone who may not manage integrations; the breadcrumbs start at the list."""

    header_icon = "link-external"
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_manage_integrations(request.user):
            raise PermissionDenied
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(url_name("index")), "label": _("Integrations")},
            {"url": "", "label": self.get_page_title()},
        ]


class IntegrationMixin(IntegrationsMixin):
    """A view of one integration, loaded from the URL's ``pk``."""

    integration: Integration

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_manage_integrations(request.user):
            raise PermissionDenied
        if kwargs["pk"] > MAX_ID or kwargs.get("webhook_pk", 0) > MAX_ID:
            raise Http404
        self.integration = get_object_or_404(Integration, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(url_name("index")), "label": _("Integrations")},
            {"url": detail_url(self.integration), "label": self.integration.name},
            {"url": "", "label": self.get_page_title()},
        ]


def detail_url(integration: Integration) -> str:
    return reverse(url_name("detail"), args=(integration.pk,))


class IndexView(IntegrationsMixin, TemplateView):
    template_name = "contentapi/admin/integrations_index.html"
    page_title = gettext_lazy("Integrations")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    @property
    def header_buttons(self) -> list[HeaderButton]:
        return [
            HeaderButton(_("Add an integration"), url=reverse(url_name("add")), icon_name="plus")
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["integrations"] = integrations_with_summary()
        context["add_url"] = reverse(url_name("add"))
        return context


class AddView(IntegrationsMixin, FormView[IntegrationForm]):
    template_name = "contentapi/admin/integration_form.html"
    form_class = IntegrationForm
    page_title = gettext_lazy("Add an integration")

    def form_valid(self, form: IntegrationForm) -> HttpResponse:
        integration = actions.create_integration(
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            user=self.request.user,
        )
        messages.success(
            self.request,
            _("Integration “%(name)s” created. Copy its keys into the tool that will use them.")
            % {"name": integration.name},
        )
        return redirect(detail_url(integration))


class EditView(IntegrationMixin, FormView[IntegrationForm]):
    template_name = "contentapi/admin/integration_form.html"
    form_class = IntegrationForm
    page_title = gettext_lazy("Edit")

    def get_initial(self) -> dict[str, Any]:
        return {"name": self.integration.name, "description": self.integration.description}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["cancel_url"] = detail_url(self.integration)
        return context

    def form_valid(self, form: IntegrationForm) -> HttpResponse:
        actions.edit_integration(
            integration=self.integration,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            user=self.request.user,
        )
        messages.success(self.request, _("Saved. The keys have not changed."))
        return redirect(detail_url(self.integration))


class DetailView(IntegrationMixin, TemplateView):
    """The keys, ready to copy, with an example, the webhooks and the key actions."""

    template_name = "contentapi/admin/integration_detail.html"

    def get_page_title(self) -> str:
        return self.integration.name

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(url_name("index")), "label": _("Integrations")},
            {"url": "", "label": self.integration.name},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        pk = self.integration.pk
        context.update(
            integration=self.integration,
            api_url=settings.MASTHEAD_SITE_URL,
            webhooks=list(self.integration.webhooks.order_by("event", "pk")),
            edit_url=reverse(url_name("edit"), args=(pk,)),
            regenerate_content_url=reverse(url_name("regenerate"), args=(pk, "content")),
            regenerate_admin_url=reverse(url_name("regenerate"), args=(pk, "admin")),
            revoke_url=reverse(url_name("revoke"), args=(pk,)),
            restore_url=reverse(url_name("restore"), args=(pk,)),
            webhook_delete_url_name=url_name("webhook_delete"),
        )
        return context


class ConfirmView(IntegrationMixin, TemplateView):
    """A confirmation page (GET) for a change made by POST."""

    template_name = "contentapi/admin/integration_confirm.html"
    question = ""
    consequence = ""
    confirm_label: str | Promise = ""
    serious = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(
            integration=self.integration,
            question=self.get_question(),
            consequence=self.get_consequence(),
            confirm_label=self.confirm_label,
            serious=self.serious,
            cancel_url=detail_url(self.integration),
        )
        return context

    def get_question(self) -> str:
        return self.question

    def get_consequence(self) -> str:
        return self.consequence


class RegenerateView(ConfirmView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if kwargs["kind"] not in actions.KEY_KINDS:
            raise Http404
        self.kind = kwargs["kind"]
        return super().dispatch(request, *args, **kwargs)

    def key_label(self) -> str:
        return _("Content API key") if self.kind == "content" else _("Admin API key")

    def get_page_title(self) -> str:
        return _("Regenerate the %(key)s") % {"key": self.key_label()}

    def get_question(self) -> str:
        return _("Regenerate the %(key)s of “%(name)s”?") % {
            "key": self.key_label(),
            "name": self.integration.name,
        }

    def get_consequence(self) -> str:
        return _(
            "The current key stops working at once: every site, app or script using it gets "
            "“Unknown API key” errors until you give it the new key."
        )

    confirm_label = gettext_lazy("Yes, regenerate it")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.integration.is_active:
            messages.error(request, _("Restore the integration before regenerating its keys."))
            return redirect(detail_url(self.integration))
        actions.regenerate_key(integration=self.integration, kind=self.kind, user=request.user)
        messages.success(
            request,
            _("New %(key)s made. Give it to the tools that used the old one.")
            % {"key": self.key_label()},
        )
        return redirect(detail_url(self.integration))


class RevokeView(ConfirmView):
    page_title = gettext_lazy("Revoke")
    confirm_label = gettext_lazy("Yes, revoke it")

    def get_question(self) -> str:
        return _("Revoke “%(name)s”?") % {"name": self.integration.name}

    def get_consequence(self) -> str:
        return _(
            "Both of its keys stop working at once, and its webhooks are no longer called. "
            "The integration is kept: you can restore it later with the same keys."
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actions.revoke_integration(integration=self.integration, user=request.user)
        messages.success(
            request,
            _("“%(name)s” is revoked; its keys no longer work.") % {"name": self.integration.name},
        )
        return redirect(detail_url(self.integration))


class RestoreView(ConfirmView):
    page_title = gettext_lazy("Restore")
    confirm_label = gettext_lazy("Yes, restore it")
    serious = False

    def get_question(self) -> str:
        return _("Restore “%(name)s”?") % {"name": self.integration.name}

    def get_consequence(self) -> str:
        return _(
            "Its keys work again at once, as they were before it was revoked. To give it "
            "new keys instead, restore it and then regenerate them."
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actions.restore_integration(integration=self.integration, user=request.user)
        messages.success(
            request,
            _("“%(name)s” is restored; its keys work again.") % {"name": self.integration.name},
        )
        return redirect(detail_url(self.integration))


class WebhookDeleteView(ConfirmView):
    page_title = gettext_lazy("Delete webhook")
    confirm_label = gettext_lazy("Yes, delete it")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_manage_integrations(request.user):
            raise PermissionDenied
        if kwargs["pk"] > MAX_ID or kwargs["webhook_pk"] > MAX_ID:
            raise Http404
        self.webhook = get_object_or_404(
            Webhook.objects.select_related("integration"),
            pk=kwargs["webhook_pk"],
            integration_id=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_question(self) -> str:
        return _("Delete the “%(event)s” webhook that calls %(url)s?") % {
            "event": self.webhook.event,
            "url": self.webhook.target_url,
        }

    def get_consequence(self) -> str:
        return _(
            "That address is no longer called, and deliveries still waiting are dropped. "
            "The tool that registered it can add it again with the Admin API."
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actions.delete_webhook(webhook=self.webhook, user=request.user)
        messages.success(request, _("Webhook deleted."))
        return redirect(detail_url(self.integration))


class IntegrationsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_manage_integrations(request.user)


def menu_item() -> IntegrationsMenuItem:
    return IntegrationsMenuItem(
        gettext_lazy("Integrations"),
        reverse(url_name("index")),
        name="integrations",
        icon_name="link-external",
        order=850,
    )


urlpatterns: list[URLPattern] = [
    path("", IndexView.as_view(), name="index"),
    path("new/", AddView.as_view(), name="add"),
    path("<int:pk>/", DetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", EditView.as_view(), name="edit"),
    path("<int:pk>/regenerate/<str:kind>/", RegenerateView.as_view(), name="regenerate"),
    path("<int:pk>/revoke/", RevokeView.as_view(), name="revoke"),
    path("<int:pk>/restore/", RestoreView.as_view(), name="restore"),
    path(
        "<int:pk>/webhooks/<int:webhook_pk>/delete/",
        WebhookDeleteView.as_view(),
        name="webhook_delete",
    ),
]


def admin_urls() -> list[Any]:
    """For the ``register_admin_urls`` hook: the screen under ``/admin/integrations/``."""
    return [path("integrations/", include((urlpatterns, URL_NAMESPACE), namespace=URL_NAMESPACE))]
