"""Reader-facing membership pages: join, sign in, magic links, codes and the account.

Pages that anyone may see (join, sign in, check your inbox) carry no personal data, so
they can be cached like articles. Forms on cacheable pages get their CSRF token from
``/members/api/reader/`` through site.js; a reader without JavaScript who submits one
lands on ``csrf_failure``, which shows the same form again with a token.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import actions, auth
from .exceptions import MembershipError
from .forms import (
    CodeForm,
    DeleteAccountForm,
    EmailChangeForm,
    EmailForm,
    NameForm,
    SignUpForm,
    safe_next,
)
from .metering import meter_status, start_meter
from .middleware import current_member, current_reader
from .models import Member, MembershipSettings, SignInRequest, SignupSource, Tier
from .payments import payments_enabled
from .personal_data import member_data_export


def _join_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    config = MembershipSettings.for_request(request)
    return {
        "tiers": list(Tier.objects.offered()),
        "allow_signup": config.allow_signup,
        "payments_enabled": payments_enabled(),
        **extra,
    }


def join(request: HttpRequest) -> HttpResponse:
    """“Become a member”: the tiers on offer and the sign-up form."""
    if request.method == "POST":
        form = SignUpForm(request.POST)
        if form.is_valid():
            return _send_link(request, form)
        status = 400
    else:
        form = SignUpForm(initial={"next": safe_next(request.GET.get("next"), fallback="")})
        status = 200
    return render(request, "membership/join.html", _join_context(request, form=form), status=status)


def signin(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = EmailForm(request.POST)
        if form.is_valid():
            return _send_link(request, form)
        status = 400
    else:
        form = EmailForm(initial={"next": safe_next(request.GET.get("next"), fallback="")})
        status = 200
    return render(request, "membership/signin.html", {"form": form}, status=status)


# The sign-up form's newsletter checkboxes (components/signup_form.html). The hidden
# marker says the form offered them, so "none ticked" (no choice sent) can be told apart
# from a form that offered none, whose new members get the default newsletters.
NEWSLETTERS_FIELD = "newsletters"
NEWSLETTERS_OFFERED_FIELD = "newsletters_offered"


def newsletter_choice(data: QueryDict) -> list[int] | None:
    """Ids of the newsletters ticked, or None when the form offered no choice."""
    if NEWSLETTERS_OFFERED_FIELD not in data:
        return None
    # Only plausible ids are kept; the newsletters app keeps those open to the member.
    return sorted(
        {int(v) for v in data.getlist(NEWSLETTERS_FIELD)[:50] if v.isdigit() and len(v) <= 9}
    )


def _send_link(request: HttpRequest, form: EmailForm) -> HttpResponse:
    data = form.cleaned_data
    sign_in: SignInRequest | None = None
    if not form.is_bot:
        config = MembershipSettings.for_request(request)
        try:
            sign_in = actions.request_sign_in_link(
                email=data["email"],
                client_ip=auth.client_ip(request),
                name=data.get("name") or "",
                source=data.get("source") or SignupSource.DIRECT,
                page_id=data.get("page_id"),
                campaign_id=data.get("campaign_id"),
                next_url=data.get("next") or "",
                signup_allowed=config.allow_signup,
                newsletters=newsletter_choice(request.POST),
            )
        except MembershipError as error:
            form.add_error(None, error.user_message())
            template = (
                "membership/join.html" if isinstance(form, SignUpForm) else "membership/signin.html"
            )
            context = (
                _join_context(request, form=form)
                if isinstance(form, SignUpForm)
                else {"form": form}
            )
            return render(request, template, context, status=429)
    # Bots and unknown addresses on a closed site get a reference that leads nowhere,
    # so the next page looks the same for every address.
    reference = sign_in.public_id if sign_in else secrets.token_hex(16)
    query = urlencode({"r": reference, "next": data.get("next") or ""})
    return redirect(f"{reverse('membership:check_email')}?{query}")


def check_email(request: HttpRequest) -> HttpResponse:
    reference = request.GET.get("r", "")
    form = CodeForm(
        initial={"request": reference, "next": safe_next(request.GET.get("next"), fallback="")}
    )
    sign_in = (
        SignInRequest.objects.filter(public_id=reference).first() if len(reference) == 32 else None
    )
    return render(
        request,
        "membership/check_email.html",
        {
            "form": form,
            "has_reference": len(reference) == 32,
            "purpose": sign_in.purpose if sign_in else SignInRequest.Purpose.SIGN_IN,
            "link_minutes": settings.MASTHEAD_SIGNIN_LINK_MINUTES,
        },
    )


@require_POST
def code(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "membership/check_email.html",
            {
                "form": form,
                "has_reference": True,
                "link_minutes": settings.MASTHEAD_SIGNIN_LINK_MINUTES,
            },
            status=400,
        )
    try:
        member, sign_in = actions.redeem_code(
            public_id=form.cleaned_data["request"],
            code=form.cleaned_data["code"],
            client_ip=auth.client_ip(request),
        )
    except MembershipError as error:
        form.add_error("code" if error.code == "code_rejected" else None, error.user_message())
        if error.code == "rate_limited":
            spent, status = False, 429  # wait and try again; the code still works
        else:
            spent = error.code != "code_rejected" or getattr(error, "attempts_left", 1) <= 0
            status = 410 if spent else 400
        return render(
            request,
            "membership/check_email.html",
            {
                "form": form,
                "has_reference": True,
                "spent": spent,
                "link_minutes": settings.MASTHEAD_SIGNIN_LINK_MINUTES,
            },
            status=status,
        )
    return _signed_in(request, member, sign_in, next_url=form.cleaned_data.get("next") or "")


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """The magic link: ``/members/?token=…``, the address Ghost's emails use too."""
    token = request.GET.get("token", "")
    if not token:
        return redirect("membership:signin")
    try:
        member, sign_in = actions.redeem_link(token=token[:200])
    except MembershipError as error:
        heading = (
            _("That address is already taken")
            if error.code == "email_in_use"
            else _("This link has expired")
        )
        response = render(
            request,
            "membership/link_expired.html",
            {"heading": heading, "message": error.user_message(), "form": EmailForm()},
            status=409 if error.code == "email_in_use" else 410,
        )
        # The spent token is in this page's address. "strict-origin" keeps it out of any
        # Referer while the page's own form still sends a real Origin ("no-referrer"
        # makes browsers send "Origin: null", which the CSRF check refuses).
        response["Referrer-Policy"] = "strict-origin"
        return response
    return _signed_in(request, member, sign_in, next_url=sign_in.signup.get("next") or "")


def _signed_in(
    request: HttpRequest, member: Member, sign_in: SignInRequest, *, next_url: str
) -> HttpResponse:
    if sign_in.purpose == SignInRequest.Purpose.CHANGE_EMAIL:
        destination = reverse("membership:account")
        notice = "email_changed"
    else:
        destination = safe_next(next_url, fallback="/")
        notice = "signed_up" if sign_in.purpose == SignInRequest.Purpose.SIGN_UP else "signed_in"
    response = HttpResponseRedirect(destination)
    auth.issue_member_cookie(response, member)
    # Read once by site.js to greet the reader; pages themselves stay the same for all.
    response.set_cookie("masthead-notice", notice, max_age=60, samesite="Lax")
    # The token is in this request's address: it must not travel on in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    if member is not None and request.POST.get("everywhere"):
        actions.sign_out_everywhere(member=member)
    response = redirect("/")
    auth.clear_member_cookie(response)
    response.set_cookie("masthead-notice", "signed_out", max_age=60, samesite="Lax")
    return response


# --- The account -------------------------------------------------------------------------


def _member_or_redirect(request: HttpRequest) -> Member | HttpResponse:
    member = current_member(request)
    if member is None:
        return redirect(f"{reverse('membership:signin')}?{urlencode({'next': request.path})}")
    return member


@never_cache
def account(request: HttpRequest) -> HttpResponse:
    member = _member_or_redirect(request)
    if isinstance(member, HttpResponse):
        return member
    name_form = NameForm(initial={"name": member.name})
    email_form = EmailChangeForm()
    status = 200
    if request.method == "POST":
        status = 400  # unless a form below succeeds and redirects
        if "name" in request.POST:
            name_form = NameForm(request.POST)
            if name_form.is_valid():
                actions.update_member(member=member, name=name_form.cleaned_data["name"].strip())
                messages.success(request, _("Your name is saved."))
                return redirect("membership:account")
        elif "email" in request.POST:
            email_form = EmailChangeForm(request.POST)
            if email_form.is_valid():
                try:
                    actions.request_email_change(
                        member=member,
                        new_email=email_form.cleaned_data["email"],
                        client_ip=auth.client_ip(request),
                    )
                except MembershipError as error:
                    email_form.add_error("email", error.user_message())
                    status = 429 if error.code == "rate_limited" else 400
                else:
                    messages.success(
                        request,
                        _(
                            "We sent a confirmation link to %(email)s. Your address changes "
                            "when you open it; until then, keep using the old one."
                        )
                        % {"email": email_form.cleaned_data["email"]},
                    )
                    return redirect("membership:account")
    now = timezone.now()
    memberships = list(member.memberships.active(now).select_related("tier"))
    tiers = list(Tier.objects.offered().paid())
    subscription = (
        member.subscriptions.exclude(status__in=["canceled", "incomplete_expired"])
        .select_related("tier")
        .first()
    )
    context: dict[str, Any] = {
        "member": member,
        "memberships": memberships,
        "name_form": name_form,
        "email_form": email_form,
        "tiers": tiers,
        "subscription": subscription,
        "switch_tiers": (
            [tier for tier in tiers if tier.pk != subscription.tier_id] if subscription else []
        ),
        "payments_enabled": payments_enabled(),
    }
    return render(request, "membership/account.html", context, status=status)


@never_cache
@require_GET
def account_export(request: HttpRequest) -> HttpResponse:
    member = _member_or_redirect(request)
    if isinstance(member, HttpResponse):
        return member
    export = member_data_export(member)
    actions.record_event(member, actions.MemberEvent.Kind.EXPORTED)
    response = HttpResponse(
        json.dumps(export, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-membership-data.json"'
    return response


@never_cache
def account_delete(request: HttpRequest) -> HttpResponse:
    member = _member_or_redirect(request)
    if isinstance(member, HttpResponse):
        return member
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.delete_member(member=member)
        response = redirect("/")
        auth.clear_member_cookie(response)
        response.set_cookie("masthead-notice", "deleted", max_age=60, samesite="Lax")
        return response
    status = 400 if request.method == "POST" else 200
    return render(
        request, "membership/account_delete.html", {"form": form, "member": member}, status=status
    )


@csrf_exempt  # it only sets an empty meter for the sender: nothing for a forger to gain
@require_POST
def meter_start(request: HttpRequest) -> HttpResponse:
    """“Read this story free”: start the monthly meter in this browser, then go back."""
    response = redirect(safe_next(request.POST.get("next"), fallback="/"))
    start_meter(request, response)
    response.status_code = 303
    return response


# --- Small JSON endpoints for site.js --------------------------------------------------------


def _private_json(payload: dict[str, Any] | None, *, status: int = 200) -> HttpResponse:
    response: HttpResponse = (
        JsonResponse(payload, status=status) if payload is not None else HttpResponse(status=204)
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def api_reader(request: HttpRequest) -> HttpResponse:
    """The personal bits a cached page fills in: who is signed in, the meter, a CSRF token."""
    member = current_member(request)
    reader = current_reader(request)
    meter = meter_status(request, reader)
    payload: dict[str, Any] = {
        "signed_in": member is not None,
        "name": member.display_name if member else None,
        "status": member.status if member else None,
        "variant": reader.variant,
        "meter": (
            {"limit": meter.limit, "used": meter.used, "remaining": meter.remaining}
            if meter
            else None
        ),
        "csrf_token": get_token(request),
    }
    if member is not None:
        actions.touch_last_seen(member=member)
    return _private_json(payload)


@require_GET
def api_member(request: HttpRequest) -> HttpResponse:
    """Ghost's ``/members/api/member/``: the signed-in member, or 204 when signed out."""
    member = current_member(request)
    if member is None:
        return _private_json(None, status=204)
    memberships = list(member.memberships.active().select_related("tier"))
    return _private_json(
        {
            "uuid": str(member.uuid),
            "email": member.email,
            "name": member.name or None,
            "firstname": (member.name.split()[0] if member.name else None),
            "avatar_image": None,
            "subscribed": True,
            "status": member.status,
            "paid": member.status != "free",
            "created_at": member.created_at.isoformat(),
            "subscriptions": [],
            "tiers": [
                {"id": m.tier.ghost_id, "name": m.tier.name, "slug": m.tier.slug}
                for m in memberships
            ],
        }
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form arrived without a valid token (no JavaScript, or an old tab): show it again."""
    if request.path == reverse("membership:join") or request.path == reverse("membership:signin"):
        form_class = SignUpForm if request.path == reverse("membership:join") else EmailForm
        # Keep what the reader typed and where they came from (the paywall, the article),
        # so that confirming once more loses nothing.
        kept = ("email", "name", "source", "page_id", "campaign_id", "next")
        form = form_class(initial={key: request.POST.get(key, "")[:191] for key in kept})
        template = "membership/join.html" if form_class is SignUpForm else "membership/signin.html"
        context: dict[str, Any] = (
            _join_context(request, form=form) if form_class is SignUpForm else {"form": form}
        )
        context["confirm_again"] = True
        return render(request, template, context, status=403)
    return render(request, "membership/csrf_failure.html", status=403)
