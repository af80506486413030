"""Fixtures shared by every app's tests: the site, its home page, sections, authors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


# --- Browser tests: Debian's chromium driven by Playwright, checked with axe-core ------

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def browser(chromium_path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls
    # that the live server makes happen in other threads, so this is safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(
            "axe-core is not installed: run `npm ci` (make test does) to check accessibility"
        )
    return AXE.read_text()


@pytest.fixture
def axe_violations(axe_source: str) -> Callable[[Any], list[dict[str, Any]]]:
    """Run axe-core's WCAG 2.2 AA rules on a Playwright page; return what fails."""

    def check(page: Any) -> list[dict[str, Any]]:
        page.add_script_tag(content=axe_source)
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            WCAG_TAGS,
        )
        assert result["passes"], "axe ran no checks"
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
        ]

    return check
