"""The live page poll endpoint, ``/<slug>/updates.json?since=<N>``, held to its protocol."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import html as lxml_html
from wagtail.models import Page, PageViewRestriction, Site

from masthead.publishing import actions, pagecache
from masthead.publishing.factories import (
    ArticlePageFactory,
    LivePageFactory,
    PhotoFactory,
    image_block,
    paragraph_blocks,
)
from masthead.publishing.live import MAX_CHANGES
from masthead.publishing.models import (
    CoverageStatus,
    HomePage,
    LivePage,
    LiveUpdate,
    SiteSettings,
)
from masthead.settings.base import live_poll_seconds
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/election-night/updates.json"
KEYS = {"cursor", "status", "updates", "removed", "reset", "poll_after"}
UPDATE_KEYS = {"id", "new", "posted_at", "pinned", "key_event", "html"}


@pytest.fixture
def page(home: Any) -> LivePage:
    return LivePageFactory(parent=home, slug="election-night", title="Election night")


def post(page: LivePage, text: str, **kwargs: Any) -> LiveUpdate:
    return actions.post_live_update(page=page, body=paragraph_blocks([text]), **kwargs)


def poll(client: Any, since: int | str, **headers: str) -> Any:
    return client.get(f"{URL}?since={since}", headers=headers)


# --- The 200 answer ------------------------------------------------------------------------------


def test_a_first_poll_returns_every_update_in_the_protocol_s_shape(
    client: Any, page: LivePage, author: Any
) -> None:
    first = post(page, "Polls close in the capital.", headline="Polls close", author=author)
    second = post(page, "Turnout is the highest in twenty years.", is_key_event=True)

    response = poll(client, 0)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == KEYS
    assert data["cursor"] == 2
    assert data["status"] == "live"
    assert data["removed"] == []
    assert data["reset"] is False
    assert data["poll_after"] == 10
    assert [item["id"] for item in data["updates"]] == [second.pk, first.pk]
    for item in data["updates"]:
        assert set(item) == UPDATE_KEYS
        assert item["new"] is True
    newest, oldest = data["updates"]
    assert newest["key_event"] is True and oldest["key_event"] is False
    assert oldest["posted_at"] == first.posted_at.isoformat(timespec="seconds")
    # The markup is the page's own: one list item, found by its id.
    item = lxml_html.fragment_fromstring(oldest["html"])
    assert item.tag == "li"
    assert item.get("id") == f"update-{first.pk}"
    assert item.get("data-update-id") == str(first.pk)
    assert "Polls close in the capital." in item.text_content()
    assert "Mira Valen" in item.text_content()
    assert f"/election-night/?update={first.pk}#update-{first.pk}" in oldest["html"]


def test_a_page_without_updates_has_cursor_zero(client: Any, page: LivePage) -> None:
    data = poll(client, 0).json()
    assert data["cursor"] == 0
    assert data["updates"] == [] and data["removed"] == []


def test_only_changes_after_the_cursor_come_back(client: Any, page: LivePage) -> None:
    post(page, "One.")
    two = post(page, "Two.")
    data = poll(client, 1).json()
    assert [item["id"] for item in data["updates"]] == [two.pk]
    assert data["cursor"] == 2
    assert poll(client, 2).json()["updates"] == []


def test_an_edit_comes_back_as_not_new_with_its_new_text(client: Any, page: LivePage) -> None:
    first = post(page, "Three seats declared.")
    post(page, "Recount ordered in the north.")
    actions.edit_live_update(update=first, body=paragraph_blocks(["Four seats declared."]))

    data = poll(client, 2).json()

    assert data["cursor"] == 3
    [item] = data["updates"]
    assert item["id"] == first.pk
    assert item["new"] is False
    assert "Four seats declared." in item["html"]
    # A reader who had seen nothing gets the edited update as new.
    assert poll(client, 0).json()["updates"][-1]["new"] is True


def test_a_deleted_update_is_listed_as_removed(client: Any, page: LivePage) -> None:
    first = post(page, "A wrong figure.")
    post(page, "Another update.")
    actions.delete_live_update(update=first)

    data = poll(client, 2).json()

    assert data["removed"] == [first.pk]
    assert data["updates"] == []
    assert data["cursor"] == 3
    # A reader who never saw it still learns that it is gone, and never gets it.
    fresh = poll(client, 0).json()
    assert fresh["removed"] == [first.pk]
    assert first.pk not in [item["id"] for item in fresh["updates"]]


def test_pinning_sends_the_update_again_with_its_flag(client: Any, page: LivePage) -> None:
    first = post(page, "Where to follow the results.")
    actions.set_live_update_pinned(update=first, pinned=True)
    [item] = poll(client, 1).json()["updates"]
    assert item["pinned"] is True and item["new"] is False
    actions.set_live_update_pinned(update=first, pinned=False)
    [item] = poll(client, 2).json()["updates"]
    assert item["pinned"] is False


def test_more_than_fifty_changes_ask_the_reader_to_reload(client: Any, page: LivePage) -> None:
    for number in range(MAX_CHANGES + 1):
        post(page, f"Update number {number}.")

    data = poll(client, 0).json()
    assert data["reset"] is True
    assert data["updates"] == [] and data["removed"] == []
    assert data["cursor"] == MAX_CHANGES + 1

    # Exactly fifty changes are still sent as changes.
    data = poll(client, 1).json()
    assert data["reset"] is False
    assert len(data["updates"]) == MAX_CHANGES


def test_updates_come_newest_first_by_their_shown_time(client: Any, page: LivePage) -> None:
    now = timezone.now()
    late = post(page, "Posted first, timed latest.", posted_at=now)
    early = post(page, "Back-dated.", posted_at=now - timedelta(hours=1))
    tie_a = post(page, "Same minute, a.", posted_at=now - timedelta(minutes=30))
    tie_b = post(page, "Same minute, b.", posted_at=now - timedelta(minutes=30))

    ids = [item["id"] for item in poll(client, 0).json()["updates"]]

    assert ids == [late.pk, tie_b.pk, tie_a.pk, early.pk]


def test_a_cursor_ahead_of_the_page_is_not_an_error(client: Any, page: LivePage) -> None:
    post(page, "One.")
    post(page, "Two.")
    response = poll(client, 999)
    assert response.status_code == 200
    data = response.json()
    assert data["cursor"] == 2
    assert data["updates"] == [] and data["removed"] == [] and data["reset"] is False


def test_ended_coverage_says_so(client: Any, page: LivePage) -> None:
    post(page, "Final results are in.")
    actions.set_coverage_status(page=page, status=CoverageStatus.ENDED)
    data = poll(client, 1).json()
    assert data["status"] == "ended"


def test_the_poll_interval_follows_the_setting(client: Any, page: LivePage, settings: Any) -> None:
    settings.MASTHEAD_LIVE_POLL_SECONDS = 30
    assert poll(client, 0).json()["poll_after"] == 30


# --- Errors --------------------------------------------------------------------------------------


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    [error] = response.json()["errors"]
    assert list(error) == [
        "message",
        "context",
        "type",
        "details",
        "property",
        "help",
        "code",
        "id",
        "ghostErrorCode",
    ]
    assert error["type"] == kind
    assert error["message"] and error["context"]
    assert "no-store" in response["Cache-Control"]
    return dict(error)


@pytest.mark.parametrize(
    "query",
    [
        "?since=abc",
        "?since=-1",
        "?since=1.5",
        "?since=",
        "?since=%20",
        "?since=+1",
        "?since=0x1",
        "?since=%C2%B2",  # a superscript two is a digit to Python, not to the protocol
        "?since=12345678901234567890",  # 20 digits
        "?since=9223372036854775808",  # 19 digits, one more than a bigint holds
        "",
        "?after=3",
        "?since=1&since=2",
    ],
)
def test_a_malformed_cursor_is_a_400_saying_how_to_fix_it(
    client: Any, page: LivePage, query: str
) -> None:
    error = _error(client.get(URL + query), 400, "BadRequestError")
    assert "since" in error["context"]


def test_the_largest_cursor_is_accepted(client: Any, page: LivePage) -> None:
    assert poll(client, 2**63 - 1).status_code == 200


def test_the_messages_name_the_problem(client: Any, page: LivePage) -> None:
    assert "missing" in _error(client.get(URL), 400, "BadRequestError")["message"]
    assert "abc" in _error(poll(client, "abc"), 400, "BadRequestError")["message"]
    assert "once" in _error(client.get(f"{URL}?since=1&since=2"), 400, "BadRequestError")["message"]


def test_unknown_and_non_live_pages_are_a_404(client: Any, home: Any, page: LivePage) -> None:
    ArticlePageFactory(parent=home, slug="budget-vote")
    draft = LivePageFactory(parent=home, slug="draft-coverage", live=False)
    post(draft, "Not published yet.")
    email_only = LivePageFactory(parent=home, slug="members-briefing", email_only=True)
    post(email_only, "For subscribers.")

    for slug in ["no-such-page", "budget-vote", "draft-coverage", "members-briefing"]:
        _error(client.get(f"/{slug}/updates.json?since=0"), 404, "NotFoundError")
    # A bad cursor on a page that does not exist is still a bad cursor.
    _error(client.get("/no-such-page/updates.json?since=x"), 400, "BadRequestError")


def test_an_unpublished_live_page_stops_answering(client: Any, page: LivePage) -> None:
    post(page, "Before it was taken down.")
    assert poll(client, 0).status_code == 200
    page.unpublish()
    _error(poll(client, 0), 404, "NotFoundError")


def test_a_page_behind_a_password_is_a_404(client: Any, page: LivePage) -> None:
    post(page, "Private coverage.")
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    _error(poll(client, 0), 404, "NotFoundError")


def test_a_restriction_on_a_page_above_counts_too(client: Any, home: Any, page: LivePage) -> None:
    post(page, "Private coverage.")
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)
    _error(poll(client, 0), 404, "NotFoundError")


def test_a_request_that_passes_a_restriction_gets_a_private_answer(
    client: Any, page: LivePage
) -> None:
    post(page, "For the newsroom only.")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    client.force_login(UserFactory())
    response = poll(client, 0)
    assert response.status_code == 200
    assert len(response.json()["updates"]) == 1
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_other_methods_are_refused_in_json(client: Any, page: LivePage) -> None:
    response = client.post(f"{URL}?since=0")
    _error(response, 405, "MethodNotAllowedError")
    assert response["Allow"] == "GET, HEAD"


def test_each_site_polls_its_own_live_page(client: Any, page: LivePage) -> None:
    root = Page.objects.get(depth=1)
    other_home = root.add_child(instance=HomePage(title="Other paper", slug="other-paper"))
    Site.objects.create(hostname="other.example", port=80, root_page=other_home)
    other = LivePageFactory(parent=other_home, slug="election-night")
    ours = post(page, "Ours.")
    theirs = post(other, "Theirs.")

    mine = client.get(f"{URL}?since=0").json()
    elsewhere = client.get(f"{URL}?since=0", headers={"host": "other.example"}).json()

    assert [item["id"] for item in mine["updates"]] == [ours.pk]
    assert [item["id"] for item in elsewhere["updates"]] == [theirs.pk]


# --- Caching -------------------------------------------------------------------------------------


def test_cache_headers_let_a_cdn_hold_the_answer_briefly(client: Any, page: LivePage) -> None:
    response = poll(client, 0)
    parts = {part.strip() for part in response["Cache-Control"].split(",")}
    assert parts == {"public", "max-age=5", "stale-while-revalidate=10"}
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')


@pytest.mark.parametrize(
    ("seconds", "max_age"), [(2, 1), (3, 1), (4, 2), (10, 5), (60, 5), (300, 5)]
)
def test_max_age_is_half_the_interval_between_one_and_five_seconds(
    client: Any, page: LivePage, settings: Any, seconds: int, max_age: int
) -> None:
    settings.MASTHEAD_LIVE_POLL_SECONDS = seconds
    parts = {part.strip() for part in poll(client, 0)["Cache-Control"].split(",")}
    assert parts == {"public", f"max-age={max_age}", f"stale-while-revalidate={seconds}"}


def test_an_unchanged_page_answers_304_with_no_body(client: Any, page: LivePage) -> None:
    post(page, "One.")
    first = poll(client, 1)
    etag = first["ETag"]

    again = poll(client, 1, **{"If-None-Match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == first["Cache-Control"]
    assert poll(client, 1, **{"If-None-Match": '"another"'}).status_code == 200


def test_the_etag_is_stable_until_something_changes(client: Any, page: LivePage) -> None:
    update = post(page, "One.")
    seen = [poll(client, 0)["ETag"]]
    assert poll(client, 0)["ETag"] == seen[0]
    # The ETag names the coverage's state, not the question: the answer at the cursor it
    # brings a reader to shares it (each address still has one body per ETag).
    assert poll(client, 1)["ETag"] == seen[0]

    changes = [
        lambda: post(page, "Two."),
        lambda: actions.edit_live_update(update=update, body=paragraph_blocks(["One, edited."])),
        lambda: actions.set_live_update_pinned(update=update, pinned=True),
        lambda: actions.delete_live_update(update=update),
        lambda: actions.set_coverage_status(page=page, status=CoverageStatus.ENDED),
    ]
    for change in changes:
        change()
        response = poll(client, 0, **{"If-None-Match": seen[-1]})
        assert response.status_code == 200, change
        assert response["ETag"] not in seen
        seen.append(response["ETag"])


def _catch_up(client: Any, since: int, etag: str | None = None) -> tuple[int, str]:
    """Poll as live.js does: send the last ETag, and move to the answer's cursor."""
    response = poll(client, since, **({"If-None-Match": etag} if etag else {}))
    assert response.status_code == 200
    return response.json()["cursor"], response["ETag"]


def _republish(page: LivePage) -> None:
    page = LivePage.objects.get(pk=page.pk)
    page.dek = "Results as they come in."
    page.save_revision().publish()


@pytest.mark.parametrize("page_cache", [True, False], ids=["page-cache", "no-page-cache"])
def test_a_reader_at_the_current_cursor_gets_304_at_once(
    client: Any, page: LivePage, settings: Any, page_cache: bool
) -> None:
    """The first poll at a new cursor, not only the second, is a 304 when nothing changed.

    The reader sends the ETag of the answer that brought it there, at another address;
    with the page cache on, no entry for the new address exists yet.
    """
    settings.MASTHEAD_PAGE_CACHE = page_cache
    first = post(page, "One.")
    cursor, etag = _catch_up(client, 0)
    assert cursor == first.sequence

    again = poll(client, cursor, **{"If-None-Match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # The same holds after a reset: the reader stays at the reset's cursor.
    for number in range(MAX_CHANGES + 1):
        post(page, f"Update {number}.")
    reset = poll(client, cursor, **{"If-None-Match": etag})
    assert reset.json()["reset"] is True
    after = poll(client, reset.json()["cursor"], **{"If-None-Match": reset["ETag"]})
    assert after.status_code == 304


@pytest.mark.parametrize(
    "change",
    ["post", "edit", "delete", "pin", "status", "republish", "interval", "timezone"],
)
def test_any_change_makes_the_next_poll_a_200_then_304s_again(
    client: Any, page: LivePage, settings: Any, site: Any, change: str
) -> None:
    update = post(page, "One.")
    cursor, etag = _catch_up(client, 0)
    assert poll(client, cursor, **{"If-None-Match": etag}).status_code == 304

    if change == "post":
        post(page, "Two.")
    elif change == "edit":
        actions.edit_live_update(update=update, body=paragraph_blocks(["One, edited."]))
    elif change == "delete":
        actions.delete_live_update(update=update)
    elif change == "pin":
        actions.set_live_update_pinned(update=update, pinned=True)
    elif change == "status":
        actions.set_coverage_status(page=page, status=CoverageStatus.ENDED)
    elif change == "republish":
        _republish(page)
    elif change == "interval":
        settings.MASTHEAD_LIVE_POLL_SECONDS = 20
        # A new setting takes a restart, which starts every worker with no pages kept.
        pagecache.reset()
    else:
        # The changes' times are rendered in the site's timezone, so it is in the ETag.
        row = SiteSettings.for_site(site)
        row.timezone = "Asia/Tokyo"
        row.save()

    response = poll(client, cursor, **{"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    data = response.json()
    if change in ("post", "edit", "pin"):
        assert data["updates"] and data["cursor"] > cursor
    elif change == "delete":
        assert data["removed"] == [update.pk]
    elif change == "status":
        assert data["status"] == "ended"
    elif change == "interval":
        assert data["poll_after"] == 20
    # The reader is at the new state: nothing changed since.
    again = poll(client, data["cursor"], **{"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_every_address_keeps_its_own_body_for_the_shared_etag(
    client: Any, page: LivePage, settings: Any
) -> None:
    """Answers at two cursors share the state's ETag, so the shared store keys by cursor too."""
    settings.MASTHEAD_PAGE_CACHE = False
    one = post(page, "One.")
    two = post(page, "Two.")
    from_zero, from_one = poll(client, 0), poll(client, one.sequence)
    assert from_zero["ETag"] == from_one["ETag"]
    assert [item["id"] for item in from_zero.json()["updates"]] == [two.pk, one.pk]
    assert [item["id"] for item in poll(client, one.sequence).json()["updates"]] == [two.pk]
    assert poll(client, 0).content == from_zero.content
    assert poll(client, one.sequence).content == from_one.content


def test_no_cookie_is_read_or_set_even_for_a_member(
    client: Any, page: LivePage, member_client: Any, free_member: Any
) -> None:
    post(page, "One.")
    for reader in [client, member_client(free_member)]:
        for response in [poll(reader, 0), poll(reader, 0, **{"If-None-Match": '"x"'})]:
            assert response.status_code == 200
            assert "Cookie" not in response.get("Vary", "")
            assert not response.cookies
            assert "Set-Cookie" not in response


def test_a_member_and_a_stranger_get_the_same_answer(
    client: Any, page: LivePage, member_client: Any, free_member: Any
) -> None:
    post(page, "One.")
    anonymous = poll(client, 0)
    member = poll(member_client(free_member), 0)
    assert anonymous.content == member.content
    assert anonymous["ETag"] == member["ETag"]


# --- Query budget --------------------------------------------------------------------------------


def test_deciding_a_304_costs_one_query(client: Any, page: LivePage, settings: Any) -> None:
    """Not even the site lookups of the timezone middleware: a 304 renders no time.

    Measured without the page cache, which answers a repeated poll with no query at all:
    this is the cost on a worker that has not seen the question yet.
    """
    settings.MASTHEAD_PAGE_CACHE = False
    for number in range(5):
        post(page, f"Update {number}.")
    etag = poll(client, 3)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        assert poll(client, 3, **{"If-None-Match": etag}).status_code == 304
    assert len(queries) == 1


def test_a_200_renders_times_in_the_site_timezone(client: Any, page: LivePage, site: Any) -> None:
    settings_row = SiteSettings.for_site(site)
    settings_row.timezone = "Europe/Kyiv"
    settings_row.save()
    update = post(page, "Sirens in the capital.")
    LiveUpdate.objects.filter(pk=update.pk).update(
        posted_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    )
    html = poll(client, 0).json()["updates"][0]["html"]
    assert "00:30</time>" in html


def _count_200(client: Any, since: int) -> int:
    poll(client, since)  # renditions are made on the first request
    with CaptureQueriesContext(connection) as queries:
        response = poll(client, since)
    assert response.status_code == 200
    return len(queries)


def test_a_200_runs_the_same_queries_for_one_or_thirty_changes(
    client: Any, page: LivePage, author: Any, page_cache_off: None
) -> None:
    photo = PhotoFactory()

    def post_rich(number: int) -> LiveUpdate:
        return actions.post_live_update(
            page=page,
            body=[*paragraph_blocks([f"Update {number}."]), image_block(photo)],
            author=author,
            is_pinned=number % 2 == 0,
        )

    first = post_rich(0)
    cursor = first.sequence - 1
    one = _count_200(client, cursor)
    for number in range(1, 30):
        post_rich(number)
    assert len(poll(client, cursor).json()["updates"]) == 30
    thirty = _count_200(client, cursor)
    assert one == thirty
    # The page, the changed rows, their photos and renditions, and the site and its
    # settings for the timezone.
    assert thirty <= 7


# --- The setting ---------------------------------------------------------------------------------


def test_the_poll_interval_setting_is_checked() -> None:
    assert live_poll_seconds(2) == 2
    assert live_poll_seconds(300) == 300
    for wrong in [0, 1, 301]:
        with pytest.raises(ImproperlyConfigured, match="from 2 to 300"):
            live_poll_seconds(wrong)


def test_the_body_is_plain_json(client: Any, page: LivePage) -> None:
    post(page, "Ünïcode — and <b>markup</b>.")
    data = json.loads(poll(client, 0).content)
    assert "Ünïcode" in data["updates"][0]["html"]


def test_an_answer_with_changes_is_rendered_once_for_every_reader_who_asks(
    client: Any, page: LivePage, settings: Any
) -> None:
    """A thousand open pages ask the same question after a post: one render serves them.

    The poll's own shared store, measured without the page cache in front of it (which
    would answer the second poll from memory): other workers and servers rely on it.
    """
    settings.MASTHEAD_PAGE_CACHE = False
    post(page, "Before.")
    since = LiveUpdate.objects.get(page=page).sequence
    posted = post(page, "Sirens in the capital.")
    with CaptureQueriesContext(connection) as rendering:
        first = poll(client, since)
    with CaptureQueriesContext(connection) as stored:
        second = poll(client, since)
    assert second.json() == first.json()
    assert second.json()["updates"][0]["id"] == posted.pk
    # The page's state only (the site and its settings come from the memoized chrome; the
    # timezone is part of the key); no update is read or rendered again.
    assert len(stored) == 1 < len(rendering)
    # An edit is a new cursor and a new answer, never the stored one.
    actions.edit_live_update(update=posted, body=paragraph_blocks(["Sirens stopped."]))
    assert "Sirens stopped." in poll(client, since).json()["updates"][0]["html"]


def test_a_renamed_author_reaches_the_shared_poll_answers(
    client: Any, page: LivePage, author: Any
) -> None:
    """Shared answers are kept under what the updates show besides themselves."""
    post(page, "One.", author=author)
    assert author.name in poll(client, 0).json()["updates"][0]["html"]
    author.name = "Oksana Renamed"
    author.save()
    assert "Oksana Renamed" in poll(client, 0).json()["updates"][0]["html"]
