"""Paying: start a checkout, come back from it, manage a subscription, receive webhooks."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import actions, auth
from .exceptions import MembershipError
from .forms import safe_next
from .middleware import current_member
from .models import Cadence, CheckoutReturn, Member, Subscription, Tier
from .payments import WebhookRejected, get_provider, payments_enabled
from .payments.webhooks import process_event, store_event

logger = logging.getLogger(__name__)


def _problem(request: HttpRequest, error: MembershipError, *, status: int) -> HttpResponse:
    return render(
        request, "membership/payment_problem.html", {"message": error.user_message()}, status=status
    )


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """“Become a member” with a paid tier: off to the provider's checkout page."""
    tier = (
        Tier.objects.active().paid().filter(pk=str(request.POST.get("tier", ""))[:12] or 0).first()
    )
    cadence = request.POST.get("cadence", Cadence.MONTH)
    if tier is None or cadence not in Cadence.values:
        return render(
            request,
            "membership/payment_problem.html",
            {
                "message": "That membership option is no longer offered. Choose one on the join page."
            },
            status=400,
        )
    if not (tier.monthly_price if cadence == Cadence.MONTH else tier.yearly_price):
        cadence = Cadence.YEAR if cadence == Cadence.MONTH else Cadence.MONTH
    next_url = safe_next(request.POST.get("next"), fallback="/")
    member = current_member(request)
    base = settings.MASTHEAD_SITE_URL
    done = reverse("membership:checkout_done")
    success_url = f"{base}{done}?session_id={{CHECKOUT_SESSION_ID}}&{urlencode({'next': next_url})}"
    metadata = {
        "masthead_tier_id": str(tier.pk),
        "masthead_source": "paywall" if request.POST.get("source") == "paywall" else "direct",
    }
    if member is not None:
        metadata["masthead_member_id"] = str(member.pk)
    try:
        url = get_provider().start_subscription_checkout(
            tier=tier,
            cadence=cadence,
            member=member,
            success_url=success_url,
            cancel_url=f"{base}{next_url}",
            metadata=metadata,
        )
    except MembershipError as error:
        return _problem(request, error, status=503)
    return HttpResponseRedirect(url, status=303)


@never_cache
@require_GET
def checkout_done(request: HttpRequest) -> HttpResponse:
    """Back from a paid checkout: make the membership real now and sign the buyer in.

    The webhook may not have arrived yet; reading the session from the provider and
    syncing its subscription here is idempotent with whatever the webhook does later.
    """
    session_id = request.GET.get("session_id", "")[:255]
    next_url = safe_next(request.GET.get("next"), fallback="/")
    try:
        provider = get_provider()
        session = provider.checkout_session(session_id) if session_id else None
    except MembershipError as error:
        return _problem(request, error, status=503)
    if not session or session.get("status") != "complete":
        return render(
            request,
            "membership/payment_problem.html",
            {
                "message": _(
                    "This payment is not complete, so your membership has not started. If you "
                    "were charged, write to %(email)s and we will sort it out."
                )
                % {"email": settings.MASTHEAD_SUPPORT_EMAIL}
            },
            status=400,
        )
    subscription_id = session.get("subscription")
    if isinstance(subscription_id, dict):
        subscription_id = subscription_id.get("id")
    try:
        subscription = actions.sync_subscription(
            state=provider.fetch_subscription(str(subscription_id)), provider=provider
        )
    except MembershipError as error:
        return _problem(request, error, status=503)
    member: Member = subscription.member
    response = redirect(next_url)
    # The session id works once, for an hour: enough to come straight back from paying.
    fresh = time.time() - int(session.get("created") or 0) < 3600
    try:
        with transaction.atomic():
            CheckoutReturn.objects.create(session_id=session_id, member=member)
        first_return = True
    except IntegrityError:
        first_return = False
    if current_member(request) is None and first_return and fresh:
        auth.issue_member_cookie(response, member)
    response.set_cookie("masthead-notice", "paid", max_age=60, samesite="Lax")
    return response


@require_POST
def manage_subscription(request: HttpRequest) -> HttpResponse:
    """Card changes and cancellation happen on the provider's customer portal."""
    member = current_member(request)
    if member is None:
        return redirect("membership:signin")
    if not member.provider_customer_id:
        return redirect("membership:account")
    try:
        url = get_provider().portal_url(
            customer_id=member.provider_customer_id,
            return_url=f"{settings.MASTHEAD_SITE_URL}{reverse('membership:account')}",
        )
    except MembershipError as error:
        return _problem(request, error, status=503)
    return HttpResponseRedirect(url, status=303)


@require_POST
def cancel_or_resume(request: HttpRequest) -> HttpResponse:
    """Cancel at the end of the paid period (access kept until then), or take it back."""
    member = current_member(request)
    if member is None:
        return redirect("membership:signin")
    subscription = (
        Subscription.objects.filter(member=member, ended_at__isnull=True)
        .exclude(status__in=["canceled", "incomplete_expired"])
        .first()
    )
    if subscription is None:
        return redirect("membership:account")
    resume = request.POST.get("action") == "resume"
    try:
        provider = get_provider()
        state = provider.change_subscription(
            subscription.provider_id, cancel_at_period_end=not resume
        )
        actions.sync_subscription(state=state, provider=provider)
    except MembershipError as error:
        return _problem(request, error, status=503)
    return redirect("membership:account")


@csrf_exempt  # signed by the provider instead; browsers never post here
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if not payments_enabled():
        return HttpResponse("Payments are not configured.", status=404, content_type="text/plain")
    provider = get_provider()
    try:
        event = provider.verify_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except WebhookRejected as error:
        logger.warning("rejected a Stripe webhook: %s", error)
        return HttpResponse(f"Rejected: {error}.", status=400, content_type="text/plain")
    stored, _created = store_event(event)
    if not process_event(stored, provider):
        # Stored, not yet handled: the provider retries, and so does the worker.
        return HttpResponse("Stored; handling failed and will be retried.", status=500)
    return HttpResponse("OK", content_type="text/plain")
