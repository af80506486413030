"""The edge: naming content in responses for a CDN, and purging it when content changes.

``surrogate_header_values`` turns the page cache's tags into the ``Surrogate-Key``
(Fastly) and ``Cache-Tag`` (Cloudflare) headers of a response. ``purge_later`` is what
``pagecache.bump`` calls after a commit: it enqueues one task that purges the CDN, or the
nginx/Varnish cache, by key where the CDN supports keys and by URL everywhere.

The backends are Wagtail's front-end cache backends, configured by
``WAGTAILFRONTENDCACHE`` (built from the ``MASTHEAD_CDN*`` variables in settings) and
subclassed here: Wagtail's own only log a failed purge, while a purge the CDN refuses for
now (429, a 5xx, a dropped connection) must come back to the task, which tries it again
later and logs an error if it never gets through. Wagtail's page signal handlers are not
connected (see ``edge_apps``), so every purge goes through this module's task.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

import requests
from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task
from wagtail import __version__ as wagtail_version
from wagtail.contrib.frontend_cache.backends.base import BaseBackend
from wagtail.contrib.frontend_cache.backends.cloudflare import (
    CloudflareBackend as WagtailCloudflareBackend,
)
from wagtail.contrib.frontend_cache.backends.cloudfront import CloudfrontBackend
from wagtail.contrib.frontend_cache.backends.http import HTTPBackend, PurgeRequest
from wagtail.contrib.frontend_cache.utils import get_backends

logger = logging.getLogger(__name__)

# Fastly reads at most 16,384 bytes of Surrogate-Key and 1,024 bytes per key; Cloudflare
# takes at most 16 KB of Cache-Tag and (its older limit, kept to be safe) 1,000 tags.
# A little is left for the header's name and line.
HEADER_BUDGET = 16_000
KEY_LIMIT = 1024
KEYS_PER_RESPONSE = 1000
# A response whose tags do not all fit carries this tag instead of the ones left out;
# every purge of content (not only of chrome or counters) purges it too.
OVERFLOW_TAG = "overflow"
# Tags that many responses share and every purge is cheap with: kept first in headers,
# so a response that overflows still carries them.
COARSE_TAGS = ("site", "listing", "live", "counters")
# Fastly's batch purge takes up to 256 surrogate keys per request.
FASTLY_KEYS_PER_PURGE = 256
# Cloudflare's purge_cache takes up to 100 URLs or tags per request on every plan.
CLOUDFLARE_ITEMS_PER_PURGE = 100
# Seconds to wait for a CDN's API or the cache server before counting it as down.
PURGE_TIMEOUT = 10
# A Retry-After longer than this is capped: the purge matters more than politeness.
LONGEST_WAIT = 3600

_NOT_IN_KEYS = re.compile(r"[^\x21-\x7e]|,")


# --- Headers -----------------------------------------------------------------------


def key_prefix() -> str:
    """The site's own prefix of every key, so several sites can share one CDN account."""
    return str(getattr(settings, "MASTHEAD_CDN_KEY_PREFIX", "masthead"))


def edge_key(tag: str, prefix: str | None = None) -> str:
    """The key (Fastly) or cache tag (Cloudflare) a page cache tag is known by at the edge.

    Spaces and commas separate keys in the headers, so they (and anything outside
    printable ASCII) become ``_``; a key too long for the CDNs keeps its start and a hash.
    """
    prefix = key_prefix() if prefix is None else prefix
    clean = _NOT_IN_KEYS.sub("_", tag)
    key = f"{prefix}/{clean}" if prefix else clean
    if len(key) > KEY_LIMIT:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        key = f"{key[: KEY_LIMIT - len(digest) - 1]}~{digest}"
    return key


def _coarse_first(tags: Iterable[str]) -> list[str]:
    unique = dict.fromkeys(tags)
    return [t for t in COARSE_TAGS if t in unique] + [t for t in unique if t not in COARSE_TAGS]


def surrogate_header_values(tags: Iterable[str]) -> dict[str, str]:
    """``Surrogate-Key`` and ``Cache-Tag`` for a response showing content of ``tags``.

    Both name the same keys (space-separated for Fastly, comma-separated for Cloudflare).
    When they would not fit the CDNs' limits, the coarse tags are kept, then as many of the
    others as fit, and the overflow key stands in for the rest. No tags, no headers.
    """
    prefix = key_prefix()
    ordered = _coarse_first(tags)
    if not ordered:
        return {}
    overflow = edge_key(OVERFLOW_TAG, prefix)
    kept: list[str] = []
    size = 0
    room = HEADER_BUDGET - len(overflow) - 1
    # Keys are made one by one, so a sitemap naming 10,000 pages costs no more than the
    # thousand that fit.
    for tag in ordered:
        key = edge_key(tag, prefix)
        grown = size + len(key) + (1 if kept else 0)
        if grown > room or len(kept) >= KEYS_PER_RESPONSE - 1:
            kept.append(overflow)
            break
        kept.append(key)
        size = grown
    return {"Surrogate-Key": " ".join(kept), "Cache-Tag": ",".join(kept)}


# --- Purging -------------------------------------------------------------------------


def is_configured() -> bool:
    """Whether a CDN or cache server in front is to be purged (``MASTHEAD_CDN``)."""
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


def purge_later(tags: Iterable[str], urls: Iterable[str]) -> None:
    """Enqueue the purge of ``tags`` and ``urls`` at the edge; nothing without one.

    Called after the commit that changed the content. It only enqueues: the requests to
    the CDN are made by the worker, so publishing never waits on a CDN's API.
    """
    if not is_configured():
        return
    tags = list(tags)
    prefix = key_prefix()
    keys = {edge_key(tag, prefix) for tag in tags}
    if any(tag not in COARSE_TAGS for tag in tags):
        keys.add(edge_key(OVERFLOW_TAG, prefix))
    absolute = sorted({url for url in urls if urlsplit(url).scheme in ("http", "https")})
    if keys or absolute:
        purge_edge.enqueue(keys=sorted(keys), urls=absolute)


@dataclass
class Unpurged:
    """What a purge left to try again, and how long the edge asked to wait first."""

    items: list[str] = field(default_factory=list)
    wait: float = 0.0

    def add(self, items: Iterable[str], wait: float = 0.0) -> None:
        self.items.extend(items)
        self.wait = max(self.wait, wait)


@runtime_checkable
class PurgesByUrl(Protocol):
    """A backend that reports which URLs the edge refused for now instead of only logging."""

    def purge_urls(self, urls: Sequence[str]) -> Unpurged:
        """Purge ``urls``; return those to try again."""


@runtime_checkable
class PurgesByKey(Protocol):
    """A backend for a CDN that purges by surrogate key or cache tag."""

    def purge_keys(self, keys: Sequence[str]) -> Unpurged:
        """Purge every cached answer naming one of ``keys``; return those to try again."""


def retry_delay(attempt: int, asked: float = 0.0) -> timedelta:
    """2 s after the first attempt, then 4, 8… at most 5 minutes, or what the edge asked."""
    return timedelta(seconds=max(asked, min(2**attempt, 300)))


@task()
def purge_edge(keys: list[str], urls: list[str], attempt: int = 1, backend: str = "") -> None:
    """Purge keys and URLs from the edge; what it refuses for now is tried again later.

    Purging twice is harmless, so a retry carries only what was left, to the backend that
    left it.
    """
    backends = get_backends(backends=[backend] if backend else None)
    for name, edge in backends.items():
        left_keys, left_urls = purge_from(edge, keys, urls)
        if not left_keys.items and not left_urls.items:
            continue
        wait = max(left_keys.wait, left_urls.wait)
        if attempt >= settings.MASTHEAD_CDN_PURGE_ATTEMPTS:
            logger.error(
                "edge purge [%s]: gave up after %s attempts; still cached: keys %s, URLs %s",
                name,
                attempt,
                " ".join(left_keys.items) or "-",
                " ".join(left_urls.items) or "-",
            )
            continue
        delay = retry_delay(attempt, wait)
        logger.warning(
            "edge purge [%s]: %s keys and %s URLs not purged yet; attempt %s in %s s",
            name,
            len(left_keys.items),
            len(left_urls.items),
            attempt + 1,
            int(delay.total_seconds()),
        )
        retry = {
            "keys": left_keys.items,
            "urls": left_urls.items,
            "attempt": attempt + 1,
            "backend": name,
        }
        if default_task_backend.supports_defer:
            purge_edge.using(run_after=timezone.now() + delay).enqueue(**retry)
        else:  # the immediate backend (tests, one-off scripts): try again now
            purge_edge.enqueue(**retry)


def purge_from(
    edge: BaseBackend, keys: Sequence[str], urls: Sequence[str]
) -> tuple[Unpurged, Unpurged]:
    """Purge from one backend; returns the keys and the URLs it left to try again."""
    left_keys, left_urls = Unpurged(), Unpurged()
    if keys and isinstance(edge, PurgesByKey):
        left_keys = edge.purge_keys(keys)
        if left_keys.items:  # the API is busy or down: its URL purges would fare the same
            return left_keys, Unpurged(list(urls), left_keys.wait)
    by_host: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        by_host[urlsplit(url).netloc].append(url)
    for host, host_urls in by_host.items():
        if not edge.invalidates_hostname(host):
            logger.info("edge purge: no backend purges %s", host)
            continue
        if isinstance(edge, PurgesByUrl):
            left = edge.purge_urls(host_urls)
            left_urls.add(left.items, left.wait)
        else:  # another of Wagtail's backends, configured by hand: it logs its failures
            edge.purge_batch(host_urls)
    return left_keys, left_urls


def _seconds_to_wait(headers: Any) -> float:
    """The wait a ``Retry-After`` header asks for (seconds or a date), at most an hour."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return 0.0
    if value.isdigit():
        return float(min(int(value), LONGEST_WAIT))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, min((moment - timezone.now()).total_seconds(), LONGEST_WAIT))


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _log_left(backend: str, left: Unpurged) -> None:
    if left.items:
        logger.error("edge purge [%s]: not purged: %s", backend, " ".join(left.items))


class PurgeRequestBackend(HTTPBackend):
    """nginx or Varnish: an HTTP ``PURGE`` of each URL, sent to the cache server itself.

    ``LOCATION`` is where the cache server listens; the request carries the public URL's
    path and its host in ``Host``, which is what the cache is keyed on. 200 and 404 (not
    in the cache) both mean the URL is no longer cached.
    """

    def purge_urls(self, urls: Sequence[str]) -> Unpurged:
        left = Unpurged()
        for url in urls:
            parts = urlsplit(url)
            host = parts.hostname or ""
            if parts.port:
                host = f"{host}:{parts.port}"
            target = urlunsplit(
                (self.cache_scheme, self.cache_netloc, parts.path or "/", parts.query, "")
            )
            request = PurgeRequest(
                url=target,
                headers={
                    "Host": host,
                    "User-Agent": f"masthead Wagtail-frontendcache/{wagtail_version}",
                },
            )
            try:
                # The scheme comes from MASTHEAD_CDN_PURGE_URL, checked in settings.
                with urlopen(request, timeout=PURGE_TIMEOUT) as response:  # noqa: S310
                    response.read()
            except HTTPError as error:
                error.close()
                if error.code == 404:
                    continue
                if _retryable(error.code):
                    left.add([url], _seconds_to_wait(error.headers))
                else:
                    logger.error(
                        "edge purge: the cache server refused PURGE %s with %s %s; check that "
                        "it allows PURGE from this host (docs/operations/edge-caching.md)",
                        url,
                        error.code,
                        error.reason,
                    )
            except (URLError, OSError) as error:
                logger.warning("edge purge: cache server unreachable for %s: %s", url, error)
                left.add([url])
        return left

    def purge(self, url: str) -> None:
        _log_left("PURGE", self.purge_urls([url]))

    def purge_batch(self, urls: Sequence[str]) -> None:
        _log_left("PURGE", self.purge_urls(list(urls)))


class _JsonApi:
    """A CDN's purge API over HTTPS with ``requests``: one POST, its answer classified."""

    name = ""

    def _post(self, url: str, *, headers: dict[str, str], **body: Any) -> tuple[str, float]:
        """``("ok"|"retry"|"failed", seconds to wait)`` for one purge request."""
        try:
            response = requests.post(url, headers=headers, timeout=PURGE_TIMEOUT, **body)
        except requests.RequestException as error:
            logger.warning("edge purge [%s]: %s unreachable: %s", self.name, url, error)
            return "retry", 0.0
        if _retryable(response.status_code):
            logger.warning("edge purge [%s]: %s answered %s", self.name, url, response.status_code)
            return "retry", _seconds_to_wait(response.headers)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code < 300 and self._succeeded(answer):
            return "ok", 0.0
        logger.error(
            "edge purge [%s]: %s refused the purge with %s: %s",
            self.name,
            url,
            response.status_code,
            self._errors(answer) or response.text[:300],
        )
        return "failed", 0.0

    def _succeeded(self, answer: Any) -> bool:
        return True

    def _errors(self, answer: Any) -> str:
        return ""

    def _purge_chunks(self, chunks: Iterable[list[str]], send: Any) -> Unpurged:
        """Send each chunk; after a refusal for now, the rest wait too (rate limits)."""
        left = Unpurged()
        pending = list(chunks)
        for index, chunk in enumerate(pending):
            outcome, wait = send(chunk)
            if outcome == "retry":
                for rest in pending[index:]:
                    left.add(rest, wait)
                break
        return left


class CloudflareBackend(WagtailCloudflareBackend, _JsonApi):
    """Cloudflare: purge by URL (``files``) and by cache tag (``tags``), with an API token.

    ``API_URL`` replaces ``https://api.cloudflare.com`` (a stand-in in tests).
    """

    name = "cloudflare"

    def __init__(self, params: dict[str, Any]) -> None:
        api = (params.pop("API_URL", "") or "https://api.cloudflare.com").rstrip("/")
        super().__init__(params)
        self.purge_endpoint = f"{api}/client/v4/zones/{self.cloudflare_zoneid}/purge_cache"

    def _headers(self) -> dict[str, str]:
        if self.cloudflare_token:
            return {"Authorization": f"Bearer {self.cloudflare_token}"}
        return {"X-Auth-Email": self.cloudflare_email, "X-Auth-Key": self.cloudflare_api_key}

    def _send(self, field_name: str) -> Any:
        def send(chunk: list[str]) -> tuple[str, float]:
            return self._post(
                self.purge_endpoint, headers=self._headers(), json={field_name: chunk}
            )

        return send

    def _succeeded(self, answer: Any) -> bool:
        return isinstance(answer, dict) and answer.get("success") is True

    def _errors(self, answer: Any) -> str:
        if not isinstance(answer, dict):
            return ""
        return "; ".join(
            f"{error.get('code')} {error.get('message')}"
            for error in answer.get("errors") or []
            if isinstance(error, dict)
        )

    def purge_urls(self, urls: Sequence[str]) -> Unpurged:
        return self._purge_chunks(_chunks(urls, CLOUDFLARE_ITEMS_PER_PURGE), self._send("files"))

    def purge_keys(self, keys: Sequence[str]) -> Unpurged:
        return self._purge_chunks(_chunks(keys, CLOUDFLARE_ITEMS_PER_PURGE), self._send("tags"))

    def _purge_urls(self, urls: list[str]) -> None:
        _log_left(self.name, self.purge_urls(urls))

    def purge_batch(self, urls: Sequence[str]) -> None:
        _log_left(self.name, self.purge_urls(list(urls)))

    def purge(self, url: str) -> None:
        _log_left(self.name, self.purge_urls([url]))


def _fastly_batches(keys: Sequence[str]) -> Iterator[list[str]]:
    """Up to 256 keys per batch, and no more than a request header can carry."""
    batch: list[str] = []
    size = 0
    for key in keys:
        if batch and (len(batch) >= FASTLY_KEYS_PER_PURGE or size + 1 + len(key) > HEADER_BUDGET):
            yield batch
            batch, size = [], 0
        size += len(key) + (1 if batch else 0)
        batch.append(key)
    if batch:
        yield batch


class FastlyBackend(BaseBackend, _JsonApi):
    """Fastly: purge by URL and by surrogate key through its API, with an API token.

    Purges are hard (no ``Fastly-Soft-Purge``): a soft purge lets the edge serve the old
    copy while it fetches the new one, and readers must see the change at once.
    """

    name = "fastly"

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.api_key = str(params.pop("API_KEY"))
        self.service_id = str(params.pop("SERVICE_ID"))
        self.api = (params.pop("API_URL", "") or "https://api.fastly.com").rstrip("/")

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Fastly-Key": self.api_key, "Accept": "application/json", **extra}

    def _succeeded(self, answer: Any) -> bool:
        return isinstance(answer, dict) and answer.get("status") != "error"

    def _errors(self, answer: Any) -> str:
        if not isinstance(answer, dict):
            return ""
        return " ".join(str(answer.get(name, "")) for name in ("msg", "detail")).strip()

    def purge_urls(self, urls: Sequence[str]) -> Unpurged:
        def send(chunk: list[str]) -> tuple[str, float]:
            parts = urlsplit(chunk[0])
            cached = parts.netloc + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return self._post(f"{self.api}/purge/{cached}", headers=self._headers())

        return self._purge_chunks(([url] for url in urls), send)

    def purge_keys(self, keys: Sequence[str]) -> Unpurged:
        def send(batch: list[str]) -> tuple[str, float]:
            return self._post(
                f"{self.api}/service/{self.service_id}/purge",
                headers=self._headers(**{"Surrogate-Key": " ".join(batch)}),
            )

        return self._purge_chunks(_fastly_batches(keys), send)

    def purge(self, url: str) -> None:
        _log_left(self.name, self.purge_urls([url]))

    def purge_batch(self, urls: Sequence[str]) -> None:
        _log_left(self.name, self.purge_urls(list(urls)))


class CloudFrontBackend(CloudfrontBackend):
    """CloudFront: one invalidation of the URLs' paths (it has no keys); needs boto3.

    Credentials come the usual AWS way (``AWS_ACCESS_KEY_ID``… or an instance role).
    ``API_URL`` replaces CloudFront's endpoint (a stand-in in tests).
    """

    def __init__(self, params: dict[str, Any]) -> None:
        api = params.pop("API_URL", "")
        super().__init__(params)
        if api:
            import boto3  # type: ignore[import-not-found]  # optional: CloudFront only

            self.client = boto3.client(
                "cloudfront",
                endpoint_url=api,
                region_name="us-east-1",
                aws_access_key_id=params.get("AWS_ACCESS_KEY_ID"),
                aws_secret_access_key=params.get("AWS_SECRET_ACCESS_KEY"),
            )

    def purge_urls(self, urls: Sequence[str]) -> Unpurged:
        import uuid

        import botocore.exceptions  # type: ignore[import-not-found]  # comes with boto3

        paths = sorted(
            {(p.path or "/") + (f"?{p.query}" if p.query else "") for p in map(urlsplit, urls)}
        )
        try:
            self.client.create_invalidation(
                DistributionId=self.cloudfront_distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": str(uuid.uuid4()),
                },
            )
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in ("Throttling", "TooManyInvalidationsInProgress") or _retryable(status):
                logger.warning("edge purge [cloudfront]: %s; trying again later", code)
                return Unpurged(list(urls))
            logger.error("edge purge [cloudfront]: invalidation refused: %s", error)
        except botocore.exceptions.BotoCoreError as error:
            logger.warning("edge purge [cloudfront]: %s", error)
            return Unpurged(list(urls))
        return Unpurged()

    def purge_batch(self, urls: Sequence[str]) -> None:
        _log_left("cloudfront", self.purge_urls(list(urls)))
