"""A reader's live page keeps itself current in a real headless Chromium: new updates wait
behind a button, edits and deletions apply in place, and the page stays accessible."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from masthead.publishing import actions
from masthead.publishing.factories import AuthorFactory, LivePageFactory, paragraph_blocks
from masthead.publishing.models import CoverageStatus, LiveUpdate
from masthead.publishing.tests.live_desk import post_from_the_desk
from masthead.staff.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT_MS = 15_000


@pytest.fixture
def coverage(db: None, settings: Any) -> dict[str, Any]:
    # The live server runs in this process, so it polls at the pace set here.
    settings.MASTHEAD_LIVE_POLL_SECONDS = 2
    from wagtail.models import Site

    home = Site.objects.get(is_default_site=True).root_page.specific
    reporter = AuthorFactory(name="Ilse Marn", slug="ilse-marn")
    page = LivePageFactory(parent=home, title="Flood watch", slug="flood-watch", authors=[reporter])
    now = timezone.now()

    def post(text: str, minutes_ago: int, **kwargs: Any) -> Any:
        return actions.post_live_update(
            page=page,
            body=paragraph_blocks([text]),
            posted_at=now - timedelta(minutes=minutes_ago),
            author=reporter,
            **kwargs,
        )

    return {
        "page": page,
        "post": post,
        "oldest": post("Sandbags are handed out at the town hall.", 30, is_key_event=True),
        "middle": post("The river is rising by 10 cm an hour.", 20, headline="River rising"),
        "newest": post("The ferry is suspended.", 10, headline="Ferry suspended"),
    }


def ids(page: Any, selector: str = "[data-live-updates] > li") -> list[int]:
    return [
        int(i)
        for i in page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.updateId)")
    ]


def test_a_new_update_waits_behind_a_button_then_takes_focus_at_the_top(
    browser: Any, live_server: Any, coverage: dict[str, Any]
) -> None:
    page = browser.new_page()
    page.goto(live_server.url + coverage["page"].url)
    first = page.locator("[data-live-updates] > li").first
    before = first.bounding_box()
    assert before is not None

    # Posted from the newsroom's live desk while the reader has the page open.
    fresh = actions.post_live_update(
        page=coverage["page"],
        body=paragraph_blocks(["The bridge reopens."]),
        headline="Bridge reopens",
    )
    button = page.get_by_role("button", name="1 new update")
    button.wait_for(timeout=WAIT_MS)
    # Announced once, politely, and nothing under the reader's eyes moved.
    page.wait_for_function(
        "document.querySelector('[data-live-region]').textContent.startsWith('1 new update')"
    )
    assert first.bounding_box() == before
    assert ids(page)[0] == coverage["newest"].pk

    button.click()
    assert ids(page)[:2] == [fresh.pk, coverage["newest"].pk]
    assert page.evaluate("document.activeElement.id") == f"update-{fresh.pk}"
    assert button.is_hidden()
    assert (
        page.locator(f"#update-{fresh.pk} .live-update__headline").inner_text() == "Bridge reopens"
    )

    # Two more while the reader looks: one button, counting them.
    actions.post_live_update(page=coverage["page"], body=paragraph_blocks(["Rain eases."]))
    actions.post_live_update(page=coverage["page"], body=paragraph_blocks(["Schools reopen."]))
    page.get_by_role("button", name="2 new updates").wait_for(timeout=WAIT_MS)
    page.close()


def test_an_update_posted_from_the_live_desk_reaches_a_reader_s_open_page(
    browser: Any, live_server: Any, coverage: dict[str, Any]
) -> None:
    """The issue's case end to end: two browsers, no test code between the desk and the page.

    The reader's context and the editor's share no cookies. Every step waits for what a
    person would see, never for a fixed time, so a slow machine only makes it slower.
    """
    UserFactory(superuser=True, username="chief")
    reader = browser.new_context()
    newsroom = browser.new_context()
    try:
        page = reader.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # The page keeps polling with the ETag of its last answer: once at its cursor, it
        # is answered 304 until something changes.
        with page.expect_response(
            lambda r: "updates.json" in r.url and r.status == 304, timeout=WAIT_MS
        ):
            page.goto(live_server.url + coverage["page"].url)

        desk = newsroom.new_page()
        post_from_the_desk(
            desk,
            live_server.url,
            coverage["page"].pk,
            text="Boats are taking people off the roofs.",
            headline="Rescues begin",
        )
        desk.get_by_text("Update posted").wait_for(timeout=WAIT_MS)
        fresh = LiveUpdate.objects.get(headline="Rescues begin")

        button = page.get_by_role("button", name="1 new update")
        button.wait_for(timeout=WAIT_MS)
        assert page.locator(f"#update-{fresh.pk}").count() == 0
        button.click()
        page.locator(f"#update-{fresh.pk}").get_by_text(
            "Boats are taking people off the roofs."
        ).wait_for(timeout=WAIT_MS)
        assert ids(page)[:2] == [fresh.pk, coverage["newest"].pk]
        assert page.evaluate("document.activeElement.id") == f"update-{fresh.pk}"
        assert button.is_hidden()
        assert errors == []
    finally:
        reader.close()
        newsroom.close()


def test_edits_pins_and_deletions_apply_in_place(
    browser: Any, live_server: Any, coverage: dict[str, Any]
) -> None:
    page = browser.new_page()
    page.goto(live_server.url + coverage["page"].url)
    middle, newest, oldest = coverage["middle"], coverage["newest"], coverage["oldest"]
    assert page.locator("[data-live-pinned]").is_hidden()

    actions.edit_live_update(
        update=middle,
        body=paragraph_blocks(["The river is rising by 15 cm an hour."]),
        headline="River rising faster",
        author=middle.author,
        is_pinned=True,
    )
    page.locator(
        f"#update-{middle.pk} .live-update__headline", has_text="River rising faster"
    ).wait_for(timeout=WAIT_MS)
    # Edited where it stands, and copied into the pinned box with ids of its own.
    assert ids(page) == [newest.pk, middle.pk, oldest.pk]
    pinned = page.locator(f"[data-live-pinned] #pinned-update-{middle.pk}")
    assert pinned.is_visible()
    assert "15 cm" in pinned.inner_text()
    assert page.locator("[data-live-reveal]").is_hidden()

    actions.delete_live_update(update=oldest)
    page.locator(f"#update-{oldest.pk}").wait_for(state="detached", timeout=WAIT_MS)
    # Its key-event link goes with it.
    assert page.locator(f'[data-live-jump="update-{oldest.pk}"]').count() == 0

    actions.set_live_update_pinned(update=middle, pinned=False)
    page.locator("[data-live-pinned]").wait_for(state="hidden", timeout=WAIT_MS)
    assert ids(page) == [newest.pk, middle.pk]
    page.close()


def test_the_page_says_when_coverage_ends_and_stops_polling(
    browser: Any, live_server: Any, coverage: dict[str, Any]
) -> None:
    page = browser.new_page()
    polls: list[str] = []
    page.on(
        "request",
        lambda request: polls.append(request.url) if "updates.json" in request.url else None,
    )
    page.goto(live_server.url + coverage["page"].url)
    assert page.locator("[data-live-ended]").is_hidden()

    actions.set_coverage_status(page=coverage["page"], status=CoverageStatus.ENDED)
    page.get_by_text("This live coverage has ended.", exact=True).first.wait_for(timeout=WAIT_MS)
    assert page.locator("[data-live-stream]").get_attribute("data-status") == "ended"
    assert page.locator("[data-live-badge]").text_content() == "Ended"
    seen = len(polls)
    page.wait_for_timeout(5_000)
    assert len(polls) == seen
    page.close()


def test_a_key_event_link_scrolls_to_its_update_without_reloading(
    browser: Any, live_server: Any, coverage: dict[str, Any]
) -> None:
    page = browser.new_page()
    page.goto(live_server.url + coverage["page"].url)
    page.evaluate("window.notReloaded = true")
    target = coverage["oldest"]
    page.locator(f'[data-live-jump="update-{target.pk}"]').click()
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.activeElement.id") == f"update-{target.pk}"
    assert page.url.endswith(f"#update-{target.pk}")
    page.close()


def test_the_live_page_has_no_accessibility_violations(
    browser: Any, live_server: Any, coverage: dict[str, Any], axe_violations: Any
) -> None:
    actions.set_live_update_pinned(update=coverage["middle"], pinned=True)
    page = browser.new_page()
    page.goto(live_server.url + coverage["page"].url)
    assert axe_violations(page) == []

    # With the new-update button showing, too.
    coverage["post"]("Power is back in the old town.", 0)
    page.get_by_role("button", name="1 new update").wait_for(timeout=WAIT_MS)
    assert axe_violations(page) == []
    page.close()


def test_show_older_updates_loads_in_place(
    browser: Any, live_server: Any, coverage: dict[str, Any]
) -> None:
    for minute in range(25):
        coverage["post"](f"Earlier report {minute}.", 60 + minute)
    page = browser.new_page()
    page.goto(live_server.url + coverage["page"].url)
    assert len(ids(page)) == 20
    page.get_by_role("link", name="Show older updates").click()
    page.wait_for_function("document.querySelectorAll('[data-live-updates] > li').length === 28")
    assert page.url == live_server.url + coverage["page"].url
    shown = ids(page)
    assert len(set(shown)) == 28
    assert page.get_by_role("link", name="Show older updates").count() == 0
    page.close()
