"""The account's newsletter choices, unsubscribe links, and reading an email on the web."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from django.test import Client

from masthead.membership.access import Visibility
from masthead.membership.models import Member, MemberEvent, Tier
from masthead.newsletters import actions
from masthead.newsletters.models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
)
from masthead.newsletters.tokens import unsubscribe_query
from masthead.publishing.factories import ArticlePageFactory, paragraph_blocks

pytestmark = pytest.mark.django_db

PREVIEW = "aardvarkprelude opens the story for everyone"
SECRET = "zanzibarquokka is what only entitled readers may see"


@pytest.fixture
def lists(db: None) -> dict[str, Newsletter]:
    Newsletter.objects.all().delete()  # the default one the migrations install
    return {
        "weekly": Newsletter.objects.create(name="The Weekly", slug="weekly"),
        "daily": Newsletter.objects.create(
            name="Morning Brief", slug="daily", description="The news before breakfast."
        ),
        "insider": Newsletter.objects.create(
            name="Insider", slug="insider", visibility=Newsletter.Visibility.PAID
        ),
    }


@pytest.fixture
def subscriber(free_member: Member, lists: dict[str, Newsletter]) -> Member:
    actions.subscribe(member=free_member, newsletters=[lists["weekly"], lists["daily"]])
    return free_member


def lists_of(member: Member) -> set[str]:
    return set(
        member.newsletter_subscriptions.subscribed().values_list("newsletter__slug", flat=True)
    )


def unsubscribe_url(member: Member, newsletter: Newsletter | None = None, send: Any = None) -> str:
    return "/unsubscribe/?" + unsubscribe_query(
        member.uuid, newsletter.uuid if newsletter else None, send.uuid if send else None
    )


# --- The account page -----------------------------------------------------------------


def test_the_account_lists_the_newsletters_open_to_the_member(
    subscriber: Member, lists: Any, member_client: Any
) -> None:
    body = member_client(subscriber).get("/members/account/").content.decode()
    assert 'id="newsletters"' in body and "<legend" in body
    assert f'value="{lists["weekly"].pk}" checked' in body
    assert f'value="{lists["daily"].pk}" checked' in body
    assert "Insider" not in body  # paid members only
    assert "Unsubscribe from everything" in body


def test_paid_members_see_paid_only_newsletters(
    lists: Any, make_member: Any, supporter: Tier, member_client: Any
) -> None:
    paid = make_member("paid@example.org", comp=supporter)
    body = member_client(paid).get("/members/account/").content.decode()
    assert "Insider" in body and "Paid members only" in body


def test_saving_the_account_checkboxes(subscriber: Member, lists: Any, member_client: Any) -> None:
    client = member_client(subscriber)
    response = client.post(
        "/newsletters/manage/",
        {"action": "save", "newsletters": [lists["daily"].pk, lists["insider"].pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == "/members/account/"
    assert lists_of(subscriber) == {"daily"}  # paid-only is not open to a free member
    assert "Your newsletter choices are saved." in client.get("/members/account/").content.decode()


def test_unsubscribing_from_everything_on_the_account(
    subscriber: Member, member_client: Any
) -> None:
    client = member_client(subscriber)
    client.post("/newsletters/manage/", {"action": "unsubscribe_all"})
    assert lists_of(subscriber) == set()
    assert "unsubscribed from all" in client.get("/members/account/").content.decode()


def test_managing_newsletters_needs_a_signed_in_member(subscriber: Member, lists: Any) -> None:
    response = Client().post("/newsletters/manage/", {"action": "unsubscribe_all"})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/members/signin/"
    assert lists_of(subscriber) == {"weekly", "daily"}


def test_the_account_form_needs_its_csrf_token(subscriber: Member, member_client: Any) -> None:
    client = member_client(subscriber)
    client.handler.enforce_csrf_checks = True
    assert client.post("/newsletters/manage/", {"action": "unsubscribe_all"}).status_code == 403
    assert lists_of(subscriber) == {"weekly", "daily"}


# --- Unsubscribe links ------------------------------------------------------------------


def test_opening_an_unsubscribe_link_changes_nothing(subscriber: Member, lists: Any) -> None:
    response = Client().get(unsubscribe_url(subscriber, lists["daily"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Morning Brief" in body and subscriber.email in body
    assert '<button class="button button--accent" type="submit">Unsubscribe</button>' in body
    assert response["Referrer-Policy"] == "strict-origin"
    assert lists_of(subscriber) == {"weekly", "daily"}


def test_one_click_unsubscribe_works_without_cookies_or_csrf_and_is_idempotent(
    subscriber: Member, lists: Any
) -> None:
    url = unsubscribe_url(subscriber, lists["daily"])
    answers = []
    for _ in range(2):
        mail_client = Client(enforce_csrf_checks=True)
        response = mail_client.post(url, {"List-Unsubscribe": "One-Click"})
        answers.append((response.status_code, response.content))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert lists_of(subscriber) == {"weekly"}
    assert (
        MemberEvent.objects.filter(
            member=subscriber, kind=MemberEvent.Kind.NEWSLETTER_UNSUBSCRIBED
        ).count()
        == 1
    )


def test_the_page_button_unsubscribes_and_says_so(subscriber: Member, lists: Any) -> None:
    url = unsubscribe_url(subscriber, lists["daily"])
    response = Client(enforce_csrf_checks=True).post(url, {"action": "unsubscribe"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "You are unsubscribed" in body and "Morning Brief" in body
    assert lists_of(subscriber) == {"weekly"}
    again = Client(enforce_csrf_checks=True).post(url, {"action": "unsubscribe"})
    assert again.status_code == 200 and "You are unsubscribed" in again.content.decode()


def test_a_link_without_a_newsletter_unsubscribes_from_everything(
    subscriber: Member, lists: Any
) -> None:
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_url(subscriber), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert lists_of(subscriber) == set()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_key_is_refused_and_changes_nothing(
    subscriber: Member, lists: Any, method: str
) -> None:
    url = unsubscribe_url(subscriber, lists["daily"])
    key = url.split("key=")[1].split("&")[0]
    tampered = url.replace(key, ("0" if key[0] != "0" else "1") + key[1:])
    other = Member.objects.create(email="other@example.org")
    forged = url.replace(str(subscriber.uuid), str(other.uuid))
    for bad in [tampered, forged, "/unsubscribe/", "/unsubscribe/?uuid=nope&key=nope"]:
        response = getattr(Client(enforce_csrf_checks=True), method)(
            bad, {"List-Unsubscribe": "One-Click"} if method == "post" else None
        )
        assert response.status_code == 400, bad
        body = response.content.decode()
        assert "This link is not valid" in body
        assert "/members/signin/?next=" in body
        assert subscriber.email not in body and other.email not in body
    assert lists_of(subscriber) == {"weekly", "daily"}


def test_the_unsubscribe_is_credited_to_the_email_only_if_the_member_received_it(
    subscriber: Member, lists: Any, home: Any
) -> None:
    article = ArticlePageFactory(parent=home)
    received = NewsletterSend.objects.create(
        page=article, newsletter=lists["daily"], subject="Today", status="sent"
    )
    Delivery.objects.create(send=received, member=subscriber, email=subscriber.email)
    not_received = NewsletterSend.objects.create(
        page=article, newsletter=lists["weekly"], subject="This week", status="sent"
    )
    Client().post(
        unsubscribe_url(subscriber, lists["daily"], received), {"List-Unsubscribe": "One-Click"}
    )
    Client().post(
        unsubscribe_url(subscriber, lists["weekly"], not_received),
        {"List-Unsubscribe": "One-Click"},
    )
    by_list = {
        s.newsletter.slug: s.unsubscribed_from_id
        for s in NewsletterSubscription.objects.filter(member=subscriber)
    }
    assert by_list == {"daily": received.pk, "weekly": None}


def test_the_preferences_page_works_without_signing_in(subscriber: Member, lists: Any) -> None:
    url = unsubscribe_url(subscriber)
    page = Client().get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert subscriber.email in body and "<legend" in body
    assert f'value="{lists["weekly"].pk}" checked' in body
    assert "Insider" not in body
    assert lists_of(subscriber) == {"weekly", "daily"}  # looking changes nothing

    browser = Client(enforce_csrf_checks=True)
    saved = browser.post(url, {"action": "save", "newsletters": [lists["weekly"].pk]})
    assert saved.status_code == 303
    assert lists_of(subscriber) == {"weekly"}
    assert "Your newsletter choices are saved." in browser.get(saved["Location"]).content.decode()

    browser.post(url, {"action": "unsubscribe"})
    assert lists_of(subscriber) == set()


def test_a_link_for_a_deleted_member_answers_calmly(lists: Any) -> None:
    gone = Member.objects.create(email="gone@example.org")
    url = unsubscribe_url(gone, lists["daily"])
    gone.delete()
    assert Client().get(url).status_code == 200
    assert Client().post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200


# --- "View in browser" and email-only articles -----------------------------------------


def gated_email_only_article(home: Any, section: Any, author: Any) -> Any:
    return ArticlePageFactory(
        parent=home,
        title="Letter from the front",
        slug="letter-from-the-front",
        dek="A dispatch for subscribers",
        email_only=True,
        section=section,
        visibility=Visibility.PAID,
        body=[
            *paragraph_blocks([PREVIEW]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([SECRET]),
        ],
        authors=[author],
    )


def test_view_in_browser_sends_readers_to_the_article_on_the_site(home: Any, lists: Any) -> None:
    article = ArticlePageFactory(parent=home)
    send = NewsletterSend.objects.create(page=article, newsletter=lists["weekly"], subject="x")
    response = Client().get(f"/email/{send.uuid}/")
    assert response.status_code == 302
    assert response["Location"] == article.url


def test_view_in_browser_of_an_unknown_or_unpublished_email_is_not_found(
    home: Any, lists: Any
) -> None:
    assert Client().get(f"/email/{uuid4()}/").status_code == 404
    assert Client().get("/email/not-a-uuid/").status_code == 404
    article = ArticlePageFactory(parent=home)
    send = NewsletterSend.objects.create(page=article, newsletter=lists["weekly"], subject="x")
    article.unpublish()
    assert Client().get(f"/email/{send.uuid}/").status_code == 404


def test_an_email_only_article_is_read_through_its_email_with_the_paywall(
    home: Any,
    section: Any,
    author: Any,
    lists: Any,
    make_member: Any,
    supporter: Tier,
    member_client: Any,
) -> None:
    article = gated_email_only_article(home, section, author)
    send = NewsletterSend.objects.create(page=article, newsletter=lists["weekly"], subject="x")
    url = f"/email/{send.uuid}/"

    anonymous = Client().get(url)
    assert anonymous.status_code == 200
    body = anonymous.content.decode()
    assert "Letter from the front" in body and "aardvarkprelude" in body
    assert "zanzibarquokka" not in body
    assert '<meta name="robots" content="noindex">' in body
    assert anonymous["X-Robots-Tag"] == "noindex"

    free = make_member("free-reader@example.org")
    assert "zanzibarquokka" not in member_client(free).get(url).content.decode()
    paid = make_member("paid-reader@example.org", comp=supporter)
    assert "zanzibarquokka" in member_client(paid).get(url).content.decode()


def test_an_email_only_article_has_no_page_and_is_never_listed(
    home: Any, section: Any, author: Any, make_member: Any, supporter: Tier, member_client: Any
) -> None:
    article = gated_email_only_article(home, section, author)
    article.visibility = Visibility.PUBLIC
    article.save()
    listed = ArticlePageFactory(
        parent=home, title="Listed story", section=section, authors=[author], dek=PREVIEW
    )
    paid = member_client(make_member("paid-reader@example.org", comp=supporter))
    for client in [Client(), paid]:
        assert client.get(article.url).status_code == 404
        for url in ["/", f"/tag/{section.slug}/", f"/author/{author.slug}/", "/news-feed/"]:
            body = client.get(url).content.decode()
            assert "Letter from the front" not in body, url
        results = client.get("/search/", {"q": "aardvarkprelude"}).content.decode()
        assert "Letter from the front" not in results
        assert "Listed story" in results
        # Other articles' sidebars leave it out too.
        assert "Letter from the front" not in client.get(listed.url).content.decode()
    assert article.get_sitemap_urls() == []
    assert listed.get_sitemap_urls() != []


def test_an_email_only_brief_stays_off_the_news_feed(home: Any) -> None:
    ArticlePageFactory(parent=home, brief=True, title="Email-only brief", email_only=True)
    ArticlePageFactory(parent=home, brief=True, title="Listed brief")
    body = Client().get("/news-feed/").content.decode()
    assert "Listed brief" in body and "Email-only brief" not in body


def test_staff_can_preview_an_email_only_article(home: Any, section: Any, author: Any) -> None:
    article = gated_email_only_article(home, section, author)
    response = article.make_preview_request()
    assert response.status_code == 200
    assert "Letter from the front" in response.content.decode()


# --- Accessibility ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_newsletter_pages_have_no_accessibility_violations(
    browser: Any, live_server: Any, axe_violations: Any
) -> None:
    from django.conf import settings
    from django.http import HttpResponse

    from masthead.membership import actions as membership_actions
    from masthead.membership import auth

    Newsletter.objects.all().delete()
    daily = Newsletter.objects.create(
        name="Morning Brief", slug="daily", description="The news before breakfast."
    )
    Newsletter.objects.create(
        name="Insider",
        slug="insider",
        description="Notes from the newsroom.",
        visibility=Newsletter.Visibility.PAID,
    )
    member = membership_actions.create_member(email="reader@example.org", name="Rea Reader")
    actions.subscribe(member=member, newsletters=[daily])

    page = browser.new_page()
    report = {}
    urls = {
        "newsletters": "/newsletters/",
        "join": "/members/join/",
        "unsubscribe": unsubscribe_url(member, daily),
        "preferences": unsubscribe_url(member),
        "invalid link": "/unsubscribe/?uuid=x&key=y",
    }
    for name, url in urls.items():
        page.goto(live_server.url + url)
        if violations := axe_violations(page):
            report[name] = violations

    # The sign-up form sent without a newsletter ticked shows its error.
    page.goto(live_server.url + "/newsletters/")
    page.get_by_label("Morning Brief").uncheck()
    page.get_by_label("Email address").fill("someone@example.org")
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_text("Choose at least one newsletter.").is_visible()
    if violations := axe_violations(page):
        report["newsletters with an error"] = violations

    # Pages opened from a link with a key in it keep it out of Referers, yet their own
    # forms still pass the CSRF check in a real browser (which sends an Origin header).
    page.goto(live_server.url + unsubscribe_url(member))
    page.get_by_label("Morning Brief").uncheck()
    page.get_by_role("button", name="Save newsletters").click()
    page.wait_for_url("**saved=1")
    assert "daily" not in lists_of(member)
    page.goto(live_server.url + "/members/?token=expired-or-made-up")
    page.get_by_label("Email address").fill("reader@example.org")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Send me a new link").click()
    assert posted.value.status in (200, 302, 303), posted.value.status

    response = HttpResponse()
    auth.issue_member_cookie(response, member)
    cookie = response.cookies[settings.MASTHEAD_MEMBER_COOKIE]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page.goto(live_server.url + "/members/account/")
    assert page.get_by_role("heading", name="Newsletters").is_visible()
    if violations := axe_violations(page):
        report["account"] = violations
    page.close()
    assert report == {}, report
