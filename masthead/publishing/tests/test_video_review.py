"""Uploaded video served with byte ranges, under Range headers no player sends."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from wagtailmedia.models import Media

pytestmark = pytest.mark.django_db

# Bytes that stand in for an MP4: the serving code never looks inside a file.
CLIP = bytes(range(256)) * 4

# Python refuses to turn more than 4,300 digits into an int; the view answered 500.
HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("header", "status", "first", "last"),
    [
        (f"bytes={HUGE}-", 416, None, None),
        (f"bytes=0-{HUGE}", 206, 0, len(CLIP) - 1),
        (f"bytes=-{HUGE}", 206, 0, len(CLIP) - 1),
        (f"bytes=10-{HUGE}", 206, 10, len(CLIP) - 1),
        (f"bytes={HUGE}-1", 200, None, None),
    ],
)
def test_byte_positions_too_long_for_a_number_get_an_http_answer(
    client: Client, header: str, status: int, first: int | None, last: int | None
) -> None:
    media = Media.objects.create(
        title="Repair crews at work",
        type="video",
        file=SimpleUploadedFile("crews.mp4", CLIP, content_type="video/mp4"),
    )

    response = client.get(media.url, HTTP_RANGE=header)

    assert response.status_code == status
    if status == 206:
        assert first is not None and last is not None
        assert response["Content-Range"] == f"bytes {first}-{last}/{len(CLIP)}"
        assert b"".join(response.streaming_content) == CLIP[first : last + 1]
    elif status == 416:
        assert response["Content-Range"] == f"bytes */{len(CLIP)}"
    else:
        assert b"".join(response.streaming_content) == CLIP
