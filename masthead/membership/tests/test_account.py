"""The member's account page: name, email change with re-verification, export, delete."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.test import Client

from masthead.membership import actions
from masthead.membership.models import Member, MemberEvent, Tier


def test_the_account_needs_a_signed_in_member(db: None) -> None:
    response = Client().get("/members/account/")
    assert response.status_code == 302
    assert response["Location"] == "/members/signin/?next=%2Fmembers%2Faccount%2F"


def test_the_account_shows_status_and_saves_the_name(
    free_member: Member, supporter: Tier, member_client: Any
) -> None:
    actions.comp_member(member=free_member, tier=supporter)
    client = member_client(free_member)
    page = client.get("/members/account/").content.decode()
    assert "Complimentary" in page and "Supporter" in page and free_member.email in page
    assert client.post("/members/account/", {"name": "Fay Renamed"}).status_code == 302
    free_member.refresh_from_db()
    assert free_member.name == "Fay Renamed"
    assert free_member.events.filter(kind=MemberEvent.Kind.NAME_CHANGED).exists()


def test_changing_email_waits_for_the_new_address_to_confirm(
    smtp_inbox: Any,
    free_member: Member,
    django_capture_on_commit_callbacks: Any,
    member_client: Any,
) -> None:
    client = member_client(free_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/members/account/", {"email": "Fay.New@Example.org"})
    assert response.status_code == 302
    free_member.refresh_from_db()
    assert free_member.email == "free@example.org", "unchanged until confirmed"
    message = smtp_inbox.last_to("fay.new@example.org")
    assert "new email address" in message["Subject"]

    link = smtp_inbox.link_for("fay.new@example.org").removeprefix(settings.MASTHEAD_SITE_URL)
    confirmed = client.get(link)
    assert confirmed["Location"] == "/members/account/"
    free_member.refresh_from_db()
    assert free_member.email == "fay.new@example.org"
    event = free_member.events.get(kind=MemberEvent.Kind.EMAIL_CHANGED)
    assert event.detail == {"old": "free@example.org", "new": "fay.new@example.org"}
    # The browser that confirmed stays signed in; other sessions were for the old address.
    assert client.get("/members/api/reader/").json()["signed_in"] is True


def test_an_address_in_use_is_refused_when_its_owner_opens_the_link(
    smtp_inbox: Any,
    free_member: Member,
    make_member: Any,
    member_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_member("taken@example.org")
    client = member_client(free_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/members/account/", {"email": "taken@example.org"})
    # The answer does not tell a member who else has an account...
    assert response.status_code == 302
    # ...only the owner of that mailbox learns it, from the link.
    link = smtp_inbox.link_for("taken@example.org").removeprefix(settings.MASTHEAD_SITE_URL)
    opened = client.get(link)
    assert opened.status_code == 409
    body = opened.content.decode()
    assert "already taken" in body and "Another account uses that address" in body
    free_member.refresh_from_db()
    assert free_member.email == "free@example.org"


def test_changing_email_spends_links_sent_to_the_old_address(
    smtp_inbox: Any,
    free_member: Member,
    member_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/members/signin/", {"email": free_member.email})
    old_link = smtp_inbox.link_for(free_member.email).removeprefix(settings.MASTHEAD_SITE_URL)
    actions.change_email(member=free_member, new_email="moved@example.org")
    assert Client().get(old_link).status_code == 410


def test_staff_changing_an_email_leaves_it_unverified(free_member: Member) -> None:
    from masthead.staff.factories import UserFactory

    actions.change_email(
        member=free_member, new_email="typed@example.org", actor=UserFactory(superuser=True)
    )
    free_member.refresh_from_db()
    assert free_member.email_verified_at is None


def test_export_my_data_downloads_everything_we_keep(
    free_member: Member, supporter: Tier, member_client: Any
) -> None:
    actions.comp_member(member=free_member, tier=supporter)
    response = member_client(free_member).get("/members/account/export/")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["member"]["email"] == "free@example.org"
    assert data["memberships"][0]["tier"] == "Supporter"
    assert any(item["what"] == "Signed up" for item in data["activity"])
    assert free_member.events.filter(kind=MemberEvent.Kind.EXPORTED).exists()


def test_deleting_the_account_needs_confirmation_and_erases_the_member(
    free_member: Member, member_client: Any
) -> None:
    client = member_client(free_member)
    refused = client.post("/members/account/delete/", {})
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode()
    assert Member.objects.filter(pk=free_member.pk).exists()
    deleted = client.post("/members/account/delete/", {"confirm": "on"})
    assert deleted.status_code == 302
    assert not Member.objects.filter(pk=free_member.pk).exists()
    assert not MemberEvent.objects.filter(member_id=free_member.pk).exists()
    assert client.get("/members/api/reader/").json()["signed_in"] is False


def test_the_ghost_member_endpoint(
    free_member: Member, supporter: Tier, member_client: Any
) -> None:
    assert Client().get("/members/api/member/").status_code == 204
    actions.comp_member(member=free_member, tier=supporter)
    response = member_client(free_member).get("/members/api/member/")
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert data["email"] == "free@example.org"
    assert data["status"] == "comped"
    assert data["paid"] is True
    assert data["tiers"][0]["name"] == "Supporter"


def test_reader_endpoint_is_private_and_personal(free_member: Member, member_client: Any) -> None:
    response = member_client(free_member).get("/members/api/reader/")
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert data["name"] == "Fay Free"
    assert data["variant"] == "free"
    assert data["csrf_token"]
    free_member.refresh_from_db()
    assert free_member.last_seen_at is not None


def test_join_page_lists_tiers_with_prices(db: None, supporter: Tier) -> None:
    page = Client().get("/members/join/").content.decode()
    assert "Supporter" in page
    assert "€5 a month" in page and "€50 a year" in page
    assert "Free" in page


def test_gift_and_support_pages_say_payments_are_not_set_up(db: None, supporter: Tier) -> None:
    gift = Client().get("/members/gift/").content.decode()
    assert "Online payments are not set up" in gift and "Supporter" in gift
    assert "Online payments are not set up" in Client().get("/members/support/").content.decode()


def test_members_on_the_join_page_are_sent_to_their_account(
    free_member: Member, member_client: Any
) -> None:
    page = member_client(free_member).get("/members/join/").content.decode()
    assert "You are a member" in page
    assert 'name="email"' not in page
