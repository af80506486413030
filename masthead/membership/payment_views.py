"""Paying: start a checkout, come back from it, manage a subscription, receive webhooks."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import actions, auth
from .exceptions import MembershipError
from .forms import EmailForm, safe_next
from .middleware import current_member
from .models import (
    Cadence,
    CheckoutReturn,
    Gift,
    Member,
    Membership,
    MembershipSettings,
    Payment,
    SignupSource,
    Subscription,
    Tier,
    format_gift_code,
    gift_price,
    normalise_email,
    normalise_gift_code,
)
from .payment_forms import GiftCodeForm, GiftForm, SupportForm
from .payments import WebhookRejected, get_provider, payments_enabled
from .payments.webhooks import complete_payment_checkout, process_event, store_event
from .tasks import gift_redeem_url

logger = logging.getLogger(__name__)


def _offered_tier(value: object) -> Tier | None:
    """The offered paid tier a form names, or None for anything else (never an error).

    Hidden tiers (staff-only, the pay-what-you-want tier) are never sold at a fixed price
    through a hand-made form: staff give them, or the support form sells them.
    """
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    return Tier.objects.offered().paid().filter(pk=int(text)).first()


def _problem(request: HttpRequest, error: MembershipError, *, status: int) -> HttpResponse:
    return render(
        request, "membership/payment_problem.html", {"message": error.user_message()}, status=status
    )


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """“Become a member” with a paid tier: off to the provider's checkout page."""
    tier = _offered_tier(request.POST.get("tier"))
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
        # When the checkout began: a member created after it was created by it.
        "masthead_started_at": f"{time.time():.6f}",
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
    # Only a buyer whose membership this checkout created is signed in here. An address
    # that already had an account may have been typed by someone else at the checkout:
    # its owner signs in with the emailed link as usual.
    started = (session.get("metadata") or {}).get("masthead_started_at", "")
    created_here = bool(started) and member.created_at.timestamp() > float(started)
    if current_member(request) is None and first_return and fresh and created_here:
        auth.issue_member_cookie(response, member)
    elif current_member(request) is None:
        response = redirect(
            f"{reverse('membership:signin')}?{urlencode({'next': next_url, 'paid': '1'})}"
        )
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
    action = request.POST.get("action")
    try:
        provider = get_provider()
        if action == "switch":
            # Upgrade or downgrade: the provider prorates, the sync moves the membership.
            tier = _offered_tier(request.POST.get("tier"))
            cadence = request.POST.get("cadence", Cadence.MONTH)
            if tier is None or cadence not in Cadence.values or tier.is_hidden_from_switch:
                return render(
                    request,
                    "membership/payment_problem.html",
                    {
                        "message": _(
                            "That membership option is no longer offered. Choose another one on your account page."
                        )
                    },
                    status=400,
                )
            price_field = (
                "provider_monthly_price_id"
                if cadence == Cadence.MONTH
                else "provider_yearly_price_id"
            )
            if not getattr(tier, price_field):
                provider.sync_tier(tier)
            if not getattr(tier, price_field):
                return render(
                    request,
                    "membership/payment_problem.html",
                    {"message": _("That tier has no price for this period. Choose another one.")},
                    status=400,
                )
            state = provider.change_subscription(
                subscription.provider_id, price_id=getattr(tier, price_field)
            )
        else:
            state = provider.change_subscription(
                subscription.provider_id, cancel_at_period_end=action != "resume"
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


# --- Gifts ------------------------------------------------------------------------------------

GIFT_COOKIE = "masthead-gift"
_GIFT_COOKIE_SALT = "masthead.membership.gift-code"


def _payments_off(request: HttpRequest, template: str, **extra: Any) -> HttpResponse:
    return render(
        request,
        template,
        {"payments_enabled": False, "support_email": settings.MASTHEAD_SUPPORT_EMAIL, **extra},
    )


def _not_completed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "membership/payment_problem.html", {"message": message}, status=400)


def _completed_session(request: HttpRequest, kind: str) -> dict[str, Any] | HttpResponse:
    """The completed checkout of ``kind`` named in ``?session_id=``, or the page to show instead."""
    session_id = request.GET.get("session_id", "")[:255]
    try:
        session = get_provider().checkout_session(session_id) if session_id else None
    except MembershipError as error:
        return _problem(request, error, status=503)
    metadata = (session or {}).get("metadata") or {}
    if not session or session.get("status") != "complete" or metadata.get("masthead_kind") != kind:
        return _not_completed(
            request,
            _(
                "This payment is not complete, so nothing was bought. If you were charged, "
                "write to %(email)s and we will sort it out."
            )
            % {"email": settings.MASTHEAD_SUPPORT_EMAIL},
        )
    return session


@never_cache
def gift(request: HttpRequest) -> HttpResponse:
    """“Gift membership”: choose a tier and a length, who it is for and when it reaches them."""
    tiers = Tier.objects.offered().paid()
    if not payments_enabled():
        return _payments_off(request, "membership/gift.html", tiers=list(tiers))
    member = current_member(request)
    status = 200
    if request.method == "POST":
        form = GiftForm(request.POST, tiers=tiers)
        if form.is_valid():
            data = form.cleaned_data
            base = settings.MASTHEAD_SITE_URL
            done = reverse("membership:gift_done")
            try:
                _gift, url = actions.start_gift_purchase(
                    tier=data["tier"],
                    months=data["months"],
                    buyer_email=data["buyer_email"],
                    buyer=member,
                    buyer_name=data["buyer_name"],
                    recipient_email=data["recipient_email"],
                    recipient_name=data["recipient_name"],
                    message=data["message"],
                    send_at=data["send_at"],
                    provider=get_provider(),
                    success_url=f"{base}{done}?session_id={{CHECKOUT_SESSION_ID}}",
                    cancel_url=f"{base}{reverse('membership:gift')}",
                )
            except MembershipError as error:
                return _problem(request, error, status=503)
            return HttpResponseRedirect(url, status=303)
        status = 400
    else:
        form = GiftForm(
            tiers=tiers,
            initial={
                "tier": tiers.first(),
                "months": Gift.Months.TWELVE,
                "delivery": GiftForm.DELIVERY_EMAIL,
                "buyer_email": member.email if member else "",
                "buyer_name": member.name if member else "",
            },
        )
    options = [
        {
            "tier": tier,
            "prices": [(months, gift_price(tier, months)) for months in Gift.Months.values],
        }
        for tier in tiers
    ]
    today = timezone.localdate()
    context = {
        "form": form,
        "tier_options": options,
        "month_choices": Gift.Months.choices,
        "today": today,
        "latest_send_date": GiftForm.latest_send_date(today),
        "payments_enabled": True,
        "support_email": settings.MASTHEAD_SUPPORT_EMAIL,
    }
    return render(request, "membership/gift.html", context, status=status)


@never_cache
@require_GET
def gift_done(request: HttpRequest) -> HttpResponse:
    """Back from paying for a gift: confirm it now, and show the code once, to the buyer."""
    session = _completed_session(request, "gift")
    if isinstance(session, HttpResponse):
        return session
    if session.get("payment_status") != "paid":
        return render(request, "membership/gift_done.html", {"pending": True, "gift": None})
    gift = complete_payment_checkout(session)
    if not isinstance(gift, Gift):
        return _not_completed(
            request,
            _(
                "We could not find the gift this payment was for. Write to %(email)s and we "
                "will sort it out."
            )
            % {"email": settings.MASTHEAD_SUPPORT_EMAIL},
        )
    # Like the subscription return page: the address works once, for an hour.
    fresh = time.time() - int(session.get("created") or 0) < 3600
    code = gift.reveal_code() if fresh and actions.reveal_gift_code_once(gift=gift) else ""
    context = {
        "pending": False,
        "gift": gift,
        "code": format_gift_code(code) if code else "",
        "link": gift_redeem_url(code) if code else "",
    }
    response = render(request, "membership/gift_done.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _code_from_cookie(request: HttpRequest) -> str:
    try:
        return str(
            signing.loads(
                request.COOKIES.get(GIFT_COOKIE, ""), salt=_GIFT_COOKIE_SALT, max_age=86400
            )
        )
    except signing.BadSignature:
        return ""


@never_cache
def gift_redeem(request: HttpRequest) -> HttpResponse:
    """Open a gift: from its link, or by typing the code; signing in or joining on the way.

    Redeeming needs a member. A reader who is not signed in gives their email here and
    gets the usual sign-in link; the code waits in a short-lived signed cookie, so it never
    sits in the sign-in request or its email, and the link brings them back to this page.
    A valid gift is an invitation: its recipient can join even while sign-up is closed.
    """
    member = current_member(request)
    client_ip = auth.client_ip(request)
    gift: Gift | None = None
    error = ""
    status = 200
    email_form = EmailForm()
    typed = ""
    if request.method == "POST":
        typed = request.POST.get("code", "")
        code = normalise_gift_code(typed)
        redeeming = member is not None and request.POST.get("action") == "redeem"
        try:
            gift = actions.look_up_gift(
                code=code, client_ip=client_ip, member=member if redeeming else None
            )
            if member is not None and redeeming:
                return _redeemed(request, actions.redeem_gift(member=member, code=code))
            if member is None and request.POST.get("action") == "signin":
                email_form = EmailForm(request.POST)
                if email_form.is_valid():
                    return _send_gift_sign_in_link(request, email_form, code, client_ip)
                status = 400
        except MembershipError as problem:
            error = problem.user_message()
            status = 429 if problem.code == "rate_limited" else 400
    else:
        typed = request.GET.get("code", "")
        code = normalise_gift_code(typed) or _code_from_cookie(request)
        if code:
            try:
                gift = actions.look_up_gift(code=code, client_ip=client_ip)
            except MembershipError as problem:
                error = problem.user_message()
                status = 429 if problem.code == "rate_limited" else 400
    # Without a gift to show, the problem is with the code: it is shown in its field, as
    # typed, so the reader can correct it rather than type it all again.
    code_form = GiftCodeForm({"code": typed[:300]})
    if gift is None and error:
        code_form.add_error("code", error)
    context = {
        "gift": gift,
        "code": code if gift is not None else "",
        "member": member,
        "error": error if gift is not None else "",
        "code_form": code_form,
        "email_form": email_form,
    }
    response = render(request, "membership/gift_redeem.html", context, status=status)
    # The code can be in this page's address: it must not travel on in a Referer. Not
    # "no-referrer": under that policy browsers send "Origin: null" with the page's own
    # forms, and the CSRF check refuses every redeem and sign-in posted from here.
    response["Referrer-Policy"] = "strict-origin"
    return response


def _send_gift_sign_in_link(
    request: HttpRequest, form: EmailForm, code: str, client_ip: str
) -> HttpResponse:
    redeem = reverse("membership:gift_redeem")
    sign_in = actions.request_sign_in_link(
        email=form.cleaned_data["email"],
        client_ip=client_ip,
        source=SignupSource.DIRECT,
        next_url=redeem,
        signup_allowed=True,
    )
    reference = sign_in.public_id if sign_in else secrets.token_hex(16)
    response = redirect(
        f"{reverse('membership:check_email')}?{urlencode({'r': reference, 'next': redeem})}"
    )
    response.set_cookie(
        GIFT_COOKIE,
        signing.dumps(code, salt=_GIFT_COOKIE_SALT),
        max_age=86400,
        path=redeem,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _redeemed(request: HttpRequest, membership: Membership) -> HttpResponse:
    starts = timezone.localtime(membership.starts_at)
    ends = timezone.localtime(membership.ends_at) if membership.ends_at else None
    later = membership.starts_at > timezone.now()
    # A gift queued after a paid period does not pause the subscription: say so.
    renewing = (
        Subscription.objects.filter(
            member=membership.member,
            tier=membership.tier,
            ended_at__isnull=True,
            cancel_at_period_end=False,
            current_period_end__isnull=False,
            status__in=actions.ENTITLED_STATUSES,
        ).first()
        if later
        else None
    )
    if renewing is not None:
        text = _(
            "Your gift is redeemed: %(tier)s from %(start)s, when the period you have paid "
            "for ends, until %(end)s. Your subscription still renews on %(renews)s: cancel "
            "it below if you would rather read on the gift alone."
        )
    elif later:
        text = _(
            "Your gift is redeemed: %(tier)s from %(start)s, when your current membership "
            "ends, until %(end)s. Nothing more to do."
        )
    else:
        text = _("Your gift is redeemed: %(tier)s until %(end)s. Enjoy your reading.")
    messages.success(
        request,
        text
        % {
            "tier": membership.tier.name,
            "start": date_format(starts, "j F Y"),
            "end": date_format(ends, "j F Y") if ends else "",
            "renews": (
                date_format(timezone.localtime(renewing.current_period_end), "j F Y")
                if renewing is not None and renewing.current_period_end
                else ""
            ),
        },
    )
    response = redirect("membership:account")
    response.delete_cookie(GIFT_COOKIE, path=reverse("membership:gift_redeem"), samesite="Lax")
    return response


# --- One-time support -------------------------------------------------------------------------


@never_cache
def support(request: HttpRequest) -> HttpResponse:
    """“Support us”: a suggested or chosen amount, once or monthly."""
    if not payments_enabled():
        return _payments_off(request, "membership/support.html")
    config = MembershipSettings.for_request(request)
    member = current_member(request)
    form_options = {
        "presets": config.support_presets,
        "minimum": config.support_minimum_amount,
        "currency": config.support_currency,
    }
    status = 200
    if request.method == "POST":
        form = SupportForm(request.POST, **form_options)
        if form.is_valid():
            try:
                url = _start_support_checkout(request, form, member, config)
            except MembershipError as error:
                return _problem(request, error, status=503)
            if url is not None:
                return HttpResponseRedirect(url, status=303)
            form.add_error(
                "monthly",
                _(
                    "Monthly support is paused at the moment. Untick it to give once, or "
                    "choose a membership."
                ),
            )
        status = 400
    else:
        presets = config.support_presets
        form = SupportForm(
            initial={
                "amount": str(presets[len(presets) // 2 - 1]) if presets else SupportForm.OTHER,
                "email": member.email if member else "",
            },
            **form_options,
        )
    context = {
        "form": form,
        "minimum": config.support_minimum_amount,
        "currency": config.support_currency.upper(),
        "payments_enabled": True,
        "support_email": settings.MASTHEAD_SUPPORT_EMAIL,
    }
    return render(request, "membership/support.html", context, status=status)


def _start_support_checkout(
    request: HttpRequest, form: SupportForm, member: Member | None, config: MembershipSettings
) -> str | None:
    """The provider's checkout address, or None when monthly support is not offered."""
    data = form.cleaned_data
    amount: int = data["amount_cents"]
    currency = config.support_currency.upper()
    email = data["email"]
    base = settings.MASTHEAD_SITE_URL
    provider = get_provider()
    # The subscription goes to the signed-in member only when they pay with their own
    # address; a different address is someone (or some account) else.
    payer = member if member is not None and member.email == normalise_email(email) else None
    if data["monthly"]:
        tier = actions.pay_what_you_want_tier(
            currency=currency, minimum=config.support_minimum_amount
        )
        if tier is None:
            return None
        metadata = {
            "masthead_kind": "support",
            "masthead_started_at": f"{time.time():.6f}",
            "masthead_tier_id": str(tier.pk),
            "masthead_source": "direct",
        }
        if payer is not None:
            metadata["masthead_member_id"] = str(payer.pk)
        done = reverse("membership:checkout_done")
        next_url = urlencode({"next": reverse("membership:account")})
        return provider.start_custom_amount_subscription_checkout(
            tier=tier,
            amount=amount,
            currency=currency,
            member=payer,
            customer_email=email,
            success_url=f"{base}{done}?session_id={{CHECKOUT_SESSION_ID}}&{next_url}",
            cancel_url=f"{base}{reverse('membership:support')}",
            metadata=metadata,
        )
    done = reverse("membership:support_done")
    return provider.start_payment_checkout(
        amount=amount,
        currency=currency,
        description=_("One-time contribution"),
        customer_email=email,
        success_url=f"{base}{done}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}{reverse('membership:support')}",
        metadata={"masthead_kind": "support"},
    )


@never_cache
@require_GET
def support_done(request: HttpRequest) -> HttpResponse:
    """Back from a one-time contribution: record it now (the webhook may come later)."""
    session = _completed_session(request, "support")
    if isinstance(session, HttpResponse):
        return session
    payment = complete_payment_checkout(session)
    context = {
        "pending": not isinstance(payment, Payment),
        "amount": int(session.get("amount_total") or 0),
        "currency": str(session.get("currency") or "").upper(),
    }
    return render(request, "membership/support_done.html", context)
