"""The newsletters admin: lists, sending an article, sends and their progress, suppressions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import GroupPagePermission, PageLogEntry

from masthead.membership.factories import MemberFactory, TierFactory
from masthead.newsletters import actions
from masthead.newsletters.admin_views import SEND_LOGGED, sends_per_day
from masthead.newsletters.models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    Segment,
    Suppression,
)
from masthead.publishing.factories import ArticlePageFactory
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db

NEWSLETTERS = "/admin/newsletters/"
SENDS = "/admin/newsletters/sends/"
SUPPRESSIONS = "/admin/newsletters/suppressions/"


@pytest.fixture
def staff() -> Any:
    return UserFactory(superuser=True, first_name="Rita", last_name="Desk")


@pytest.fixture
def staff_client(client: Any, staff: Any) -> Any:
    client.force_login(staff)
    return client


@pytest.fixture
def weekly() -> Newsletter:
    return Newsletter.objects.create(
        name="The Weekly", slug="weekly", subscribe_on_signup=False, sort_order=1
    )


@pytest.fixture
def subscribers(weekly: Newsletter) -> dict[str, Any]:
    """Two free subscribers and one paying, and a member of another list."""
    patron = TierFactory(name="Patron", monthly_price=1500)
    people = {
        "ann": MemberFactory(email="ann@example.org"),
        "ben": MemberFactory(email="ben@example.org"),
        "cy": MemberFactory(email="cy@example.org", paid_tier=patron),
    }
    for member in people.values():
        actions.subscribe(member=member, newsletters=[weekly])
    people["patron"] = patron
    return people


@pytest.fixture
def article(home: Any) -> Any:
    return ArticlePageFactory(parent=home, title="The dam held for one more night")


@pytest.fixture
def draft(home: Any) -> Any:
    return ArticlePageFactory(parent=home, title="Tomorrow's story", live=False)


def send_url(page: Any) -> str:
    return f"{SENDS}article/{page.pk}/"


def row_cells(page: str, title: str) -> list[str]:
    """The text of each cell in the table row whose first cell names ``title``."""
    row = page[page.index(title) :]
    row = row[: row.index("</tr>")]
    return [" ".join(cell.split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def send_form(newsletter: Newsletter, **fields: Any) -> dict[str, Any]:
    return {
        "newsletter": newsletter.pk,
        "segment": Segment.ALL,
        "subject": "Tonight's letter",
        "action": "check",
        **fields,
    }


# --- Newsletters -----------------------------------------------------------------------


def test_newsletter_list_counts_subscribers_in_a_query_that_does_not_grow(
    staff_client: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    actions.unsubscribe(member=subscribers["ben"], newsletters=[weekly])

    with CaptureQueriesContext(connection) as few:
        response = staff_client.get(NEWSLETTERS)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The Weekly" in page
    # Two subscribed (Ann and Cy), one of whom pays; Ben left.
    assert row_cells(page, "The Weekly") == [
        "Everyone (free and paid members)",
        "Active",
        "2",
        "1",
        "No",
        "1",
    ]

    for n in range(4):
        newsletter = Newsletter.objects.create(name=f"Extra {n}", slug=f"extra-{n}")
        actions.subscribe(member=subscribers["ann"], newsletters=[newsletter])
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(NEWSLETTERS).status_code == 200
    assert len(many) == len(few)


def test_staff_creates_and_edits_a_newsletter_with_every_setting(staff_client: Any) -> None:
    fields = {
        "name": "Morning Brief",
        "slug": "morning-brief",
        "description": "Five stories before breakfast.",
        "sender_name": "The Morning Desk",
        "sender_email": "morning@example.org",
        "reply_to": "letters@example.org",
        "visibility": Newsletter.Visibility.PAID,
        "subscribe_on_signup": "on",
        "status": Newsletter.Status.ACTIVE,
        "sort_order": "3",
        "header_image": "",
        "show_excerpt": "on",
        "footer": "1 Harbour Street, Arvenia",
    }
    response = staff_client.post(f"{NEWSLETTERS}new/", fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Newsletter.objects.get(slug="morning-brief")
    assert (created.sender_email, created.visibility, created.sort_order) == (
        "morning@example.org",
        "paid",
        3,
    )
    assert created.subscribe_on_signup and created.show_excerpt and not created.show_feature_image
    assert created.footer == "1 Harbour Street, Arvenia"

    edit = staff_client.get(f"{NEWSLETTERS}edit/{created.pk}/")
    assert edit.status_code == 200
    assert 'name="header_image"' in edit.content.decode()  # Wagtail's image chooser

    fields.update(name="Morning Brief Daily", visibility=Newsletter.Visibility.MEMBERS)
    del fields["subscribe_on_signup"]
    response = staff_client.post(f"{NEWSLETTERS}edit/{created.pk}/", fields)
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.name == "Morning Brief Daily"
    assert created.visibility == "members"
    assert not created.subscribe_on_signup


def test_a_newsletter_with_a_taken_slug_is_refused_with_a_message(
    staff_client: Any, weekly: Newsletter
) -> None:
    response = staff_client.post(
        f"{NEWSLETTERS}new/",
        {
            "name": "Another",
            "slug": "weekly",
            "visibility": "members",
            "status": "active",
            "sort_order": "0",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Newsletter.objects.filter(slug="weekly").count() == 1


def test_newsletters_are_archived_and_restored_never_deleted(
    staff_client: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    confirm = staff_client.get(f"{NEWSLETTERS}archive/{weekly.pk}/")
    assert "Its 3 subscribers and its past sends are kept" in confirm.content.decode()

    response = staff_client.post(f"{NEWSLETTERS}archive/{weekly.pk}/", follow=True)
    weekly.refresh_from_db()
    assert weekly.status == Newsletter.Status.ARCHIVED
    assert "Archived “The Weekly”" in response.content.decode()
    # The subscribers are kept.
    assert weekly.subscriptions.subscribed().count() == 3

    staff_client.post(f"{NEWSLETTERS}archive/{weekly.pk}/")
    weekly.refresh_from_db()
    assert weekly.status == Newsletter.Status.ACTIVE

    assert staff_client.get(f"{NEWSLETTERS}delete/{weekly.pk}/").status_code == 404
    assert Newsletter.objects.filter(pk=weekly.pk).exists()


# --- Sending an article ----------------------------------------------------------------


def test_article_editor_and_articles_list_offer_send_by_email(
    staff_client: Any, article: Any, home: Any
) -> None:
    edit = staff_client.get(f"/admin/pages/{article.pk}/edit/")
    assert send_url(article) in edit.content.decode()
    assert "Send by email" in edit.content.decode()

    listing = staff_client.get("/admin/articles/")
    assert send_url(article) in listing.content.decode()

    # The home page is not an article: no button.
    home_edit = staff_client.get(f"/admin/pages/{home.pk}/edit/")
    assert f"{SENDS}article/{home.pk}/" not in home_edit.content.decode()
    assert staff_client.get(f"{SENDS}article/{home.pk}/").status_code == 404


def test_send_page_shows_readers_per_newsletter_and_the_count_before_sending(
    staff_client: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    actions.suppress(email="ben@example.org", reason=Suppression.Reason.BOUNCE)

    page = staff_client.get(send_url(article)).content.decode()
    assert 'value="The dam held for one more night"' in page  # subject defaults to the title
    assert "The Weekly" in page

    response = staff_client.post(send_url(article), send_form(weekly))
    confirm = response.content.decode()
    assert response.status_code == 200
    # Ann and Cy; Ben's address bounced.
    assert "This email goes to <strong>2 readers</strong>" in confirm
    assert "1 more subscriber is left out" in confirm
    assert "Send to 2 readers" in confirm
    assert not NewsletterSend.objects.exists()

    paying = staff_client.post(send_url(article), send_form(weekly, segment=Segment.PAID))
    assert "This email goes to <strong>1 reader</strong>" in paying.content.decode()


def test_send_now_creates_a_queued_send_for_a_live_article(
    staff_client: Any, staff: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    response = staff_client.post(send_url(article), send_form(weekly, action="send"))

    send = NewsletterSend.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{SENDS}{send.pk}/"
    assert (send.page_id, send.newsletter, send.segment, send.subject, send.created_by) == (
        article.pk,
        weekly,
        Segment.ALL,
        "Tonight's letter",
        staff,
    )
    assert send.status == NewsletterSend.Status.QUEUED
    # The article's history says who sent it where.
    entry = PageLogEntry.objects.get(page=article, action=SEND_LOGGED)
    assert entry.user == staff
    assert entry.data["newsletter"] == "The Weekly"


def test_send_to_chosen_tiers_needs_a_tier_and_keeps_the_tiers(
    staff_client: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    patron = subscribers["patron"]
    missing = staff_client.post(send_url(article), send_form(weekly, segment=Segment.TIERS))
    assert "Tick at least one tier" in missing.content.decode()

    counted = staff_client.post(
        send_url(article), send_form(weekly, segment=Segment.TIERS, tiers=[patron.pk])
    )
    assert "This email goes to <strong>1 reader</strong>" in counted.content.decode()
    assert f'name="tiers" value="{patron.pk}"' in counted.content.decode()

    staff_client.post(
        send_url(article),
        send_form(weekly, segment=Segment.TIERS, tiers=[patron.pk], action="send"),
    )
    send = NewsletterSend.objects.get()
    assert list(send.tiers.all()) == [patron]


def test_ids_no_database_can_hold_are_refused_not_a_500(
    staff_client: Any, article: Any, weekly: Newsletter
) -> None:
    huge = str(2**64)
    response = staff_client.post(
        send_url(article), send_form(weekly, segment=Segment.TIERS, tiers=[huge])
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    other = staff_client.post(send_url(article), {**send_form(weekly), "newsletter": huge})
    assert "Select a valid choice" in other.content.decode()
    preview = staff_client.get(f"{send_url(article)}preview/?newsletter={huge}")
    assert preview.status_code == 200


def test_send_now_of_an_unpublished_article_is_refused_with_the_reason(
    staff_client: Any, draft: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    response = staff_client.post(send_url(draft), send_form(weekly, timing="now", action="send"))

    assert response.status_code == 200
    assert "is not published yet. Publish it first" in response.content.decode()
    assert not NewsletterSend.objects.exists()


def test_an_unpublished_article_can_wait_for_publication(
    staff_client: Any, draft: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    page = staff_client.get(send_url(draft)).content.decode()
    assert 'value="published"' in page and "checked" in page

    confirm = staff_client.post(send_url(draft), send_form(weekly, timing="published"))
    assert "Were it published now, it would go to <strong>3 readers</strong>" in (
        confirm.content.decode()
    )

    response = staff_client.post(
        send_url(draft), send_form(weekly, timing="published", action="send"), follow=True
    )
    send = NewsletterSend.objects.get()
    assert send.status == NewsletterSend.Status.WAITING
    assert "as soon as it is published" in response.content.decode()
    assert "waits for the article to be published" in response.content.decode()


def test_a_segment_that_reaches_nobody_is_refused_with_a_message(
    staff_client: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    paid_only = Newsletter.objects.create(name="Insiders", slug="insiders", visibility="paid")

    checked = staff_client.post(send_url(article), send_form(paid_only))
    assert "Nobody would receive this" in checked.content.decode()

    # Posted straight to the last step, the refusal of the action is shown, not a 500.
    sent = staff_client.post(send_url(article), send_form(paid_only, action="send"))
    assert sent.status_code == 200
    assert "Nobody would receive this: “Insiders” has no subscribers" in sent.content.decode()
    assert not NewsletterSend.objects.exists()


def test_an_article_goes_to_a_newsletter_once(
    staff_client: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    staff_client.post(send_url(article), send_form(weekly, action="send"))
    again = staff_client.post(send_url(article), send_form(weekly, action="send"))

    assert "has already been sent to “The Weekly”" in again.content.decode()
    assert NewsletterSend.objects.count() == 1
    # The earlier send is listed on the page.
    assert f"{SENDS}{NewsletterSend.objects.get().pk}/" in again.content.decode()


def test_archived_newsletters_are_not_offered(
    staff_client: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    weekly.status = Newsletter.Status.ARCHIVED
    weekly.save()
    response = staff_client.post(send_url(article), send_form(weekly, action="send"))
    assert "Select a valid choice" in response.content.decode()
    assert not NewsletterSend.objects.exists()


def test_a_test_email_goes_to_the_typed_addresses_at_once(
    staff_client: Any, article: Any, weekly: Newsletter
) -> None:
    response = staff_client.post(
        send_url(article),
        {
            "action": "test",
            "test-newsletter": weekly.pk,
            "test-variant": "full",
            "test-subject": "Checking the layout",
            "test-addresses": "desk@example.org, Chief@Example.org\nchief@example.org",
        },
        follow=True,
    )
    assert "Sent a test to desk@example.org, chief@example.org" in response.content.decode()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "chief@example.org",
        "desk@example.org",
    ]
    assert mail.outbox[0].subject == "[Test] Checking the layout"
    assert not NewsletterSend.objects.exists()


def test_a_test_email_refuses_bad_or_too_many_addresses(
    staff_client: Any, article: Any, weekly: Newsletter
) -> None:
    base = {
        "action": "test",
        "test-newsletter": weekly.pk,
        "test-variant": "full",
        "test-subject": "Test",
    }
    bad = staff_client.post(send_url(article), {**base, "test-addresses": "desk@, ok@example.org"})
    assert "These are not email addresses: desk@" in bad.content.decode()

    many = ", ".join(f"p{n}@example.org" for n in range(11))
    too_many = staff_client.post(send_url(article), {**base, "test-addresses": many})
    assert "at most 10 addresses; you typed 11" in too_many.content.decode()
    assert mail.outbox == []


def test_a_mail_server_failure_on_a_test_is_reported_not_a_500(
    staff_client: Any, article: Any, weekly: Newsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> int:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("masthead.newsletters.admin_views.send_test_email", refuse)
    response = staff_client.post(
        send_url(article),
        {
            "action": "test",
            "test-newsletter": weekly.pk,
            "test-variant": "full",
            "test-subject": "Test",
            "test-addresses": "desk@example.org",
        },
    )
    assert response.status_code == 200
    assert "The mail server did not accept the test" in response.content.decode()


def test_preview_renders_the_email_with_a_sample_reader(
    staff_client: Any, article: Any, weekly: Newsletter
) -> None:
    page = staff_client.get(send_url(article)).content.decode()
    assert f'src="{send_url(article)}preview/"' in page

    html = staff_client.get(f"{send_url(article)}preview/?newsletter={weekly.pk}&variant=full")
    assert html.status_code == 200
    assert html["Content-Type"].startswith("text/html")
    assert "The dam held for one more night" in html.content.decode()
    assert "%%masthead:" not in html.content.decode()

    text = staff_client.get(f"{send_url(article)}preview/?variant=preview&format=text")
    assert text["Content-Type"].startswith("text/plain")
    assert "The dam held for one more night" in text.content.decode()


# --- Sends -------------------------------------------------------------------------------


@pytest.fixture
def running_send(article: Any, weekly: Newsletter, subscribers: dict[str, Any], staff: Any) -> Any:
    """A send under way: one sent, one failed, one still queued."""
    send = actions.create_send(page=article, newsletter=weekly, actor=staff)
    NewsletterSend.objects.filter(pk=send.pk).update(
        status=NewsletterSend.Status.SENDING, recipient_count=3, started_at=timezone.now()
    )
    for email, status in [
        ("ann@example.org", Delivery.Status.SENT),
        ("ben@example.org", Delivery.Status.FAILED),
        ("cy@example.org", Delivery.Status.QUEUED),
    ]:
        Delivery.objects.create(
            send=send,
            member=subscribers[email.split("@")[0]],
            email=email,
            status=status,
            error="550 mailbox unavailable" if status == Delivery.Status.FAILED else "",
        )
    send.refresh_from_db()
    return send


def test_sends_list_shows_each_send_and_recipients_per_day(
    staff_client: Any, running_send: Any
) -> None:
    response = staff_client.get(SENDS)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The dam held for one more night" in page
    assert "1 sent, 1 failed" in page
    assert f"{SENDS}{running_send.pk}/" in page
    assert "Recipients per day" in page and "<svg" in page

    overview = sends_per_day()
    assert overview["series"][-1]["recipients"] == 3
    assert (overview["sends"], overview["recipients"]) == (1, 3)


def test_send_page_shows_progress_with_an_accessible_bar(
    staff_client: Any, running_send: Any
) -> None:
    page = staff_client.get(f"{SENDS}{running_send.pk}/").content.decode()

    assert 'role="progressbar"' in page
    assert 'aria-valuenow="66"' in page
    assert "2 of 3 recipients done" in page
    assert "550 mailbox unavailable" in page  # the failure, for staff to look into
    assert f'data-progress-url="{SENDS}{running_send.pk}/progress/"' in page
    assert "Cancel send" in page


def test_progress_json_counts_recipients_by_outcome(staff_client: Any, running_send: Any) -> None:
    response = staff_client.get(f"{SENDS}{running_send.pk}/progress/")
    progress = json.loads(response.content)

    assert "no-store" in response["Cache-Control"]
    assert (progress["sent"], progress["failed"], progress["queued"], progress["total"]) == (
        1,
        1,
        1,
        3,
    )
    assert (progress["done"], progress["percent"], progress["is_finished"]) == (2, 66, False)
    assert progress["status"] == NewsletterSend.Status.SENDING


def test_cancel_asks_first_then_stops_what_has_not_gone_out(
    staff_client: Any, running_send: Any, article: Any
) -> None:
    confirm = staff_client.get(f"{SENDS}{running_send.pk}/cancel/")
    assert "1 emails have already been sent and cannot be called back" in confirm.content.decode()
    running_send.refresh_from_db()
    assert running_send.status == NewsletterSend.Status.SENDING

    response = staff_client.post(f"{SENDS}{running_send.pk}/cancel/", follow=True)
    running_send.refresh_from_db()
    assert running_send.status == NewsletterSend.Status.CANCELLED
    assert Delivery.objects.get(email="cy@example.org").status == Delivery.Status.CANCELLED
    page = response.content.decode()
    assert "Cancelled. Nobody else receives" in page
    assert "Cancel send" not in page

    again = staff_client.post(f"{SENDS}{running_send.pk}/cancel/", follow=True)
    assert "had already finished" in again.content.decode()


def test_finished_send_shows_statistics_and_opens_only_with_tracking(
    staff_client: Any, running_send: Any, subscribers: dict[str, Any], settings: Any
) -> None:
    now = timezone.now()
    Delivery.objects.filter(send=running_send, email="cy@example.org").update(
        status=Delivery.Status.SENT, delivered_at=now, opened_at=now, clicked_at=now
    )
    NewsletterSend.objects.filter(pk=running_send.pk).update(
        status=NewsletterSend.Status.SENT, finished_at=now
    )
    actions.unsubscribe(
        member=subscribers["ann"], newsletters=[running_send.newsletter], send=running_send
    )

    settings.MASTHEAD_EMAIL_TRACKING = False
    page = staff_client.get(f"{SENDS}{running_send.pk}/").content.decode()
    assert "Unsubscribed through this email" in page
    assert "Opens and clicks are not tracked" in page
    assert "Clicked a link" not in page
    assert 'data-finished="true"' in page
    assert "Cancel send" not in page

    settings.MASTHEAD_EMAIL_TRACKING = True
    page = staff_client.get(f"{SENDS}{running_send.pk}/").content.decode()
    assert "Clicked a link" in page
    # 2 sent; 1 delivered, opened and clicked; 1 unsubscribed.
    assert page.count("50.0%") == 4


# --- Suppressions ------------------------------------------------------------------------


def test_staff_add_search_and_remove_suppressed_addresses(staff_client: Any) -> None:
    actions.suppress(email="bounced@example.org", reason=Suppression.Reason.BOUNCE)

    response = staff_client.post(
        f"{SUPPRESSIONS}new/", {"email": " Troll@Example.org ", "detail": "Asked twice"}
    )
    assert response.status_code == 302
    added = Suppression.objects.get(email="troll@example.org")
    assert (added.reason, added.detail) == (Suppression.Reason.STAFF, "Asked twice")

    twice = staff_client.post(f"{SUPPRESSIONS}new/", {"email": "troll@example.org"})
    assert "is already on the list" in twice.content.decode()
    assert Suppression.objects.count() == 2

    listing = staff_client.get(SUPPRESSIONS).content.decode()
    assert "troll@example.org" in listing and "Hard bounce" in listing
    found = staff_client.get(f"{SUPPRESSIONS}?q=troll").content.decode()
    assert "troll@example.org" in found and "bounced@example.org" not in found

    confirm = staff_client.get(f"{SUPPRESSIONS}delete/{added.pk}/")
    assert "Remove troll@example.org from the suppression list?" in confirm.content.decode()
    removed = staff_client.post(f"{SUPPRESSIONS}delete/{added.pk}/", follow=True)
    assert "troll@example.org can receive newsletters again" in removed.content.decode()
    assert not Suppression.objects.filter(email="troll@example.org").exists()


# --- Permissions and the dashboard -------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(
    client: Any, article: Any, weekly: Newsletter, running_send: Any
) -> None:
    for url in [
        NEWSLETTERS,
        SENDS,
        SUPPRESSIONS,
        send_url(article),
        f"{SENDS}{running_send.pk}/",
        f"{SENDS}{running_send.pk}/progress/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"]
    client.post(f"{SENDS}{running_send.pk}/cancel/")
    running_send.refresh_from_db()
    assert running_send.status == NewsletterSend.Status.SENDING


def test_staff_without_newsletter_permissions_can_neither_see_nor_send(
    client: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any], running_send: Any
) -> None:
    reporter = UserFactory()
    reporter.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(reporter)
    for url in [
        NEWSLETTERS,
        f"{NEWSLETTERS}new/",
        SENDS,
        SUPPRESSIONS,
        f"{SUPPRESSIONS}new/",
        send_url(article),
        f"{send_url(article)}preview/",
        f"{SENDS}{running_send.pk}/",
        f"{SENDS}{running_send.pk}/progress/",
    ]:
        assert client.get(url).status_code in (302, 403), url
    client.post(send_url(article), send_form(weekly, action="send"))
    client.post(f"{SENDS}{running_send.pk}/cancel/")
    client.post(f"{SUPPRESSIONS}new/", {"email": "x@example.org"})
    assert NewsletterSend.objects.count() == 1
    assert NewsletterSend.objects.get().status == NewsletterSend.Status.SENDING
    assert not Suppression.objects.exists()
    dashboard = client.get("/admin/").content.decode()
    assert "Send by email" not in client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    assert "Newsletter subscribers" not in dashboard


def test_an_editor_given_send_permissions_sends_and_watches_but_cannot_edit_lists(
    client: Any, article: Any, weekly: Newsletter, subscribers: dict[str, Any], home: Any
) -> None:
    group = Group.objects.create(name="Newsletter desk")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_newslettersend"),
        Permission.objects.get(codename="view_newslettersend"),
    )
    GroupPagePermission.objects.create(
        group=group, page=home, permission=Permission.objects.get(codename="change_page")
    )
    editor = UserFactory()
    editor.groups.add(group)
    client.force_login(editor)

    assert "Send by email" in client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    client.post(send_url(article), send_form(weekly, action="send"))
    send = NewsletterSend.objects.get()
    assert send.created_by == editor
    assert client.get(f"{SENDS}{send.pk}/").status_code == 200
    assert client.get(SENDS).status_code == 200
    assert client.get(NEWSLETTERS).status_code in (302, 403)
    assert client.get(f"{NEWSLETTERS}edit/{weekly.pk}/").status_code in (302, 403)


def test_dashboard_shows_subscribers_per_newsletter(
    staff_client: Any, weekly: Newsletter, subscribers: dict[str, Any]
) -> None:
    page = staff_client.get("/admin/").content.decode()
    assert "Newsletter subscribers" in page
    start = page.index('id="newsletter-subscribers-section"')
    panel = page[start:]
    # The Weekly: 1 paying and 2 free, 3 in all.
    assert '<th scope="row">The Weekly</th><td>1</td><td>2</td><td>3</td>' in panel
    assert NewsletterSubscription.objects.filter(newsletter=weekly).count() == 3


# --- In a real browser -------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_send_pages_pass_axe_and_progress_updates_without_reloading(
    live_server: Any, browser: Any, client: Any, home: Any, axe_violations: Any
) -> None:
    client.force_login(UserFactory(superuser=True))
    weekly = Newsletter.objects.create(name="The Weekly", slug="weekly")
    people = [MemberFactory(email=f"reader{n}@example.org") for n in range(3)]
    for member in people:
        actions.subscribe(member=member, newsletters=[weekly])
    article = ArticlePageFactory(parent=home, title="The dam held for one more night")
    send = NewsletterSend.objects.create(
        page=article,
        newsletter=weekly,
        subject="The dam held",
        status=NewsletterSend.Status.SENDING,
        recipient_count=3,
        started_at=timezone.now(),
    )
    for member, status in zip(people, ["sent", "failed", "queued"], strict=True):
        Delivery.objects.create(send=send, member=member, email=member.email, status=status)

    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}{send_url(article)}")
    page.select_option("#id_newsletter", str(weekly.pk))
    page.click("button[value=check]")
    assert "This email goes to 3 readers" in page.inner_text("#send-confirm-section")
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}{SENDS}{send.pk}/")
    assert axe_violations(page) == []
    bar = page.locator('[role="progressbar"]')
    assert bar.get_attribute("aria-valuenow") == "66"

    Delivery.objects.filter(send=send, status="queued").update(status="sent")
    page.wait_for_function(
        "document.querySelector('[data-progress=\"sent\"]').textContent.trim() === '2'",
        timeout=15000,
    )
    assert bar.get_attribute("aria-valuenow") == "100"

    NewsletterSend.objects.filter(pk=send.pk).update(
        status=NewsletterSend.Status.SENT, finished_at=timezone.now()
    )
    page.wait_for_selector("#send-progress[data-finished=true]", timeout=15000)
    assert page.inner_text("#send-progress-heading") == "Outcome"
    assert "Statistics" in page.inner_text("main")


def test_a_scheduled_article_says_when_it_goes_live(
    staff_client: Any, draft: Any, weekly: Newsletter, staff: Any
) -> None:
    go_live = timezone.now() + timezone.timedelta(days=1)
    draft.go_live_at = go_live
    draft.save_revision(user=staff, approved_go_live_at=go_live)
    page = staff_client.get(send_url(draft)).content.decode()
    assert "Scheduled to be published on" in page


@pytest.mark.django_db
def test_subscriber_overviews_follow_the_newsletters_sort_order() -> None:
    from masthead.newsletters.admin_views import audience_table, with_subscriber_counts

    Newsletter.objects.all().delete()
    later = Newsletter.objects.create(name="A weekly", slug="a-weekly", sort_order=2)
    first = Newsletter.objects.create(name="Z daily", slug="z-daily", sort_order=1)
    expected = [first, later]
    assert list(with_subscriber_counts(Newsletter.objects.all())) == expected
    assert [row["newsletter"] for row in audience_table()] == expected
