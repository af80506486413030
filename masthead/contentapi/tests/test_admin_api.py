"""The Admin API through its endpoints, signed as Ghost's official client signs."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from masthead.contentapi import admin_views
from masthead.contentapi.models import Integration
from masthead.membership.factories import MemberFactory
from masthead.membership.models import Label
from masthead.newsletters import actions as newsletter_actions
from masthead.newsletters.models import Newsletter, NewsletterSend, Segment
from masthead.publishing.actions import save_article_from_api
from masthead.publishing.factories import AuthorFactory, TagFactory
from masthead.publishing.models import ArticlePage, Photo, Tag

pytestmark = pytest.mark.django_db

ROOT = "/ghost/api/admin"
# A real Ghost 6.65 export, for the HTML Ghost itself writes.
FIXTURE = Path(__file__).parent / "fixtures" / "ghost-6.65.0-export-sqlite.json"


def sign(integration: Integration, **claims: Any) -> str:
    """A token exactly as ``@tryghost/admin-api`` makes one."""
    issued = int(time.time())
    payload = {"iat": issued, "exp": issued + 300, "aud": "/admin/", **claims}
    return jwt.encode(
        payload,
        bytes.fromhex(integration.admin_secret),
        algorithm="HS256",
        headers={"kid": integration.admin_key_id},
    )


@pytest.fixture
def integration(db: None) -> Integration:
    return Integration.objects.create(name="Writer")


@pytest.fixture
def api(integration: Integration) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Ghost {sign(integration)}")


def send(client: Client, method: str, path: str, data: Any) -> Any:
    return getattr(client, method)(
        f"{ROOT}{path}", data=json.dumps(data), content_type="application/json"
    )


def error(response: Any) -> dict[str, Any]:
    return response.json()["errors"][0]


# --- Authentication ------------------------------------------------------------------------


def test_no_authorization_header_is_403(client: Client, home: Any) -> None:
    response = client.get(f"{ROOT}/posts/")
    assert response.status_code == 403
    assert error(response)["type"] == "NoPermissionError"


def test_a_bearer_token_is_401(client: Client, integration: Integration) -> None:
    response = client.get(f"{ROOT}/posts/", HTTP_AUTHORIZATION=f"Bearer {sign(integration)}")
    assert response.status_code == 401
    assert error(response)["code"] == "INVALID_AUTH_HEADER"


def test_a_malformed_token_is_400(client: Client) -> None:
    response = client.get(f"{ROOT}/posts/", HTTP_AUTHORIZATION="Ghost not-a-token")
    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_JWT"


def test_an_expired_token_is_401(client: Client, integration: Integration) -> None:
    old = int(time.time()) - 3600
    token = sign(integration, iat=old, exp=old + 300)
    response = client.get(f"{ROOT}/posts/", HTTP_AUTHORIZATION=f"Ghost {token}")
    assert response.status_code == 401
    assert error(response)["type"] == "UnauthorizedError"


def test_an_unknown_key_id_is_401(client: Client) -> None:
    token = jwt.encode(
        {"iat": int(time.time()), "exp": int(time.time()) + 300, "aud": "/admin/"},
        bytes(32),
        algorithm="HS256",
        headers={"kid": "0" * 24},
    )
    response = client.get(f"{ROOT}/posts/", HTTP_AUTHORIZATION=f"Ghost {token}")
    assert response.status_code == 401
    assert error(response)["code"] == "UNKNOWN_ADMIN_API_KEY"


def test_a_revoked_integration_is_401(client: Client, integration: Integration) -> None:
    token = sign(integration)
    integration.revoked_at = timezone.now()
    integration.save()
    response = client.get(f"{ROOT}/posts/", HTTP_AUTHORIZATION=f"Ghost {token}")
    assert response.status_code == 401


def test_the_site_answers_without_a_token(client: Client, site: Any) -> None:
    response = client.get(f"{ROOT}/site/")
    assert response.status_code == 200
    answer = response.json()["site"]
    assert list(answer) == [
        "title",
        "description",
        "logo",
        "icon",
        "accent_color",
        "locale",
        "url",
        "version",
    ]
    assert answer["version"] == "6.0"


# --- Posts -----------------------------------------------------------------------------------


def _fixture_post(slug: str) -> dict[str, Any]:
    with open(FIXTURE, encoding="utf-8") as export:
        posts = json.load(export)["db"][0]["data"]["posts"]
    return next(post for post in posts if post["slug"] == slug)


def test_a_post_created_from_ghost_html_keeps_its_words(api: Client, home: Any) -> None:
    ghost = _fixture_post("members-only-investigation")
    response = send(
        api,
        "post",
        "/posts/?source=html&formats=html",
        {"posts": [{"title": ghost["title"], "html": ghost["html"], "status": "published"}]},
    )
    assert response.status_code == 201, response.content
    post = response.json()["posts"][0]
    assert post["status"] == "published"
    assert "Free intro paragraph visible to all." in post["html"]
    assert "Paid part." in post["html"]
    article = ArticlePage.objects.get(ghost_id=post["id"])
    assert [block.block_type for block in article.body] == ["paragraph", "paywall", "paragraph"]


def test_a_post_is_read_by_id_and_slug_and_listed(api: Client, home: Any) -> None:
    created = send(api, "post", "/posts/", {"posts": [{"title": "Hello"}]}).json()["posts"][0]
    assert api.get(f"{ROOT}/posts/{created['id']}/").json()["posts"][0]["slug"] == "hello"
    assert api.get(f"{ROOT}/posts/slug/hello/").json()["posts"][0]["id"] == created["id"]
    listing = api.get(f"{ROOT}/posts/").json()
    assert [post["id"] for post in listing["posts"]] == [created["id"]]
    assert listing["meta"]["pagination"]["total"] == 1
    missing = api.get(f"{ROOT}/posts/{'0' * 24}/")
    assert missing.status_code == 404
    assert error(missing)["type"] == "NotFoundError"


def test_an_edit_with_the_updated_at_read_back_succeeds_and_a_stale_one_is_409(
    api: Client, home: Any
) -> None:
    created = send(api, "post", "/posts/", {"posts": [{"title": "One"}]}).json()["posts"][0]
    edited = send(
        api,
        "put",
        f"/posts/{created['id']}/",
        {"posts": [{"title": "Two", "updated_at": created["updated_at"]}]},
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["posts"][0]["title"] == "Two"
    again = send(
        api,
        "put",
        f"/posts/{created['id']}/",
        {"posts": [{"title": "Three", "updated_at": edited.json()["posts"][0]["updated_at"]}]},
    )
    assert again.status_code == 200
    stale = send(
        api,
        "put",
        f"/posts/{created['id']}/",
        {"posts": [{"title": "Four", "updated_at": created["updated_at"]}]},
    )
    assert stale.status_code == 409
    assert error(stale)["code"] == "UPDATE_COLLISION"
    assert ArticlePage.objects.get(ghost_id=created["id"]).title == "Three"


def test_two_edits_from_the_same_version_cannot_both_pass(api: Client, home: Any) -> None:
    created = send(api, "post", "/posts/", {"posts": [{"title": "One"}]}).json()["posts"][0]
    first = _edit(api, created, "", title="Mine")
    second = _edit(api, created, "", title="Theirs")
    assert first.status_code == 200, first.content
    assert second.status_code == 409, second.content
    assert ArticlePage.objects.get(ghost_id=created["id"]).title == "Mine"


def test_an_edit_landing_after_the_post_was_read_is_compared_with_it(
    api: Client, home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another edit saved between the endpoint's first read and its transaction is seen."""
    created = send(api, "post", "/posts/", {"posts": [{"title": "One"}]}).json()["posts"][0]
    find = admin_views._find_page

    def find_then_someone_edits(*args: Any, **kwargs: Any) -> Any:
        found = find(*args, **kwargs)
        time.sleep(0.002)
        save_article_from_api(
            article=ArticlePage.objects.get(pk=found.pk), values={"title": "Theirs"}
        )
        return found

    monkeypatch.setattr(admin_views, "_find_page", find_then_someone_edits)
    response = _edit(api, created, "", title="Mine")
    assert response.status_code == 409, response.content
    assert ArticlePage.objects.get(ghost_id=created["id"]).title == "Theirs"


def test_an_empty_updated_at_is_422(api: Client, home: Any) -> None:
    created = send(api, "post", "/posts/", {"posts": [{"title": "One"}]}).json()["posts"][0]
    response = send(
        api, "put", f"/posts/{created['id']}/", {"posts": [{"title": "Two", "updated_at": ""}]}
    )
    assert response.status_code == 422
    assert error(response)["property"] == "updated_at"
    assert ArticlePage.objects.get(ghost_id=created["id"]).title == "One"


def test_an_edit_without_updated_at_is_422(api: Client, home: Any) -> None:
    created = send(api, "post", "/posts/", {"posts": [{"title": "One"}]}).json()["posts"][0]
    response = send(api, "put", f"/posts/{created['id']}/", {"posts": [{"title": "Two"}]})
    assert response.status_code == 422
    assert error(response)["property"] == "updated_at"


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0999-12-31T23:59:59Z"]
)
def test_an_updated_at_out_of_range_is_422(api: Client, home: Any, moment: str) -> None:
    created = send(api, "post", "/posts/", {"posts": [{"title": "One"}]}).json()["posts"][0]
    response = send(
        api, "put", f"/posts/{created['id']}/", {"posts": [{"title": "Two", "updated_at": moment}]}
    )
    assert response.status_code == 422, response.content
    assert error(response)["property"] == "updated_at"
    assert ArticlePage.objects.get(ghost_id=created["id"]).title == "One"


@pytest.mark.parametrize(
    ("status", "moment"),
    [
        ("published", "0001-01-01T00:00:00+05:00"),
        ("scheduled", "9999-12-31T23:59:59-05:00"),
        ("draft", "0001-01-01T00:00:00+05:00"),
    ],
)
def test_a_published_at_out_of_range_is_422(
    api: Client, home: Any, status: str, moment: str
) -> None:
    response = send(
        api,
        "post",
        "/posts/",
        {"posts": [{"title": "Old", "status": status, "published_at": moment}]},
    )
    assert response.status_code == 422, response.content
    assert error(response)["property"] == "published_at"
    assert not ArticlePage.objects.exists()


def test_an_old_published_at_in_range_is_kept(api: Client, home: Any) -> None:
    response = send(
        api,
        "post",
        "/posts/",
        {
            "posts": [
                {"title": "Archive", "status": "published", "published_at": "1066-10-14T09:00:00Z"}
            ]
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["posts"][0]["published_at"].startswith("1066-10-14")


def test_a_post_is_deleted_with_an_empty_204(api: Client, home: Any) -> None:
    created = send(api, "post", "/posts/", {"posts": [{"title": "Gone"}]}).json()["posts"][0]
    response = api.delete(f"{ROOT}/posts/{created['id']}/")
    assert response.status_code == 204
    assert response.content == b""
    assert not ArticlePage.objects.filter(ghost_id=created["id"]).exists()


@pytest.mark.parametrize(
    ("body", "status", "prop"),
    [
        ({"posts": [{}]}, 422, "title"),
        ({"posts": []}, 422, "posts"),
        ({"posts": [{"title": 5}]}, 422, "title"),
        ({"posts": [{"title": "x", "featured": "yes"}]}, 422, "featured"),
        ({"posts": [{"title": "x", "status": "live"}]}, 422, "status"),
        ({"posts": [{"title": "x", "authors": ["ghost@example.com"]}]}, 422, "authors"),
        ({"posts": [{"title": "x", "tags": [{"slug": "nope"}]}]}, 422, "tags"),
        ({"posts": [{"title": "x", "authors": [{}]}]}, 422, "authors"),
        ({"posts": [{"title": "x", "feature_image": "https://cdn.example/a.jpg"}]}, 422, None),
        ({"posts": [{"title": "x", "published_at": "yesterday"}]}, 422, "published_at"),
    ],
)
def test_bad_posts_get_ghost_errors_naming_the_property(
    api: Client, home: Any, body: Any, status: int, prop: str | None
) -> None:
    response = send(api, "post", "/posts/", body)
    assert response.status_code == status, response.content
    if prop is not None:
        assert error(response)["property"] == prop


def test_a_body_that_is_not_json_or_not_an_object_is_refused(api: Client, home: Any) -> None:
    assert api.post(f"{ROOT}/posts/", data="x=1", content_type="text/plain").status_code == 415
    assert (
        api.post(f"{ROOT}/posts/", data="[1]", content_type="application/json").status_code == 400
    )


def test_tags_and_authors_by_name_and_email(api: Client, home: Any) -> None:
    writer = AuthorFactory(email="ana@example.com")
    TagFactory(name="War", slug="war", section=True)
    response = send(
        api,
        "post",
        "/posts/?include=tags,authors",
        {"posts": [{"title": "T", "tags": ["War", {"name": "#hold"}], "authors": [writer.email]}]},
    )
    assert response.status_code == 201, response.content
    post = response.json()["posts"][0]
    assert [tag["slug"] for tag in post["tags"]] == ["war", "hash-hold"]
    assert post["authors"][0]["id"] == writer.ghost_id


# --- Sending posts by email ------------------------------------------------------------------


@pytest.fixture
def daily(supporter: Any) -> Newsletter:
    """A newsletter with one free and one paying subscriber."""
    newsletter = Newsletter.objects.create(name="Daily", slug="daily")
    for member in (MemberFactory(), MemberFactory(paid_tier=supporter)):
        newsletter_actions.set_subscriptions(member=member, newsletters=[newsletter])
    return newsletter


@pytest.mark.parametrize(
    ("given", "segment"),
    [
        (None, Segment.ALL),
        ("all", Segment.ALL),
        ("status:free", Segment.FREE),
        ("status:-free", Segment.PAID),
        ("status:free,status:-free", Segment.ALL),
        ("status:-free, status:free", Segment.ALL),
    ],
)
def test_the_email_segments_ghost_sends_choose_the_segment(
    api: Client, home: Any, daily: Newsletter, given: str | None, segment: str
) -> None:
    query = "?newsletter=daily" + (f"&email_segment={given}" if given else "")
    response = send(
        api, "post", f"/posts/{query}", {"posts": [{"title": "News", "status": "published"}]}
    )
    assert response.status_code == 201, response.content
    [sent] = NewsletterSend.objects.all()
    assert (sent.newsletter, sent.segment) == (daily, segment)


@pytest.mark.parametrize(
    "given", ["label:vip", "status:comped", "status:free%2Blabel:vip", "status:free,label:vip"]
)
def test_an_email_segment_masthead_cannot_honour_is_422_not_everyone(
    api: Client, home: Any, daily: Newsletter, given: str
) -> None:
    response = send(
        api,
        "post",
        f"/posts/?newsletter=daily&email_segment={given}",
        {"posts": [{"title": "News", "status": "published"}]},
    )
    assert response.status_code == 422, response.content
    assert error(response)["property"] == "email_segment"
    assert "status:-free" in error(response)["help"]
    assert not NewsletterSend.objects.exists()
    assert not ArticlePage.objects.exists()


def _edit(api: Client, post: dict[str, Any], query: str, **changes: Any) -> Any:
    return send(
        api,
        "put",
        f"/posts/{post['id']}/{query}",
        {"posts": [{"updated_at": post["updated_at"], **changes}]},
    )


def test_the_newsletter_of_an_edit_to_a_sent_post_is_ignored_and_the_edit_kept(
    api: Client, home: Any, daily: Newsletter
) -> None:
    created = send(
        api,
        "post",
        "/posts/?newsletter=daily",
        {"posts": [{"title": "Sent", "status": "published"}]},
    ).json()["posts"][0]
    assert NewsletterSend.objects.count() == 1
    for status in ({"status": "published"}, {}):
        edited = _edit(api, created, "?newsletter=daily", title="Sent, typo fixed", **status)
        assert edited.status_code == 200, edited.content
        created = edited.json()["posts"][0]
    assert created["title"] == "Sent, typo fixed"
    assert NewsletterSend.objects.count() == 1


def test_a_draft_is_sent_when_it_becomes_published_and_not_on_later_edits(
    api: Client, home: Any, daily: Newsletter
) -> None:
    draft = send(api, "post", "/posts/?newsletter=daily", {"posts": [{"title": "D"}]})
    assert draft.status_code == 201
    assert not NewsletterSend.objects.exists()
    published = _edit(api, draft.json()["posts"][0], "?newsletter=daily", status="published")
    assert published.status_code == 200, published.content
    assert NewsletterSend.objects.get().newsletter == daily


def test_a_scheduled_post_handed_to_a_newsletter_is_not_sent_twice_when_published(
    api: Client, home: Any, daily: Newsletter
) -> None:
    later = (timezone.now() + timedelta(days=1)).isoformat()
    scheduled = send(
        api,
        "post",
        "/posts/?newsletter=daily",
        {"posts": [{"title": "S", "status": "scheduled", "published_at": later}]},
    )
    assert scheduled.status_code == 201, scheduled.content
    assert NewsletterSend.objects.get().status == NewsletterSend.Status.WAITING
    published = _edit(api, scheduled.json()["posts"][0], "?newsletter=daily", status="published")
    assert published.status_code == 200, published.content
    assert NewsletterSend.objects.count() == 1


# --- Pages -----------------------------------------------------------------------------------


def test_a_page_from_ghost_html(api: Client, home: Any) -> None:
    ghost = _fixture_post("about")
    response = send(
        api,
        "post",
        "/pages/?source=html&formats=html",
        {"pages": [{"title": ghost["title"], "html": ghost["html"], "status": "published"}]},
    )
    assert response.status_code == 201, response.content
    page = response.json()["pages"][0]
    assert "Access all areas" in page["html"]
    assert "Join a community of other subscribers" in page["html"]


# --- Tags ------------------------------------------------------------------------------------


def test_tags_are_added_edited_read_and_deleted(api: Client, db: None) -> None:
    added = send(api, "post", "/tags/", {"tags": [{"name": "#Legal hold"}]})
    assert added.status_code == 201
    tag = added.json()["tags"][0]
    assert (tag["slug"], tag["visibility"]) == ("hash-legal-hold", "internal")
    edited = send(api, "put", f"/tags/{tag['id']}/", {"tags": [{"description": "Kept back."}]})
    assert edited.json()["tags"][0]["description"] == "Kept back."
    assert api.get(f"{ROOT}/tags/slug/hash-legal-hold/").status_code == 200
    assert api.delete(f"{ROOT}/tags/{tag['id']}/").status_code == 204
    assert not Tag.objects.exists()
    assert send(api, "post", "/tags/", {"tags": [{}]}).status_code == 422


# --- Members ---------------------------------------------------------------------------------


def test_members_are_added_and_edited_and_duplicates_refused(api: Client, db: None) -> None:
    added = send(
        api,
        "post",
        "/members/",
        {"members": [{"email": "Reader@Example.com", "name": "Rea", "labels": ["VIP"]}]},
    )
    assert added.status_code == 201, added.content
    member = added.json()["members"][0]
    assert member["email"] == "reader@example.com"
    assert [label["name"] for label in member["labels"]] == ["VIP"]
    assert list(member)[:6] == ["id", "uuid", "email", "name", "note", "geolocation"]
    duplicate = send(api, "post", "/members/", {"members": [{"email": "reader@example.com"}]})
    assert duplicate.status_code == 422
    assert error(duplicate)["message"] == (
        "Member already exists. Attempting to add member with existing email address"
    )
    edited = send(
        api, "put", f"/members/{member['id']}/", {"members": [{"name": "Reader", "labels": []}]}
    )
    assert edited.status_code == 200
    assert edited.json()["members"][0]["name"] == "Reader"
    assert edited.json()["members"][0]["labels"] == []
    assert api.get(f"{ROOT}/members/").json()["meta"]["pagination"]["total"] == 1
    assert api.delete(f"{ROOT}/members/{member['id']}/").status_code == 204


def test_a_label_named_by_its_slug_or_a_name_making_its_slug_is_the_existing_label(
    api: Client, db: None
) -> None:
    existing = Label.objects.create(name="Foo Bar")
    added = send(
        api, "post", "/members/", {"members": [{"email": "new@example.com", "labels": ["foo-bar"]}]}
    )
    assert added.status_code == 201, added.content
    member = added.json()["members"][0]
    assert [label["id"] for label in member["labels"]] == [existing.ghost_id]
    edited = send(
        api,
        "put",
        f"/members/{member['id']}/",
        {"members": [{"labels": ["foo bar!", {"name": "Fresh"}, {"slug": "foo-bar"}]}]},
    )
    assert edited.status_code == 200, edited.content
    assert [label["name"] for label in edited.json()["members"][0]["labels"]] == [
        "Foo Bar",
        "Fresh",
    ]
    assert Label.objects.count() == 2


def test_a_member_with_a_bad_email_is_422(api: Client, db: None) -> None:
    response = send(api, "post", "/members/", {"members": [{"email": "not an email"}]})
    assert response.status_code == 422
    assert error(response)["property"] == "email"


def test_a_member_is_comped_and_subscribed(api: Client, supporter: Any) -> None:
    newsletter = Newsletter.objects.order_by("pk").first() or Newsletter.objects.create(
        name="Daily", slug="daily"
    )
    added = send(
        api,
        "post",
        "/members/",
        {
            "members": [
                {
                    "email": "c@example.com",
                    "comped": True,
                    "newsletters": [{"id": newsletter.ghost_id}],
                }
            ]
        },
    )
    assert added.status_code == 201, added.content
    member = added.json()["members"][0]
    assert member["comped"] is True and member["status"] == "comped"


# --- Newsletters -----------------------------------------------------------------------------


def test_newsletters_are_added_and_edited(api: Client, db: None) -> None:
    added = send(api, "post", "/newsletters/", {"newsletters": [{"name": "Weekly"}]})
    assert added.status_code == 201, added.content
    created = added.json()["newsletters"][0]
    edited = send(
        api,
        "put",
        f"/newsletters/{created['id']}/",
        {"newsletters": [{"description": "Every Friday.", "visibility": "paid"}]},
    )
    assert edited.status_code == 200
    assert edited.json()["newsletters"][0]["description"] == "Every Friday."
    bad = send(
        api, "put", f"/newsletters/{created['id']}/", {"newsletters": [{"visibility": "all"}]}
    )
    assert bad.status_code == 422


# --- Images ----------------------------------------------------------------------------------


def _png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(data, "PNG")
    data.seek(0)
    data.name = "red.png"
    return data


def test_an_uploaded_image_is_a_photo_usable_as_feature_image(
    api: Client, home: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    response = api.post(f"{ROOT}/images/upload/", {"file": _png(), "ref": "red.png"})
    assert response.status_code == 201, response.content
    image = response.json()["images"][0]
    assert image["ref"] == "red.png"
    assert image["url"].startswith(settings.MASTHEAD_SITE_URL)
    assert Photo.objects.count() == 1
    post = send(
        api, "post", "/posts/", {"posts": [{"title": "Pic", "feature_image": image["url"]}]}
    )
    assert post.status_code == 201, post.content
    assert ArticlePage.objects.get().lead_image == Photo.objects.get()


def test_upload_errors(api: Client, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    text = io.BytesIO(b"hello")
    text.name = "notes.txt"
    assert api.post(f"{ROOT}/images/upload/", {"file": text}).status_code == 415
    # A PNG signature followed by nothing an image library can read.
    forged = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    forged.name = "a.png"
    response = api.post(f"{ROOT}/images/upload/", {"file": forged})
    assert response.status_code == 415
    assert "cannot be read" in response.json()["errors"][0]["context"]
    assert api.post(f"{ROOT}/images/upload/", {"purpose": "image"}).status_code == 422
    assert (
        api.post(f"{ROOT}/images/upload/", data="{}", content_type="application/json").status_code
        == 415
    )
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10
    assert api.post(f"{ROOT}/images/upload/", {"file": _png()}).status_code == 413
