"""Choosing newsletters when joining, and the public newsletter page's double opt-in.

End to end: forms posted through the test client, the emailed link read from a real
SMTP server, and the link opened the way a reader does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from masthead.membership import actions as membership_actions
from masthead.membership.models import Member, SignInRequest, SignupSource
from masthead.newsletters.models import Newsletter, NewsletterSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(db: None) -> dict[str, Newsletter]:
    """Three newsletters: one ticked for newcomers, one not, one for paying members."""
    Newsletter.objects.all().delete()  # the default one the migrations install
    return {
        "weekly": Newsletter.objects.create(
            name="The Weekly", slug="weekly", description="Our week in five stories."
        ),
        "daily": Newsletter.objects.create(
            name="Morning Brief",
            slug="daily",
            description="The news before breakfast.",
            subscribe_on_signup=False,
        ),
        "insider": Newsletter.objects.create(
            name="Insider",
            slug="insider",
            description="Notes from the newsroom.",
            visibility=Newsletter.Visibility.PAID,
        ),
    }


def lists_of(email: str) -> set[str]:
    return set(
        NewsletterSubscription.objects.subscribed()
        .filter(member__email=email)
        .values_list("newsletter__slug", flat=True)
    )


def post(client: Client, url: str, data: dict[str, Any], capture: Any) -> Any:
    """POST a form and run what waits for the commit (the email task), as the worker would."""
    with capture(execute=True):
        return client.post(url, data)


def open_link(inbox: Any, email: str, capture: Any, client: Client | None = None) -> Any:
    """Open the emailed link; what waits for the commit (newsletters) runs too."""
    path = inbox.link_for(email).removeprefix(settings.MASTHEAD_SITE_URL)
    with capture(execute=True):
        return (client or Client()).get(path)


# --- Joining --------------------------------------------------------------------------


def test_the_join_form_offers_newsletters_open_to_free_members(lists: Any) -> None:
    body = Client().get("/members/join/").content.decode()
    assert "<legend" in body and "Newsletters" in body
    assert 'name="newsletters_offered"' in body
    daily = f'id="join-newsletter-{lists["daily"].pk}" value="{lists["daily"].pk}"'
    assert f'value="{lists["weekly"].pk}" checked' in body  # "subscribe new members"
    assert daily in body  # offered, not ticked
    assert f'value="{lists["daily"].pk}" checked' not in body
    assert "Insider" not in body  # paid members only
    # Each description is tied to its checkbox.
    assert f'aria-describedby="join-newsletter-{lists["weekly"].pk}-description"' in body


def test_the_paywall_sign_up_form_offers_them_too(lists: Any, home: Any) -> None:
    from masthead.membership.access import Visibility
    from masthead.publishing.factories import ArticlePageFactory, paragraph_blocks

    article = ArticlePageFactory(
        parent=home,
        visibility=Visibility.MEMBERS,
        body=[*paragraph_blocks(["Free part"]), {"type": "paywall", "value": None}],
    )
    body = Client().get(article.url).content.decode()
    assert f'id="paywall-newsletter-{lists["weekly"].pk}"' in body
    assert 'name="newsletters_offered"' in body


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (["daily"], {"daily"}),  # ticked: exactly those
        ([], set()),  # all unticked: none
        (None, {"weekly"}),  # the form offered none (old forms, the API): the defaults
    ],
)
def test_joining_subscribes_to_what_was_ticked_once_the_link_is_opened(
    lists: Any,
    smtp_inbox: Any,
    django_capture_on_commit_callbacks: Any,
    choice: list[str] | None,
    expected: set[str],
) -> None:
    data: dict[str, Any] = {"email": "new@example.org", "name": "New Reader"}
    if choice is not None:
        data["newsletters_offered"] = "1"
        data["newsletters"] = [str(lists[slug].pk) for slug in choice]
    response = post(Client(), "/members/join/", data, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert not Member.objects.filter(email="new@example.org").exists()
    assert lists_of("new@example.org") == set()

    opened = open_link(smtp_inbox, "new@example.org", django_capture_on_commit_callbacks)
    assert opened.status_code == 302
    assert lists_of("new@example.org") == expected
    sources = set(
        NewsletterSubscription.objects.filter(member__email="new@example.org").values_list(
            "source", flat=True
        )
    )
    assert sources <= {NewsletterSubscription.Source.SIGNUP}


def test_a_paid_only_newsletter_ticked_by_hand_is_not_given_to_a_free_member(
    lists: Any, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = {
        "email": "new@example.org",
        "newsletters_offered": "1",
        "newsletters": [str(lists["insider"].pk), "999999999", "x", "1" * 40],
    }
    post(Client(), "/members/join/", data, django_capture_on_commit_callbacks)
    open_link(smtp_inbox, "new@example.org", django_capture_on_commit_callbacks)
    assert Member.objects.filter(email="new@example.org").exists()
    assert lists_of("new@example.org") == set()


def test_the_choice_survives_a_form_error(lists: Any) -> None:
    response = Client().post(
        "/members/join/",
        {"email": "not-an-email", "newsletters_offered": "1", "newsletters": [lists["daily"].pk]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f'value="{lists["daily"].pk}" checked' in body
    assert f'value="{lists["weekly"].pk}" checked' not in body


def test_members_made_by_checkout_or_staff_get_the_default_newsletters(
    lists: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        member = membership_actions.create_member(email="staff-added@example.org")
    assert lists_of(member.email) == {"weekly"}


def test_a_member_created_in_a_transaction_that_rolls_back_gets_nothing(
    lists: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                membership_actions.create_member(email="gone@example.org")
                raise RuntimeError("the checkout failed after making the member")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not NewsletterSubscription.objects.exists()


def test_signing_in_through_the_join_form_does_not_resubscribe_an_existing_member(
    lists: Any, free_member: Member, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = {
        "email": free_member.email,
        "newsletters_offered": "1",
        "newsletters": [str(lists["weekly"].pk)],
    }
    post(Client(), "/members/join/", data, django_capture_on_commit_callbacks)
    open_link(smtp_inbox, free_member.email, django_capture_on_commit_callbacks)
    assert lists_of(free_member.email) == set()


# --- The public newsletter page -------------------------------------------------------


def test_the_newsletter_page_lists_active_newsletters(lists: Any) -> None:
    Newsletter.objects.create(
        name="Old List", slug="old", status=Newsletter.Status.ARCHIVED, description="Gone."
    )
    response = Client().get("/newsletters/")
    assert response.status_code == 200
    body = response.content.decode()
    for newsletter in lists.values():
        assert newsletter.name in body
        assert newsletter.description in body
    assert "Paid members only" in body
    assert "Old List" not in body
    # Only lists open to everyone can be ticked; nothing is ticked for the reader.
    assert f'value="{lists["insider"].pk}"' not in body
    assert " checked" not in body
    assert "<legend" in body and 'for="signup-email"' in body


def test_newsletter_sign_up_is_double_opt_in(
    lists: Any, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response = post(
        Client(),
        "/newsletters/",
        {"email": "Reader@Example.org", "newsletters": [lists["daily"].pk]},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/members/check-email/"
    assert "Check your inbox" in Client().get(response["Location"]).content.decode()
    # Nobody is on a list, or even a member, until the link is opened.
    assert not Member.objects.exists()
    assert not NewsletterSubscription.objects.exists()
    assert len(smtp_inbox.messages) == 1

    reader = Client()
    opened = open_link(smtp_inbox, "reader@example.org", django_capture_on_commit_callbacks, reader)
    assert opened.status_code == 302 and opened["Location"] == "/newsletters/"
    member = Member.objects.get(email="reader@example.org")
    assert member.signup_source == SignupSource.NEWSLETTER
    # What was ticked, not the defaults for newcomers.
    assert lists_of(member.email) == {"daily"}
    subscription = NewsletterSubscription.objects.get(member=member)
    assert subscription.source == NewsletterSubscription.Source.PUBLIC_FORM
    # Back on the page, signed in, the reader sees what they receive.
    page = reader.get("/newsletters/").content.decode()
    assert "Your newsletters" in page and "you receive it" in page


def test_an_existing_member_gets_the_same_answer_and_the_lists_after_confirming(
    lists: Any, free_member: Member, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    known = post(
        Client(),
        "/newsletters/",
        {"email": free_member.email, "newsletters": [lists["daily"].pk]},
        django_capture_on_commit_callbacks,
    )
    unknown = post(
        Client(),
        "/newsletters/",
        {"email": "stranger@example.org", "newsletters": [lists["daily"].pk]},
        django_capture_on_commit_callbacks,
    )
    assert known.status_code == unknown.status_code == 302
    assert urlsplit(known["Location"]).path == urlsplit(unknown["Location"]).path
    known_page = Client().get(known["Location"]).content.decode()
    assert free_member.email not in known_page
    assert lists_of(free_member.email) == set()

    open_link(smtp_inbox, free_member.email, django_capture_on_commit_callbacks)
    assert lists_of(free_member.email) == {"daily"}


def test_an_existing_member_who_unsubscribed_elsewhere_keeps_the_other_lists(
    lists: Any, free_member: Member, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from masthead.newsletters import actions

    actions.subscribe(member=free_member, newsletters=[lists["weekly"]])
    post(
        Client(),
        "/newsletters/",
        {"email": free_member.email, "newsletters": [lists["daily"].pk]},
        django_capture_on_commit_callbacks,
    )
    open_link(smtp_inbox, free_member.email, django_capture_on_commit_callbacks)
    assert lists_of(free_member.email) == {"weekly", "daily"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "reader@example.org"}, "Choose at least one newsletter."),
        ({"email": "not-an-email", "newsletters": ["DAILY"]}, "Enter a complete email address"),
    ],
)
def test_the_newsletter_form_explains_what_is_missing(
    lists: Any, data: dict[str, Any], message: str
) -> None:
    if data.get("newsletters") == ["DAILY"]:
        data = {**data, "newsletters": [lists["daily"].pk]}
    response = Client().post("/newsletters/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'aria-invalid="true"' in body or 'id="signup-newsletters-error"' in body
    assert not SignInRequest.objects.exists()


def test_the_newsletter_form_refuses_paid_only_lists(lists: Any) -> None:
    response = Client().post(
        "/newsletters/", {"email": "reader@example.org", "newsletters": [lists["insider"].pk]}
    )
    assert response.status_code == 400
    assert not SignInRequest.objects.exists()


def test_the_newsletter_form_is_rate_limited_like_sign_in(
    lists: Any, settings: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MASTHEAD_SIGNIN_PER_EMAIL_HOUR = 1
    data = {"email": "reader@example.org", "newsletters": [lists["daily"].pk]}
    first = post(Client(), "/newsletters/", data, django_capture_on_commit_callbacks)
    second = post(Client(), "/newsletters/", data, django_capture_on_commit_callbacks)
    assert (first.status_code, second.status_code) == (302, 429)
    assert "Too many attempts" in second.content.decode()
    assert len(mailoutbox) == 1


def test_the_newsletter_form_honeypot_sends_nothing_but_looks_the_same(
    lists: Any, mailoutbox: Any
) -> None:
    response = Client().post(
        "/newsletters/",
        {"email": "bot@example.org", "newsletters": [lists["daily"].pk], "mh_trap": "x"},
    )
    assert response.status_code == 302 and "/members/check-email/" in response["Location"]
    assert not SignInRequest.objects.exists()
    assert mailoutbox == []
