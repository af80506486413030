"""Whatever a reader or a bot sends to /search/ and /search/suggest/, the answer is no 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.membership.access import Visibility
from masthead.publishing.factories import ArticlePageFactory, TagFactory, paragraph_blocks

pytestmark = pytest.mark.django_db

SYNTAX = ['"', "'", "*", "-", "(", ")", "AND", "OR", "NOT", ":", "^", "~", "\\", "\x00", "%", "_"]
WORDS = ["dam", "river", "Київ", "café", "élection", "covid-19", "zanzibarquokka"]

queries = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=12).map("".join),
)
values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["war", "mira-valen", "2025-03-01", "0001-01-01", "9999-12-31", "1", "-1"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@pytest.fixture
def small_archive(home: Any) -> None:
    section = TagFactory(name="War", slug="war", section=True)
    ArticlePageFactory(parent=home, title="Dam shelled near the river", section=section)
    ArticlePageFactory(
        parent=home,
        title="Київ: the café élection",
        body=[
            *paragraph_blocks(["A public opening."]),
            {"type": "paywall", "value": None},
            *paragraph_blocks(["The zanzibarquokka is gated."]),
        ],
        visibility=Visibility.PAID,
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    q=queries,
    section=values,
    author=values,
    start=values,
    end=values,
    page=values,
    partial=st.sampled_from([None, "1", "x"]),
)
def test_search_never_answers_with_a_server_error(
    small_archive: None,
    q: str,
    section: str | None,
    author: str | None,
    start: str | None,
    end: str | None,
    page: str | None,
    partial: str | None,
) -> None:
    params = {
        name: value
        for name, value in {
            "q": q,
            "section": section,
            "author": author,
            "from": start,
            "to": end,
            "page": page,
            "partial": partial,
        }.items()
        if value is not None
    }
    client = Client()
    assert client.get("/search/", params).status_code < 500
    assert client.get("/search/suggest/", {"q": q}).status_code < 500
