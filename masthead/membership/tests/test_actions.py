"""Membership actions: statuses follow memberships as they start and end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from masthead.membership import actions, auth
from masthead.membership.models import Membership, MembershipSettings, MemberStatus


def test_a_gift_ending_under_a_comp_leaves_the_member_comped(
    free_member: Any, supporter: Any, patron: Any
) -> None:
    now = timezone.now()
    actions.comp_member(member=free_member, tier=supporter)
    Membership.objects.create(
        member=free_member,
        tier=patron,
        source=Membership.Source.GIFT,
        starts_at=now - timedelta(days=30),
        ends_at=now + timedelta(hours=1),
    )
    actions.refresh_status(member=free_member)
    assert free_member.status == MemberStatus.GIFT
    assert actions.expire_memberships(now=now + timedelta(hours=2)) == 1
    free_member.refresh_from_db()
    assert free_member.status == MemberStatus.COMPED


def test_a_membership_that_starts_later_upgrades_the_member_when_it_starts(
    free_member: Any, supporter: Any
) -> None:
    now = timezone.now()
    Membership.objects.create(
        member=free_member,
        tier=supporter,
        source=Membership.Source.GIFT,
        starts_at=now + timedelta(days=1),
    )
    assert actions.expire_memberships(now=now) == 0
    assert actions.expire_memberships(now=now + timedelta(days=1, minutes=5)) == 1
    free_member.refresh_from_db()
    assert free_member.status == MemberStatus.GIFT
    # Running again changes nothing.
    assert actions.expire_memberships(now=now + timedelta(days=1, minutes=10)) == 0


@pytest.mark.parametrize("text", ["{count!r} readers", "{count.real} readers", "{count:>9}", "{0}"])
def test_counter_text_allows_only_the_count_placeholder(site: Any, text: str) -> None:
    config = MembershipSettings.for_site(site)
    config.counter_text = text
    with pytest.raises(ValidationError):
        config.full_clean()


def test_the_client_ip_behind_a_proxy_is_the_address_the_proxy_saw(settings: Any) -> None:
    settings.MASTHEAD_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    # The client wrote 6.6.6.6 itself; the proxy appended what it really saw.
    assert auth.client_ip(request) == "203.0.113.9"
    settings.MASTHEAD_CLIENT_IP_HEADER = ""
    assert auth.client_ip(request) == "127.0.0.1"
