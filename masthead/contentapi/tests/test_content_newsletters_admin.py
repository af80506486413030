"""The Admin API's whole newsletter object, the member subset, and ``sender_reply_to``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from masthead.contentapi.serializers import (
    Context,
    sender_reply_to,
    serialize_member_newsletters,
    serialize_newsletters,
)
from masthead.membership.access import ANONYMOUS, STAFF
from masthead.newsletters.models import Newsletter
from masthead.publishing.factories import PhotoFactory

pytestmark = pytest.mark.django_db

# The keys of a newsletter in a Ghost 6 export, in its order.
ADMIN_KEYS = [
    "id",
    "uuid",
    "name",
    "description",
    "feedback_enabled",
    "slug",
    "sender_name",
    "sender_email",
    "sender_reply_to",
    "status",
    "visibility",
    "subscribe_on_signup",
    "sort_order",
    "header_image",
    "show_header_icon",
    "show_header_title",
    "show_excerpt",
    "title_font_category",
    "title_alignment",
    "show_feature_image",
    "body_font_category",
    "footer_content",
    "show_badge",
    "show_header_name",
    "show_post_title_section",
    "show_comment_cta",
    "show_subscription_details",
    "show_latest_posts",
    "show_share_button",
    "background_color",
    "post_title_color",
    "created_at",
    "updated_at",
    "button_corners",
    "button_style",
    "title_font_weight",
    "link_style",
    "image_corners",
    "header_background_color",
    "section_title_color",
    "divider_color",
    "button_color",
    "link_color",
]


def _newsletter(**values: Any) -> Newsletter:
    defaults: dict[str, Any] = {"name": "The Weekly", "slug": "the-weekly"}
    return Newsletter.objects.create(**(defaults | values))


def _admin(newsletter: Newsletter, **ctx: Any) -> dict[str, Any]:
    [obj] = serialize_newsletters([newsletter], Context(api="admin", reader=STAFF, **ctx))
    return obj


def test_the_admin_object_has_ghosts_keys_in_the_order_of_a_ghost_export() -> None:
    obj = _admin(_newsletter())
    assert list(obj) == ADMIN_KEYS


def test_the_admin_object_shows_what_masthead_stores() -> None:
    photo = PhotoFactory()
    newsletter = _newsletter(
        description="Every Friday.",
        sender_name="The Desk",
        sender_email="desk@example.org",
        visibility=Newsletter.Visibility.PAID,
        subscribe_on_signup=False,
        status=Newsletter.Status.ARCHIVED,
        sort_order=3,
        header_image=photo,
        show_feature_image=False,
        show_excerpt=True,
        footer="Kyiv Desk, 1 Main Street\nKyiv",
    )
    obj = _admin(newsletter)
    assert obj["id"] == newsletter.ghost_id
    assert obj["uuid"] == str(newsletter.uuid)
    assert obj["description"] == "Every Friday."
    assert obj["sender_name"] == "The Desk"
    assert obj["sender_email"] == "desk@example.org"
    assert obj["sender_reply_to"] == "newsletter"
    assert obj["status"] == "archived"
    assert obj["visibility"] == "paid"
    assert obj["subscribe_on_signup"] is False
    assert obj["sort_order"] == 3
    assert obj["header_image"].startswith("http")
    assert ".width-1200." in obj["header_image"]
    assert obj["show_feature_image"] is False
    assert obj["show_excerpt"] is True
    assert obj["footer_content"] == "<p>Kyiv Desk, 1 Main Street<br>Kyiv</p>"
    assert obj["created_at"].endswith("Z")


def test_what_masthead_does_not_store_takes_ghosts_defaults() -> None:
    obj = _admin(_newsletter(footer="  "))
    assert obj["description"] is None
    assert obj["sender_name"] is None
    assert obj["sender_email"] is None
    assert obj["header_image"] is None
    assert obj["footer_content"] is None
    assert obj["title_font_category"] == "sans_serif"
    assert obj["background_color"] == "light"
    assert obj["show_header_icon"] is True
    assert obj["feedback_enabled"] is False


def test_footer_text_is_escaped_as_html() -> None:
    obj = _admin(_newsletter(footer="<script>alert(1)</script>"))
    assert obj["footer_content"] == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


@override_settings(DEFAULT_FROM_EMAIL="support@example.org")
@pytest.mark.parametrize(
    ("sender", "reply_to", "expected"),
    [
        ("", "", "newsletter"),
        ("desk@example.org", "", "newsletter"),
        ("desk@example.org", "Desk@Example.org", "newsletter"),
        ("desk@example.org", "support@example.org", "support"),
        ("desk@example.org", "letters@example.org", "letters@example.org"),
    ],
)
def test_sender_reply_to_maps_the_stored_reply_address(
    sender: str, reply_to: str, expected: str
) -> None:
    newsletter = _newsletter(sender_email=sender, reply_to=reply_to)
    assert sender_reply_to(newsletter) == expected
    assert _admin(newsletter)["sender_reply_to"] == expected


def test_the_content_api_keeps_the_public_subset() -> None:
    newsletter = _newsletter(sender_name="The Desk", reply_to="letters@example.org")
    [obj] = serialize_newsletters([newsletter], Context(api="content", reader=ANONYMOUS))
    assert "sender_reply_to" not in obj
    assert "sender_name" not in obj
    assert "status" not in obj
    assert list(obj)[:3] == ["id", "uuid", "name"]


def test_fields_cut_the_admin_object_too() -> None:
    obj = _admin(_newsletter(), fields=("slug", "sender_reply_to"))
    assert obj == {"slug": "the-weekly", "sender_reply_to": "newsletter"}


def test_members_show_four_keys_of_each_newsletter() -> None:
    newsletter = _newsletter(description="")
    ctx = Context(api="admin", reader=STAFF)
    assert serialize_member_newsletters([newsletter], ctx) == [
        {"id": newsletter.ghost_id, "name": "The Weekly", "description": None, "status": "active"}
    ]


def test_header_images_of_a_page_of_newsletters_cost_one_rendition_query(
    django_assert_max_num_queries: Any,
) -> None:
    newsletters = [
        _newsletter(name=f"Letter {n}", slug=f"letter-{n}", header_image=PhotoFactory())
        for n in range(3)
    ]
    # A first answer makes the renditions; later ones only read them.
    serialize_newsletters(newsletters, Context(api="admin", reader=STAFF))
    loaded = list(Newsletter.objects.select_related("header_image").filter(slug__startswith="l"))
    with django_assert_max_num_queries(1):
        answer = serialize_newsletters(loaded, Context(api="admin", reader=STAFF))
    assert len({obj["header_image"] for obj in answer}) == 3
