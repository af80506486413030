"""The members admin: list, filters, a member's page, comps, import, export, dashboard."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from masthead.membership.admin_panels import members_overview
from masthead.membership.factories import LabelFactory, MemberFactory, TierFactory
from masthead.membership.models import (
    Member,
    MemberEvent,
    Membership,
    MemberStatus,
    SignupSource,
)
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(superuser=True, first_name="Rita", last_name="Desk")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def supporter():
    return TierFactory(name="Supporter", monthly_price=500)


@pytest.fixture
def newsroom_members(supporter):
    """Five members who differ in one way each, so every filter picks out one or two."""
    press, vip = LabelFactory(name="press"), LabelFactory(name="vip")
    patron = TierFactory(name="Patron", monthly_price=1500)
    now = timezone.now()
    return {
        "ann": MemberFactory(
            email="ann@example.org", name="Ann Lind", labels=[press], created_at=now
        ),
        "ben": MemberFactory(
            email="ben@example.org",
            name="Ben Ode",
            comped_tier=supporter,
            created_at=now - timedelta(days=40),
        ),
        "cy": MemberFactory(
            email="cy@example.org",
            name="Cy Park",
            paid_tier=patron,
            labels=[vip],
            created_at=now - timedelta(days=100),
        ),
        "di": MemberFactory(
            email="di@example.org",
            name="Di Ross",
            gift_tier=supporter,
            signup_source=SignupSource.PAYWALL,
            created_at=now - timedelta(days=2),
        ),
        "ed": MemberFactory(
            email="ed@other.net",
            name="Ed Vale",
            labels=[press, vip],
            signup_source=SignupSource.IMPORT,
            created_at=now - timedelta(days=400),
        ),
        "press": press,
        "vip": vip,
        "patron": patron,
    }


ALL_EMAILS = {
    "ann@example.org",
    "ben@example.org",
    "cy@example.org",
    "di@example.org",
    "ed@other.net",
}


def listed(client, **params) -> set[str]:
    response = client.get("/admin/members/", params)
    assert response.status_code == 200
    body = response.content.decode()
    return {email for email in ALL_EMAILS if email in body}


def test_member_list_filters_by_status_tier_label_date_and_source(
    staff_client, newsroom_members, supporter
):
    m = newsroom_members
    assert listed(staff_client) == ALL_EMAILS
    assert listed(staff_client, status=MemberStatus.COMPED) == {"ben@example.org"}
    assert listed(staff_client, status=MemberStatus.FREE) == {"ann@example.org", "ed@other.net"}
    assert listed(staff_client, tier=supporter.pk) == {"ben@example.org", "di@example.org"}
    assert listed(staff_client, tier=m["patron"].pk) == {"cy@example.org"}
    assert listed(staff_client, label=m["press"].pk) == {"ann@example.org", "ed@other.net"}
    assert listed(staff_client, label=m["vip"].pk, tier=m["patron"].pk) == {"cy@example.org"}
    assert listed(staff_client, signup_source=SignupSource.PAYWALL) == {"di@example.org"}
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert listed(staff_client, created_at_from=week_ago) == {"ann@example.org", "di@example.org"}
    year_ago = (timezone.localdate() - timedelta(days=365)).isoformat()
    month_ago = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert listed(staff_client, created_at_from=year_ago, created_at_to=month_ago) == {
        "ben@example.org",
        "cy@example.org",
    }


def test_member_list_searches_email_and_name(staff_client, newsroom_members):
    assert listed(staff_client, q="other.net") == {"ed@other.net"}
    assert listed(staff_client, q="park") == {"cy@example.org"}
    assert listed(staff_client, q="nobody-like-this") == set()


def test_member_list_shows_status_tiers_and_labels(staff_client, newsroom_members):
    body = staff_client.get("/admin/members/", {"q": "cy@"}).content.decode()
    assert "Cy Park" in body
    assert "Paid" in body
    assert "Patron" in body
    assert "vip" in body


def test_member_list_query_count_does_not_grow_with_members(
    staff_client, supporter, django_assert_max_num_queries
):
    labels = [LabelFactory(name=f"label {n}") for n in range(3)]
    MemberFactory.create_batch(3, labels=labels, comped_tier=supporter)
    with django_assert_max_num_queries(40) as few:
        staff_client.get("/admin/members/")
    MemberFactory.create_batch(45, labels=labels, comped_tier=supporter)
    with django_assert_max_num_queries(len(few)):
        response = staff_client.get("/admin/members/")
    assert response.content.decode().count("label 2") >= 48


def test_empty_member_list_says_how_members_arrive(staff_client):
    body = staff_client.get("/admin/members/").content.decode()
    assert "No members yet" in body
    assert "/admin/members/new/" in body
    assert "/admin/members/import/" in body

    MemberFactory(email="ann@example.org")
    body = staff_client.get("/admin/members/", {"q": "zzz"}).content.decode()
    assert "No members match. Remove a filter" in body


def test_staff_adds_a_member_by_hand(staff_client, staff):
    press = LabelFactory(name="press")
    response = staff_client.post(
        "/admin/members/new/",
        {
            "email": " New@Example.org ",
            "name": "Nia New",
            "note": "Met at the fair",
            "labels": [press.pk],
        },
        follow=True,
    )
    member = Member.objects.get(email="new@example.org")
    assert member.signup_source == SignupSource.ADMIN
    assert list(member.labels.all()) == [press]
    event = member.events.get(kind=MemberEvent.Kind.SIGNED_UP)
    assert event.actor == staff
    assert "new@example.org is now a free member" in response.content.decode()

    again = staff_client.post("/admin/members/new/", {"email": "NEW@example.org"})
    assert again.status_code == 200
    assert "Another member already uses new@example.org" in again.content.decode()
    assert Member.objects.count() == 1


def test_member_page_shows_memberships_and_a_timeline_newest_first(staff_client, supporter, staff):
    member = MemberFactory(email="ann@example.org", name="Ann")
    staff_client.post(f"/admin/members/edit/{member.pk}/", {"action": "comp", "tier": supporter.pk})
    body = staff_client.get(f"/admin/members/edit/{member.pk}/").content.decode()
    assert "Memberships" in body and "Supporter" in body
    timeline = body[body.index("member-timeline") :]
    assert timeline.index("Status changed") < timeline.index("Given a complimentary membership")
    assert "by Rita Desk" in timeline


def test_comp_and_remove_comp_change_status_and_add_timeline_events(staff_client, supporter, staff):
    member = MemberFactory(email="ann@example.org")
    last_day = timezone.localdate() + timedelta(days=30)

    response = staff_client.post(
        f"/admin/members/edit/{member.pk}/",
        {"action": "comp", "tier": supporter.pk, "last_day": last_day.isoformat()},
        follow=True,
    )

    member.refresh_from_db()
    assert member.status == MemberStatus.COMPED
    comp = member.memberships.get()
    assert comp.source == Membership.Source.COMP
    assert comp.granted_by == staff
    assert timezone.localtime(comp.ends_at).date() == last_day + timedelta(days=1)
    assert "now has Supporter for free until the end of" in response.content.decode()
    kinds = list(member.events.values_list("kind", "actor"))
    assert (MemberEvent.Kind.COMPED, staff.pk) in kinds
    assert (MemberEvent.Kind.STATUS_CHANGED, staff.pk) in kinds

    response = staff_client.post(
        f"/admin/members/edit/{member.pk}/", {"action": "remove_comp"}, follow=True
    )

    member.refresh_from_db()
    assert member.status == MemberStatus.FREE
    assert not member.memberships.active().exists()
    assert member.memberships.count() == 1  # history is kept
    assert member.events.filter(kind=MemberEvent.Kind.COMP_REMOVED, actor=staff).exists()
    assert "Their status is now Free" in response.content.decode()


def test_comp_form_explains_what_to_fix(staff_client, supporter):
    member = MemberFactory()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = staff_client.post(
        f"/admin/members/edit/{member.pk}/",
        {"action": "comp", "tier": supporter.pk, "last_day": yesterday},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was changed. Correct the errors below." in body
    assert "That day has passed" in body
    assert not member.memberships.exists()


def test_far_off_or_impossible_values_are_refused_not_crashed_on(staff_client, supporter):
    member = MemberFactory()
    comp = staff_client.post(
        f"/admin/members/edit/{member.pk}/",
        {"action": "comp", "tier": supporter.pk, "last_day": "9999-12-31"},
    )
    assert comp.status_code == 200
    assert "before the year 9000" in comp.content.decode()
    labels = staff_client.post(
        f"/admin/members/edit/{member.pk}/",
        {"action": "details", "name": "Ann", "note": "", "labels": [str(2**70)]},
    )
    assert labels.status_code == 200
    assert not member.memberships.exists()


def test_details_are_saved_through_actions_and_status_cannot_be_posted(staff_client, staff):
    press = LabelFactory(name="press")
    member = MemberFactory(email="ann@example.org", name="Ann")

    staff_client.post(
        f"/admin/members/edit/{member.pk}/",
        {
            "action": "details",
            "name": "Ann Lind",
            "note": "Prefers print",
            "labels": [press.pk],
            "status": MemberStatus.PAID,
        },
    )

    member.refresh_from_db()
    assert (member.name, member.note, member.status) == ("Ann Lind", "Prefers print", "free")
    assert list(member.labels.all()) == [press]
    kinds = set(member.events.filter(actor=staff).values_list("kind", flat=True))
    assert kinds == {
        MemberEvent.Kind.NAME_CHANGED,
        MemberEvent.Kind.NOTE_CHANGED,
        MemberEvent.Kind.LABELS_CHANGED,
    }


def test_staff_changes_a_members_email(staff_client, staff):
    member = MemberFactory(email="old@example.org")
    MemberFactory(email="taken@example.org")
    version = member.session_version

    taken = staff_client.post(
        f"/admin/members/edit/{member.pk}/", {"action": "email", "email": "Taken@example.org"}
    )
    assert "Another member already uses taken@example.org" in taken.content.decode()

    staff_client.post(
        f"/admin/members/edit/{member.pk}/", {"action": "email", "email": "New@example.org"}
    )
    member.refresh_from_db()
    assert member.email == "new@example.org"
    assert member.session_version == version + 1
    event = member.events.get(kind=MemberEvent.Kind.EMAIL_CHANGED)
    assert (event.actor, event.detail["old"]) == (staff, "old@example.org")


def test_download_member_data_and_delete_member(staff_client, staff, supporter):
    member = MemberFactory(email="ann@example.org", comped_tier=supporter)

    response = staff_client.get(f"/admin/members/data/{member.pk}/")
    assert response["Content-Disposition"].startswith("attachment;")
    export = json.loads(response.content)
    assert export["member"]["email"] == "ann@example.org"
    assert export["memberships"][0]["tier"] == "Supporter"
    assert member.events.filter(kind=MemberEvent.Kind.EXPORTED, actor=staff).exists()

    confirm = staff_client.get(f"/admin/members/delete/{member.pk}/").content.decode()
    assert "This cannot be undone" in confirm
    response = staff_client.post(f"/admin/members/delete/{member.pk}/", follow=True)
    assert not Member.objects.exists()
    assert not Membership.objects.exists()
    assert "Deleted ann@example.org" in response.content.decode()


def test_import_page_reports_counts_and_every_rejected_line(staff_client, staff):
    MemberFactory(email="known@example.org", name="Known")
    upload = SimpleUploadedFile(
        "ghost-members.csv",
        b"\xef\xbb\xbfEmail,Name,Labels\n"
        b"new@example.org,New,press\n"
        b"known@example.org,Known,\n"
        b"broken,Broken,\n"
        b"new@example.org,Twice,\n",
        content_type="text/csv",
    )

    response = staff_client.post("/admin/members/import/", {"file": upload})

    body = response.content.decode()
    assert response.status_code == 200
    assert "New members: 1. Updated: 0. Already up to date: 1." in body
    assert "Rows not imported: 2." in body
    assert '<th scope="row">4</th><td>broken</td>' in body
    assert '<th scope="row">5</th><td>new@example.org</td>' in body
    new = Member.objects.get(email="new@example.org")
    assert new.events.get(kind=MemberEvent.Kind.IMPORTED).actor == staff


def test_import_page_rejects_a_file_that_is_not_a_members_csv(staff_client):
    upload = SimpleUploadedFile("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00", content_type="text/csv")
    response = staff_client.post("/admin/members/import/", {"file": upload})
    body = response.content.decode()
    assert "Nothing was imported." in body
    assert "not a CSV file in UTF-8" in body

    upload = SimpleUploadedFile("names.csv", b"name\nAnn\n", content_type="text/csv")
    body = staff_client.post("/admin/members/import/", {"file": upload}).content.decode()
    assert "has no email column" in body


def test_export_streams_ghost_csv_for_the_current_filters(staff_client, newsroom_members):
    list_page = staff_client.get("/admin/members/", {"status": "comped"}).content.decode()
    assert "/admin/members/export/?status=comped" in list_page

    response = staff_client.get("/admin/members/export/", {"status": "comped"})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["email"], row["complimentary_plan"], row["tiers"]) for row in rows] == [
        ("ben@example.org", "true", "Supporter")
    ]

    searched = staff_client.get("/admin/members/export/", {"q": "example.org"})
    rows = list(csv.DictReader(io.StringIO(b"".join(searched.streaming_content).decode())))
    assert len(rows) == 4

    stale = staff_client.get("/admin/members/export/", {"label": 999999}, follow=True)
    assert not stale.streaming
    assert "Nothing was exported" in stale.content.decode()


def test_staff_without_member_permissions_cannot_open_or_change_members(client):
    editor = UserFactory()
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    member = MemberFactory()
    for url in ["/admin/members/", f"/admin/members/edit/{member.pk}/", "/admin/members/import/"]:
        response = client.get(url)
        assert response.status_code in (302, 403), url
    client.post(f"/admin/members/delete/{member.pk}/")
    assert Member.objects.filter(pk=member.pk).exists()


def test_dashboard_counts_members_and_charts_joins_and_tiers(
    staff_client, newsroom_members, supporter, django_assert_num_queries
):
    with django_assert_num_queries(4):
        overview = members_overview()
    assert (overview["total"], overview["paying"], overview["comped"], overview["gift"]) == (
        5,
        1,
        1,
        1,
    )
    assert overview["new"] == 2  # ann today and di two days ago
    assert len(overview["series"]) == 30
    tiers = {tier["name"]: tier for tier in overview["tiers"]}
    assert (tiers["Supporter"]["comped"], tiers["Supporter"]["gift"]) == (1, 1)
    assert tiers["Patron"]["paid"] == 1
    assert tiers["Free"]["free"] == 2

    MemberFactory.create_batch(10)
    with django_assert_num_queries(4):
        members_overview()

    body = staff_client.get("/admin/").content.decode()
    assert "15 members:" in body
    assert "1 paying, 1 complimentary, 1 on a gift." in body
    assert "12 new in the last 30 days." in body
    assert body.count('role="img"') >= 2
    assert "Members by tier" in body and "New members per day" in body
