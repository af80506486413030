"""Rows a new site needs come from migrations: a newsletter, and who may send."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from masthead.newsletters.models import Newsletter


def codenames(group: str) -> set[str]:
    return set(
        Group.objects.get(name=group)
        .permissions.filter(content_type__app_label="newsletters")
        .values_list("codename", flat=True)
    )


@pytest.mark.django_db
def test_editors_send_and_moderators_also_manage_lists_and_suppressions() -> None:
    assert codenames("Editors") == {
        "add_newslettersend",
        "change_newslettersend",
        "view_newslettersend",
    }
    assert codenames("Moderators") >= codenames("Editors") | {
        "add_newsletter",
        "change_newsletter",
        "add_suppression",
        "delete_suppression",
    }


@pytest.mark.django_db
def test_a_new_site_has_one_newsletter_new_members_join() -> None:
    (newsletter,) = Newsletter.objects.all()
    assert newsletter.slug == "default-newsletter" and newsletter.subscribe_on_signup
