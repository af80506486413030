"""What readers do with newsletters on the site: sign up, choose, unsubscribe, read online.

Signing up reuses membership's emailed link: nobody is put on a list until the owner of
the address opens it (double opt-in). Unsubscribe links work without signing in, on
Ghost's ``/unsubscribe/`` path, because the key in them is the credential.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from masthead.membership import actions as membership_actions
from masthead.membership import auth
from masthead.membership.exceptions import MembershipError
from masthead.membership.middleware import current_member
from masthead.membership.models import Member, MembershipSettings, SignupSource
from masthead.publishing.models import ArticlePage

from . import actions, tokens
from .forms import NewsletterSignupForm, chosen_newsletters, preference_choices
from .models import Newsletter, NewsletterSend

# --- The public newsletter page -----------------------------------------------------------


@cache_control(private=True)
@require_http_methods(["GET", "HEAD", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """Every active newsletter, and a form to subscribe to those open to everyone."""
    member = current_member(request)
    status = 200
    if request.method == "POST":
        form = NewsletterSignupForm(request.POST)
        if form.is_valid():
            response = _send_confirmation(request, form)
            if response is not None:
                return response
            status = 429
        else:
            status = 400
    else:
        form = NewsletterSignupForm()
    newsletters = list(Newsletter.objects.active())
    subscribed: set[int] = set()
    if member is not None:
        subscribed = set(
            member.newsletter_subscriptions.subscribed().values_list("newsletter_id", flat=True)
        )
    context: dict[str, Any] = {
        "form": form,
        "choices": form.choices(),
        "paid_newsletters": [n for n in newsletters if n.visibility == Newsletter.Visibility.PAID],
        "member": member,
        "member_newsletters": (
            [(n, n.pk in subscribed) for n in newsletters if n.is_open_to(member)]
            if member is not None
            else []
        ),
    }
    return render(request, "newsletters/index.html", context, status=status)


def _send_confirmation(request: HttpRequest, form: NewsletterSignupForm) -> HttpResponse | None:
    """Email the link that confirms the choice; None (with the form's error) when refused."""
    data = form.cleaned_data
    sign_in = None
    if not form.is_bot:
        config = MembershipSettings.for_request(request)
        try:
            sign_in = membership_actions.request_sign_in_link(
                email=data["email"],
                client_ip=auth.client_ip(request),
                source=SignupSource.NEWSLETTER,
                next_url=reverse("newsletters:index"),
                signup_allowed=config.allow_signup,
                newsletters=sorted(n.pk for n in data["newsletters"]),
            )
        except MembershipError as error:
            form.add_error(None, error.user_message())
            return None
    # The same page follows for every address, known or not, and for bots: a reference
    # that leads nowhere looks like a real one.
    reference = sign_in.public_id if sign_in else secrets.token_hex(16)
    query = urlencode({"r": reference, "next": reverse("newsletters:index")})
    return redirect(f"{reverse('membership:check_email')}?{query}")


# --- The account page's section --------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """Save the account page's newsletter checkboxes, or unsubscribe from everything."""
    account = reverse("membership:account")
    member = current_member(request)
    if member is None:
        return redirect(f"{reverse('membership:signin')}?{urlencode({'next': account})}")
    if request.method != "POST":
        return redirect(f"{account}#newsletters")
    if request.POST.get("action") == "unsubscribe_all":
        actions.unsubscribe_from_everything(member=member)
        messages.success(
            request,
            _(
                "You are unsubscribed from all our newsletters. You can subscribe again below, under Newsletters."
            ),
        )
    else:
        actions.set_subscriptions(
            member=member,
            newsletters=chosen_newsletters(
                request.POST, open_to=Newsletter.objects.open_to(member)
            ),
        )
        messages.success(request, _("Your newsletter choices are saved."))
    # The top of the account page, where its notices are shown.
    return redirect(account)


# --- Unsubscribe links ---------------------------------------------------------------------


def _private(response: HttpResponseBase) -> HttpResponseBase:
    # The key is in the address: it must not travel on in a Referer, nor be indexed.
    # "strict-origin", not "no-referrer": the pages' own forms must send a real Origin.
    response["Referrer-Policy"] = "strict-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


# The key in the link authenticates the request, as the one-click standard (RFC 8058)
# expects: mail clients POST without cookies or a form token, and a forger would need
# the key, which only the recipient's mailbox has.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest) -> HttpResponseBase:
    """Ghost's ``/unsubscribe/?uuid&key[&newsletter][&send]``: confirm, one-click, preferences.

    GET never changes anything, because link scanners open every link in an email. A
    POST unsubscribes (from the newsletter named, or from everything), and repeating it
    gives the same answer; a POST with ``action=save`` stores the preference checkboxes.
    """
    params = {
        name: request.GET.get(name) or request.POST.get(name) or ""
        for name in ("uuid", "key", "newsletter", "send")
    }
    link = tokens.read_unsubscribe_link(params)
    if link is None:
        return _private(
            render(
                request,
                "newsletters/unsubscribe_invalid.html",
                {"signin_url": _signin_url()},
                status=400,
            )
        )
    member = Member.objects.filter(uuid=link.member_uuid).first()
    newsletter = (
        Newsletter.objects.filter(uuid=link.newsletter_uuid).first()
        if link.newsletter_uuid
        else None
    )
    link_query = urlencode(
        {
            "uuid": link.member_uuid,
            "key": params["key"],
            **({"newsletter": link.newsletter_uuid} if link.newsletter_uuid else {}),
            **({"send": link.send_uuid} if link.send_uuid else {}),
        }
    )
    action_url = f"{request.path}?{link_query}"
    preferences_url = (
        f"{request.path}?{urlencode({'uuid': link.member_uuid, 'key': params['key']})}"
    )
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"

    if request.method == "POST" and request.POST.get("action") == "save" and not one_click:
        if member is not None:
            actions.set_subscriptions(
                member=member,
                newsletters=chosen_newsletters(
                    request.POST, open_to=Newsletter.objects.open_to(member)
                ),
            )
        saved = HttpResponseRedirect(f"{preferences_url}&saved=1")
        saved.status_code = 303  # see the page with GET, so reloading it sends nothing again
        return _private(saved)

    if request.method == "POST":
        if member is not None:
            send = _attributed_send(member, link.send_uuid)
            if link.newsletter_uuid:
                actions.unsubscribe(
                    member=member, newsletters=[newsletter] if newsletter else [], send=send
                )
            else:
                actions.unsubscribe_from_everything(member=member, send=send)
        if one_click:
            return _private(
                HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")
            )
        return _private(
            render(
                request,
                "newsletters/unsubscribed.html",
                {
                    "member": member,
                    "newsletter": newsletter,
                    "from_one": bool(link.newsletter_uuid),
                    "preferences_url": preferences_url,
                },
            )
        )

    if link.newsletter_uuid:
        subscribed = (
            member is not None
            and newsletter is not None
            and member.newsletter_subscriptions.subscribed().filter(newsletter=newsletter).exists()
        )
        return _private(
            render(
                request,
                "newsletters/unsubscribe.html",
                {
                    "member": member,
                    "newsletter": newsletter,
                    "subscribed": subscribed,
                    "action_url": action_url,
                    "preferences_url": preferences_url,
                },
            )
        )
    return _private(
        render(
            request,
            "newsletters/preferences.html",
            {
                "member": member,
                "choices": preference_choices(member) if member is not None else [],
                "action_url": action_url,
                "saved": request.GET.get("saved") == "1",
            },
        )
    )


def _signin_url() -> str:
    return f"{reverse('membership:signin')}?{urlencode({'next': reverse('membership:account')})}"


def _attributed_send(member: Member, send_uuid: str) -> NewsletterSend | None:
    """The email the link came from, only if it really went to this member."""
    if not send_uuid:
        return None
    return NewsletterSend.objects.filter(uuid=send_uuid, deliveries__member=member).first()


# --- "View in browser" ----------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def view_in_browser(request: HttpRequest, send_uuid: UUID) -> HttpResponseBase:
    """The article an email carried, for the reader of this request.

    An article on the site is its own page: the reader goes there, and its paywall
    applies. An email-only article has no page of its own, so it is shown here, through
    the same access check and meter as any article page.
    """
    send = get_object_or_404(NewsletterSend.objects.select_related("page"), uuid=send_uuid)
    if send.page is None or not send.page.live:
        raise Http404
    page = send.page.specific
    if isinstance(page, ArticlePage) and page.email_only:
        for restriction in page.get_view_restrictions():
            if not restriction.accept_request(request):
                raise Http404
        response: HttpResponseBase = page.serve_to_reader(request)
        response["X-Robots-Tag"] = "noindex"
        return response
    url = page.get_url(request)
    if not url:
        raise Http404
    return redirect(url)
