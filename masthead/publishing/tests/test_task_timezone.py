"""Emails written by background tasks speak in the publication's timezone and plain text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from wagtail.models import Site

from masthead.membership.models import Member, Payment
from masthead.membership.tasks import send_support_receipt_email
from masthead.publishing.models import SiteSettings


@pytest.mark.django_db
def test_a_receipt_dates_the_payment_in_the_publication_s_timezone_and_keeps_its_ampersand(
    site: Site, free_member: Member, settings: Any
) -> None:
    site_settings = SiteSettings.for_site(site)
    site_settings.timezone = "Pacific/Auckland"
    site_settings.publication_name = "Kyiv & Region Daily"
    site_settings.save()
    # 20:00 in London on the 23rd is 09:00 on the 24th in Auckland.
    payment = Payment.objects.create(
        provider_id="pi_tz",
        kind=Payment.Kind.ONE_TIME,
        member=free_member,
        amount=2500,
        currency="EUR",
        paid_at=datetime(2026, 12, 23, 20, 0, tzinfo=UTC),
    )

    send_support_receipt_email.enqueue(payment_id=payment.pk)
    send_support_receipt_email.enqueue(payment_id=payment.pk)  # a retried task: no second copy

    (message,) = mail.outbox
    assert "24 December 2026" in message.body
    assert "Kyiv & Region Daily" in message.body and "&amp;" not in message.subject + message.body
    # The task gave the timezone back: code after it runs in the default one again.
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
