"""Video stories: validation, the facade and the native player, duration and transcript,
VideoObject, uploaded files served with byte ranges, the Video section and the home strip.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import extruct
import lxml.html
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtailmedia.models import Media

from masthead.publishing.blocks import VideoBlock
from masthead.publishing.factories import ArticlePageFactory, PhotoFactory
from masthead.publishing.models import ArticleFormat, ArticlePage, VideoIndexPage
from masthead.publishing.videos import VIDEO_BATCH_SIZE, video_length
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = "http://127.0.0.1:8000"
YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
# Bytes that stand in for an MP4: the serving code never looks inside a file.
CLIP = bytes(range(256)) * 4


def make_media(
    *,
    title: str = "Repair crews at work",
    kind: str = "video",
    name: str = "crews.mp4",
    **extra: Any,
) -> Media:
    return Media.objects.create(
        title=title,
        type=kind,
        file=SimpleUploadedFile(name, CLIP, content_type="video/mp4"),
        **extra,
    )


def video_story(home: Any, **kwargs: Any) -> ArticlePage:
    kwargs.setdefault("title", "Inside the repair crews")
    return ArticlePageFactory(parent=home, format=ArticleFormat.VIDEO, **kwargs)


_STEP = re.compile(r"^(?P<tag>[\w-]+)?(?P<rest>(?:[.#][\w-]+|\[[\w-]+(?:=[\w-]+)?\])*)$")
_PART = re.compile(r"([.#])([\w-]+)|\[([\w-]+)(?:=([\w-]+))?\]")


def css(selector: str) -> str:
    """The XPath of a simple CSS selector (tags, classes, ids, attributes, " " and ">")."""
    paths = []
    for group in selector.split(","):
        path, axis = ".", "//"
        for token in group.split():
            if token == ">":
                axis = "/"
                continue
            step = _STEP.match(token)
            assert step, token
            tests = []
            for mark, name, attribute, value in _PART.findall(step["rest"]):
                if mark == ".":
                    tests.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')")
                elif mark == "#":
                    tests.append(f"@id='{name}'")
                elif value:
                    tests.append(f"@{attribute}='{value}'")
                else:
                    tests.append(f"@{attribute}")
            path += axis + (step["tag"] or "*") + "".join(f"[{test}]" for test in tests)
            axis = "//"
        paths.append(path)
    return " | ".join(paths)


def tree(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return lxml.html.fromstring(response.content.decode())


def video_object(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    data = extruct.extract(response.content.decode(), base_url=ROOT + url, syntaxes=["json-ld"])
    (article,) = [item for item in data["json-ld"] if item.get("@type") == "NewsArticle"]
    video: dict[str, Any] = article["video"]
    return video


# --- Validation ---------------------------------------------------------------------


def test_an_unsupported_lead_video_address_is_refused_with_the_supported_ones(home: Any) -> None:
    story = video_story(home, lead_video_url=YOUTUBE)
    story.lead_video_url = "https://www.dailymotion.com/video/x8abc"
    with pytest.raises(ValidationError) as refused:
        story.clean()
    (message,) = refused.value.message_dict["lead_video_url"]
    assert "https://www.dailymotion.com/video/x8abc" in message
    for form in ["youtube.com/watch?v=…", "youtu.be/…", "youtube.com/shorts/…", "vimeo.com/…"]:
        assert form in message


@pytest.mark.parametrize(
    "url",
    [
        "https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
        "https://vimeo.com/76979871",
    ],
)
def test_every_advertised_address_form_is_accepted(home: Any, url: str) -> None:
    story = video_story(home, lead_video_url=url)
    story.clean()
    assert story.lead_video is not None


def test_a_body_video_block_refuses_other_sites_with_the_same_list() -> None:
    block = VideoBlock()
    value = block.to_python({"url": "https://example.org/clip.mp4", "title": "A clip"})
    with pytest.raises(StructBlockValidationError) as refused:
        block.clean(value)
    message = " ".join(refused.value.block_errors["url"].messages)
    assert "https://example.org/clip.mp4" in message
    assert "YouTube (youtube.com/watch?v=…" in message and "Vimeo (vimeo.com/…)" in message


def test_an_audio_file_cannot_be_the_lead_video(home: Any) -> None:
    podcast = make_media(title="Morning podcast", kind="audio", name="morning.mp3")
    story = video_story(home)
    story.lead_video_file = podcast
    with pytest.raises(ValidationError) as refused:
        story.clean()
    (message,) = refused.value.message_dict["lead_video_file"]
    assert "“Morning podcast” is an audio file" in message
    assert "video file" in message


def test_a_duration_must_be_positive(home: Any) -> None:
    story = video_story(home, lead_video_url=YOUTUBE)
    story.video_duration = timedelta(seconds=-5)
    with pytest.raises(ValidationError) as refused:
        story.clean()
    assert "4:35" in refused.value.message_dict["video_duration"][0]


# --- Durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "clock", "spoken", "iso"),
    [
        (timedelta(minutes=4, seconds=35), "4:35", "4 minutes 35 seconds", "PT4M35S"),
        (
            timedelta(hours=1, minutes=2, seconds=10),
            "1:02:10",
            "1 hour 2 minutes 10 seconds",
            "PT1H2M10S",
        ),
        (timedelta(minutes=1), "1:00", "1 minute", "PT1M"),
        (45, "0:45", "45 seconds", "PT45S"),
        (59.6, "1:00", "1 minute", "PT1M"),
        (timedelta(hours=2), "2:00:00", "2 hours", "PT2H"),
    ],
)
def test_durations_read_like_a_player_a_sentence_and_iso_8601(
    duration: Any, clock: str, spoken: str, iso: str
) -> None:
    length = video_length(duration)
    assert length is not None
    assert (length.clock, length.spoken, length.iso) == (clock, spoken, iso)


@pytest.mark.parametrize("unknown", [None, 0, 0.2, timedelta(0)])
def test_no_duration_is_shown_when_none_is_known(unknown: Any) -> None:
    # wagtailmedia stores 0 for "not filled in".
    assert video_length(unknown) is None


# --- The article page -----------------------------------------------------------------


def test_a_youtube_lead_makes_no_third_party_request_before_the_click(
    client: Client, home: Any
) -> None:
    story = video_story(home, lead_video_url=YOUTUBE, lead_image=PhotoFactory())
    page = tree(client, story.url)
    facade = page.xpath(css("a[data-video-provider]"))[0]
    assert facade.get("data-video-id") == "dQw4w9WgXcQ"
    assert facade.get("href") == YOUTUBE
    assert not page.xpath(css("iframe"))
    # Everything the browser fetches on its own is local: images, scripts, styles, posters.
    fetched = [
        value
        for element in page.iter()
        for attribute in ("src", "srcset", "poster", "data")
        if (value := element.get(attribute))
    ] + [link.get("href") for link in page.xpath(css("link[href]"))]
    assert fetched, "the page fetches nothing; the check would be empty"
    for address in fetched:
        assert not any(host in address for host in ("youtube", "ytimg", "vimeo", "googlevideo")), (
            address
        )
    poster = facade.xpath(css("img"))[0]
    assert poster.get("src").startswith(settings.MEDIA_URL)


def test_an_uploaded_lead_plays_in_the_browsers_own_player(client: Client, home: Any) -> None:
    media = make_media(width=1920, height=1080)
    story = video_story(home, lead_video_file=media, lead_image=PhotoFactory())
    page = tree(client, story.url)
    (video,) = page.xpath(css("video"))
    assert video.get("controls") is not None and video.get("playsinline") is not None
    assert video.get("preload") == "none"
    assert (video.get("width"), video.get("height")) == ("1920", "1080")
    assert video.get("poster").startswith(f"{settings.MEDIA_URL}images/")
    assert "Inside the repair crews" in video.get("aria-label")
    (source,) = video.xpath(css("source"))
    assert source.get("src") == media.url and source.get("type") == "video/mp4"
    download = video.xpath(css("a[download]"))[0]
    assert download.get("href") == media.url
    assert "Download the video (MP4)" in download.text_content()
    assert not page.xpath(css("a[data-video-provider]"))


def test_an_uploaded_lead_without_a_picture_uses_its_thumbnail_and_a_16_by_9_box(
    client: Client, home: Any
) -> None:
    media = make_media()
    media.thumbnail = SimpleUploadedFile("crews.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    media.save()
    story = video_story(home, lead_video_file=media)
    (video,) = tree(client, story.url).xpath(css("video"))
    assert video.get("poster") == media.thumbnail.url
    assert (video.get("width"), video.get("height")) == ("1280", "720")


def test_a_youtube_address_wins_over_an_uploaded_file(client: Client, home: Any) -> None:
    story = video_story(home, lead_video_url=YOUTUBE, lead_video_file=make_media())
    story.clean()
    page = tree(client, story.url)
    assert page.xpath(css("a[data-video-provider]"))
    assert not page.xpath(css("video"))


def test_the_article_shows_the_duration_for_eyes_and_for_screen_readers(
    client: Client, home: Any
) -> None:
    story = video_story(
        home, lead_video_url=YOUTUBE, video_duration=timedelta(minutes=4, seconds=35)
    )
    (meta,) = tree(client, story.url).xpath(css(".video-meta"))
    assert meta.text_content().startswith("Video · ")
    (time,) = meta.xpath(css("time"))
    assert time.get("datetime") == "PT4M35S"
    assert time.xpath(css("[aria-hidden=true]"))[0].text == "4:35"
    assert time.xpath(css(".visually-hidden"))[0].text == "4 minutes 35 seconds"


def test_an_uploaded_file_gives_its_own_duration_when_the_editor_gave_none(
    client: Client, home: Any
) -> None:
    story = video_story(home, lead_video_file=make_media(duration=95.2))
    (time,) = tree(client, story.url).xpath(css(".video-meta time"))
    assert time.get("datetime") == "PT1M35S"
    edited = video_story(
        home, lead_video_file=make_media(duration=95.2), video_duration=timedelta(seconds=90)
    )
    (time,) = tree(client, edited.url).xpath(css(".video-meta time"))
    assert time.get("datetime") == "PT1M30S"


def test_the_transcript_opens_under_the_player_in_paragraphs(client: Client, home: Any) -> None:
    story = video_story(
        home,
        lead_video_url=YOUTUBE,
        video_transcript="Crews start at dawn.\nThey work until dusk.\n\nWe <b>rebuild</b> again.",
    )
    page = tree(client, story.url)
    (details,) = page.xpath(css("details.transcript"))
    assert details.xpath(css("summary"))[0].text_content().strip() == "Transcript"
    paragraphs = details.xpath(css(".transcript__text p"))
    assert [p.text_content() for p in paragraphs] == [
        "Crews start at dawn.They work until dusk.",
        "We <b>rebuild</b> again.",
    ]
    assert paragraphs[0].xpath(css("br"))
    assert not details.xpath(css("b")), "the transcript's text is escaped, not HTML"
    # After the lead, before the story.
    lead, body = page.xpath(css(".article__lead"))[0], page.xpath(css(".article__body"))[0]
    order = list(page.iter())
    assert order.index(lead) < order.index(details) < order.index(body)


def test_a_story_without_a_video_shows_no_transcript_or_duration(client: Client, home: Any) -> None:
    story = ArticlePageFactory(
        parent=home, video_transcript="Nothing to play.", video_duration=timedelta(minutes=3)
    )
    page = tree(client, story.url)
    assert not page.xpath(css("details.transcript, .video-meta, video"))


# --- VideoObject ------------------------------------------------------------------------


GOOGLE_REQUIRED = {"name", "thumbnailUrl", "uploadDate"}


def test_a_youtube_lead_is_described_with_everything_google_uses(client: Client, home: Any) -> None:
    story = video_story(
        home,
        lead_video_url=YOUTUBE,
        lead_image=PhotoFactory(),
        dek="Crews restore power in Dravik.",
        video_duration=timedelta(minutes=4, seconds=35),
        video_transcript="Crews start at dawn.\n\nThey work until dusk.",
    )
    video = video_object(client, story.url)
    assert video.keys() >= GOOGLE_REQUIRED
    assert video["@type"] == "VideoObject"
    assert video["name"] == "Inside the repair crews"
    assert isinstance(video["thumbnailUrl"], list) and len(video["thumbnailUrl"]) == 3
    assert all(url.startswith(ROOT + "/") for url in video["thumbnailUrl"])
    assert video["uploadDate"].startswith(str(timezone.localdate(story.first_published_at)))
    assert video["description"] == "Crews restore power in Dravik."
    assert video["duration"] == "PT4M35S"
    assert video["embedUrl"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert "contentUrl" not in video
    assert video["transcript"] == "Crews start at dawn.\n\nThey work until dusk."


def test_an_uploaded_lead_is_described_by_its_file(client: Client, home: Any) -> None:
    media = make_media(duration=275)
    story = video_story(home, lead_video_file=media, lead_image=PhotoFactory())
    video = video_object(client, story.url)
    assert video.keys() >= GOOGLE_REQUIRED
    assert video["contentUrl"] == ROOT + media.url
    assert "embedUrl" not in video
    assert video["duration"] == "PT4M35S"
    assert "transcript" not in video
    # The address given to search engines serves the file.
    assert client.get(media.url).status_code == 200


def test_a_vimeo_lead_without_any_picture_gets_the_generated_card(
    client: Client, home: Any
) -> None:
    story = video_story(home, lead_video_url="https://vimeo.com/76979871")
    video = video_object(client, story.url)
    assert video["embedUrl"] == "https://player.vimeo.com/video/76979871"
    (thumbnail,) = video["thumbnailUrl"]
    assert "/share/" in thumbnail


# --- Serving uploaded files ------------------------------------------------------------------


def test_a_whole_file_is_served_with_its_type_and_an_offer_of_ranges(client: Client) -> None:
    media = make_media()
    response = client.get(media.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CLIP
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(CLIP))
    assert not response["Content-Disposition"].startswith("attachment")
    assert client.head(media.url).status_code == 200


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len(CLIP) - 1),
        ("bytes=-24", len(CLIP) - 24, len(CLIP) - 1),
        ("bytes=1000-5000", 1000, len(CLIP) - 1),
        ("bytes=-5000", 0, len(CLIP) - 1),
    ],
)
def test_a_range_is_served_as_partial_content(
    client: Client, header: str, first: int, last: int
) -> None:
    media = make_media()
    response = client.get(media.url, HTTP_RANGE=header)
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == CLIP[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(CLIP)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_past_the_end_cannot_be_satisfied(client: Client, header: str) -> None:
    response = client.get(make_media().url, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CLIP)}"


@pytest.mark.parametrize(
    "header", ["bytes=9-3", "bytes=0-1,5-9", "items=0-9", "bytes=x-y", "bytes=-"]
)
def test_a_range_it_does_not_serve_gets_the_whole_file(client: Client, header: str) -> None:
    response = client.get(make_media().url, HTTP_RANGE=header)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CLIP


def test_a_range_of_a_file_that_changed_gets_the_whole_new_file(client: Client) -> None:
    media = make_media()
    current = client.get(media.url)["Last-Modified"]
    partial = client.get(media.url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=current)
    assert partial.status_code == 206
    stale = client.get(
        media.url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE="Mon, 01 Jan 2001 00:00:00 GMT"
    )
    assert stale.status_code == 200


def test_an_unchanged_file_is_not_sent_again(client: Client) -> None:
    media = make_media()
    current = client.get(media.url)["Last-Modified"]
    assert client.get(media.url, HTTP_IF_MODIFIED_SINCE=current).status_code == 304


def test_nothing_outside_the_media_folders_can_be_reached(client: Client) -> None:
    secret = Path(settings.MEDIA_ROOT) / "secret.txt"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("keys")
    for path in [
        "/media/media/../secret.txt",
        "/media/media/%2e%2e/secret.txt",
        "/media/media/..%2fsecret.txt",
        "/media/media_thumbnails/../../secret.txt",
        "/media/images/../secret.txt",
        "/media/original_images/../media/../secret.txt",
        "/media/media/missing.mp4",
        "/media/media/",
    ]:
        assert client.get(path).status_code == 404, path
    assert client.post(make_media().url).status_code == 405


def test_documents_stay_behind_their_own_view_whatever_the_path(client: Client) -> None:
    private = Path(settings.MEDIA_ROOT) / "documents" / "minutes.pdf"
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_bytes(b"%PDF-1.4 board minutes")
    for path in [
        "/media/images/../documents/minutes.pdf",
        "/media/original_images/../documents/minutes.pdf",
        "/media/media/../documents/minutes.pdf",
        "/media/media_thumbnails/../documents/minutes.pdf",
        "/media/documents/minutes.pdf",
    ]:
        assert client.get(path).status_code == 404, path


def test_photos_are_still_served_from_their_own_folders(client: Client) -> None:
    photo = PhotoFactory()
    response = client.get(photo.file.url, HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == photo.file.open("rb").read(4)


def test_a_file_browsers_would_run_is_sent_as_a_download(client: Client) -> None:
    page = Path(settings.MEDIA_ROOT) / "media" / "trap.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<script>alert(1)</script>")
    response = client.get("/media/media/trap.html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


# --- The Video section and the home strip -------------------------------------------------


@pytest.fixture
def video_section(home: Any) -> VideoIndexPage:
    page = VideoIndexPage(title="Video", slug="video", intro="Our reporting, on camera.")
    home.add_child(instance=page)
    return page


def publish_videos(home: Any, count: int, *, start: int = 0) -> list[ArticlePage]:
    now = timezone.now()
    photo = PhotoFactory()
    stories = []
    for i in range(start, start + count):
        extra: dict[str, Any] = (
            {"lead_video_file": make_media(duration=60 + i)}
            if i % 2
            else {"lead_video_url": YOUTUBE, "video_duration": timedelta(seconds=60 + i)}
        )
        stories.append(
            video_story(
                home,
                title=f"Video story {i:02d}",
                lead_image=photo,
                first_published_at=now - timedelta(minutes=i),
                **extra,
            )
        )
    return stories


def card_titles(page: Any) -> list[str]:
    return [link.text_content() for link in page.xpath(css(".card__link"))]


def test_the_video_section_lists_video_stories_newest_first(
    client: Client, home: Any, video_section: VideoIndexPage
) -> None:
    publish_videos(home, 3)
    ArticlePageFactory(parent=home, title="A story in words")
    video_story(home, title="An unpublished video", live=False)
    page = tree(client, video_section.url)
    assert page.xpath(css("h1"))[0].text_content() == "Video"
    assert "Our reporting, on camera." in page.xpath(css(".page-header__intro"))[0].text_content()
    assert card_titles(page) == ["Video story 00", "Video story 01", "Video story 02"]
    shown = [badge.text for badge in page.xpath(css(".play-badge .play-badge__time"))]
    assert shown == ["1:00", "1:01", "1:02"]
    spoken = [badge.text for badge in page.xpath(css(".play-badge .visually-hidden"))]
    assert spoken == ["Video, 1 minute", "Video, 1 minute 1 second", "Video, 1 minute 2 seconds"]
    assert not page.xpath(css("[data-show-more]"))


def test_show_more_loads_the_next_videos_alone(
    client: Client, home: Any, video_section: VideoIndexPage
) -> None:
    publish_videos(home, VIDEO_BATCH_SIZE + 2)
    page = tree(client, video_section.url)
    assert len(card_titles(page)) == VIDEO_BATCH_SIZE
    more = page.xpath(css("[data-listing] a[data-show-more]"))[0].get("href")
    assert more.startswith(video_section.url + "?before=")
    response = client.get(more + "&partial=1")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment and "<h1" not in fragment
    rest = lxml.html.fromstring(f"<div>{fragment}</div>")
    assert card_titles(rest) == [f"Video story {i:02d}" for i in (12, 13)]
    assert rest.xpath(css("[data-listing-items] > li"))
    assert not rest.xpath(css("[data-show-more]"))
    # Without JavaScript the same link opens a whole page with the next videos.
    assert card_titles(tree(client, more)) == ["Video story 12", "Video story 13"]


def test_an_empty_video_section_says_so(client: Client, video_section: VideoIndexPage) -> None:
    page = tree(client, video_section.url)
    assert page.xpath(css(".empty-state"))[0].text_content() == "No videos yet."


def test_the_video_section_costs_the_same_queries_for_10_or_40_videos(
    page_cache_off, client: Client, home: Any, video_section: VideoIndexPage
) -> None:
    def count() -> int:
        client.get(video_section.url)  # warm the site and settings caches alike
        with CaptureQueriesContext(connection) as context:
            assert client.get(video_section.url).status_code == 200
        return len(context.captured_queries)

    publish_videos(home, 10)
    small = count()
    publish_videos(home, 30, start=10)
    large = count()
    assert small == large
    assert large <= 15, large


def test_the_home_strip_links_to_the_video_section(
    client: Client, home: Any, video_section: VideoIndexPage
) -> None:
    publish_videos(home, 2)
    page = tree(client, "/")
    heading = page.xpath(css("#video-heading"))[0]
    assert heading.xpath(css("a"))[0].get("href") == video_section.url
    assert len(page.xpath(css(".video-strip .play-badge--timed"))) == 2


def test_the_home_strip_has_a_plain_heading_without_a_video_section(
    client: Client, home: Any
) -> None:
    publish_videos(home, 1)
    heading = tree(client, "/").xpath(css("#video-heading"))[0]
    assert heading.text_content() == "Video" and not heading.xpath(css("a"))


def test_the_home_page_looks_up_the_video_section_once_for_any_number_of_videos(
    page_cache_off, client: Client, home: Any, video_section: VideoIndexPage
) -> None:
    def count() -> int:
        client.get("/")
        with CaptureQueriesContext(connection) as context:
            client.get("/")
        return len(context.captured_queries)

    publish_videos(home, 2)
    small = count()
    publish_videos(home, 10, start=2)
    assert count() == small


# --- Wagtail's admin with wagtailmedia ------------------------------------------------------


def test_editors_upload_edit_and_choose_videos_in_the_admin(client: Client, home: Any) -> None:
    client.force_login(UserFactory(superuser=True))
    assert client.get("/admin/media/").status_code == 200
    assert client.get("/admin/media/video/add/").status_code == 200
    response = client.post(
        "/admin/media/video/add/",
        {
            "title": "Night shift",
            "file": SimpleUploadedFile("night.mp4", CLIP, content_type="video/mp4"),
            "collection": 1,
            "duration": "64",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    media = Media.objects.get(title="Night shift")
    assert media.type == "video" and media.duration == 64
    assert client.get(f"/admin/media/edit/{media.pk}/").status_code == 200
    chooser = client.get("/admin/media/chooser/")
    assert chooser.status_code == 200
    assert "Night shift" in json.loads(chooser.content)["html"]
    make_media(title="Morning podcast", kind="audio", name="morning.mp3")
    videos_only = json.loads(client.get("/admin/media/chooser/video/").content)["html"]
    assert "Night shift" in videos_only and "Morning podcast" not in videos_only
    uploaded = client.post(
        "/admin/media/video/chooser/upload/",
        {
            "media-chooser-upload-title": "Dawn shift",
            "media-chooser-upload-file": SimpleUploadedFile(
                "dawn.webm", CLIP, content_type="video/webm"
            ),
            "media-chooser-upload-collection": 1,
        },
    )
    assert json.loads(uploaded.content)["step"] == "media_chosen"
    assert Media.objects.get(title="Dawn shift").type == "video"
    story = video_story(home, lead_video_file=media)
    editor = client.get(f"/admin/pages/{story.pk}/edit/")
    assert editor.status_code == 200
    assert 'name="lead_video_file"' in editor.content.decode()


def test_a_video_format_browsers_cannot_play_is_refused_at_upload(client: Client) -> None:
    client.force_login(UserFactory(superuser=True))
    response = client.post(
        "/admin/media/video/add/",
        {
            "title": "Raw footage",
            "file": SimpleUploadedFile("raw.avi", CLIP, content_type="video/x-msvideo"),
            "collection": 1,
        },
    )
    assert response.status_code == 200
    assert not Media.objects.filter(title="Raw footage").exists()
    page = response.content.decode()
    assert "avi" in page and "mp4, m4v, webm" in page
