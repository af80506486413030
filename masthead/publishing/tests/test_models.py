import pytest
from django.core.exceptions import ValidationError

from masthead.identifiers import is_object_id
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    PhotoFactory,
    TagFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticlePage, StandardPage, Tag

pytestmark = pytest.mark.django_db


def test_every_article_tag_and_author_gets_a_ghost_style_id(home):
    article = ArticlePageFactory(parent=home)
    tag = TagFactory()
    author = AuthorFactory()
    ids = {article.ghost_id, tag.ghost_id, author.ghost_id}
    assert len(ids) == 3
    assert all(is_object_id(value) for value in ids)


@pytest.mark.parametrize("slug", ["tag", "author", "rss", "news-feed", "ghost", "search"])
def test_pages_cannot_take_a_slug_the_site_routes(home, slug):
    page = ArticlePage(title="Reserved", slug=slug, body=[])
    with pytest.raises(ValidationError) as excinfo:
        home.add_child(instance=page)
    assert "used by the site itself" in str(excinfo.value)
    with pytest.raises(ValidationError):
        home.add_child(instance=StandardPage(title="Reserved", slug=slug))


def test_a_tag_named_with_a_hash_is_internal():
    tag = Tag(name="#from-ghost", slug="hash-from-ghost")
    tag.full_clean()
    assert tag.visibility == Tag.Visibility.INTERNAL


def test_lead_video_must_be_youtube_or_vimeo(home):
    page = ArticlePage(title="Clip", slug="clip", lead_video_url="https://example.org/video.mp4")
    with pytest.raises(ValidationError) as excinfo:
        home.add_child(instance=page)
    assert "YouTube or Vimeo" in str(excinfo.value)


def test_lead_caption_credit_and_alt_fall_back_to_the_photo(home):
    photo = PhotoFactory(
        caption="Rescuers at work.", credit="Ana Rusu", description="Rescuers in smoke"
    )
    article = ArticlePageFactory(parent=home, lead_image=photo, lead_image_credit="Pool photo")
    assert article.lead_caption == "Rescuers at work."
    assert article.lead_credit == "Pool photo"
    assert article.lead_alt == "Rescuers in smoke"


def test_excerpt_is_the_dek_or_the_opening_of_the_body(home):
    with_dek = ArticlePageFactory(parent=home, dek="A standfirst.")
    without = ArticlePageFactory(
        parent=home, dek="", body=paragraph_blocks(["Opening words of the story."])
    )
    assert with_dek.excerpt == "A standfirst."
    assert without.excerpt == "Opening words of the story."


def test_first_author_is_primary(home):
    first, second = AuthorFactory(), AuthorFactory()
    article = ArticlePageFactory(parent=home, authors=[first, second])
    article = ArticlePage.objects.get(pk=article.pk)
    assert article.primary_author == first
    assert article.ordered_authors == [first, second]


def test_with_tag_finds_articles_by_section_or_tag(home, section):
    topic = TagFactory(name="Drones")
    in_section = ArticlePageFactory(parent=home, section=section)
    tagged = ArticlePageFactory(parent=home, tags=[section])
    other = ArticlePageFactory(parent=home, tags=[topic])
    found = set(ArticlePage.objects.live().with_tag(section))
    assert found == {in_section, tagged}
    assert other not in found


def test_a_page_made_live_from_code_gets_a_publication_time_and_is_listed(home):
    page = ArticlePage(title="Imported story", slug="imported-story", body=[])
    home.add_child(instance=page)  # live by default, never "published" through Wagtail
    page.refresh_from_db()
    assert page.first_published_at is not None
    assert page.published_at == page.first_published_at


def test_publishing_a_copy_keeps_its_listing_time_in_step(home):
    from datetime import timedelta

    from django.utils import timezone

    original = ArticlePageFactory(
        parent=home, first_published_at=timezone.now() - timedelta(days=90)
    )
    original.save_revision()
    copy = original.copy(
        update_attrs={"slug": "copied-story", "title": "Copied story"}, keep_live=True
    )
    copy = ArticlePage.objects.get(pk=copy.pk)
    assert copy.published_at == copy.first_published_at
