"""The header search box suggests headlines as a reader types, in a real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from masthead.publishing.factories import ArticlePageFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def stories(db: None) -> list[Any]:
    from wagtail.models import Site

    home = Site.objects.get(is_default_site=True).root_page.specific
    return [
        ArticlePageFactory(
            parent=home, title="Reservoir levels fall again", slug="reservoir-levels"
        ),
        ArticlePageFactory(
            parent=home, title="Reservoir contract signed", slug="reservoir-contract"
        ),
        ArticlePageFactory(parent=home, title="Harbour reopens", slug="harbour-reopens"),
    ]


def test_a_reader_picks_a_suggested_headline_with_the_keyboard(
    browser: Any, live_server: Any, stories: list[Any]
) -> None:
    page = browser.new_page()
    page.goto(live_server.url + "/")
    box = page.get_by_role("combobox", name="Search the site")
    assert box.get_attribute("aria-expanded") == "false"
    box.press_sequentially("reserv", delay=30)

    listbox = page.get_by_role("listbox", name="Suggested stories")
    listbox.wait_for()
    options = listbox.get_by_role("option")
    assert sorted(options.all_inner_texts()) == [
        "Reservoir contract signed",
        "Reservoir levels fall again",
    ]
    assert box.get_attribute("aria-expanded") == "true"

    box.press("ArrowDown")
    box.press("ArrowDown")
    second = options.nth(1)
    assert second.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == second.get_attribute("id")
    chosen = second.inner_text()
    box.press("ArrowUp")
    box.press("ArrowDown")
    # Focus stays in the box the whole time: the option is only "active".
    assert page.evaluate("document.activeElement.id") == "site-search"

    box.press("Enter")
    page.wait_for_url("**/reservoir-*/")
    assert page.get_by_role("heading", level=1).inner_text() == chosen
    page.close()


def test_escape_closes_the_suggestions_and_enter_searches(
    browser: Any, live_server: Any, stories: list[Any]
) -> None:
    page = browser.new_page()
    page.goto(live_server.url + "/")
    box = page.get_by_role("combobox", name="Search the site")
    box.press_sequentially("harbour", delay=30)
    page.get_by_role("option", name="Harbour reopens").wait_for()
    box.press("Escape")
    assert page.get_by_role("listbox").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    box.press("Enter")
    page.wait_for_url("**/search/?q=harbour")
    assert page.get_by_role("link", name="Harbour reopens").is_visible()
    page.close()
