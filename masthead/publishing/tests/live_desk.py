"""Browser steps shared by the tests that post from the live desk as an editor would."""

from __future__ import annotations

from typing import Any


def post_from_the_desk(
    tab: Any, server_url: str, page_pk: int, *, text: str, headline: str
) -> None:
    """Sign in as ``chief``, open the page's live desk, type an update and post it."""
    tab.goto(f"{server_url}/admin/login/")
    tab.get_by_label("Username").fill("chief")
    tab.get_by_label("Password").fill("correct horse battery staple")
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(lambda url: "/login/" not in url)
    tab.goto(f"{server_url}/admin/live/{page_pk}/")
    editor = tab.locator("#live-post-form [contenteditable=true]").first
    editor.wait_for()
    editor.click()
    editor.press_sequentially(text, delay=5)
    tab.get_by_label("Headline (optional)").fill(headline)
    # The rich text editor copies its text into the form 250 ms after the last keystroke;
    # a person takes longer than that to reach the button.
    tab.wait_for_function(
        "text => document.querySelector('[name=\"body-0-value\"]').value.includes(text)",
        arg=text[-12:],
    )
    tab.get_by_role("button", name="Post update").click()
