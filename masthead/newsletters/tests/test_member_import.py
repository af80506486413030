"""Ghost's members CSV carries one email flag, ``subscribed_to_emails``; newsletters honour it."""

from __future__ import annotations

import io
from typing import Any

import pytest

from masthead.membership import member_csv
from masthead.membership.models import Member
from masthead.newsletters import actions
from masthead.newsletters.models import Newsletter, NewsletterSubscription

pytestmark = pytest.mark.django_db

HEADER = "email,name,subscribed_to_emails,complimentary_plan\n"


@pytest.fixture
def lists(db: None) -> dict[str, Newsletter]:
    Newsletter.objects.all().delete()
    return {
        "daily": Newsletter.objects.create(name="Daily", slug="daily"),
        "weekly": Newsletter.objects.create(
            name="Weekly", slug="weekly", subscribe_on_signup=False
        ),
        "insider": Newsletter.objects.create(
            name="Insider", slug="insider", visibility=Newsletter.Visibility.PAID
        ),
    }


def on_lists(email: str) -> set[str]:
    return set(
        NewsletterSubscription.objects.subscribed()
        .filter(member__email=email)
        .values_list("newsletter__slug", flat=True)
    )


def test_imported_members_get_the_default_newsletters_their_row_allows(
    lists: dict[str, Newsletter], supporter: Any
) -> None:
    text = HEADER + (
        "yes@example.org,Yes,true,false\n"
        "blank@example.org,Blank,,false\n"
        "no@example.org,No,false,false\n"
        "comped@example.org,Comped,true,true\n"
    )
    summary = member_csv.import_members_csv(text)
    assert summary.created == 4
    assert on_lists("yes@example.org") == {"daily"}
    assert on_lists("blank@example.org") == {"daily"}  # Ghost's default for new members
    assert on_lists("no@example.org") == set()
    # Comped in the same import: paid-only default lists are open to them.
    assert on_lists("comped@example.org") == {"daily", "insider"}


def test_a_reimport_respects_an_unsubscribe_and_false_takes_members_off_every_list(
    lists: dict[str, Newsletter],
) -> None:
    member_csv.import_members_csv(
        HEADER + "a@example.org,A,true,false\nb@example.org,B,true,false\n"
    )
    a = Member.objects.get(email="a@example.org")
    actions.unsubscribe(member=a, newsletters=[lists["daily"]])
    actions.subscribe(
        member=Member.objects.get(email="b@example.org"), newsletters=[lists["weekly"]]
    )

    member_csv.import_members_csv(
        HEADER + "a@example.org,A,true,false\nb@example.org,B,false,false\n"
    )

    assert on_lists("a@example.org") == set()  # their own choice stands
    assert on_lists("b@example.org") == set()


def test_the_export_says_who_receives_email(lists: dict[str, Newsletter]) -> None:
    member_csv.import_members_csv(
        HEADER + "on@example.org,On,true,false\noff@example.org,Off,false,false\n"
    )
    out = io.StringIO()
    member_csv.write_members_csv(Member.objects.order_by("email"), out)
    flags = {line.split(",")[1]: line.split(",")[4] for line in out.getvalue().splitlines()[1:]}
    assert flags == {"off@example.org": "false", "on@example.org": "true"}


def test_staff_added_members_get_the_defaults_and_one_time_supporters_none(
    lists: dict[str, Newsletter], django_capture_on_commit_callbacks: Any
) -> None:
    from masthead.membership import actions as membership_actions

    with django_capture_on_commit_callbacks(execute=True):
        membership_actions.create_member(email="added@example.org")
        membership_actions.record_support(
            payment_intent_id="pi_once",
            amount=2000,
            currency="eur",
            email="donor@example.org",
            name="Dee Donor",
            customer_id="",
        )
    assert on_lists("added@example.org") == {"daily"}
    assert Member.objects.filter(email="donor@example.org").exists()
    assert on_lists("donor@example.org") == set()
