"""The access matrix: every visibility by every kind of reader, on every surface.

Gated text must be absent from the whole response (body, meta description, Open
Graph, JSON-LD, listings, search), never merely hidden.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from masthead.membership import actions
from masthead.membership.access import (
    ANONYMOUS,
    STAFF,
    Reader,
    ReaderKind,
    Visibility,
    can_read,
)
from masthead.membership.models import (
    Member,
    MemberEvent,
    MembershipSettings,
    MeteredRead,
    SignupSource,
    Tier,
)
from masthead.publishing.factories import ArticlePageFactory, paragraph_blocks
from masthead.staff.factories import UserFactory

PREVIEW = "aardvarkprelude opens the story for everyone"
SECRET = "zanzibarquokka is what only entitled readers may see"
SECRET_WORD = "zanzibarquokka"


def gated_article(home: Any, visibility: str, *, tiers: list[Tier] = (), slug: str = "") -> Any:  # type: ignore[assignment]
    body = [
        *paragraph_blocks([PREVIEW]),
        {"type": "paywall", "value": None},
        *paragraph_blocks([SECRET, "More words that are gated."]),
    ]
    article = ArticlePageFactory(
        parent=home,
        title=f"A {visibility} story",
        slug=slug or f"{visibility}-story",
        dek="A public standfirst",
        body=body,
        visibility=visibility,
        tiers=list(tiers),
    )
    return article


@pytest.fixture
def readers(
    db: None, supporter: Tier, patron: Tier, make_member: Any, member_client: Any
) -> dict[str, Client]:
    staff = UserFactory(superuser=True)
    staff_client = Client()
    staff_client.force_login(staff)
    return {
        "anonymous": Client(),
        "free": member_client(make_member("free@example.org")),
        "supporter": member_client(make_member("supporter@example.org", comp=supporter)),
        "patron": member_client(make_member("patron@example.org", comp=patron)),
        "staff": staff_client,
    }


EXPECTED = {
    Visibility.PUBLIC: {"anonymous", "free", "supporter", "patron", "staff"},
    Visibility.MEMBERS: {"free", "supporter", "patron", "staff"},
    Visibility.PAID: {"supporter", "patron", "staff"},
    Visibility.TIERS: {"patron", "staff"},
}


@pytest.mark.parametrize("visibility", list(Visibility))
def test_every_reader_sees_exactly_what_they_may_read(
    home: Any, readers: dict[str, Client], patron: Tier, visibility: Visibility
) -> None:
    article = gated_article(home, visibility, tiers=[patron])
    for name, client in readers.items():
        response = client.get(article.url)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert PREVIEW in page, f"{name} should see the free preview"
        if name in EXPECTED[visibility]:
            assert SECRET in page, f"{name} should read the {visibility} story"
            assert 'class="paywall"' not in page
        else:
            assert SECRET_WORD not in page, f"{visibility} text leaked to {name}"
            assert 'class="paywall"' in page, f"{name} should see the paywall"


def test_gated_text_stays_out_of_meta_tags_and_structured_data(home: Any) -> None:
    # No standfirst and no SEO description: the page must not fall back to the body.
    article = gated_article(home, Visibility.PAID)
    article.dek = ""
    article.save()
    page = Client().get(article.url).content.decode()
    assert SECRET_WORD not in page
    description = re.search(r'<meta name="description" content="([^"]*)"', page)
    assert description is not None and SECRET_WORD not in description.group(1)
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert ld is not None
    data = json.loads(ld.group(1))
    assert data["isAccessibleForFree"] is False
    assert data["hasPart"]["cssSelector"] == ".article__body"
    assert "articleBody" not in data


def test_a_gated_article_without_a_paywall_block_shows_no_body(home: Any) -> None:
    article = ArticlePageFactory(
        parent=home, body=paragraph_blocks([SECRET]), visibility=Visibility.MEMBERS, dek=""
    )
    page = Client().get(article.url).content.decode()
    assert SECRET_WORD not in page
    assert 'class="paywall"' in page


def test_listings_feeds_and_search_never_show_gated_text(
    home: Any, readers: dict[str, Client], section: Any
) -> None:
    article = gated_article(home, Visibility.PAID)
    article.dek = ""
    article.section = section
    article.save()
    for name, client in readers.items():
        for url in ["/", "/news-feed/", f"/tag/{section.slug}/"]:
            assert SECRET_WORD not in client.get(url).content.decode(), url
        # Search finds the gated words exactly for the readers the policy lets in
        # (decision 0016), and never shows them to anyone else, not even by matching.
        results = client.get("/search/", {"q": SECRET_WORD}).content.decode()
        assert (article.title in results) == (name in EXPECTED[Visibility.PAID]), name
        if name not in EXPECTED[Visibility.PAID]:
            # The query itself is echoed back; the gated sentence around it is not.
            assert "only entitled readers" not in results, name
    # The free preview is searchable and its opening words are the card's excerpt.
    results = Client().get("/search/", {"q": "aardvarkprelude"}).content.decode()
    assert article.title in results
    assert article.excerpt.startswith("aardvarkprelude")


def test_corrections_of_a_gated_story_are_gated_with_it(home: Any) -> None:
    from masthead.publishing.factories import ArticleNoteFactory

    article = gated_article(home, Visibility.MEMBERS)
    ArticleNoteFactory(page=article, text=f"<p>Correction: {SECRET}</p>")
    assert SECRET_WORD not in Client().get(article.url).content.decode()


@pytest.mark.parametrize("visibility", [Visibility.MEMBERS, Visibility.PAID, Visibility.TIERS])
def test_a_story_kept_for_its_readers_never_reaches_the_others(
    home: Any, readers: dict[str, Client], patron: Tier, visibility: Visibility, page_cache_off: Any
) -> None:
    """A story's HTML and social meta are kept for readers who may read it whole; each
    reader after them still gets exactly what they may read."""
    from masthead.publishing.factories import ArticleNoteFactory

    article = gated_article(home, visibility, tiers=[patron])
    ArticleNoteFactory(page=article, text="<p>Correction: zanzibarquokka was misspelt.</p>")
    for name in ["patron", "staff", "supporter", "free", "anonymous", "patron"]:
        page = readers[name].get(article.url).content.decode()
        if name in EXPECTED[visibility]:
            assert SECRET in page, name
            assert "was misspelt" in page, name  # the note, and in the structured data
            assert '"@type": "CorrectionComment"' in page, name
        else:
            assert SECRET_WORD not in page, f"{visibility} text leaked to {name}"
            assert 'class="paywall"' in page, name


def test_the_policy_takes_plain_values() -> None:
    paid = Reader(kind=ReaderKind.MEMBER, tier_ids=frozenset({1, 2}), has_paid_access=True)
    free = Reader(kind=ReaderKind.MEMBER, tier_ids=frozenset({1}))
    assert can_read(ANONYMOUS, visibility="public")
    assert not can_read(ANONYMOUS, visibility="members")
    assert can_read(free, visibility="members")
    assert not can_read(free, visibility="paid")
    assert can_read(paid, visibility="paid")
    assert can_read(free, visibility="tiers", tier_ids=[1])
    assert not can_read(free, visibility="tiers", tier_ids=[2])
    assert can_read(STAFF, visibility="tiers", tier_ids=[])
    # A value the policy does not know gates instead of leaking.
    assert not can_read(paid, visibility="everyone-ish")


def test_page_variants_depend_on_access_not_on_the_member() -> None:
    one = Reader(
        kind=ReaderKind.MEMBER, tier_ids=frozenset({3, 1}), has_paid_access=True, member_id=1
    )
    two = Reader(
        kind=ReaderKind.MEMBER, tier_ids=frozenset({1, 3}), has_paid_access=True, member_id=2
    )
    assert one.variant == two.variant == "paid:1.3"
    assert Reader(kind=ReaderKind.MEMBER, member_id=5).variant == "free"
    assert ANONYMOUS.variant == "anonymous"
    assert STAFF.variant == "staff"


def test_two_free_members_get_byte_identical_article_pages(
    home: Any, make_member: Any, member_client: Any
) -> None:
    article = gated_article(home, Visibility.PAID)
    first = member_client(make_member("ann@example.org")).get(article.url).content
    second = member_client(make_member("bob@example.org")).get(article.url).content
    # CSRF tokens come from /members/api/reader/, so nothing personal is in the page.
    assert first == second
    assert b"ann@example.org" not in first


# --- Metering -------------------------------------------------------------------------


@pytest.fixture
def metering(site: Any) -> MembershipSettings:
    config = MembershipSettings.for_site(site)
    config.metering_enabled = True
    config.anonymous_monthly_limit = 2
    config.free_member_monthly_limit = 3
    config.save()
    return config


def test_metering_is_off_by_default(home: Any) -> None:
    article = gated_article(home, Visibility.MEMBERS)
    assert SECRET_WORD not in Client().get(article.url).content.decode()


def test_anonymous_readers_get_their_monthly_allowance_in_a_signed_cookie(
    home: Any, metering: MembershipSettings
) -> None:
    articles = [gated_article(home, Visibility.MEMBERS, slug=f"story-{i}") for i in range(3)]
    client = Client()
    # A browser without a meter is offered one; site.js presses the button.
    first = client.get(articles[0].url).content.decode()
    assert SECRET_WORD not in first
    assert "Read this story free" in first and "data-meter-start" in first
    started = client.post("/members/meter/", {"next": articles[0].url + "?meter=started"})
    assert started.status_code == 303
    assert started["Location"] == articles[0].url + "?meter=started"
    assert SECRET in client.get(articles[0].url).content.decode()
    assert SECRET in client.get(articles[1].url).content.decode()
    # Re-reading a counted story is free; a third new one hits the paywall.
    assert SECRET in client.get(articles[0].url).content.decode()
    third = client.get(articles[2].url).content.decode()
    assert SECRET_WORD not in third
    assert "free articles this month" in third
    # Starting again does not reset a running meter.
    client.post("/members/meter/", {"next": "/"})
    assert SECRET_WORD not in client.get(articles[2].url).content.decode()


def test_readers_who_keep_no_cookies_never_get_metered_articles(
    home: Any, metering: MembershipSettings
) -> None:
    # Crawlers, scrapers and archives: every request arrives without a meter.
    articles = [gated_article(home, Visibility.MEMBERS, slug=f"crawl-{i}") for i in range(3)]
    for article in articles:
        response = Client().get(article.url)
        assert SECRET_WORD not in response.content.decode()
    forged = Client()
    forged.cookies["masthead-meter"] = '{"m": "2026-11", "p": []}'
    assert SECRET_WORD not in forged.get(articles[0].url).content.decode()


def test_metered_pages_are_private_to_the_reader(home: Any, metering: MembershipSettings) -> None:
    article = gated_article(home, Visibility.MEMBERS)
    client = Client()
    client.post("/members/meter/", {"next": "/"})
    response = client.get(article.url)
    assert SECRET in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_a_paying_member_is_not_metered_into_another_tiers_story(
    home: Any, metering: MembershipSettings, readers: dict[str, Client], patron: Tier
) -> None:
    article = gated_article(home, Visibility.TIERS, tiers=[patron])
    page = readers["supporter"].get(article.url).content.decode()
    assert SECRET_WORD not in page
    assert "Your membership does not include this story" in page
    assert MeteredRead.objects.count() == 0


def test_free_members_are_metered_in_the_database(
    home: Any, metering: MembershipSettings, free_member: Member, member_client: Any
) -> None:
    articles = [gated_article(home, Visibility.PAID, slug=f"paid-{i}") for i in range(4)]
    client = member_client(free_member)
    for article in articles[:3]:
        assert SECRET in client.get(article.url).content.decode()
    assert SECRET_WORD not in client.get(articles[3].url).content.decode()
    assert MeteredRead.objects.filter(member=free_member).count() == 3
    # The count follows the member to another device.
    other_device = member_client(free_member)
    assert SECRET_WORD not in other_device.get(articles[3].url).content.decode()
    reader = other_device.get("/members/api/reader/").json()
    assert reader["meter"] == {"limit": 3, "used": 3, "remaining": 0}


def test_paid_members_and_staff_are_never_metered(
    home: Any, metering: MembershipSettings, readers: dict[str, Client]
) -> None:
    article = gated_article(home, Visibility.PAID)
    assert SECRET in readers["supporter"].get(article.url).content.decode()
    assert readers["supporter"].get("/members/api/reader/").json()["meter"] is None
    assert MeteredRead.objects.count() == 0


def test_comped_access_ends_when_the_comp_ends(
    home: Any, supporter: Tier, make_member: Any, member_client: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    member = make_member("ends@example.org")
    actions.comp_member(member=member, tier=supporter, ends_at=timezone.now() + timedelta(days=1))
    article = gated_article(home, Visibility.PAID)
    assert SECRET in member_client(member).get(article.url).content.decode()
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert SECRET_WORD not in member_client(member).get(article.url).content.decode()
        assert actions.expire_memberships() == 1
    member.refresh_from_db()
    assert member.status == "free"


# --- Joining from the paywall, with the email over real SMTP -----------------------------

SIGNUP_SECRET = "quetzalbanjo is for members only"


@pytest.fixture
def members_only_article(home: Any) -> Any:
    return ArticlePageFactory(
        parent=home,
        title="Inside the reservoir deal",
        slug="inside-the-reservoir-deal",
        body=[
            *paragraph_blocks(["Everyone can read this opening."]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([SIGNUP_SECRET]),
        ],
        visibility=Visibility.MEMBERS,
    )


def post_and_send(client: Client, url: str, data: dict[str, Any], capture: Any) -> Any:
    """POST a form; run the email task the way the worker would after the commit."""
    with capture(execute=True):
        return client.post(url, data)


def test_sign_up_from_the_paywall_then_read_the_article(
    smtp_inbox: Any, members_only_article: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    page = client.get(members_only_article.url).content.decode()
    assert "quetzalbanjo" not in page and 'name="source" value="paywall"' in page

    response = post_and_send(
        client,
        "/members/join/",
        {
            "email": "New.Reader@Example.org",
            "name": "Nova Reader",
            "source": "paywall",
            "page_id": members_only_article.pk,
            "next": members_only_article.url,
            "csrfmiddlewaretoken": "",
        },
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/members/check-email/")
    # Nothing exists until the reader proves the address is theirs.
    assert not Member.objects.exists()

    message = smtp_inbox.last_to("new.reader@example.org")
    assert "Confirm your email to join" in message["Subject"]
    assert message.get_body(preferencelist=("html",)) is not None
    link = smtp_inbox.link_for("new.reader@example.org")
    assert link.startswith(settings.MASTHEAD_SITE_URL)

    opened = client.get(link.removeprefix(settings.MASTHEAD_SITE_URL))
    assert opened.status_code == 302
    assert opened["Location"] == members_only_article.url
    assert opened["Referrer-Policy"] == "no-referrer"
    cookie = opened.cookies[settings.MASTHEAD_MEMBER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    member = Member.objects.get()
    assert member.email == "new.reader@example.org"
    assert member.name == "Nova Reader"
    assert member.signup_source == SignupSource.PAYWALL
    assert member.signup_page_id == members_only_article.pk
    assert member.email_verified_at is not None
    assert member.events.filter(kind=MemberEvent.Kind.SIGNED_UP).exists()

    assert SIGNUP_SECRET in client.get(members_only_article.url).content.decode()
    # The link worked once; a second click explains and offers a new one.
    again = Client().get(link.removeprefix(settings.MASTHEAD_SITE_URL))
    assert again.status_code == 410
    assert "Send me a new link" in again.content.decode()
