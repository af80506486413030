from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from masthead.newsletters.models import NewsletterSend, NewsletterSubscription
from masthead.publishing.models import (
    ArticleFormat,
    ArticleNote,
    ArticlePage,
    Author,
    HomeTopStory,
    Photo,
    Tag,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(home):
    out = StringIO()
    # A few hundred members keep the test fast; the demo's member mix has its own tests.
    call_command("seed_demo", "--members", "300", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_demo_builds_a_realistic_newsroom(seeded):
    articles = ArticlePage.objects.live()
    assert articles.count() >= 300
    assert articles.briefs().count() >= 100
    assert articles.videos().count() >= 12
    assert Tag.objects.sections().count() >= 8
    # The ongoing live coverage leads the five latest reported stories.
    assert HomeTopStory.objects.count() == 6
    assert articles.live_coverage().count() == 2

    oldest = articles.order_by("first_published_at").first().first_published_at
    assert timezone.now() - oldest > timedelta(days=60)
    assert articles.filter(first_published_at__gt=timezone.now()).count() == 0

    authors = Author.objects.exclude(job_title="").exclude(bio="").exclude(avatar=None)
    assert authors.count() >= 12
    assert Photo.objects.exclude(caption="").exclude(credit="").count() >= 40
    stories = articles.stories()
    assert stories.exclude(lead_image=None).count() > stories.count() * 0.8
    assert ArticleNote.objects.count() >= 3
    assert any(
        block["type"] == "read_also"
        for article in stories.filter(format=ArticleFormat.ARTICLE)[:50]
        for block in article.body.raw_data
    )
    # Every article reads as at least one minute and the stories as several.
    assert not stories.filter(reading_time=0).exists()
    # Newsletters with subscribers, recent sends and one waiting for its article.
    assert NewsletterSubscription.objects.subscribed().count() > 300
    assert NewsletterSend.objects.filter(status=NewsletterSend.Status.SENT).count() >= 3
    assert NewsletterSend.objects.filter(status=NewsletterSend.Status.WAITING).count() == 1
    assert "Admin login: admin /" in seeded


def test_seeded_site_serves_its_pages_and_refuses_a_second_seed(seeded, client):
    """One build serves several checks: seeding costs seconds."""
    for url in [
        "/",
        "/news-feed/",
        "/tag/war/",
        "/team/",
        "/about/",
        "/video/",
        "/newsletters/",
        ArticlePage.objects.live().first().url,
    ]:
        assert client.get(url).status_code == 200, url

    before = ArticlePage.objects.count()
    with pytest.raises(CommandError, match="already has content"):
        call_command("seed_demo", "--members", "0", stdout=StringIO())
    assert ArticlePage.objects.count() == before

    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "keeping it" in out.getvalue()
    assert ArticlePage.objects.count() == before
