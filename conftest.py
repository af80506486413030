"""Fixtures shared by every app's tests: the site, its home page, sections, authors."""

from __future__ import annotations

import os
import shutil

import pytest
from wagtail.models import Site


def pytest_report_header() -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    chromium = shutil.which("chromium") or "absent (browser tests skip)"
    return [f"masthead: database={db} cache={cache} chromium={chromium}"]


@pytest.fixture
def site(db: None) -> Site:
    """The default site, whose root is the home page the migrations install."""
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def home(site: Site):  # type: ignore[no-untyped-def]
    return site.root_page.specific


@pytest.fixture
def section(db: None):  # type: ignore[no-untyped-def]
    from masthead.publishing.factories import TagFactory

    return TagFactory(name="War", slug="war", section=True, accent_colour="#B42318")


@pytest.fixture
def author(db: None):  # type: ignore[no-untyped-def]
    from masthead.publishing.factories import AuthorFactory

    return AuthorFactory(name="Mira Valen", slug="mira-valen", job_title="War correspondent")


@pytest.fixture
def chromium_path() -> str:
    path = (
        os.environ.get("MASTHEAD_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium); browser tests need it"
        )
    return path
