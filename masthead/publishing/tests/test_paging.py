from datetime import UTC, datetime, timedelta

import pytest

from masthead.publishing.factories import ArticlePageFactory
from masthead.publishing.models import ArticlePage
from masthead.publishing.paging import Cursor, paginate


def test_cursor_round_trips_to_the_microsecond():
    cursor = Cursor(published_at=datetime(2026, 11, 29, 14, 5, 6, 123457, tzinfo=UTC), pk=42)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "abc",
        "12-",
        "-5",
        "1-2-3",
        "999999999999999999-1",
        "1-99999999999999999999",
        "1.5-3",
        "%00",
    ],
)
def test_malformed_cursors_mean_the_first_page(raw):
    assert Cursor.decode(raw) is None


@pytest.mark.django_db
def test_show_more_neither_repeats_nor_skips_when_articles_arrive(home):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(25):
        ArticlePageFactory(parent=home, first_published_at=start + timedelta(minutes=i))
    articles = ArticlePage.objects.live()

    first = paginate(articles, cursor=None, size=10)
    # Three stories are published while the reader is looking at the first page.
    for i in range(3):
        ArticlePageFactory(parent=home, first_published_at=start + timedelta(days=1, minutes=i))
    second = paginate(articles, cursor=first.next_cursor, size=10)
    third = paginate(articles, cursor=second.next_cursor, size=10)

    seen = [a.pk for batch in (first, second, third) for a in batch.items]
    assert len(seen) == len(set(seen)) == 25
    assert third.next_cursor is None
    assert seen == sorted(seen, reverse=True)  # created in time order, shown newest first


@pytest.mark.django_db
def test_articles_published_at_the_same_instant_are_all_reached(home):
    same = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    created = {ArticlePageFactory(parent=home, first_published_at=same).pk for _ in range(7)}
    seen: list[int] = []
    cursor = None
    while True:
        batch = paginate(ArticlePage.objects.live(), cursor=cursor, size=3)
        seen.extend(a.pk for a in batch.items)
        if not batch.has_more:
            break
        cursor = batch.next_cursor
    assert set(seen) == created and len(seen) == 7


@pytest.mark.django_db
def test_tag_listing_merges_section_and_tagged_articles_in_order(home):
    from masthead.publishing.factories import TagFactory
    from masthead.publishing.models import tagged_with

    war = TagFactory(name="War", section=True)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    expected = []
    for i in range(17):
        minute = start + timedelta(minutes=i)
        if i % 3 == 0:
            article = ArticlePageFactory(parent=home, tags=[war], first_published_at=minute)
        elif i % 3 == 1:
            article = ArticlePageFactory(parent=home, section=war, first_published_at=minute)
        else:
            article = ArticlePageFactory(
                parent=home, first_published_at=minute
            )  # not filed under War
            continue
        expected.append(article.pk)
    seen: list[int] = []
    cursor = None
    while True:
        batch = paginate(ArticlePage.objects.live(), cursor=cursor, size=4, any_of=tagged_with(war))
        seen.extend(a.pk for a in batch.items)
        if not batch.has_more:
            break
        cursor = batch.next_cursor
    assert seen == list(reversed(expected))
