"""The demo ticker: one update and one brief when due, and nothing when off or not a demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from masthead.demo import live
from masthead.publishing.actions import post_live_update
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    LivePageFactory,
    TagFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticlePage, CoverageStatus, LiveUpdate

pytestmark = pytest.mark.django_db

START = datetime(2025, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo_live(home: Any, time_machine: Any) -> Any:
    time_machine.move_to(START - timedelta(minutes=30), tick=False)
    for slug in ("war", "politics", "world", "business"):
        TagFactory(name=slug.title(), slug=slug, section=True)
    reporter = AuthorFactory(name="Mira Valen")
    page = LivePageFactory(parent=home, slug=live.ONGOING_SLUG, authors=[reporter])
    post_live_update(page=page, body=paragraph_blocks(["Sirens in Dravik."]), author=reporter)
    ArticlePageFactory(parent=home, brief=True, title="An earlier brief")
    time_machine.move_to(START, tick=False)
    return page


@pytest.fixture
def ticker_on(settings: Any) -> None:
    settings.MASTHEAD_DEMO_TICKER = True


def test_posts_one_update_and_one_brief_when_both_are_due(demo_live, ticker_on, time_machine):
    result = live.run_demo_ticker()
    assert result.update is not None and result.brief is not None
    updates = list(demo_live.updates.order_by("sequence"))
    assert [u.sequence for u in updates] == [1, 2]
    assert updates[-1].posted_at == START
    assert updates[-1].author.name == "Mira Valen"
    assert updates[-1].summary_text
    brief = ArticlePage.objects.live().briefs().get(pk=result.brief.pk)
    assert brief.first_published_at == START
    assert brief.section.slug in live.BRIEF_SECTIONS
    assert brief.body.raw_data

    # Nothing is due again at once, whatever the scheduler does.
    assert live.run_demo_ticker() == live.TickResult()
    assert demo_live.updates.count() == 2


def test_an_update_every_two_minutes_and_a_brief_every_ten(demo_live, ticker_on, time_machine):
    live.run_demo_ticker()
    briefs = ArticlePage.objects.live().briefs()
    before = briefs.count()
    for minute in (1, 2, 3, 4, 6, 8, 10):
        time_machine.move_to(START + timedelta(minutes=minute), tick=False)
        live.run_demo_ticker()
    # Updates at 0, 2, 4, 6, 8 and 10 minutes; one more brief at 10.
    assert LiveUpdate.objects.filter(page=demo_live).count() == 1 + 6
    assert briefs.count() == before + 1
    assert list(demo_live.updates.values_list("sequence", flat=True).order_by("sequence")) == list(
        range(1, 8)
    )


def test_does_nothing_while_the_switch_is_off(demo_live, settings):
    settings.MASTHEAD_DEMO_TICKER = False
    assert live.run_demo_ticker() == live.TickResult()
    live.tick_demo_newsroom()
    assert demo_live.updates.count() == 1
    assert ArticlePage.objects.briefs().count() == 1


def test_does_nothing_without_the_demos_ongoing_live_page(home, ticker_on):
    LivePageFactory(parent=home, slug="another-live-page")
    ArticlePageFactory(parent=home, brief=True, first_published_at=START - timedelta(hours=1))
    assert live.run_demo_ticker() == live.TickResult()
    assert LiveUpdate.objects.count() == 0
    assert ArticlePage.objects.briefs().count() == 1


def test_does_nothing_once_the_demo_coverage_has_ended(demo_live, ticker_on):
    demo_live.coverage_status = CoverageStatus.ENDED
    demo_live.save()
    assert live.run_demo_ticker() == live.TickResult()
    assert demo_live.updates.count() == 1


def test_the_worker_runs_the_ticker_as_a_periodic_job():
    from masthead.scheduler import periodic_jobs

    jobs = {job.path: job.every for job in periodic_jobs()}
    assert jobs["masthead.demo.live.tick_demo_newsroom"] == 60
