"""``masthead live``: listing live pages, posting updates, ending and resuming coverage."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from masthead.publishing import actions
from masthead.publishing.factories import ArticlePageFactory, LivePageFactory, paragraph_blocks
from masthead.publishing.models import CoverageStatus, LivePage, LiveUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(home: Any) -> LivePage:
    page: LivePage = LivePageFactory(parent=home, title="Air raid alerts", slug="air-raid-alerts")
    return page


def live_command(*args: str) -> str:
    out = io.StringIO()
    call_command("live", *args, stdout=out)
    return out.getvalue()


def test_list_shows_each_live_page_with_its_status_and_updates(live: LivePage, home: Any) -> None:
    ended: LivePage = LivePageFactory(parent=home, slug="election-night")
    actions.set_coverage_status(page=ended, status=CoverageStatus.ENDED)
    ArticlePageFactory(parent=home, slug="an-ordinary-story")
    actions.post_live_update(page=live, body=paragraph_blocks(["Alert in the north."]))
    gone = actions.post_live_update(page=live, body=paragraph_blocks(["Mistake."]))
    actions.delete_live_update(update=gone)

    lines = live_command("list").splitlines()

    assert lines[0].split() == ["ID", "SLUG", "STATUS", "UPDATES", "LAST", "UPDATE"]
    rows = {line.split()[1]: line.split() for line in lines[1:]}
    assert set(rows) == {"air-raid-alerts", "election-night"}
    assert rows["air-raid-alerts"][:4] == [str(live.pk), "air-raid-alerts", "live", "1"]
    assert rows["air-raid-alerts"][4].startswith("20")
    assert rows["election-night"][2:5] == ["ended", "0", "-"]


def test_list_says_when_there_is_nothing(db: None) -> None:
    assert live_command("list") == "No live pages yet.\n"


def test_post_turns_text_into_escaped_paragraphs(live: LivePage, author: Any) -> None:
    out = live_command(
        "post",
        "air-raid-alerts",
        "--text",
        "Alert in Kyiv <region>.\nTake shelter.\n\n\n  Stay until the all-clear.  ",
        "--headline",
        "Air raid alert",
        "--author",
        author.slug,
        "--pinned",
        "--key-event",
    )

    update = LiveUpdate.objects.get()
    assert out == (
        f"Posted update {update.pk} on air-raid-alerts: "
        f"{live.full_url}?update={update.pk}#update-{update.pk}\n"
    )
    assert update.headline == "Air raid alert"
    assert update.author == author
    assert update.is_pinned
    assert update.is_key_event
    assert (
        update.body.raw_data[0]["value"] == "<p>Alert in Kyiv &lt;region&gt;.<br/>Take shelter.</p>"
    )
    assert update.body.raw_data[1]["value"] == "<p>Stay until the all-clear.</p>"
    assert len(update.body.raw_data) == 2


def test_post_finds_the_page_by_id_and_reads_stdin(
    live: LivePage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("All-clear in the capital.\n"))

    live_command("post", str(live.pk), "--text", "-")

    update = LiveUpdate.objects.get()
    assert update.page_id == live.pk
    assert update.summary_text == "All-clear in the capital."
    assert not update.is_pinned
    assert update.author is None


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["post", "no-such-page", "--text", "x"], "No live page has the slug or id 'no-such-page'"),
        (["post", "an-ordinary-story", "--text", "x"], "No live page has the slug"),
        (["post", "air-raid-alerts", "--text", "  \n\n "], "Write something in the update"),
        (["post", "air-raid-alerts", "--text", "x", "--author", "nobody"], "No author has"),
        (
            ["post", "air-raid-alerts", "--text", "x", "--headline", "h" * 300],
            "Keep the headline under 255 characters",
        ),
        (["post", "air-raid-alerts"], "--text"),
        (["end", "no-such-page"], "No live page has the slug or id"),
        (["pause", "air-raid-alerts"], "invalid choice"),
    ],
    ids=["unknown", "not-live", "empty", "author", "headline", "no-text", "end", "subcommand"],
)
def test_mistakes_are_one_clear_error(
    live: LivePage, home: Any, args: list[str], error: str
) -> None:
    ArticlePageFactory(parent=home, slug="an-ordinary-story")

    with pytest.raises(CommandError, match=error) as raised:
        live_command(*args)

    assert "\n" not in str(raised.value)
    assert not LiveUpdate.objects.exists()


def test_end_and_resume_coverage(live: LivePage) -> None:
    assert live_command("end", "air-raid-alerts") == "The coverage of air-raid-alerts is ended.\n"
    page = LivePage.objects.get(pk=live.pk)
    assert page.coverage_status == CoverageStatus.ENDED
    assert page.coverage_ended_at is not None

    again = live_command("end", str(live.pk))
    assert again == "The coverage of air-raid-alerts has already ended.\n"

    assert live_command("resume", "air-raid-alerts") == (
        "The coverage of air-raid-alerts is live again.\n"
    )
    page = LivePage.objects.get(pk=live.pk)
    assert page.coverage_status == CoverageStatus.LIVE
    assert page.coverage_ended_at is None
    assert live_command("resume", "air-raid-alerts").endswith("is already live.\n")
