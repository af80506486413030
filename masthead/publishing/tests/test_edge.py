"""The edge: keys in response headers, and purges of a CDN or cache server from the task queue.

A local HTTP server stands in for Fastly's and Cloudflare's APIs and for a Varnish/nginx
cache taking ``PURGE``; the production backends talk to it over real HTTP, and it answers
as those services do, rate limits and errors included. The nginx test runs the recipe
from the docs in front of a live server.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_tasks import default_task_backend

from masthead.publishing import edge
from masthead.settings.base import edge_cache_settings

FASTLY_KEY = "fastly-token-7c1d"
FASTLY_SERVICE = "SU1Z0isxPaozGVKXdv0eY"
CLOUDFLARE_TOKEN = "cf-token-Yd3k"
CLOUDFLARE_ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
SITE = "https://news.example.org"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class EdgeStandIn:
    """A local server answering like Fastly's and Cloudflare's purge APIs and a PURGE cache."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        #: Answers given before the usual ones: (status, headers, body), first in first out.
        self.script: deque[tuple[int, dict[str, str], bytes]] = deque()
        #: Paths a PURGE finds nothing cached at (answered 404, as ngx_cache_purge does).
        self.not_cached: set[str] = set()
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"standin": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> EdgeStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, got: Received) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(got)
            if self.script:
                return self.script.popleft()
        if got.method == "PURGE":
            if got.path in self.not_cached:
                return 404, {}, b"Not cached"
            return 200, {}, b"Purged"
        if got.path.startswith("/client/v4/zones/"):
            return self.cloudflare(got)
        return self.fastly(got)

    def cloudflare(self, got: Received) -> tuple[int, dict[str, str], bytes]:
        def answer(status: int, errors: list[dict[str, Any]]) -> tuple[int, dict[str, str], bytes]:
            body = {"success": not errors, "errors": errors, "messages": [], "result": None}
            if not errors:
                body["result"] = {"id": CLOUDFLARE_ZONE}
            return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

        if got.headers.get("Authorization") != f"Bearer {CLOUDFLARE_TOKEN}":
            return answer(403, [{"code": 10000, "message": "Authentication error"}])
        if got.path != f"/client/v4/zones/{CLOUDFLARE_ZONE}/purge_cache":
            return answer(404, [{"code": 7003, "message": "Could not route to /zones"}])
        items = got.json()
        if len(items) != 1 or len(next(iter(items.values()))) > 100:
            return answer(400, [{"code": 1134, "message": "Request must contain one type"}])
        return answer(200, [])

    def fastly(self, got: Received) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json"}
        if got.headers.get("Fastly-Key") != FASTLY_KEY:
            body = {"msg": "Provided credentials are missing or invalid"}
            return 401, json_type, json.dumps(body).encode()
        if got.path == f"/service/{FASTLY_SERVICE}/purge":
            keys = got.headers.get("Surrogate-Key", "").split()
            ids = {key: f"108-1391560174-{n}" for n, key in enumerate(keys)}
            return 200, json_type, json.dumps(ids).encode()
        if got.path.startswith("/purge/"):
            return 200, json_type, b'{"status": "ok", "id": "108-1391560174-974124"}'
        return 404, json_type, b'{"msg": "Record not found", "detail": "Cannot find service"}'

    def made(self, method: str = "POST") -> list[Received]:
        return [r for r in self.requests if r.method == method]


class _Handler(BaseHTTPRequestHandler):
    standin: EdgeStandIn
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        got = Received(
            method=self.command,
            path=self.path,
            headers=dict(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
        )
        status, headers, body = self.standin.answer(got)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PURGE = do_GET = _handle

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def standin(db: None) -> Iterator[EdgeStandIn]:
    """The stand-in; tasks run by the tests' immediate backend read the site's settings."""
    with EdgeStandIn() as server:
        yield server


def use_cdn(settings: Any, cdn: str, standin: EdgeStandIn | None = None, **options: Any) -> None:
    """The settings base.py makes from MASTHEAD_CDN=<cdn>, aimed at the stand-in."""
    if standin is not None and cdn in ("nginx", "varnish"):
        options.setdefault("purge_url", standin.url)
    elif standin is not None:
        options.setdefault("api_url", standin.url)
    options.setdefault("cloudflare_api_token", CLOUDFLARE_TOKEN)
    options.setdefault("cloudflare_zone_id", CLOUDFLARE_ZONE)
    options.setdefault("fastly_api_key", FASTLY_KEY)
    options.setdefault("fastly_service_id", FASTLY_SERVICE)
    options.setdefault("key_prefix", "arv")
    made = edge_cache_settings(cdn, **options)
    settings.MASTHEAD_CDN = cdn
    for name, value in made.items():
        setattr(settings, name, value)


@pytest.fixture
def queued(settings: Any) -> Any:
    """Tasks are enqueued and not run: the test looks at what was enqueued."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    return default_task_backend


# --- Headers --------------------------------------------------------------------------


def test_headers_name_the_tags_under_the_site_prefix_coarse_ones_first(settings: Any) -> None:
    settings.MASTHEAD_CDN_KEY_PREFIX = "arv"
    values = edge.surrogate_header_values(["author:3", "listing", "page:12", "site", "page:12"])
    assert values == {
        "Surrogate-Key": "arv/site arv/listing arv/author:3 arv/page:12",
        "Cache-Tag": "arv/site,arv/listing,arv/author:3,arv/page:12",
    }
    assert edge.surrogate_header_values([]) == {}


def test_headers_that_would_be_too_long_keep_coarse_tags_and_the_overflow_key(
    settings: Any,
) -> None:
    settings.MASTHEAD_CDN_KEY_PREFIX = "arv"
    tags = [f"page:{n}" for n in range(5000)] + ["site", "listing"]
    values = edge.surrogate_header_values(tags)
    keys = values["Surrogate-Key"].split(" ")
    assert len(values["Surrogate-Key"]) <= 16_000
    assert len(values["Cache-Tag"]) <= 16_000
    assert len(keys) <= 1000
    assert keys[:3] == ["arv/site", "arv/listing", "arv/page:0"]
    assert keys[-1] == "arv/overflow"
    assert values["Cache-Tag"].split(",") == keys


def test_a_key_never_holds_separators_or_exceeds_1024_characters() -> None:
    assert edge.edge_key("tag:a b,c\u00e9", "arv") == "arv/tag:a_b_c_"
    long = edge.edge_key("page:" + "x" * 3000, "arv")
    assert len(long) == 1024
    assert long.startswith("arv/page:xxx")
    assert long != edge.edge_key("page:" + "x" * 2999, "arv")


# --- Enqueueing -----------------------------------------------------------------------


def test_without_a_cdn_nothing_is_enqueued_or_sent(settings: Any, queued: Any) -> None:
    use_cdn(settings, "none")
    assert not hasattr(settings, "WAGTAILFRONTENDCACHE") or not settings.WAGTAILFRONTENDCACHE
    edge.purge_later(["page:12", "listing"], [f"{SITE}/story/"])
    assert queued.results == []


def test_purge_later_enqueues_one_task_with_the_keys_and_urls(settings: Any, queued: Any) -> None:
    use_cdn(settings, "fastly", api_url="http://127.0.0.1:9")
    edge.purge_later(
        ["page:12", "listing", "site"], [f"{SITE}/story/", f"{SITE}/", f"{SITE}/", "/relative/"]
    )
    [result] = queued.results
    assert result.task.name == "purge_edge"
    assert result.kwargs == {
        "keys": ["arv/listing", "arv/overflow", "arv/page:12", "arv/site"],
        "urls": [f"{SITE}/", f"{SITE}/story/"],
    }
    queued.clear()
    edge.purge_later(["counters"], [])
    # Counters alone change no content, so overflowing pages (which keep coarse tags) stay.
    assert queued.results[0].kwargs == {"keys": ["arv/counters"], "urls": []}


def test_publishing_an_article_purges_its_keys_and_pages_after_the_commit(
    settings: Any,
    standin: EdgeStandIn,
    home: Any,
    section: Any,
    author: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from masthead.publishing.factories import ArticlePageFactory, TagFactory

    use_cdn(settings, "fastly", standin)
    draft = ArticlePageFactory(
        parent=home, title="Ferry service resumes", section=section, live=False
    )
    draft.article_authors.create(author=author)
    draft.tags.add(TagFactory(name="Ports", slug="ports"))
    draft.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        draft.save_revision().publish()
    # Nothing reaches the CDN before the commit, so no reader refetches the old page.
    assert standin.requests == []
    for callback in callbacks:
        callback()
    keys = {
        key
        for r in standin.made()
        if r.path.endswith("/purge") and "Surrogate-Key" in r.headers
        for key in r.headers["Surrogate-Key"].split()
    }
    assert {f"arv/page:{draft.pk}", "arv/listing"} <= keys
    purged = {r.path for r in standin.made() if r.path.startswith("/purge/")}
    host = urlsplit(home.get_site().root_url).netloc
    expected = ["/", "/rss/", "/tag/ports/", "/author/mira-valen/", draft.url]
    assert {f"/purge/{host}{path}" for path in expected} <= purged


# --- Fastly ---------------------------------------------------------------------------


def test_fastly_purges_keys_in_batches_of_256_and_each_url(
    settings: Any, standin: EdgeStandIn
) -> None:
    use_cdn(settings, "fastly", standin)
    tags = [f"page:{n}" for n in range(600)]
    edge.purge_later(tags, [f"{SITE}/story/", f"{SITE}/tag/war/?page=2"])
    key_purges = [r for r in standin.made() if r.path == f"/service/{FASTLY_SERVICE}/purge"]
    batches = [r.headers["Surrogate-Key"].split(" ") for r in key_purges]
    assert [len(batch) for batch in batches] == [256, 256, 89]
    assert {key for batch in batches for key in batch} == {
        *(f"arv/page:{n}" for n in range(600)),
        "arv/overflow",
    }
    assert all(r.headers["Fastly-Key"] == FASTLY_KEY for r in standin.requests)
    url_purges = [r.path for r in standin.made() if r.path.startswith("/purge/")]
    assert url_purges == [
        "/purge/news.example.org/story/",
        "/purge/news.example.org/tag/war/?page=2",
    ]


def test_fastly_rate_limit_is_tried_again_when_it_says(
    settings: Any, standin: EdgeStandIn, queued: Any
) -> None:
    use_cdn(settings, "fastly", standin)
    standin.script.append((429, {"Retry-After": "20"}, b'{"msg": "Rate limit exceeded"}'))
    before = timezone.now()
    edge.purge_edge.call(keys=["arv/page:1"], urls=[f"{SITE}/a/", f"{SITE}/b/"])
    # The key purge was refused, so the URL purges were not even tried.
    assert len(standin.requests) == 1
    [retry] = queued.results
    assert retry.kwargs == {
        "keys": ["arv/page:1"],
        "urls": [f"{SITE}/a/", f"{SITE}/b/"],
        "attempt": 2,
        "backend": "default",
    }
    assert retry.task.run_after is not None
    assert retry.task.run_after - before >= timedelta(seconds=20)
    edge.purge_edge.call(**retry.kwargs)
    assert [r.path for r in standin.requests[1:]] == [
        f"/service/{FASTLY_SERVICE}/purge",
        "/purge/news.example.org/a/",
        "/purge/news.example.org/b/",
    ]
    assert len(queued.results) == 1


def test_fastly_refusing_the_token_is_logged_not_retried(
    settings: Any, standin: EdgeStandIn, queued: Any, caplog: pytest.LogCaptureFixture
) -> None:
    use_cdn(settings, "fastly", standin, fastly_api_key="wrong")
    with caplog.at_level(logging.ERROR, logger="masthead.publishing.edge"):
        edge.purge_edge.call(keys=["arv/page:1"], urls=[])
    assert queued.results == []
    assert "401" in caplog.text
    assert "Provided credentials are missing or invalid" in caplog.text


# --- Cloudflare -----------------------------------------------------------------------


def test_cloudflare_purges_tags_and_files_100_at_a_time_with_the_token(
    settings: Any, standin: EdgeStandIn
) -> None:
    use_cdn(settings, "cloudflare", standin)
    urls = [f"{SITE}/story-{n}/" for n in range(150)]
    edge.purge_later(["page:12", "listing"], urls)
    bodies = [r.json() for r in standin.made()]
    assert bodies[0] == {"tags": ["arv/listing", "arv/overflow", "arv/page:12"]}
    assert [len(body["files"]) for body in bodies[1:]] == [100, 50]
    assert bodies[1]["files"] + bodies[2]["files"] == sorted(urls)
    for received in standin.requests:
        assert received.path == f"/client/v4/zones/{CLOUDFLARE_ZONE}/purge_cache"
        assert received.headers["Authorization"] == f"Bearer {CLOUDFLARE_TOKEN}"
        assert received.headers["Content-Type"] == "application/json"


def test_cloudflare_busy_or_down_is_tried_again(settings: Any, standin: EdgeStandIn) -> None:
    use_cdn(settings, "cloudflare", standin)
    busy = {
        "success": False,
        "errors": [{"code": 971, "message": "Please wait and consider throttling"}],
    }
    standin.script.extend(
        [
            (
                429,
                {"Retry-After": "1", "Content-Type": "application/json"},
                json.dumps(busy).encode(),
            ),
            (502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>"),
        ]
    )
    # The immediate backend of the tests tries again at once instead of waiting.
    edge.purge_later(["page:12"], [f"{SITE}/story/"])
    bodies = [r.json() for r in standin.made()]
    assert bodies == [
        {"tags": ["arv/overflow", "arv/page:12"]},
        {"tags": ["arv/overflow", "arv/page:12"]},
        {"tags": ["arv/overflow", "arv/page:12"]},
        {"files": [f"{SITE}/story/"]},
    ]


def test_cloudflare_error_answer_is_logged_with_its_message(
    settings: Any, standin: EdgeStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    use_cdn(settings, "cloudflare", standin, cloudflare_zone_id="not-the-zone")
    with caplog.at_level(logging.WARNING, logger="masthead.publishing.edge"):
        edge.purge_later(["page:12"], [])
    assert len(standin.requests) == 1
    assert "7003 Could not route to /zones" in caplog.text
    assert "trying" not in caplog.text and "attempt" not in caplog.text


# --- Varnish / nginx PURGE ---------------------------------------------------------------


def test_varnish_gets_a_purge_per_url_with_the_public_host(
    settings: Any, standin: EdgeStandIn
) -> None:
    use_cdn(settings, "varnish", standin)
    standin.not_cached.add("/rss/")
    edge.purge_later(
        ["page:12"], [f"{SITE}/story/", f"{SITE}/rss/", "http://news.example.org:8080/x/?a=1"]
    )
    purges = sorted((r.method, r.path, r.headers["Host"]) for r in standin.requests)
    assert purges == [
        ("PURGE", "/rss/", "news.example.org"),
        ("PURGE", "/story/", "news.example.org"),
        ("PURGE", "/x/?a=1", "news.example.org:8080"),
    ]


def test_an_unreachable_cache_server_is_retried_then_logged(
    settings: Any, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{spare.getsockname()[1]}"
    use_cdn(settings, "nginx", purge_url=closed)
    settings.MASTHEAD_CDN_PURGE_ATTEMPTS = 3
    with caplog.at_level(logging.WARNING, logger="masthead.publishing.edge"):
        edge.purge_later(["page:12"], [f"{SITE}/story/"])
    gave_up = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(gave_up) == 1
    assert "gave up after 3 attempts" in gave_up[0].getMessage()
    assert f"{SITE}/story/" in gave_up[0].getMessage()
    assert caplog.text.count("unreachable") == 3


# --- Configuration --------------------------------------------------------------------


def test_each_cdn_gets_its_backend() -> None:
    assert edge_cache_settings("none") == {"MASTHEAD_CDN_KEY_PREFIX": "masthead"}
    made = edge_cache_settings("nginx", purge_url="http://127.0.0.1:80")
    assert made["WAGTAILFRONTENDCACHE"] == {
        "default": {
            "BACKEND": "masthead.publishing.edge.PurgeRequestBackend",
            "LOCATION": "http://127.0.0.1:80",
        }
    }
    made = edge_cache_settings("cloudflare", cloudflare_api_token="t", cloudflare_zone_id="z")
    assert made["WAGTAILFRONTENDCACHE"] == {
        "default": {
            "BACKEND": "masthead.publishing.edge.CloudflareBackend",
            "BEARER_TOKEN": "t",
            "ZONEID": "z",
        }
    }


@pytest.mark.parametrize(
    ("cdn", "options", "variable"),
    [
        ("akamai", {}, "MASTHEAD_CDN='akamai'"),
        ("varnish", {}, "MASTHEAD_CDN_PURGE_URL"),
        ("nginx", {"purge_url": "127.0.0.1:80"}, "MASTHEAD_CDN_PURGE_URL='127.0.0.1:80'"),
        ("cloudflare", {"cloudflare_zone_id": "z"}, "MASTHEAD_CLOUDFLARE_API_TOKEN"),
        ("cloudflare", {"cloudflare_api_token": "t"}, "MASTHEAD_CLOUDFLARE_ZONE_ID"),
        ("fastly", {"fastly_service_id": "s"}, "MASTHEAD_FASTLY_API_KEY"),
        ("fastly", {"fastly_api_key": "k"}, "MASTHEAD_FASTLY_SERVICE_ID"),
        ("cloudfront", {}, "MASTHEAD_CLOUDFRONT_DISTRIBUTION_ID"),
        ("none", {"key_prefix": "two words"}, "MASTHEAD_CDN_KEY_PREFIX"),
    ],
)
def test_bad_configuration_names_the_variable(
    cdn: str, options: dict[str, str], variable: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=variable):
        edge_cache_settings(cdn, **options)


def test_cloudfront_without_boto3_says_how_to_get_it() -> None:
    try:
        import boto3  # type: ignore[import-not-found]  # noqa: F401  # optional
    except ImportError:
        with pytest.raises(ImproperlyConfigured, match="pip install boto3"):
            edge_cache_settings("cloudfront", cloudfront_distribution_id="E2QWRUHEXAMPLE")
    else:
        made = edge_cache_settings("cloudfront", cloudfront_distribution_id="E2QWRUHEXAMPLE")
        assert "WAGTAILFRONTENDCACHE" in made


def test_wagtails_page_handlers_are_not_connected(settings: Any, standin: EdgeStandIn) -> None:
    """Publishing purges through the task queue only, not also through Wagtail's handler."""
    import wagtail.contrib.frontend_cache as package
    from wagtail.contrib.frontend_cache.signal_handlers import page_published_signal_handler
    from wagtail.signals import page_published

    from masthead.publishing.edge_apps import FrontendCacheConfig

    use_cdn(settings, "fastly", standin)
    FrontendCacheConfig("wagtail.contrib.frontend_cache", package).ready()
    connected = [entry[1]() for entry in page_published.receivers]
    assert page_published_signal_handler not in connected


def test_a_refused_backend_configuration_stops_the_start(settings: Any) -> None:
    import wagtail.contrib.frontend_cache as package

    from masthead.publishing.edge_apps import FrontendCacheConfig

    settings.WAGTAILFRONTENDCACHE = {
        "default": {"BACKEND": "masthead.publishing.edge.CloudflareBackend", "ZONEID": "z"}
    }
    with pytest.raises(ImproperlyConfigured):
        FrontendCacheConfig("wagtail.contrib.frontend_cache", package).ready()


# --- nginx in front, with the documented recipe ----------------------------------------

RECIPE = Path(__file__).resolve().parents[3] / "docs" / "operations" / "nginx-edge-cache.conf"
PURGE_MODULE = Path("/usr/lib/nginx/modules/ngx_http_cache_purge_module.so")


class _AppHandler(BaseHTTPRequestHandler):
    """Answers with the headers masthead's page cache gives readers (a live server would
    work too, but takes most of a minute to set up on a loaded machine)."""

    protocol_version = "HTTP/1.1"
    renders = 0
    accepted: list[str] = []

    def do_GET(self) -> None:
        personal = "masthead-member=" in (self.headers.get("Cookie") or "")
        type(self).renders += 1
        body = f"render {self.renders}".encode()
        accept = self.headers.get("Accept-Encoding") or ""
        type(self).accepted.append(accept)
        self.send_response(200)
        if "gzip" in accept:  # as the page cache does: its kept gzip copy
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header(
            "Cache-Control",
            "private, no-cache"
            if personal
            else "public, max-age=0, s-maxage=300, stale-while-revalidate=30",
        )
        self.send_header("Vary", "Cookie, Accept-Encoding")
        self.send_header("ETag", f'"{self.renders}"')
        self.send_header("Surrogate-Key", "arv/site arv/page:1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _encoded(url: str, accept: str) -> tuple[str, bytes, str]:
    """The Content-Encoding, raw body and cache status of a reader's request."""
    with urlopen(Request(url, headers={"Accept-Encoding": accept}), timeout=5) as response:
        return (
            response.headers.get("Content-Encoding", ""),
            response.read(),
            response.headers.get("X-Cache-Status", ""),
        )


def _get(url: str, cookie: str = "") -> tuple[str, str]:
    request = Request(url, headers={"Cookie": cookie} if cookie else {})
    with urlopen(request, timeout=5) as response:
        return response.read().decode(), response.headers.get("X-Cache-Status", "")


def _free_port() -> int:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        return int(spare.getsockname()[1])


@pytest.fixture
def app_server() -> Iterator[str]:
    _AppHandler.renders = 0
    _AppHandler.accepted = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AppHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(
    shutil.which("nginx") is None or not PURGE_MODULE.exists(),
    reason="needs Debian's nginx and libnginx-mod-http-cache-purge (apt-get install both)",
)
def test_nginx_recipe_caches_anonymous_pages_bypasses_members_and_takes_purges(
    settings: Any, db: None, app_server: str, tmp_path: Path
) -> None:
    port = _free_port()
    recipe = RECIPE.read_text()
    for placeholder in ("127.0.0.1:8000", "listen 80;", "/var/cache/nginx/masthead"):
        assert placeholder in recipe, placeholder
    site = (
        recipe.replace("127.0.0.1:8000", app_server)
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("/var/cache/nginx/masthead", str(tmp_path / "cache"))
    )
    # Started by root, nginx would hand its workers to "nobody", who cannot reach tmp_path.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"load_module {PURGE_MODULE};\n{user}"
        "daemon off; worker_processes 1; pid nginx.pid; error_log stderr error;\n"
        "events { worker_connections 64; }\n"
        "http { access_log off;\n"
        f"client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi;\n"
        f"scgi_temp_path {tmp_path}/scgi;\n{site}\n}}\n"
    )
    nginx = subprocess.Popen(
        ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        front = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
                time.sleep(0.05)
        # The first reader accepts brotli; the copy kept is the gzip one, which suits all.
        coding, body, status = _encoded(f"{front}/story/", "br, gzip")
        assert (coding, gzip.decompress(body), status) == ("gzip", b"render 1", "MISS")
        assert _AppHandler.accepted == ["gzip"]
        # A reader that takes no gzip gets it unpacked.
        assert _encoded(f"{front}/story/", "br") == ("", b"render 1", "HIT")
        assert _get(f"{front}/story/") == ("render 1", "HIT")
        # Another anonymous reader with an unrelated cookie gets the same copy.
        assert _get(f"{front}/story/", "csrftoken=abc") == ("render 1", "HIT")
        # Members and staff go to the app every time, and their pages are never stored.
        assert _get(f"{front}/story/", "a=1; masthead-member=abc") == ("render 2", "BYPASS")
        assert _get(f"{front}/story/", "sessionid=xyz") == ("render 3", "BYPASS")
        assert _get(f"{front}/story/") == ("render 1", "HIT")
        # The production backend purges through the recipe; the next reader sees the change.
        use_cdn(settings, "nginx", purge_url=front)
        edge.purge_later(["page:1"], [f"{front}/story/", f"{front}/never-cached/"])
        assert _get(f"{front}/story/") == ("render 4", "MISS")
        assert _get(f"{front}/story/") == ("render 4", "HIT")
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
