"""Golden answers: each Admin API endpoint's JSON compared whole, key order included.

The newsroom is the Content API snapshots' one (``test_content_snapshots``) plus what only
the Admin API shows: a draft saved in the editor over a live article, a member, staff
accounts behind the bylines. The stored answers live in ``snapshots/admin/``; after a
deliberate change of shape, rewrite them with ``MASTHEAD_UPDATE_SNAPSHOTS=1`` and review
the diff like code.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client

from masthead.contentapi.models import Integration, Webhook
from masthead.contentapi.tests.test_content_snapshots import NOW, _ghost_id, _uuid, newsroom
from masthead.membership.factories import MemberFactory
from masthead.membership.models import Member
from masthead.publishing.models import ArticlePage, Author
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(__file__).parent / "snapshots" / "admin"

__all__ = ["newsroom"]  # the fixture, used by name


@pytest.fixture
def admin_newsroom(newsroom: str, settings: Any) -> Integration:
    """The Content API snapshots' newsroom, with the rows only the Admin API shows."""
    # Members' unsubscribe links are signed with the secret key, which each checkout makes
    # for itself; the snapshots need one that is the same everywhere.
    settings.SECRET_KEY = "masthead-admin-api-snapshots"
    with time_machine.travel(NOW, tick=False):
        bridge = ArticlePage.objects.get(slug="the-bridge-at-dawn")
        draft = bridge.get_latest_revision_as_object()
        draft.title = "The bridge at dawn, rebuilt"
        draft.save_revision()
        member = MemberFactory(name="Olena Koval", email="olena@example.com")
        Member.objects.filter(pk=member.pk).update(
            ghost_id=_ghost_id(50), uuid=_uuid(50), created_at=NOW, updated_at=NOW
        )
        moderators, _ = Group.objects.get_or_create(name="Moderators")
        staff = UserFactory(username="mira", email="mira@example.org", is_superuser=False)
        staff.groups.add(moderators)
        Author.objects.filter(slug="mira-valen").update(user=staff, created_at=NOW, updated_at=NOW)
        integration = Integration.objects.create(name="Sync")
        Integration.objects.filter(pk=integration.pk).update(ghost_id=_ghost_id(60))
    integration.refresh_from_db()
    return integration


def _client(integration: Integration) -> Client:
    issued = int(time.time())
    token = jwt.encode(
        {"iat": issued, "exp": issued + 300, "aud": "/admin/"},
        bytes.fromhex(integration.admin_secret),
        algorithm="HS256",
        headers={"kid": integration.admin_key_id},
    )
    return Client(HTTP_AUTHORIZATION=f"Ghost {token}")


def _check(name: str, answer: dict[str, Any]) -> None:
    stored = SNAPSHOTS / f"{name}.json"
    text = json.dumps(answer, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("MASTHEAD_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        stored.write_text(text, encoding="utf-8")
    assert stored.exists(), f"No snapshot {stored.name}; run with MASTHEAD_UPDATE_SNAPSHOTS=1."
    assert text == stored.read_text(encoding="utf-8")


READS = [
    ("posts", "posts/", {"include": "tags,authors", "formats": "html,lexical"}),
    ("post", f"posts/{_ghost_id(31)}/", {"formats": "html,plaintext"}),
    ("page", f"pages/{_ghost_id(40)}/", {"formats": "html"}),
    ("tags", "tags/", {"include": "count.posts"}),
    ("members", "members/", {}),
    ("member", f"members/{_ghost_id(50)}/", {}),
    ("newsletters", "newsletters/", {}),
    ("site", "site/", {}),
    ("users", "users/", {"include": "roles,count.posts"}),
]


@pytest.mark.parametrize(("name", "path", "params"), READS, ids=[r[0] for r in READS])
def test_answers_match_their_snapshots(
    admin_newsroom: Integration, name: str, path: str, params: dict[str, str]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = _client(admin_newsroom).get("/ghost/api/admin/" + path, params)
    assert response.status_code == 200, response.content
    _check(name, response.json())


def test_webhook_add_matches_its_snapshot(
    admin_newsroom: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    field = Webhook._meta.get_field("ghost_id")
    monkeypatch.setattr(field, "_get_default", lambda: _ghost_id(70))
    body = {
        "webhooks": [
            {
                "event": "post.published",
                "target_url": "https://hooks.example.com/ghost",
                "name": "Rebuild the static site",
                "secret": "s3cret",
            }
        ]
    }
    with time_machine.travel(NOW, tick=False):
        response = _client(admin_newsroom).post(
            "/ghost/api/admin/webhooks/", data=json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 201, response.content
    _check("webhook_add", response.json())
