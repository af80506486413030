"""Golden answers: each Content API endpoint's JSON compared whole, key order included.

The stored answers live in ``snapshots/content/``. After a deliberate change of shape,
rewrite them with ``MASTHEAD_UPDATE_SNAPSHOTS=1`` and review the diff like code.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from masthead.contentapi.models import Integration
from masthead.membership.models import Tier
from masthead.newsletters.models import Newsletter
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    StandardPageFactory,
    TagFactory,
    paragraph_blocks,
)
from masthead.publishing.models import SiteSettings

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(__file__).parent / "snapshots" / "content"
NOW = "2026-11-29 12:52:17+00:00"


def _ghost_id(n: int) -> str:
    return f"6b0c2000{n:016x}"


def _uuid(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


@pytest.fixture
def newsroom(site: Any, home: Any, supporter: Any) -> str:
    """A small, fixed newsroom: every id, text and time is given, none generated."""
    with time_machine.travel(NOW, tick=False):
        settings = SiteSettings.for_site(site)
        settings.publication_name = "The Kyiv Desk"
        settings.tagline = "Reporting from the front line"
        settings.timezone = "Europe/Kyiv"
        settings.save()
        Tier.objects.filter(kind=Tier.Kind.FREE).update(ghost_id=_ghost_id(1))
        Tier.objects.filter(pk=supporter.pk).update(
            ghost_id=_ghost_id(2), benefits="Every story\nThe weekly letter"
        )
        Newsletter.objects.all().update(ghost_id=_ghost_id(3), uuid=_uuid(3))
        Tier.objects.update(created_at=NOW, updated_at=NOW)
        Newsletter.objects.update(created_at=NOW, updated_at=NOW)
        section = TagFactory(name="War", slug="war", section=True, ghost_id=_ghost_id(10))
        kyiv = TagFactory(name="Kyiv", slug="kyiv", ghost_id=_ghost_id(11))
        internal = TagFactory(
            name="#legal", slug="hash-legal", visibility="internal", ghost_id=_ghost_id(12)
        )
        mira = AuthorFactory(
            name="Mira Valen",
            slug="mira-valen",
            bio="War correspondent.",
            x_handle="miravalen",
            ghost_id=_ghost_id(20),
        )
        ArticlePageFactory(
            parent=home,
            title="The bridge at dawn",
            slug="the-bridge-at-dawn",
            dek="",
            body=paragraph_blocks(["Engineers rebuilt the bridge overnight."]),
            section=section,
            tags=[kyiv, internal],
            authors=[mira],
            ghost_id=_ghost_id(30),
            uuid=_uuid(30),
            canonical_url="",
        )
        ArticlePageFactory(
            parent=home,
            title="Inside the shelter",
            slug="inside-the-shelter",
            dek="What the night sounds like underground.",
            body=[
                *paragraph_blocks(["The first paragraph is free."]),
                {"type": "paywall", "value": None},
                *paragraph_blocks(["The rest is for members."]),
            ],
            visibility="paid",
            section=section,
            authors=[mira],
            ghost_id=_ghost_id(31),
            uuid=_uuid(31),
        )
        StandardPageFactory(
            parent=home,
            title="About",
            slug="about",
            intro="Who we are.",
            body=paragraph_blocks(["An independent newsroom."]),
            ghost_id=_ghost_id(40),
            uuid=_uuid(40),
        )
    return Integration.objects.create(name="Static site").content_key


def _check(name: str, answer: dict[str, Any]) -> None:
    stored = SNAPSHOTS / f"{name}.json"
    text = json.dumps(answer, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("MASTHEAD_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        stored.write_text(text, encoding="utf-8")
    assert stored.exists(), f"No snapshot {stored.name}; run with MASTHEAD_UPDATE_SNAPSHOTS=1."
    assert text == stored.read_text(encoding="utf-8")


ENDPOINTS = [
    ("posts", "posts/", {"include": "tags,authors"}),
    ("post_gated", "posts/slug/inside-the-shelter/", {"formats": "html,plaintext"}),
    ("pages", "pages/", {}),
    ("authors", "authors/", {"include": "count.posts"}),
    ("tags", "tags/", {"include": "count.posts"}),
    ("tiers", "tiers/", {"include": "monthly_price,yearly_price,benefits"}),
    ("newsletters", "newsletters/", {}),
    ("settings", "settings/", {}),
]


@pytest.mark.parametrize(("name", "path", "params"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_answers_match_their_snapshots(
    client: Client, newsroom: str, name: str, path: str, params: dict[str, str]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client.get("/ghost/api/content/" + path, {"key": newsroom, **params})
    assert response.status_code == 200, response.content
    _check(name, response.json())
