"""The Admin API's users: masthead's authors in Ghost's staff user shape, with roles."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from masthead.contentapi.models import Integration
from masthead.publishing.factories import ArticlePageFactory, AuthorFactory
from masthead.staff.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = "/ghost/api/admin"

USER_KEYS = [
    "id",
    "name",
    "slug",
    "email",
    "profile_image",
    "cover_image",
    "bio",
    "website",
    "location",
    "facebook",
    "twitter",
    "threads",
    "bluesky",
    "mastodon",
    "tiktok",
    "youtube",
    "instagram",
    "linkedin",
    "accessibility",
    "status",
    "meta_title",
    "meta_description",
    "tour",
    "last_seen",
    "comment_notifications",
    "free_member_signup_notification",
    "paid_subscription_started_notification",
    "paid_subscription_canceled_notification",
    "mention_notifications",
    "recommendation_notifications",
    "milestone_notifications",
    "donation_notifications",
    "gift_subscription_notifications",
    "created_at",
    "updated_at",
]


@pytest.fixture
def api(db: None) -> Client:
    integration = Integration.objects.create(name="Directory")
    issued = int(time.time())
    token = jwt.encode(
        {"iat": issued, "exp": issued + 300, "aud": "/admin/"},
        bytes.fromhex(integration.admin_secret),
        algorithm="HS256",
        headers={"kid": integration.admin_key_id},
    )
    return Client(HTTP_AUTHORIZATION=f"Ghost {token}")


@pytest.fixture
def team(db: None) -> dict[str, Any]:
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    editors, _ = Group.objects.get_or_create(name="Editors")
    chief = UserFactory(username="chief", is_superuser=True, is_staff=True)
    desk = UserFactory(username="desk")
    desk.groups.add(moderators)
    writer = UserFactory(username="writer")
    writer.groups.add(editors)
    return {
        "chief": AuthorFactory(name="Ada Chief", slug="ada", user=chief, email=""),
        "desk": AuthorFactory(name="Bo Desk", slug="bo", user=desk, email="bo@example.com"),
        "writer": AuthorFactory(name="Cy Writer", slug="cy", user=writer),
        "byline": AuthorFactory(name="Di Guest", slug="di"),
    }


def test_users_are_listed_in_ghosts_shape_with_roles(api: Client, team: dict[str, Any]) -> None:
    response = api.get(f"{ROOT}/users/", {"include": "roles"})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [user["slug"] for user in answer["users"]] == ["ada", "bo", "cy", "di"]
    first = answer["users"][0]
    assert list(first) == [*USER_KEYS, "roles", "url"]
    roles = {user["slug"]: user["roles"][0]["name"] for user in answer["users"]}
    assert roles == {
        "ada": "Administrator",
        "bo": "Editor",
        "cy": "Contributor",
        "di": "Contributor",
    }
    assert list(first["roles"][0]) == ["id", "name", "description", "created_at", "updated_at"]
    assert len(first["roles"][0]["id"]) == 24
    # The byline's own email wins; else the staff account's.
    emails = {user["slug"]: user["email"] for user in answer["users"]}
    assert emails["ada"] == "chief@example.org"
    assert emails["bo"] == "bo@example.com"
    assert first["status"] == "active"
    assert answer["meta"]["pagination"]["total"] == 4


def test_without_include_there_are_no_roles(api: Client, team: dict[str, Any]) -> None:
    user = api.get(f"{ROOT}/users/").json()["users"][0]
    assert list(user) == [*USER_KEYS, "url"]


def test_users_are_read_by_id_slug_and_email(api: Client, team: dict[str, Any]) -> None:
    desk = team["desk"]
    by_id = api.get(f"{ROOT}/users/{desk.ghost_id}/").json()["users"][0]
    assert by_id["slug"] == "bo"
    assert api.get(f"{ROOT}/users/slug/bo/").json()["users"][0]["id"] == desk.ghost_id
    by_email = api.get(f"{ROOT}/users/email/BO@example.com/")
    assert by_email.json()["users"][0]["id"] == desk.ghost_id


@pytest.mark.parametrize("path", ["users/me/", f"users/{'0' * 24}/", "users/slug/nobody/"])
def test_unknown_users_and_me_are_404(api: Client, team: dict[str, Any], path: str) -> None:
    response = api.get(f"{ROOT}/{path}")
    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert (error["type"], error["message"]) == ("NotFoundError", "User not found.")


def test_users_need_a_token(client: Client, team: dict[str, Any]) -> None:
    assert client.get(f"{ROOT}/users/").status_code == 403


def test_users_are_filtered_counted_and_cut_to_fields(
    api: Client, team: dict[str, Any], home: Any
) -> None:
    ArticlePageFactory(parent=home, authors=[team["desk"]])
    answer = api.get(
        f"{ROOT}/users/",
        {"filter": "slug:[bo,cy]", "include": "count.posts", "fields": "slug,count,email"},
    ).json()
    assert answer["users"] == [
        {"slug": "bo", "email": "bo@example.com", "count": {"posts": 1}},
        {"slug": "cy", "email": "writer@example.org", "count": {"posts": 0}},
    ]


def test_users_and_tags_sort_by_their_post_counts(
    api: Client, team: dict[str, Any], home: Any
) -> None:
    ArticlePageFactory(parent=home, authors=[team["desk"]])
    answer = api.get(
        f"{ROOT}/users/", {"filter": "slug:[bo,cy]", "order": "count.posts desc", "fields": "slug"}
    ).json()
    assert [user["slug"] for user in answer["users"]] == ["bo", "cy"]
    answer = api.get(
        f"{ROOT}/users/", {"filter": "slug:[bo,cy]", "order": "count.posts asc", "fields": "slug"}
    ).json()
    assert [user["slug"] for user in answer["users"]] == ["cy", "bo"]


def test_a_bad_filter_is_a_400(api: Client, team: dict[str, Any]) -> None:
    response = api.get(f"{ROOT}/users/", {"filter": "slug:"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["type"] == "BadRequestError"


def test_users_cost_the_same_queries_for_few_or_many(api: Client, team: dict[str, Any]) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"{ROOT}/users/", {"include": "roles,count.posts"}).status_code == 200
        return len(captured)

    queries()
    few = queries()
    for n in range(5):
        staff = UserFactory(username=f"extra{n}")
        staff.groups.add(Group.objects.get(name="Editors"))
        AuthorFactory(user=staff)
    queries()  # new authors retire the memoized author directory: warm it again
    assert queries() == few
