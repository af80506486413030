"""Members CSV in Ghost's format: export, import, re-import, and bad files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from masthead.membership import actions, member_csv
from masthead.membership.factories import LabelFactory, MemberFactory, TierFactory
from masthead.membership.models import (
    Label,
    Member,
    MemberEvent,
    Membership,
    MemberStatus,
    SignupSource,
)

pytestmark = pytest.mark.django_db

GHOST_HEADER = (
    "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,"
    "created_at,deleted_at,labels,tiers"
)


def export_text(members=None) -> str:
    members = members if members is not None else Member.objects.order_by("created_at", "pk")
    return "".join(member_csv.iter_members_csv(members))


def import_text(text: str, **kwargs) -> member_csv.ImportSummary:
    return member_csv.import_members_csv(text, **kwargs)


def snapshot() -> dict:
    """Everything an import could change, to compare before and after."""
    return {
        "members": sorted(
            Member.objects.values_list("email", "name", "note", "status", "updated_at")
        ),
        "labels": sorted(Member.labels.through.objects.values_list("member__email", "label__name")),
        "label_rows": Label.objects.count(),
        "memberships": Membership.objects.count(),
        "events": MemberEvent.objects.count(),
    }


def test_export_writes_ghost_columns_in_ghost_order():
    supporter = TierFactory(name="Supporter")
    member = MemberFactory(
        email="ann@example.org",
        name="Ann Lind",
        labels=[LabelFactory(name="vip"), LabelFactory(name="Press")],
        comped_tier=supporter,
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    MemberFactory(email="ben@example.org", name="Ben", created_at=timezone.now())

    rows = list(csv.reader(io.StringIO(export_text())))

    assert ",".join(rows[0]) == GHOST_HEADER
    assert rows[1] == [
        member.ghost_id,
        "ann@example.org",
        "Ann Lind",
        "",
        "false",  # on no newsletter: subscribed_to_emails comes from the newsletters app
        "true",
        "",
        "2026-01-02T03:04:05.678Z",
        "",
        "Press,vip",
        "Supporter",
    ]
    assert rows[2][1] == "ben@example.org"
    assert rows[2][5] == "false"
    assert rows[2][10] == ""


def test_export_then_import_into_an_empty_database_gives_the_same_members():
    supporter = TierFactory(name="Supporter", monthly_price=500)
    patron = TierFactory(name="Patron", monthly_price=1500)
    press, vip = LabelFactory(name="press"), LabelFactory(name="vip")
    MemberFactory(email="ann@example.org", name="Ann", labels=[press, vip], comped_tier=patron)
    MemberFactory(email="ben@example.org", name="", labels=[press])
    member = MemberFactory(email="cy@example.org", name='=Cy, "the" one')
    actions.update_member(member=member, note="Met at the fair\nsecond line")
    MemberFactory(email="di@example.org", comped_tier=supporter)
    before = {
        m.email: (
            m.ghost_id,
            m.name,
            m.note,
            m.status,
            m.created_at.replace(microsecond=m.created_at.microsecond // 1000 * 1000),
            sorted(label.name for label in m.labels.all()),
            sorted(ms.tier.name for ms in m.memberships.active()),
        )
        for m in Member.objects.all()
    }
    text = export_text()

    Member.objects.all().delete()
    Label.objects.all().delete()
    summary = import_text(text)

    assert (summary.created, summary.updated, summary.rejected) == (4, 0, [])
    after = {
        m.email: (
            m.ghost_id,
            m.name,
            m.note,
            m.status,
            m.created_at,
            sorted(label.name for label in m.labels.all()),
            sorted(ms.tier.name for ms in m.memberships.active()),
        )
        for m in Member.objects.all()
    }
    assert after == before
    assert Member.objects.get(email="di@example.org").status == MemberStatus.COMPED
    assert set(Member.objects.values_list("signup_source", flat=True)) == {SignupSource.IMPORT}
    # The cell that starts like a formula was escaped in the file, and unescaped again.
    assert "'=Cy" in text


def test_bad_rows_are_reported_with_their_line_numbers_and_the_good_rows_imported():
    TierFactory(name="Supporter")
    text = (
        "email,name,note,created_at,complimentary_plan,tiers,subscribed_to_emails\n"
        "good@example.org,Good,,2024-05-01T09:00:00.000Z,false,,true\n"  # line 2
        "not-an-email,Bad,,,,,\n"  # line 3
        'two@example.org,Two,"a note\nover two lines",,,,\n'  # lines 4-5
        "GOOD@example.org,Again,,,,,\n"  # line 6: duplicate of line 2
        "date@example.org,Date,,yesterday,,,\n"  # line 7
        "\n"  # line 8: blank, skipped
        "tier@example.org,Tier,,,true,Platinum,\n"  # line 9
        "flag@example.org,Flag,,,maybe,,\n"  # line 10
        ",No email,,,,,\n"  # line 11
        "last@example.org,Last,,,,,nope\n"  # line 12
    )

    summary = import_text(text)

    assert summary.created == 2
    assert sorted(Member.objects.values_list("email", flat=True)) == [
        "good@example.org",
        "two@example.org",
    ]
    reasons = {row.line: row.reason for row in summary.rejected}
    assert set(reasons) == {3, 6, 7, 9, 10, 11, 12}
    assert "not a valid email address" in reasons[3]
    assert "line 2" in reasons[6]
    assert "yesterday" in reasons[7] and "ISO 8601" in reasons[7]
    assert "Platinum" in reasons[9]
    assert "complimentary_plan" in reasons[10]
    assert "missing" in reasons[11]
    assert "subscribed_to_emails" in reasons[12]
    assert Member.objects.get(email="two@example.org").note == "a note\nover two lines"
    good = Member.objects.get(email="good@example.org")
    assert good.created_at == datetime(2024, 5, 1, 9, tzinfo=UTC)


def test_importing_the_same_file_again_changes_nothing():
    TierFactory(name="Supporter", monthly_price=500)
    MemberFactory(email="known@example.org", name="Known", labels=[LabelFactory(name="old")])
    text = (
        "email,name,note,labels,complimentary_plan,tiers,created_at\n"
        'known@example.org,Known Better,A note,"old,new",false,,\n'
        'ann@example.org,Ann,,"press, vip",true,Supporter,2024-01-01\n'
        "ben@example.org,,,,true,,\n"
    )
    first = import_text(text)
    assert (first.created, first.updated, first.unchanged, first.comped) == (2, 1, 0, 2)
    before = snapshot()

    second = import_text(text)

    assert (second.created, second.updated, second.unchanged, second.comped) == (0, 0, 3, 0)
    assert second.labels_created == 0
    assert snapshot() == before


def test_existing_member_gets_only_what_differs_and_keeps_what_the_file_leaves_blank():
    member = MemberFactory(
        email="ann@example.org", name="Ann", note="", labels=[LabelFactory(name="press")]
    )
    joined = member.created_at

    summary = import_text(
        "Email,Name,Note,Labels,Created_at\nANN@example.org,,Reader since 2019,VIP,2019-01-01\n"
    )

    assert (summary.created, summary.updated, summary.labels_created) == (0, 1, 1)
    member.refresh_from_db()
    assert member.name == "Ann"
    assert member.note == "Reader since 2019"
    assert sorted(label.name for label in member.labels.all()) == ["VIP", "press"]
    assert member.created_at == joined  # a member who is here keeps their sign-up date
    event = member.events.get(kind=MemberEvent.Kind.IMPORTED)
    assert event.detail["changed"] == ["note", "labels"]
    assert event.detail["labels_added"] == ["VIP"]


def test_labels_match_existing_ones_whatever_their_case():
    press = LabelFactory(name="Press")
    import_text("email,labels\nann@example.org,PRESS\n")
    assert list(Member.objects.get().labels.all()) == [press]
    assert Label.objects.count() == 1


def test_complimentary_plan_comps_to_the_named_tier_or_the_cheapest_paid_one():
    TierFactory(name="Patron", monthly_price=1500)
    supporter = TierFactory(name="Supporter", monthly_price=500)
    TierFactory(name="Archived", monthly_price=100, is_active=False)
    already = MemberFactory(email="comped@example.org", comped_tier=supporter)

    summary = import_text(
        "email,complimentary_plan,tiers\n"
        "named@example.org,true,patron\n"
        "cheapest@example.org,TRUE,\n"
        "free@example.org,false,\n"
        "comped@example.org,true,Patron\n"
    )

    assert summary.comped == 2
    tiers = {
        m.email: (m.status, [ms.tier.name for ms in m.memberships.active()])
        for m in Member.objects.all()
    }
    assert tiers["named@example.org"] == (MemberStatus.COMPED, ["Patron"])
    assert tiers["cheapest@example.org"] == (MemberStatus.COMPED, ["Supporter"])
    assert tiers["free@example.org"] == (MemberStatus.FREE, [])
    assert tiers["comped@example.org"] == (MemberStatus.COMPED, ["Supporter"])
    timeline = list(
        Member.objects.get(email="named@example.org").events.values_list("kind", flat=True)
    )
    assert set(timeline) == {
        MemberEvent.Kind.IMPORTED,
        MemberEvent.Kind.COMPED,
        MemberEvent.Kind.STATUS_CHANGED,
    }
    assert already.events.filter(kind=MemberEvent.Kind.IMPORTED).count() == 0


def test_complimentary_plan_without_a_paid_tier_is_rejected_with_what_to_do():
    summary = import_text(
        "email,complimentary_plan,tiers\na@example.org,true,\nb@example.org,true,Free\n"
    )
    assert summary.created == 0
    reasons = [row.reason for row in summary.rejected]
    assert "no active paid tier" in reasons[0]
    assert "is free" in reasons[1]


@pytest.mark.parametrize(
    ("text", "expected_name"),
    [
        pytest.param("\ufeffemail,name\nann@example.org,Ann\n", "Ann", id="bom"),
        pytest.param("Email;Name;Labels\nann@example.org;Ann;a,b\n", "Ann", id="semicolons"),
        pytest.param(" EMAIL , Name \r\nann@example.org,Ann\r\n", "Ann", id="spaced-crlf"),
        pytest.param("email_address,name\nann@example.org,Ann\n", "Ann", id="alias"),
        pytest.param("ann@example.org\n", None, id="no-header"),
    ],
)
def test_ghost_style_header_variants(text, expected_name):
    if expected_name is None:
        with pytest.raises(member_csv.CSVFileError) as error:
            import_text(text)
        assert error.value.code == "no_email_column"
        assert "ann@example.org" in error.value.user_message()
        return
    summary = import_text(text)
    assert summary.created == 1
    assert Member.objects.get().name == expected_name


def test_ghost_column_names_for_tiers_and_subscription_are_read():
    TierFactory(name="Supporter")
    summary = import_text(
        "email,subscribed,complimentary_plan,import_tier,stripe_customer_id,deleted_at,extra\n"
        "ann@example.org,false,true,Supporter,cus_123,,x\n"
    )
    assert summary.comped == 1
    assert summary.ignored_columns == ["deleted_at", "extra"]
    event = MemberEvent.objects.get(kind=MemberEvent.Kind.IMPORTED)
    assert event.detail["stripe_customer_id"] == "cus_123"
    assert event.detail["subscribed_to_emails"] is False


def test_future_created_at_becomes_now_as_in_ghost():
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    import_text(f"email,created_at\nann@example.org,{tomorrow}\n")
    assert Member.objects.get().created_at <= timezone.now()


@pytest.mark.parametrize(
    "created_at", ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00-05:00", "9999-12-31"]
)
def test_placeholder_dates_are_rejected_not_crashed_on(created_at):
    summary = import_text(
        f"email,created_at\nann@example.org,{created_at}\nbob@example.org,2025-01-02\n"
    )
    assert [row.line for row in summary.rejected] == [2]
    assert "created_at" in summary.rejected[0].reason
    assert list(Member.objects.values_list("email", flat=True)) == ["bob@example.org"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param("email\nann@example.org\n".encode("utf-16"), "not_utf8", id="utf-16"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not_utf8", id="binary"),
        pytest.param(b"name,note\nAnn,hi\n", "no_email_column", id="no-email"),
    ],
)
def test_files_that_cannot_be_imported_say_why_and_change_nothing(raw, code):
    with pytest.raises(member_csv.CSVFileError) as error:
        import_text(member_csv.decode_csv_bytes(raw))
    assert error.value.code == code
    assert error.value.user_message()
    assert not Member.objects.exists()


def test_a_crash_keeps_the_batches_already_imported(monkeypatch):
    TierFactory(name="Supporter")
    text = "email,complimentary_plan\n" + "".join(
        f"m{n}@example.org,{'true' if n == 3 else 'false'}\n" for n in range(5)
    )
    parsed = member_csv.parse_members_csv(text)

    def crash(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(member_csv.actions, "comp_member", crash)
    with pytest.raises(RuntimeError):
        member_csv.import_members(parsed, batch_size=2)

    # Batch 1 (m0, m1) is in; batch 2 (m2, m3) rolled back whole; batch 3 never ran.
    assert sorted(Member.objects.values_list("email", flat=True)) == [
        "m0@example.org",
        "m1@example.org",
    ]

    monkeypatch.undo()
    summary = member_csv.import_members(parsed, batch_size=2)
    assert (summary.created, summary.unchanged, summary.comped) == (3, 2, 1)


def test_import_uses_a_fixed_number_of_queries_per_batch(django_assert_max_num_queries):
    LabelFactory(name="press")
    rows = "".join(f"m{n}@example.org,Member {n},press\n" for n in range(1000))
    parsed = member_csv.parse_members_csv("email,name,labels\n" + rows)

    # Two batches of 500. SQLite caps the parameters in one statement, so each bulk
    # insert takes a few statements; none of this grows with a row.
    with django_assert_max_num_queries(80):
        summary = member_csv.import_members(parsed, batch_size=500)
    assert summary.created == 1000
    assert Member.labels.through.objects.count() == 1000

    with django_assert_max_num_queries(20):
        again = member_csv.import_members(parsed, batch_size=500)
    assert again.unchanged == 1000


def test_export_query_count_does_not_grow_with_members(django_assert_max_num_queries):
    tier = TierFactory()
    label = LabelFactory()
    for n in range(30):
        MemberFactory(labels=[label], comped_tier=tier if n % 2 else None)
    # Members, their labels, their tiers, and who is on a newsletter.
    with django_assert_max_num_queries(4):
        lines = list(member_csv.iter_members_csv(Member.objects.all()))
    assert len(lines) == 31
