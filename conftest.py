"""Fixtures shared by every app's tests: the site, its home page, sections, authors."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.http import HttpResponse
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
        # Connections the test opened while Playwright's loop ran are kept apart from the
        # thread's others (asgiref's Local): closed here, or they outlive the test and
        # PostgreSQL cannot drop the test database at the end of the run.
        from django.db import connections

        connections.close_all()


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


# --- Email and members ---------------------------------------------------------------


@dataclass
class Inbox:
    """What the test's SMTP server received, parsed as real email messages."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def last_to(self, address: str) -> EmailMessage:
        for message in reversed(self.messages):
            if address in str(message["To"]):
                return message
        raise AssertionError(f"no email to {address}; got {[m['To'] for m in self.messages]}")

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link_for(self, address: str) -> str:
        match = re.search(r"https?://\S+/members/\?token=[\w-]+", self.text(self.last_to(address)))
        assert match, "the email has no magic link"
        return match.group(0)

    def code_for(self, address: str) -> str:
        match = re.search(r"code instead: (\d{6})", self.text(self.last_to(address)))
        assert match, "the email has no 6-digit code"
        return match.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on localhost; Django's SMTP backend sends to it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _isolated_cache(settings: Any) -> None:
    """Each test starts with an empty cache of its own (rate limits, counters).

    With Redis, parallel test processes share one server: a key prefix per test keeps
    them apart, where clearing the cache would empty it under the other processes.
    """
    from django.core.cache import cache

    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                **settings.CACHES["default"],
                "KEY_PREFIX": f"masthead-test-{uuid.uuid4().hex}",
            },
        }
    else:
        cache.clear()
    # Renditions are cached per process (local memory) by photo id; a later test's photo
    # with a reused id would otherwise get a rendition that is not in its database.
    from django.core.cache import caches

    caches["renditions"].clear()
    # Pages cached by this process for an earlier test must not answer this one.
    from masthead.membership import variants
    from masthead.publishing import pagecache

    pagecache.reset()
    variants.reset()


@pytest.fixture
def clock_driven_cache(settings: Any) -> None:
    """A local-memory cache, whose expiry follows time-machine's clock.

    Redis expires keys on its own clock, which a test cannot move; tests that travel in
    time past a cache timeout use this instead.
    """
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"clock-{uuid.uuid4().hex}",
        },
    }


@pytest.fixture
def page_cache_off(settings: Any) -> None:
    """Every request renders: for tests that count what a render costs.

    With the page cache on, a repeated request is answered from it with no query at all,
    and comparing two such counts would compare nothing (the guard below fails it).
    """
    settings.MASTHEAD_PAGE_CACHE = False


def _renders_counted(assert_queries: Callable[..., Any]) -> Callable[..., Any]:
    """A query-count assertion that fails when the page cache answered inside it.

    A budget names what a render may cost; a cached answer costs nothing, so it meets any
    budget and equals any other cached answer's count. Tests of the cache's own cost count
    with ``CaptureQueriesContext``.
    """

    @contextmanager
    def counted(num: int, *args: Any, **kwargs: Any) -> Iterator[Any]:
        from masthead.publishing import pagecache

        hits: list[Any] = []
        original = pagecache._response_from_hit

        def noted(hit: Any) -> HttpResponse:
            hits.append(hit)
            return original(hit)

        pagecache._response_from_hit = noted  # type: ignore[assignment]
        try:
            with assert_queries(num, *args, **kwargs) as context:
                yield context
        finally:
            pagecache._response_from_hit = original  # type: ignore[assignment]
        if hits:
            pytest.fail(
                f"The page cache answered {len(hits)} request(s) counted against a budget of "
                f"{num} queries: count a render with the page_cache_off fixture."
            )

    return counted


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries: Any) -> Callable[..., Any]:
    return _renders_counted(django_assert_num_queries)


@pytest.fixture
def django_assert_max_num_queries(django_assert_max_num_queries: Any) -> Callable[..., Any]:
    return _renders_counted(django_assert_max_num_queries)


@pytest.fixture
def member_client() -> Callable[[Any], Any]:
    """A test client signed in as the given member, through the real member cookie."""
    from django.conf import settings
    from django.test import Client

    from masthead.membership import auth

    def make(member: Any) -> Client:
        client = Client()
        response = HttpResponse()
        auth.issue_member_cookie(response, member)
        cookie = response.cookies[settings.MASTHEAD_MEMBER_COOKIE]
        client.cookies[settings.MASTHEAD_MEMBER_COOKIE] = cookie.value
        return client

    return make


@pytest.fixture
def free_tier(db: None) -> Any:
    from masthead.membership.models import Tier

    return Tier.objects.get(kind=Tier.Kind.FREE)


@pytest.fixture
def supporter(db: None) -> Any:
    from masthead.membership.models import Tier

    return Tier.objects.create(
        name="Supporter", slug="supporter", monthly_price=500, yearly_price=5000, currency="EUR"
    )


@pytest.fixture
def patron(db: None) -> Any:
    from masthead.membership.models import Tier

    return Tier.objects.create(
        name="Patron", slug="patron", monthly_price=1500, yearly_price=15000, currency="EUR"
    )


@pytest.fixture
def free_member(db: None) -> Any:
    from masthead.membership import actions

    return actions.create_member(email="free@example.org", name="Fay Free")


@pytest.fixture
def make_member(db: None) -> Any:
    from masthead.membership import actions

    def make(email: str, *, comp: Any = None) -> Any:
        member = actions.create_member(email=email)
        if comp is not None:
            actions.comp_member(member=member, tier=comp)
        return member

    return make
