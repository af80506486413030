"""Tests for the generated demo pictures: determinism, formats and sizes."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from masthead.demo import pictures


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("mood", pictures.MOODS)
def test_photo_is_a_jpeg_of_the_requested_size(mood: str) -> None:
    image = _open(pictures.photo(random.Random(1), width=640, height=360, mood=mood))
    assert image.format == "JPEG"
    assert image.size == (640, 360)
    assert image.mode == "RGB"


def test_photo_default_size() -> None:
    image = _open(pictures.photo(random.Random(2)))
    assert image.size == (1600, 900)


def test_photo_is_deterministic() -> None:
    a = pictures.photo(random.Random(5), width=480, height=270, mood="dusk")
    b = pictures.photo(random.Random(5), width=480, height=270, mood="dusk")
    c = pictures.photo(random.Random(6), width=480, height=270, mood="dusk")
    assert a == b
    assert a != c


def test_photo_is_not_flat() -> None:
    image = _open(pictures.photo(random.Random(3), width=320, height=180))
    lo, hi = zip(*image.getextrema(), strict=True)
    assert max(hi) - min(lo) > 100


def test_photo_rejects_unknown_mood() -> None:
    with pytest.raises(ValueError, match="unknown mood"):
        pictures.photo(random.Random(1), mood="apocalyptic")


def test_poster() -> None:
    data = pictures.poster(random.Random(4))
    image = _open(data)
    assert image.format == "JPEG"
    assert image.size == (1280, 720)
    assert data == pictures.poster(random.Random(4))
    small = _open(pictures.poster(random.Random(4), width=320, height=180))
    assert small.size == (320, 180)


@pytest.mark.parametrize("size", [64, 400])
def test_avatar(size: int) -> None:
    data = pictures.avatar("Mira Valen", random.Random(1), size=size)
    image = _open(data)
    assert image.format == "PNG"
    assert image.size == (size, size)
    assert data == pictures.avatar("Mira Valen", random.Random(1), size=size)
    assert data != pictures.avatar("Mira Valen", random.Random(2), size=size)


def test_avatar_initials_are_white_on_dark() -> None:
    image = _open(pictures.avatar("Katarina Vell", random.Random(3))).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert any(rgb == (255, 255, 255) for _, rgb in colours)
    _count, background = max(colours)
    assert isinstance(background, tuple)
    assert sum(int(c) for c in background) / 3 < 110


def test_avatar_handles_odd_names() -> None:
    for name in ("", "madonna", "Anna-Maria von Trapp", "李"):
        assert _open(pictures.avatar(name, random.Random(1), size=64)).size == (64, 64)


def test_logo() -> None:
    data = pictures.logo("The Arvenian Independent", colour="#b42318")
    image = _open(data)
    assert image.format == "PNG"
    assert image.size == (600, 120)
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)  # transparent background, opaque ink
    assert data == pictures.logo("The Arvenian Independent", colour="#b42318")


def test_logo_rejects_bad_colour() -> None:
    with pytest.raises(ValueError, match="hex colour"):
        pictures.logo("Masthead", colour="red")
