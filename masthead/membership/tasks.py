"""Background work of the membership app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from . import auth
from .models import SignInRequest

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Sending failed; the message names the request, never the address."""


@task()
def send_sign_in_email(*, sign_in_id: int) -> None:
    """Email the magic link and code of one sign-in request, if it can still be used."""
    sign_in = SignInRequest.objects.select_related("member").filter(pk=sign_in_id).first()
    if sign_in is None or not sign_in.is_usable():
        # Already used or expired by the time the worker got here: a link that cannot
        # work would only confuse the reader.
        return
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    publication = _publication_name(site)
    token = auth.link_token(sign_in.public_id)
    link = f"{settings.MASTHEAD_SITE_URL}{reverse('membership:verify')}?token={token}"
    context = {
        "purpose": sign_in.purpose,
        "link": link,
        "code": auth.one_time_code(sign_in.public_id),
        "minutes": settings.MASTHEAD_SIGNIN_LINK_MINUTES,
        "publication": publication,
        # Only a member's own saved name: the name typed on a sign-up form is unverified,
        # and would let a stranger put words into an email sent to any address.
        "name": sign_in.member.name if sign_in.member else "",
        "support_email": settings.MASTHEAD_SUPPORT_EMAIL,
        "expires_at": timezone.localtime(sign_in.expires_at),
        "language": settings.LANGUAGE_CODE,
    }
    subject = render_to_string("membership/email/sign_in_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("membership/email/sign_in.txt", context),
        to=[sign_in.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("membership/email/sign_in.html", context), "text/html"
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        # The provider's message often contains the address; it must not reach the log
        # or the task's stored traceback. The task backend retries a failed task.
        raise DeliveryFailed(f"could not send the email of sign-in request {sign_in.pk}") from None
    # The address stays out of the log: only the request's id identifies it.
    logger.info("sent %s email for sign-in request %s", sign_in.purpose, sign_in.pk)


def _publication_name(site: object) -> str:
    # Looked up by name: the publication's settings live in publishing, above this app,
    # and the layering forbids importing them.
    from django.apps import apps

    if site is None:
        return settings.WAGTAIL_SITE_NAME
    site_settings = apps.get_model("publishing", "SiteSettings")
    return site_settings.for_site(site).publication_name or settings.WAGTAIL_SITE_NAME


@task()
def send_payment_failed_email(*, subscription_id: int) -> None:
    """Tell a member their renewal failed, what happens next and how to fix it."""
    from .models import Subscription

    subscription = (
        Subscription.objects.select_related("member", "tier").filter(pk=subscription_id).first()
    )
    if subscription is None or subscription.status != Subscription.Status.PAST_DUE:
        return  # paid meanwhile, or gone: nothing to say
    from wagtail.models import Site

    member = subscription.member
    context = {
        "name": member.name,
        "tier": subscription.tier.name,
        "grace_days": settings.MASTHEAD_PAYMENT_GRACE_DAYS,
        "account_url": f"{settings.MASTHEAD_SITE_URL}{reverse('membership:account')}",
        "publication": _publication_name(Site.objects.filter(is_default_site=True).first()),
        "support_email": settings.MASTHEAD_SUPPORT_EMAIL,
        "language": settings.LANGUAGE_CODE,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("membership/email/payment_failed_subject.txt", context).strip(),
        body=render_to_string("membership/email/payment_failed.txt", context),
        to=[member.email],
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        raise DeliveryFailed(
            f"could not send the payment-failed email of subscription {subscription.pk}"
        ) from None
