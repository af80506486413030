"""MASTHEAD_SEARCH_BACKEND picks Wagtail's search backend, or says what is wrong."""

from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured

from masthead.settings.base import _SEARCH_BACKENDS, search_backend_settings


def test_the_database_backend_is_the_default() -> None:
    from django.conf import settings

    assert settings.MASTHEAD_SEARCH_BACKEND == "database"
    assert settings.WAGTAILSEARCH_BACKENDS == {
        "default": {"BACKEND": "wagtail.search.backends.database"}
    }


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("opensearch", "wagtail.search.backends.opensearch2"),
        ("elasticsearch", "wagtail.search.backends.elasticsearch8"),
    ],
)
def test_search_servers_get_their_address_and_an_index_prefix(name: str, module: str) -> None:
    made = search_backend_settings(name, url="https://search.internal:9200")
    assert made == {
        "default": {
            "BACKEND": module,
            "URLS": ["https://search.internal:9200"],
            "INDEX_PREFIX": "masthead_",
        }
    }
    shared = search_backend_settings(name, url="https://search.internal:9200", prefix="daily")
    assert shared["default"]["INDEX_PREFIX"] == "daily_"


def test_every_named_backend_is_one_wagtail_provides() -> None:
    for module in _SEARCH_BACKENDS.values():
        assert importlib.util.find_spec(module) is not None, module


@pytest.mark.parametrize(
    ("name", "url", "message"),
    [
        ("solr", "", "MASTHEAD_SEARCH_BACKEND='solr' is not a search backend"),
        ("opensearch", "", "needs MASTHEAD_SEARCH_URL"),
        ("elasticsearch", "", "needs MASTHEAD_SEARCH_URL"),
    ],
)
def test_a_wrong_setting_stops_masthead_with_a_clear_message(
    name: str, url: str, message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        search_backend_settings(name, url=url)


def test_the_settings_module_refuses_an_unknown_backend_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import masthead.settings.base as base

    monkeypatch.setenv("MASTHEAD_SEARCH_BACKEND", "Whoosh")
    try:
        with pytest.raises(ImproperlyConfigured, match="'whoosh' is not a search backend"):
            importlib.reload(base)
    finally:
        monkeypatch.delenv("MASTHEAD_SEARCH_BACKEND")
        importlib.reload(base)
