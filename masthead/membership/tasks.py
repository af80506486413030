"""Background work of the membership app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from . import auth
from .models import Gift, SignInRequest, format_gift_code, hash_secret

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Sending failed; the message names the request, never the address."""


def _render_text(name: str, context: dict[str, object]) -> str:
    """A plain-text template rendered without HTML escaping ("&" stays "&", not "&amp;")."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def _send_templated_email(
    *, template: str, context: dict[str, object], to: str, description: str, html: bool = False
) -> None:
    """Render ``membership/email/<template>{_subject,}.txt`` (and ``.html``) and send it.

    ``description`` names the row, never the address: it goes into the log and into the
    error a failed task keeps.
    """
    message = EmailMultiAlternatives(
        subject=" ".join(_render_text(f"membership/email/{template}_subject.txt", context).split()),
        body=_render_text(f"membership/email/{template}.txt", context),
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    if html:
        message.attach_alternative(
            render_to_string(f"membership/email/{template}.html", context), "text/html"
        )
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        # The server's reply may quote the address; the task backend retries.
        raise DeliveryFailed(f"could not send the {description}") from None
    logger.info("sent the %s", description)


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
    _send_templated_email(
        template="sign_in",
        context=context,
        to=sign_in.email,
        description=f"{sign_in.purpose} email of sign-in request {sign_in.pk}",
        html=True,
    )


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
    _send_templated_email(
        template="payment_failed",
        context=context,
        to=member.email,
        description=f"payment-failed email of subscription {subscription.pk}",
    )


# --- Payment emails: welcome, receipt, cancellation ------------------------------------------

# Each payment email is sent once: a Wagtail log entry on the row it is about, with a key,
# marks it sent. The row is locked while sending, so two workers cannot both send it, and
# a failed send writes no mark, so the retry sends it. Labels and data name no member.
WELCOME_SENT = "masthead.email.welcome_sent"
RECEIPT_SENT = "masthead.email.receipt_sent"
CANCELLATION_SENT = "masthead.email.cancellation_sent"
GIFT_REDEEMED_SENT = "masthead.email.gift_redeemed_sent"


def _already_sent(instance: Any, action: str, key: str) -> bool:
    from wagtail.models import ModelLogEntry

    return bool(
        ModelLogEntry.objects.filter(
            content_type__app_label=instance._meta.app_label,
            content_type__model=instance._meta.model_name,
            object_id=str(instance.pk),
            action=action,
            data__key=key,
        ).exists()
    )


def _mark_sent(instance: Any, action: str, key: str) -> None:
    from wagtail.log_actions import log

    log(
        instance=instance,
        action=action,
        title=f"{type(instance).__name__} {instance.pk}",
        data={"key": key},
    )


def _payment_email_context(member: Any) -> dict[str, Any]:
    from wagtail.models import Site

    return {
        "name": member.name,
        "account_url": f"{settings.MASTHEAD_SITE_URL}{reverse('membership:account')}",
        "publication": _publication_name(Site.objects.filter(is_default_site=True).first()),
        "support_email": settings.MASTHEAD_SUPPORT_EMAIL,
        "language": settings.LANGUAGE_CODE,
    }


@task()
def send_welcome_email(*, member_id: int) -> None:
    """Welcome a member whose paid membership has started, once for each subscription."""
    from .models import Member, Subscription

    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=member_id).first()
        if member is None:
            return
        subscription = (
            Subscription.objects.select_related("tier")
            .filter(
                member=member,
                status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIALING],
                ended_at__isnull=True,
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if subscription is None:
            return  # ended, or never paid for, before the worker got here
        key = f"subscription:{subscription.pk}"
        if _already_sent(member, WELCOME_SENT, key):
            return
        context = {
            **_payment_email_context(member),
            "tier": subscription.tier.name,
            "benefits": subscription.tier.benefit_list,
            "amount": subscription.amount,
            "currency": subscription.currency,
            "cadence": subscription.cadence,
            "trial_end": (
                timezone.localtime(subscription.trial_end)
                if subscription.status == Subscription.Status.TRIALING and subscription.trial_end
                else None
            ),
            "period_end": (
                timezone.localtime(subscription.current_period_end)
                if subscription.current_period_end
                else None
            ),
        }
        _send_templated_email(
            template="welcome",
            context=context,
            to=member.email,
            description=f"welcome email of member {member.pk}",
        )
        _mark_sent(member, WELCOME_SENT, key)


@task()
def send_receipt_email(*, payment_id: int) -> None:
    """Email the member a receipt for one payment, once."""
    from .models import Payment

    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        member = payment.member if payment is not None else None
        if payment is None or member is None:
            return  # the member was deleted: nobody to write to
        if _already_sent(payment, RECEIPT_SENT, "payment"):
            return
        subscription = payment.subscription
        context = {
            **_payment_email_context(member),
            "kind": payment.kind,
            "amount": payment.amount,
            "currency": payment.currency,
            "paid_at": timezone.localtime(payment.paid_at),
            "tier": subscription.tier.name if subscription else "",
            "cadence": subscription.cadence if subscription else "",
            "period_end": (
                timezone.localtime(subscription.current_period_end)
                if subscription and subscription.current_period_end
                else None
            ),
        }
        _send_templated_email(
            template="receipt",
            context=context,
            to=member.email,
            description=f"receipt of payment {payment.pk}",
        )
        _mark_sent(payment, RECEIPT_SENT, "payment")


@task()
def send_cancellation_email(*, subscription_id: int) -> None:
    """Confirm a cancellation at the end of the period: until when access lasts, how to resume."""
    from .models import Subscription

    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
        entitled = {
            Subscription.Status.ACTIVE,
            Subscription.Status.TRIALING,
            Subscription.Status.PAST_DUE,
        }
        if (
            subscription is None
            or not subscription.cancel_at_period_end
            or subscription.status not in entitled
        ):
            return  # resumed, or already over: the email would be wrong
        period_end = subscription.current_period_end
        # Cancelling, resuming and cancelling again in one period sends one email.
        key = f"period_end:{period_end.isoformat() if period_end else ''}"
        if _already_sent(subscription, CANCELLATION_SENT, key):
            return
        member = subscription.member
        context = {
            **_payment_email_context(member),
            "tier": subscription.tier.name,
            "access_until": timezone.localtime(period_end) if period_end else None,
        }
        _send_templated_email(
            template="cancellation",
            context=context,
            to=member.email,
            description=f"cancellation email of subscription {subscription.pk}",
        )
        _mark_sent(subscription, CANCELLATION_SENT, key)


# --- Gifts and one-time support --------------------------------------------------------------


def _gift_context(gift: Gift, *, with_code: bool) -> dict[str, object]:
    from wagtail.models import Site

    context: dict[str, object] = {
        "tier": gift.tier.name,
        "months": gift.months,
        "amount": gift.amount,
        "currency": gift.currency,
        "buyer_name": gift.buyer_name,
        "recipient_name": gift.recipient_name,
        "recipient_email": gift.recipient_email,
        "message": gift.message,
        "send_at": timezone.localtime(gift.send_at) if gift.send_at else None,
        "hands_over": gift.is_handed_over_by_buyer,
        "publication": _publication_name(Site.objects.filter(is_default_site=True).first()),
        "support_email": settings.MASTHEAD_SUPPORT_EMAIL,
        "language": settings.LANGUAGE_CODE,
    }
    if with_code:
        code = gift.reveal_code()
        context["code"] = format_gift_code(code)
        context["link"] = gift_redeem_url(code)
    return context


def gift_redeem_url(code: str) -> str:
    """The link that opens a gift: the redeem page with the code filled in."""
    return f"{settings.MASTHEAD_SITE_URL}{reverse('membership:gift_redeem')}?code={code}"


@task()
def send_gift_purchased_email(*, gift_id: int) -> None:
    """The buyer's receipt; with the link and code when they hand the gift over themselves."""
    from . import actions

    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(of=("self",))
            .select_related("tier")
            .filter(pk=gift_id)
            .first()
        )
        if gift is None or gift.receipt_emailed_at is not None:
            return
        if gift.status in (Gift.Status.PENDING_PAYMENT, Gift.Status.REFUNDED):
            return  # not paid, or paid back: a receipt would be wrong
        context = _gift_context(gift, with_code=gift.is_handed_over_by_buyer)
        _send_templated_email(
            template="gift_purchased",
            context=context,
            to=gift.buyer_email,
            description=f"receipt of gift {gift.pk}",
        )
        actions.note_gift_email_sent(gift=gift, field="receipt_emailed_at")


@task()
def send_gift_received_email(*, gift_id: int) -> None:
    """Give the recipient their gift: who it is from, the message, the link and the code."""
    from . import actions

    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(of=("self",))
            .select_related("tier")
            .filter(pk=gift_id)
            .first()
        )
        # Only a gift the job or the return page marked sent; one redeemed meanwhile (the
        # buyer passed the link on after all) or refunded needs no email.
        if (
            gift is None
            or gift.status != Gift.Status.SENT
            or gift.recipient_emailed_at
            or not gift.is_redeemable
        ):
            return
        code = gift.reveal_code()
        if hash_secret(code) != gift.code_hash:
            # The secret key changed since the gift was bought: the derived code would
            # not open it. Staff can find the gift by its prefix and re-issue it.
            raise DeliveryFailed(f"gift {gift.pk}'s code no longer matches its hash")
        _send_templated_email(
            template="gift_received",
            context=_gift_context(gift, with_code=True),
            to=gift.recipient_email,
            description=f"gift email of gift {gift.pk}",
            html=True,
        )
        actions.note_gift_email_sent(gift=gift, field="recipient_emailed_at")


@task()
def send_gift_redeemed_email(*, gift_id: int) -> None:
    """Tell the buyer their gift was redeemed, without saying by which address."""
    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(of=("self",))
            .select_related("tier")
            .filter(pk=gift_id)
            .first()
        )
        if gift is None or gift.status != Gift.Status.REDEEMED:
            return
        if _already_sent(gift, GIFT_REDEEMED_SENT, "buyer"):
            return  # the task ran twice (a retry, a second worker)
        context = _gift_context(gift, with_code=False)
        context["redeemed_at"] = timezone.localtime(gift.redeemed_at) if gift.redeemed_at else None
        _send_templated_email(
            template="gift_redeemed",
            context=context,
            to=gift.buyer_email,
            description=f"redeemed notice of gift {gift.pk}",
        )
        _mark_sent(gift, GIFT_REDEEMED_SENT, "buyer")


@task()
def send_support_receipt_email(*, payment_id: int) -> None:
    """Thank a reader for a one-time contribution, with what they gave and when."""
    from wagtail.models import Site

    from .models import Payment

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("member")
            .filter(pk=payment_id)
            .first()
        )
        if payment is None or payment.member is None or payment.kind != Payment.Kind.ONE_TIME:
            return
        if _already_sent(payment, RECEIPT_SENT, "support"):
            return  # the task ran twice (a retry, a second worker)
        _send_support_receipt(payment, Site.objects.filter(is_default_site=True).first())
        _mark_sent(payment, RECEIPT_SENT, "support")


def _send_support_receipt(payment: Any, site: Any) -> None:
    context: dict[str, object] = {
        "name": payment.member.name,
        "amount": payment.amount,
        "currency": payment.currency,
        "paid_at": timezone.localtime(payment.paid_at),
        "account_url": f"{settings.MASTHEAD_SITE_URL}{reverse('membership:account')}",
        "publication": _publication_name(site),
        "support_email": settings.MASTHEAD_SUPPORT_EMAIL,
        "language": settings.LANGUAGE_CODE,
    }
    _send_templated_email(
        template="support_receipt",
        context=context,
        to=payment.member.email,
        description=f"thank-you for payment {payment.pk}",
    )


@task()
def sync_tier_with_provider(*, tier_id: int) -> None:
    """Create or update a paid tier's product and prices at the payment provider."""
    from .models import Tier
    from .payments import get_provider, payments_enabled

    tier = Tier.objects.filter(pk=tier_id).first()
    if tier is None or tier.is_free or not payments_enabled():
        return
    get_provider().sync_tier(tier)
