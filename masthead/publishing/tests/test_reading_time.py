import pytest

from masthead.publishing.factories import (
    ArticlePageFactory,
    PhotoFactory,
    image_block,
    paragraph_blocks,
)
from masthead.publishing.reading_time import count_words, display_minutes, reading_time_minutes


def test_count_words_ignores_tags_and_punctuation():
    assert count_words("<p>Air defence <b>downs</b> 14 drones, governor says.</p>") == 7


def test_count_words_counts_cyrillic_and_accented_latin():
    assert count_words("Київ заявив про атаку; café et Zürich") == 7


def test_count_words_counts_cjk_characters_one_by_one():
    assert count_words("新闻自由") == 4


def test_empty_text_has_no_words():
    assert count_words("<p></p>") == 0


def test_reading_time_follows_ghosts_formula():
    # 550 words at 275 wpm = 120 s; two images add 12 + 11 s; round(143 / 60) = 2.
    assert reading_time_minutes(word_count=550, image_count=2) == 2
    # Images count down to 3 s each: 12 + 11 + ... + 3 + 3 = 81 s for 11 images.
    assert reading_time_minutes(word_count=0, image_count=11) == 1
    assert reading_time_minutes(word_count=20, image_count=0) == 0


def test_readers_are_never_told_zero_minutes():
    assert display_minutes(0) == 1
    assert display_minutes(7) == 7


@pytest.mark.django_db
def test_article_stores_its_reading_time_when_saved(home):
    article = ArticlePageFactory(
        parent=home,
        body=[
            *paragraph_blocks(["word " * 1100]),
            {"type": "heading", "value": {"text": "Two more words", "level": "h2"}},
        ],
    )
    assert article.word_count == 1103
    assert article.reading_time == 4
    assert article.minutes_to_read == 4


@pytest.mark.django_db
def test_lead_image_and_body_images_add_time(home):
    photo = PhotoFactory()
    article = ArticlePageFactory(
        parent=home,
        lead_image=photo,
        body=[
            *paragraph_blocks(["word " * 275]),
            image_block(photo),
        ],
    )
    assert article.image_count == 2
    # 60 s of text + 12 + 11 s of images = 83 s -> 1 minute.
    assert article.reading_time == 1


@pytest.mark.django_db
def test_a_one_line_brief_reads_as_one_minute(home):
    brief = ArticlePageFactory(
        parent=home, brief=True, body=paragraph_blocks(["Sirens in Dravik."])
    )
    assert brief.reading_time == 0
    assert brief.minutes_to_read == 1
