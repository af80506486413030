"""Live coverage under odd input and bad timing: each test holds a fixed fault to its fix."""

from __future__ import annotations

from typing import Any

import pytest

from masthead.publishing import actions
from masthead.publishing.factories import LivePageFactory, paragraph_blocks
from masthead.publishing.models import LivePage, LiveUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(home: Any) -> LivePage:
    live: LivePage = LivePageFactory(parent=home, slug="election-night", title="Election night")
    return live


def post(page: LivePage, text: str, **kwargs: Any) -> LiveUpdate:
    return actions.post_live_update(page=page, body=paragraph_blocks([text]), **kwargs)


# --- The live page ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["%C2%B2", "%D9%A3", "1%C2%B2", "+1", " 1x"])
@pytest.mark.parametrize("partial", ["", "&partial=1"])
def test_a_permalink_that_is_not_an_ascii_number_opens_the_latest_updates(
    client: Any, page: LivePage, value: str, partial: str
) -> None:
    # "²" passes str.isdigit() but not int(): the page answered 500.
    update = post(page, "Polls close in the capital.")

    response = client.get(f"/election-night/?update={value}{partial}")

    assert response.status_code == 200
    assert f'id="update-{update.pk}"' in response.content.decode()
