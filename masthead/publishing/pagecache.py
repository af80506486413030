"""The page cache: whole responses per (URL, access variant, content version).

Why it is built this way:

* **Versioned tags, not timeouts.** Every cached response names the content it shows
  (``depends_on``: ``page:12``, ``listing``, ``site``…). Changing content gives those tags
  new versions (``bump``) in the shared store (the default cache: Redis when configured,
  else the file cache), so every worker on every server sees the change on its next
  request. An entry is valid while the versions it was rendered with are current; nothing
  is ever served stale because a timer has not run out.
* **One read per hit.** A global generation token changes with every bump. An entry
  remembers the generation it was last checked at, so a hit reads one key from the shared
  store; only after a change does it read its tags' versions again.
* **Entries live in the worker's memory** (a segmented LRU bounded in bytes): a hit is a
  dictionary lookup, and the WSGI wrapper (``CachedApplication``) answers it before Django
  builds a request at all. New entries start on probation and join the protected segment
  only when read again, so a flood of one-off URLs (random query strings) cycles through
  probation and never evicts the hot pages.
* **Readers are reduced to their access variant** (``Reader.variant``: anonymous, free,
  paid with a tier set). Pages render nothing personal (``/members/api/reader/`` fills that
  in), so readers with equal access share entries. A member's variant is itself cached in
  the shared store until their memberships change or one starts or ends.
* **Compressed once, served many times.** A text answer is kept with its brotli and gzip
  encodings, made when it is stored; a hit picks one by ``Accept-Encoding``. Only shared
  answers are compressed (nothing secret is in them, so compression cannot leak a
  secret as in BREACH), and each encoding has its own strong ``ETag``.
* **Opt-in and conservative.** Only responses that named their tags are stored, and never
  one that sets a cookie, used a CSRF token, is ``private``/``no-store``, or was rendered
  for staff, a preview, a flash message or an ``Authorization`` header.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gzip
import hashlib
import logging
import pickle
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.http.cookie import parse_cookie
from django.utils.cache import patch_vary_headers
from django.utils.functional import empty

from masthead.cachetags import Collector, collecting, depends_on, note, valid_until

__all__ = ["bump", "collecting", "depends_on", "memoize", "valid_until"]

T = TypeVar("T")
logger = logging.getLogger(__name__)

# --- Tags and versions ----------------------------------------------------------

_GENERATION_KEY = "masthead:pc:gen"
_VERSION_PREFIX = "masthead:pc:v:"
_MEMO_PREFIX = "masthead:pc:m:"


def _new_token() -> str:
    return secrets.token_hex(8)


_seen: dict[str, Any] = {"generation": "", "at": -1e9}
# Held while ``_seen`` is refreshed from the shared store or moved by this process: a
# thread that read the old generation must not write it over a move made meanwhile by
# another thread, which would hide that move for up to the check interval.
_seen_lock = threading.Lock()


class _HitSettings:
    """The settings a hit reads, copied out of ``django.conf.settings``.

    Each read of the lazy settings object is a Python-level attribute lookup; the five a
    hit made were a quarter of its cost. ``override_settings`` (tests) sends
    ``setting_changed``, which refreshes the copy.
    """

    NAMES = (
        "MASTHEAD_PAGE_CACHE",
        "MASTHEAD_PAGE_CACHE_CHECK_MS",
        "SECURE_PROXY_SSL_HEADER",
        "USE_X_FORWARDED_HOST",
        "USE_X_FORWARDED_PORT",
        "FORCE_SCRIPT_NAME",
    )

    def __init__(self) -> None:
        self.loaded = False
        self.enabled = False
        self.check_seconds = 0.0
        self.proxy_ssl_header: tuple[str, str] | None = None
        self.forwarded_host = False
        self.forwarded_port = False
        self.script_name: str | None = None
        self.raw_names: tuple[str, ...] = ()

    def load(self) -> _HitSettings:
        self.enabled = bool(settings.MASTHEAD_PAGE_CACHE)
        self.check_seconds = settings.MASTHEAD_PAGE_CACHE_CHECK_MS / 1000
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        self.forwarded_host = settings.USE_X_FORWARDED_HOST
        self.forwarded_port = settings.USE_X_FORWARDED_PORT
        self.script_name = settings.FORCE_SCRIPT_NAME
        # What a raw request is remembered by (``_hot_requests``): whatever the key and the
        # codings are worked out from, and the headers that send a request the long way.
        names = [*_RAW_NAMES]
        if self.proxy_ssl_header:
            names.append(self.proxy_ssl_header[0])
        if self.forwarded_host:
            names.append("HTTP_X_FORWARDED_HOST")
        if self.forwarded_port:
            names.append("HTTP_X_FORWARDED_PORT")
        self.raw_names = tuple(names)
        self.loaded = True
        return self


_RAW_NAMES = (
    "REQUEST_METHOD",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT_ENCODING",
    # Absent from every request in the index: one that has any goes the long way.
    "HTTP_COOKIE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_AUTHORIZATION",
    "SCRIPT_NAME",
    "SCRIPT_URL",
    "REDIRECT_URL",
)


_hit_settings = _HitSettings()


def _settings() -> _HitSettings:
    return _hit_settings if _hit_settings.loaded else _hit_settings.load()


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _HitSettings.NAMES:
        _hit_settings.loaded = False
        _hot_requests.clear()  # the same raw request may now have another key
    if setting in ("SESSION_COOKIE_NAME", "MASTHEAD_MEMBER_COOKIE"):
        _member_cookie_in.cache_clear()
        _hot_requests.clear()  # a remembered Cookie header may now say something else


setting_changed.connect(_setting_changed)


def generation(*, fresh: bool = True) -> str:
    """The token that changes whenever any tag is bumped (made on first use).

    Hits ask with ``fresh=False``: this process then reads the shared store at most every
    ``MASTHEAD_PAGE_CACHE_CHECK_MS``, so a cached page costs no I/O at all, and a change made
    in another process is seen within that time. Bumps made in this process are seen at
    once. Renders always read it afresh: what they store must match what they read.
    """
    now = time.monotonic()
    if not fresh and now - _seen["at"] < _settings().check_seconds:
        return str(_seen["generation"])
    with _seen_lock:
        value = cache.get(_GENERATION_KEY)
        if value is None:
            cache.add(_GENERATION_KEY, _new_token(), timeout=None)
            value = cache.get(_GENERATION_KEY)
        _seen.update(generation=str(value), at=now)
    return str(value)


def essential_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """``tags`` sorted, without those another of them implies.

    ``published:<id>`` (a page as cards and links show it) is only ever bumped together
    with ``listing`` (``invalidation``): a list page, which depends on ``listing``, then
    names three tags, not one more per card, so a hit after a change checks three
    versions, and its ``Surrogate-Key`` stays short.
    """
    unique = set(tags)
    if "listing" in unique:
        unique = {tag for tag in unique if not tag.startswith("published:")}
    return tuple(sorted(unique))


def versions_of(tags: Iterable[str]) -> tuple[str, ...]:
    """The current version token of each tag, in the order given.

    A tag never bumped (or whose key the store dropped) gets a fresh token here, never a
    shared default: an entry rendered before a dropped key can then never match again.
    """
    names = list(tags)
    keys = [_VERSION_PREFIX + tag for tag in names]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, _new_token(), timeout=None)
    if missing:
        found.update(cache.get_many(missing))
    return tuple(str(found.get(key, "")) for key in keys)


def bump(*tags: str, urls: Iterable[str] = ()) -> None:
    """Give ``tags`` new versions, now and again once the current transaction commits.

    Every cached response that shows them is re-rendered on its next request, on every
    worker; the CDN, when one is configured, is told to drop them too (by key and by URL,
    from the task queue, after the commit).

    The bump after the commit is the one that counts: a worker that renders between the
    first bump and the commit still reads the old rows and stores them under the new
    versions, which the second bump then retires. The first makes the change visible at
    once inside this transaction (and to tests, whose transactions never commit).
    """
    if not tags and not urls:
        return
    tag_list, url_list = sorted(set(tags)), sorted(set(urls))
    if transaction.get_connection().in_atomic_block:
        _new_versions_or_forget(tag_list)
    transaction.on_commit(lambda: bump_now(tag_list, url_list), robust=True)


def _new_versions_or_forget(tags: list[str]) -> None:
    """Bump, or, when the shared store cannot be reached, forget this process's pages.

    Publishing must not fail because the cache is down; this process can at least stop
    serving what it can no longer check.
    """
    try:
        _new_versions(tags)
    except Exception:
        logger.exception("The page cache could not record a change of %s", ", ".join(tags))
        store().clear()


def bump_now(tags: Iterable[str], urls: Iterable[str] = ()) -> None:
    """Give ``tags`` new versions at once (``bump`` calls this after the commit)."""
    tags = sorted(set(tags))
    _new_versions_or_forget(tags)
    from .edge import purge_later

    purge_later(list(tags), sorted(set(urls)))


# Tags checked on every hit of the answers that show them, whose bumps leave the
# generation alone. The search index changes once per indexed page, in bursts of hundreds
# after an import; moving the generation each time would keep every other page from being
# stored while it lasts. Only search answers show these tags, and they name them before
# rendering (``VIEW_TAGS``), so a bump during their render is caught by the versions read
# at that point (``mark_cacheable``).
SELF_CHECKED_TAGS = frozenset({"search"})


def _new_versions(tags: list[str]) -> None:
    """New versions for ``tags``, with the generation moved before and after them.

    A render reads the generation, renders, reads its tags' versions, then the generation
    again, and stores only if both generations are the same. Had it read a new version,
    the first move was already made, so it sees a different generation and stores
    nothing; had it read the old one, the entry is retired when it is next checked.
    """
    if not tags:
        return
    self_checked = SELF_CHECKED_TAGS.issuperset(tags)
    if not self_checked:
        _move_generation()
    cache.set_many({_VERSION_PREFIX + tag: _new_token() for tag in tags}, timeout=None)
    if not self_checked:
        _move_generation()


def _move_generation() -> None:
    new_generation = _new_token()
    with _seen_lock:
        cache.set(_GENERATION_KEY, new_generation, timeout=None)
        _seen.update(generation=new_generation, at=time.monotonic())
    # A request that changes content and then renders must not take parts as checked at
    # the generation it began with: from here on they are checked afresh.
    _render_generation.set(None)


@dataclass
class _Memo:
    value: Any
    tags: tuple[str, ...]
    versions: tuple[str, ...]
    generation: str
    valid_until: float | None


# Memoized values are dropped after a week even when nothing changed: keys of values that
# can no longer be asked for (an old page of a list, an edited text) must not pile up.
MEMO_SECONDS = 7 * 86400

# Immutable values (rendered HTML, numbers) are also kept in this process's memory, so a
# render that uses dozens of them (the cards of a listing, the text blocks of a story)
# reads the shared store once, not once per part. Objects that readers could change
# (model instances) are kept as their pickle and unpickled afresh for each use: each
# request still gets its own copy, without a file read and decompression each time
# (a tenth of an uncached article's time went to reading its route that way).
_LOCAL_TYPES = (str, bytes, int, float, bool)
LOCAL_MEMO_ENTRIES = 4096
LOCAL_MEMO_MAX_LENGTH = 64 * 1024
# The texts and pickles kept, in all: the oldest go first beyond it.
LOCAL_MEMO_BYTES = 32 * 1024 * 1024
_local_memos: OrderedDict[str, _Memo] = OrderedDict()
_local_bytes = [0]  # the sum of ``_local_size`` over ``_local_memos``
# Keys whose pickle was too long to keep: not pickled again on every use.
_too_long: set[str] = set()
_local_lock = threading.Lock()

# The generation read when the current page render began (``PageCacheMiddleware``). A
# render stores its page only if the generation is the same at its end, so parts checked
# against the generation at its start are exactly as fresh as the page they go into.
_render_generation: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "masthead_pagecache_render_generation", default=None
)


@dataclass(frozen=True)
class _Pickled:
    """A value readers could change, kept in this process as its pickle."""

    data: bytes


def _local_size(memo: _Memo | None) -> int:
    """The bytes a kept memo's text or pickle takes (other values count as nothing)."""
    if memo is None:
        return 0
    value = memo.value.data if isinstance(memo.value, _Pickled) else memo.value
    return len(value) if isinstance(value, (str, bytes)) else 0


def _keep_local(cache_key: str, memo: _Memo, *, immutable: bool) -> None:
    if not immutable and not isinstance(memo.value, _LOCAL_TYPES):
        if cache_key in _too_long:
            return
        try:
            data = pickle.dumps(memo.value, pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - whatever the shared store took is enough
            return
        if len(data) > LOCAL_MEMO_MAX_LENGTH:
            with _local_lock:
                if len(_too_long) >= LOCAL_MEMO_ENTRIES:
                    _too_long.clear()
                _too_long.add(cache_key)
            return
        # A copy: the memo just stored or read keeps its value for the caller.
        memo = _Memo(_Pickled(data), memo.tags, memo.versions, memo.generation, memo.valid_until)
    size = _local_size(memo)
    if size > LOCAL_MEMO_MAX_LENGTH:
        return  # a long text is read from the shared store: memory stays bounded
    with _local_lock:
        _local_bytes[0] += size - _local_size(_local_memos.get(cache_key))
        _local_memos[cache_key] = memo
        _local_memos.move_to_end(cache_key)
        while len(_local_memos) > LOCAL_MEMO_ENTRIES or _local_bytes[0] > LOCAL_MEMO_BYTES:
            _old_key, old = _local_memos.popitem(last=False)
            _local_bytes[0] -= _local_size(old)


def _usable(memo: Any, gen: str, now: float) -> bool:
    return (
        isinstance(memo, _Memo)
        and (memo.valid_until is None or now < memo.valid_until)
        and (memo.generation == gen or versions_of(memo.tags) == memo.versions)
    )


# What unpickling a value stored by an earlier release can raise (a model or a class
# changed since); the store being out of reach raises other errors.
_UNREADABLE = (pickle.UnpicklingError, AttributeError, EOFError, ImportError, TypeError)


def _read_memo(cache_key: str) -> Any:
    """The stored memo, or None when there is none or it cannot be read any more (then it
    is dropped, so the next build replaces it)."""
    try:
        return cache.get(cache_key)
    except _UNREADABLE:
        logger.warning("Dropping the memoized value %s: it cannot be read", cache_key)
        cache.delete(cache_key)
        return None


def memoize(
    key: str,
    tags: Iterable[str],
    build: Callable[[], T],
    timeout: int | None = MEMO_SECONDS,
    *,
    immutable: bool = False,
    keep: Callable[[T], bool] | None = None,
) -> T:
    """``build()``, kept in the shared cache while the versions of its tags are unchanged.

    Text and numbers are kept in this process's memory as well; ``immutable=True`` says
    the same of another value (tuples of frozen dataclasses, say) that no reader changes.
    ``keep`` decides whether a built value is worth keeping at all (not a lookup that
    found nothing, which anyone can ask for with made-up keys).

    Whatever ``build`` itself depends on (``depends_on``/``valid_until`` inside it) is kept
    with the value, and counts for the response that uses it each time it is served from
    the cache, so a page that uses memoized parts depends on them exactly as if it had
    built them.
    """
    cache_key = _MEMO_PREFIX + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    now = time.time()
    try:
        gen = _render_generation.get() or generation()
        with _local_lock:
            local = _local_memos.get(cache_key)
            if local is not None:
                _local_memos.move_to_end(cache_key)
        if local is not None and _usable(local, gen, now):
            local.generation = gen  # checked: this process's copy only
            note(local.tags, local.valid_until)
            if isinstance(local.value, _Pickled):
                return pickle.loads(local.value.data)  # noqa: S301 - pickled by this process
            return local.value
        memo = _read_memo(cache_key)
    except Exception:
        # The shared store is out of reach: build it afresh rather than fail the page.
        logger.exception("The page cache is unavailable; building %s afresh", key)
        return build()
    if _usable(memo, gen, now):
        note(memo.tags, memo.valid_until)
        if memo.generation != gen:
            memo.generation = gen
            cache.set(cache_key, memo, timeout)
        _keep_local(cache_key, memo, immutable=immutable)
        return memo.value
    with collecting() as inner:
        depends_on(*tags)
        value = build()
    if keep is not None and not keep(value):
        if memo is not None:
            with contextlib.suppress(Exception):
                cache.delete(cache_key)  # the stale value would only be read again
        return value
    all_tags = essential_tags(inner.tags)
    try:
        versions = versions_of(all_tags)
        if generation() == gen:
            # Nothing changed while it was built (see ``_new_versions``): safe to keep.
            memo = _Memo(value, all_tags, versions, gen, inner.valid_until)
            cache.set(cache_key, memo, timeout)
            _too_long.discard(cache_key)  # a new value: it may be short enough now
            _keep_local(cache_key, memo, immutable=immutable)
    except Exception:
        logger.exception("The page cache could not keep %s", key)
    return value


# --- The store -------------------------------------------------------------------


@dataclass
class Entry:
    """A stored response and what it was rendered from."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    tags: tuple[str, ...]
    versions: tuple[str, ...]
    checked_generation: str
    valid_until: float | None
    variant: str
    # A marker for a metered article: the answer depends on each reader's meter, and is
    # kept under the variant plus the meter's state (``meter_state``).
    meter_page: int | None = None
    # The body in each content coding it was compressed with ("br", "gzip").
    encoded: dict[str, Representation] = field(default_factory=dict)

    @cached_property
    def plain(self) -> Representation:
        return Representation(self.body, self.headers, self.etag)

    def representation(self, codings: tuple[str, ...] = ()) -> Representation:
        """The answer in the first of ``codings`` it was kept in, else the plain one."""
        for coding in codings:
            found = self.encoded.get(coding)
            if found is not None:
                return found
        return self.plain

    @cached_property
    def self_checked(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if tag in SELF_CHECKED_TAGS)

    @cached_property
    def self_checked_versions(self) -> tuple[str, ...]:
        return tuple(
            v for tag, v in zip(self.tags, self.versions, strict=True) if tag in SELF_CHECKED_TAGS
        )

    @cached_property
    def size(self) -> int:
        return sum(
            len(rep.body) + sum(len(k) + len(v) for k, v in rep.headers) + 256
            for rep in (self.plain, *self.encoded.values())
        )


@dataclass(frozen=True)
class Representation:
    """One encoding of a stored answer: its body, headers and validator."""

    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    coding: str | None = None  # None for the plain body

    @cached_property
    def wsgi_headers(self) -> list[tuple[str, str]]:
        """The headers of a whole WSGI answer, its length included: made once, sent often."""
        return [*self.headers, ("Content-Length", str(len(self.body)))]


# --- Compression ------------------------------------------------------------------

# Preferred first: brotli's answers are 10-20 % smaller than gzip's at a like cost.
CODINGS = ("br", "gzip")
# Below this a compressed answer saves less than its headers and the work cost.
MIN_COMPRESS_LENGTH = 512
# Quick levels: about 1 ms per 35 KB article each, kept for every later reader.
_BROTLI_QUALITY = 5
_GZIP_LEVEL = 6
_COMPRESSIBLE_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/xml",
        "application/xhtml+xml",
        "image/svg+xml",
    }
)


def compressible(content_type: str) -> bool:
    kind = content_type.partition(";")[0].strip().lower()
    return (
        kind.startswith("text/") or kind in _COMPRESSIBLE_TYPES or kind.endswith(("+xml", "+json"))
    )


def _compress(body: bytes, coding: str) -> bytes:
    if coding == "br":
        import brotli

        return bytes(brotli.compress(body, quality=_BROTLI_QUALITY))
    # mtime=0: the same body always gives the same bytes, so the ETag is stable.
    return gzip.compress(body, compresslevel=_GZIP_LEVEL, mtime=0)


def _coded_etag(etag: str, coding: str) -> str:
    """A strong validator per encoding (RFC 9110 8.8.3): ``"abc"`` → ``"abc-br"``."""
    if etag.endswith('"'):
        return f'{etag[:-1]}-{coding}"'
    return f"{etag}-{coding}"


def encodings(body: bytes, headers: list[tuple[str, str]], etag: str) -> dict[str, Representation]:
    """The compressed encodings worth keeping of a plain answer (none for small bodies)."""
    if len(body) < MIN_COMPRESS_LENGTH:
        return {}
    found: dict[str, Representation] = {}
    for coding in CODINGS:
        compressed = _compress(body, coding)
        if len(compressed) >= len(body):
            continue
        coded = _coded_etag(etag, coding)
        coded_headers = [
            (name, coded if name.lower() == "etag" else value) for name, value in headers
        ]
        coded_headers.append(("Content-Encoding", coding))
        found[coding] = Representation(compressed, coded_headers, coded, coding)
    return found


# RFC 9110 12.4.2: a weight is 0 to 1 with at most three decimals.
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")
# Longer headers are answered without being remembered (no browser sends one).
_MAX_REMEMBERED_HEADER = 256


def accepted_codings(accept_encoding: str) -> tuple[str, ...]:
    """The kept encodings a reader accepts, best first; empty for the plain body.

    The reader's weights decide (RFC 9110 12.5.3: ``*`` stands for codings not named,
    ``q=0`` refuses one, a weight outside 0-1 counts as a refusal, a coding named twice
    takes the lower weight), brotli before gzip at equal weight, and nothing weighed below
    ``identity`` (or ``*``, which stands for it when it is not named).
    """
    if not accept_encoding:
        return ()
    if len(accept_encoding) > _MAX_REMEMBERED_HEADER:
        return _ranked_codings.__wrapped__(accept_encoding)
    return _ranked_codings(accept_encoding)


@functools.lru_cache(maxsize=256)
def _ranked_codings(accept_encoding: str) -> tuple[str, ...]:
    """Remembered: readers send few distinct headers."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                weight = float(value) if _QVALUE.match(value) else 0.0
        name = name.strip().lower()
        if name == "x-gzip":
            name = "gzip"
        if name:
            # Named twice: a refusal stands.
            weights[name] = min(weight, weights.get(name, weight))
    default = weights.get("*", 0.0)
    floor = weights.get("identity", default)
    acceptable = {coding: weights.get(coding, default) for coding in CODINGS}
    ranked = [coding for coding, weight in acceptable.items() if weight > 0 and weight >= floor]
    # A stable sort keeps CODINGS' order (brotli first) among equal weights.
    return tuple(sorted(ranked, key=lambda coding: -acceptable[coding]))


class Store:
    """A segmented LRU bounded in bytes: probation for new entries, protected for reused.

    An entry read a second time moves to the protected segment (80% of the bytes); the
    protected segment's oldest entries fall back to probation, and probation's oldest
    are dropped. One-off requests therefore only ever displace each other.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.protected_bytes = int(max_bytes * 0.8)
        self._probation: OrderedDict[str, Entry] = OrderedDict()
        self._protected: OrderedDict[str, Entry] = OrderedDict()
        self._sizes = {"probation": 0, "protected": 0}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._probation) + len(self._protected)

    @property
    def bytes_used(self) -> int:
        return self._sizes["probation"] + self._sizes["protected"]

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._protected.get(key)
            if entry is not None:
                self._protected.move_to_end(key)
                return entry
            entry = self._probation.pop(key, None)
            if entry is None:
                return None
            self._sizes["probation"] -= entry.size
            self._protected[key] = entry
            self._sizes["protected"] += entry.size
            while self._sizes["protected"] > self.protected_bytes and len(self._protected) > 1:
                old_key, old = self._protected.popitem(last=False)
                self._sizes["protected"] -= old.size
                self._probation[old_key] = old
                self._sizes["probation"] += old.size
            self._trim()
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:
            return  # one huge answer must not wipe out the cache
        with self._lock:
            self._discard(key)
            self._probation[key] = entry
            self._sizes["probation"] += entry.size
            self._trim()

    def discard(self, key: str) -> None:
        with self._lock:
            self._discard(key)

    def clear(self) -> None:
        with self._lock:
            self._probation.clear()
            self._protected.clear()
            self._sizes = {"probation": 0, "protected": 0}

    def _discard(self, key: str) -> None:
        for name, segment in (("probation", self._probation), ("protected", self._protected)):
            old = segment.pop(key, None)
            if old is not None:
                self._sizes[name] -= old.size

    def _trim(self) -> None:
        while self.bytes_used > self.max_bytes and self._probation:
            _, old = self._probation.popitem(last=False)
            self._sizes["probation"] -= old.size
        while self.bytes_used > self.max_bytes and self._protected:
            _, old = self._protected.popitem(last=False)
            self._sizes["protected"] -= old.size


_store: Store | None = None


def store() -> Store:
    global _store
    if _store is None:
        _store = Store(settings.MASTHEAD_PAGE_CACHE_MB * 1024 * 1024)
    return _store


def reset() -> None:
    """Forget this process's entries and what it last saw of the shared versions (tests)."""
    store().clear()
    _hot_requests.clear()
    _seen.update(generation="", at=-1e9)
    with _local_lock:
        _local_memos.clear()
        _local_bytes[0] = 0
        _too_long.clear()


# --- Keys and readers ------------------------------------------------------------

# Marketing and click-tracking parameters never change a page: they are left out of the
# key, so a newsletter's tracked links all share the page's entry.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "ref", "_ga", "igshid", "yclid"}
)
_MAX_QUERY_LENGTH = 512


def normalised_query(query_string: str) -> str | None:
    """The query string as it goes into the key: sorted, tracking parameters removed.

    None when the request should not be cached at all (an overlong query).
    """
    if not query_string:
        return ""
    if len(query_string) > _MAX_QUERY_LENGTH:
        return None
    return _normalised(query_string)


@functools.lru_cache(maxsize=4096)
def _normalised(query_string: str) -> str:
    """Remembered: parsing and re-encoding cost more than the rest of a hit, the hot pages'
    queries are few, and a flood of one-off queries only cycles through the oldest
    answers (at most 4,096 of 512 characters)."""
    pairs = [
        (name, value)
        for name, value in parse_qsl(query_string, keep_blank_values=True)
        if name not in TRACKING_PARAMETERS and not name.startswith("utm_")
    ]
    # Sorted by name only: a stable sort keeps repeated names in their order, which
    # decides what the view reads (Django takes the last value).
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))


def cache_key(scheme: str, host: str, path: str, query: str, variant: str) -> str:
    return f"{variant}|{scheme}://{host.lower()}{path}?{query}"


def _bypass_cookie_names() -> tuple[str, ...]:
    return (settings.SESSION_COOKIE_NAME, "messages")


def parse_cookies(header: str) -> dict[str, str]:
    """The request's cookies, read as Django reads them (``request.COOKIES``)."""
    return parse_cookie(header) if header else {}


def variant_for_cookie_header(header: str) -> str | None:
    """The access variant of a request with this ``Cookie`` header; None when it must
    bypass the cache.

    Staff (a session cookie) and readers with a pending flash message bypass the cache.
    A member's variant comes from this process's memory or the shared store when it is
    there (``membership.variants``). A reader sends the same header with every request,
    and reading it was most of the work of a signed-in member's hit: what it says is
    remembered per header.
    """
    if not header:
        return "anonymous"
    member_cookie = (
        _member_cookie_in(header)
        if len(header) <= _MAX_REMEMBERED_COOKIE_HEADER
        else _member_cookie_in.__wrapped__(header)
    )
    if member_cookie is None:
        return None
    if not member_cookie:
        return "anonymous"
    return _variants().variant_for_cookie(member_cookie)


# Longer headers are read each time: memory stays bounded whatever readers send.
_MAX_REMEMBERED_COOKIE_HEADER = 4096


@functools.cache
def _variants() -> ModuleType:
    """``membership.variants``, imported on first use, once the apps are loaded: an
    import statement in the function costs about 0.6 µs on every signed-in member's hit."""
    from masthead.membership import variants

    return variants


@functools.lru_cache(maxsize=4096)
def _member_cookie_in(header: str) -> str | None:
    """The member cookie in a ``Cookie`` header ("" if none), None when the request must
    bypass the cache."""
    cookies = parse_cookies(header)
    for name in _bypass_cookie_names():
        if name in cookies:
            return None
    return cookies.get(settings.MASTHEAD_MEMBER_COOKIE) or ""


# --- Serving hits ------------------------------------------------------------------


@dataclass
class Hit:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    content_length: int
    meter: Any = None  # the reader's MeterDecision, whose cookie the answer must carry
    # Where a whole answer came from, for the WSGI wrapper's index of hot requests.
    key: str = ""
    codings: tuple[str, ...] = ()
    entry: Entry | None = None


def meter_state(decision: Any) -> str:
    """What a metered article shows for a meter decision: the same for every reader in it."""
    if decision.granted:
        return "granted"
    return "start" if decision.needs_start else "used-up"


def _decide_meter(request: HttpRequest, page_id: int) -> Any:
    """The reader's meter decision for ``page_id``, spending it as rendering would."""
    from masthead.membership.metering import use_meter
    from masthead.membership.middleware import reader_for_member, resolve_member

    reader = reader_for_member(resolve_member(request))
    return use_meter(request, reader, page_id=page_id)


def enabled() -> bool:
    return _settings().enabled


def lookup(
    *,
    method: str,
    scheme: str,
    host: str,
    path: str,
    query_string: str,
    cookie_header: str,
    if_none_match: str,
    has_authorization: bool,
    accept_encoding: str = "",
    request: HttpRequest | None = None,
) -> Hit | None:
    """The cached answer to this request, or None to let Django render it.

    Shared by the WSGI wrapper (before Django) and the middleware (under the test client
    and any other handler), so both answer exactly alike. A metered article needs the
    reader's meter, which only the middleware (with ``request``) can decide.
    """
    if method not in ("GET", "HEAD") or has_authorization:
        return None
    query = normalised_query(query_string)
    if query is None:
        return None
    variant = variant_for_cookie_header(cookie_header)
    if variant is None:
        return None
    key = cache_key(scheme, host, path, query, variant)
    entry = _valid_entry(key)
    if entry is None:
        return None
    decision = None
    if entry.meter_page is not None:
        if request is None:
            return None
        decision = _decide_meter(request, entry.meter_page)
        if decision is None:
            return None
        key = f"{key}+meter:{meter_state(decision)}"
        entry = _valid_entry(key)
        if entry is None:
            return None
    codings = accepted_codings(accept_encoding)
    rep = entry.representation(codings)
    if if_none_match and decision is None and _etag_matches(if_none_match, entry.etag):
        headers = [(k, v) for k, v in rep.headers if k.lower() in _NOT_MODIFIED_HEADERS]
        return Hit(304, headers, b"", 0)
    body = b"" if method == "HEAD" else rep.body
    return Hit(entry.status, rep.headers, body, len(rep.body), decision, key, codings, entry)


def _valid_entry(key: str) -> Entry | None:
    """The stored entry under ``key`` if it is still current; a stale one is dropped."""
    the_store = store()
    entry = the_store.get(key)
    if entry is None:
        return None
    if entry.valid_until is not None and time.time() >= entry.valid_until:
        the_store.discard(key)
        return None
    gen = generation(fresh=False)
    if entry.checked_generation != gen:
        if versions_of(entry.tags) != entry.versions:
            the_store.discard(key)
            return None
        entry.checked_generation = gen
    elif entry.self_checked and versions_of(entry.self_checked) != entry.self_checked_versions:
        the_store.discard(key)
        return None
    return entry


# RFC 9110 15.4.5: a 304 carries the validators and caching headers a 200 would have.
_NOT_MODIFIED_HEADERS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "vary"}
    | {"surrogate-key", "cache-tag", "x-cache"}
)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether the reader holds this answer, in any of its encodings.

    Weak comparison, as RFC 9110 asks for If-None-Match, of the validators without their
    encoding's suffix (``"abc-br"`` is ``"abc"`` compressed: the same content). As Apache
    does for its ``-gzip`` ETags: a reader who got brotli, or a live page poll whose next
    answer is too small to compress, still gets its 304.
    """
    if if_none_match.strip() == "*":
        return True
    wanted = _base_etag(etag)
    return any(_base_etag(tag.strip()) == wanted for tag in if_none_match.split(","))


def _base_etag(etag: str) -> str:
    etag = etag.removeprefix("W/")
    for coding in CODINGS:
        suffix = f'-{coding}"'
        if etag.endswith(suffix):
            return etag[: -len(suffix)] + '"'
    return etag


# --- Storing misses ------------------------------------------------------------------

# Per URL name: what those views show, for views outside Wagtail's page tree.
VIEW_TAGS: dict[str, tuple[str, ...]] = {
    "publishing:tag": ("listing",),
    "publishing:author": ("listing",),
    "publishing:news_feed": ("listing", "live"),
    "publishing:search": ("listing", "search"),
    "publishing:search_suggest": ("listing", "search"),
    "publishing:corrections": ("listing",),
    "publishing:robots_txt": (),
    "publishing:sitemap": ("listing", "live"),
    "publishing:sitemap_news": ("listing", "live"),
    "publishing:sitemap_section": ("listing", "live"),
    "publishing:sitemap_section_page": ("listing", "live"),
    "publishing:live_updates": ("listing", "live"),
    "publishing:live_feed_rss": ("listing", "live"),
    "publishing:live_feed_atom": ("listing", "live"),
    "publishing:live_feed_json": ("listing", "live"),
}
FEED_PREFIXES: tuple[str, ...] = (
    "publishing:feed_",
    "publishing:tag_feed_",
    "publishing:author_feed_",
    "publishing:news_feed_feed_",
    "publishing:corrections_",
)
CONTENT_API_PREFIX = "/ghost/api/content/"


def tags_for_view(url_name: str | None, path: str) -> tuple[str, ...] | None:
    """The tags of a non-page view's answers; None for views that are never cached."""
    if url_name in VIEW_TAGS:
        return VIEW_TAGS[url_name]
    if url_name and url_name.startswith(FEED_PREFIXES):
        return ("listing", "live")  # a live page's entry carries its latest updates
    if path.startswith(CONTENT_API_PREFIX):
        return ("listing", "live")
    return None


def _cacheable_response(
    request: HttpRequest, response: HttpResponseBase, *, metered: bool = False
) -> bool:
    """Whether an answer may be kept for other readers of the same variant.

    A metered article is the one exception to "private or with a cookie: never": it is
    private and sets the reader's meter cookie, but its HTML depends only on the meter's
    state, so it is kept per state without the cookie (``meter_state``).
    """
    if response.status_code != 200 or response.streaming:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # the page carries this reader's CSRF token
    cookies = set(response.cookies)
    if metered:
        from masthead.membership.metering import METER_COOKIE

        cookies.discard(METER_COOKIE)
        return not cookies and "no-store" not in response.get("Cache-Control", "").lower()
    if cookies or response.has_header("Set-Cookie"):
        return False
    control = response.get("Cache-Control", "").lower()
    return not any(word in control for word in ("private", "no-store", "no-cache"))


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def cache_control_for(variant: str) -> str:
    """Shared caches may keep anonymous answers (the CDN is purged on change); a member's
    answer is for their browser only, which revalidates it with its ETag."""
    if variant != "anonymous":
        return "private, no-cache"
    return (
        f"public, max-age=0, s-maxage={settings.MASTHEAD_EDGE_MAX_AGE}, "
        f"stale-while-revalidate={settings.MASTHEAD_EDGE_STALE_SECONDS}"
    )


class PageCacheMiddleware:
    """Answer from the page cache, and keep what Django renders for the next reader.

    It is the outermost middleware, so what it stores is exactly what readers got,
    headers of the other middleware included, and what it answers skips them all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not enabled():
            # Pages are not kept, but the parts they share still are (``memoize``).
            try:
                gen: str | None = generation()
            except Exception:
                # The shared store is out of reach: ``memoize`` builds parts afresh.
                logger.exception("The page cache is unavailable; serving %s", request.path)
                gen = None
            token = _render_generation.set(gen)
            try:
                return self.get_response(request)
            finally:
                _render_generation.reset(token)
        host = request.get_host()  # a host not allowed is a 400 here, as without the cache
        try:
            hit = lookup(
                method=request.method or "GET",
                scheme=request.scheme or "http",
                host=host,
                path=request.path,
                query_string=request.META.get("QUERY_STRING", ""),
                cookie_header=request.META.get("HTTP_COOKIE", ""),
                if_none_match=request.META.get("HTTP_IF_NONE_MATCH", ""),
                has_authorization="HTTP_AUTHORIZATION" in request.META,
                accept_encoding=request.META.get("HTTP_ACCEPT_ENCODING", ""),
                request=request,
            )
            if hit is not None:
                return _response_from_hit(hit)
            variant = variant_for_cookie_header(request.META.get("HTTP_COOKIE", ""))
            gen = generation()
        except Exception:
            # The shared store is out of reach: serve uncached rather than fail, and stop
            # trusting pages this process can no longer check.
            logger.exception("The page cache is unavailable; serving %s uncached", request.path)
            store().clear()
            return self.get_response(request)
        return self._render(request, variant, gen)

    def _render(self, request: HttpRequest, variant: str | None, gen: str) -> HttpResponseBase:
        token = _render_generation.set(gen)
        request._pagecache_variant = variant  # type: ignore[attr-defined]
        try:
            with collecting() as collector:
                request._pagecache_collector = collector  # type: ignore[attr-defined]
                response = self.get_response(request)
        finally:
            _render_generation.reset(token)
        if not getattr(request, "_pagecache_tags_known", False) or not collector.tags:
            return _answer_condition(request, response)
        try:
            entry = self._store(request, response, collector, gen, variant)
        except Exception:
            logger.exception("The page cache could not keep %s", request.path)
            store().clear()
            entry = None
        if entry is not None and entry.encoded:
            _encode_response(request, response, entry)
        return _answer_condition(request, response)

    def process_view(self, request: HttpRequest, view_func: Any, *args: Any) -> None:
        match = request.resolver_match
        url_name = match.view_name if match is not None else None
        if url_name == "wagtail_serve":
            _hold_condition(request)
            return None  # Wagtail pages name their tags in the before_serve_page hook
        tags = tags_for_view(url_name, request.path_info)
        if tags is not None:
            _hold_condition(request)
            mark_cacheable(request, "site", *tags)
        return None

    def _store(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        collector: Collector,
        gen: str,
        variant: str | None,
    ) -> Entry | None:
        """Keep the answer under the variant decided before the render, if it is still
        the variant of the reader it was rendered for and of the request's cookies now
        (access may have changed during the render). The entry kept, if any."""
        query = normalised_query(request.META.get("QUERY_STRING", ""))
        if variant != _rendered_variant(request) or variant != variant_for_cookie_header(
            request.META.get("HTTP_COOKIE", "")
        ):
            return None
        metered = getattr(request, "_masthead_meter", None)
        if (
            request.method not in ("GET", "HEAD")
            or "HTTP_AUTHORIZATION" in request.META
            or getattr(request, "is_preview", False)
            or query is None
            or variant is None
            or not isinstance(response, HttpResponse)
            or not _cacheable_response(request, response, metered=metered is not None)
        ):
            return None
        compress = compressible(response.get("Content-Type", "")) and not response.has_header(
            "Content-Encoding"
        )
        if compress:
            patch_vary_headers(response, ("Accept-Encoding",))
        if not response.has_header("ETag"):
            response["ETag"] = etag_for(response.content)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = cache_control_for(variant)
        tags = essential_tags(collector.tags)
        from .edge import surrogate_header_values

        for name, value in surrogate_header_values(list(tags)).items():
            response[name] = value
        if request.method == "HEAD":
            return None  # no body to keep
        versions = _versions_for_entry(request, tags)
        if generation() != gen:
            return None  # a change during the render may not be in it (see ``_new_versions``)
        headers = [(k, v) for k, v in response.items() if k.lower() not in _HOP_HEADERS]
        entry = Entry(
            status=response.status_code,
            headers=headers,
            body=response.content,
            etag=response["ETag"],
            tags=tags,
            versions=versions,
            checked_generation=gen,
            valid_until=collector.valid_until,
            variant=variant,
            encoded=encodings(response.content, headers, response["ETag"]) if compress else {},
        )
        key = cache_key(request.scheme or "http", request.get_host(), request.path, query, variant)
        if metered is not None:
            page_id, decision = metered
            marker = Entry(
                200, [], b"", "", tags, entry.versions, gen, entry.valid_until, variant, page_id
            )
            store().put(key, marker)
            key = f"{key}+meter:{meter_state(decision)}"
        store().put(key, entry)
        return entry


def _encode_response(request: HttpRequest, response: HttpResponseBase, entry: Entry) -> None:
    """Give the reader whose request was rendered the encoding the next readers get."""
    rep = entry.representation(accepted_codings(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    if rep.coding is None or not isinstance(response, HttpResponse):
        return  # the reader takes the plain answer
    response.content = rep.body
    response["Content-Encoding"] = rep.coding
    response["Content-Length"] = str(len(rep.body))
    response["ETag"] = rep.etag


def _hold_condition(request: HttpRequest) -> None:
    """Let the view render the whole answer to a conditional request, so it can be kept.

    A reader who holds an ETag (a live page's poll after a change, a browser revalidating)
    would otherwise get the view's own 304, which has no body to keep, and every such
    reader would reach the view. Without the condition the view renders the answer, the
    cache keeps it, and ``_answer_condition`` still gives this reader the 304; the next
    readers are answered from the cache.
    """
    if request.method != "GET" or getattr(request, "_pagecache_variant", None) is None:
        return
    held = request.META.pop("HTTP_IF_NONE_MATCH", None)
    if held is not None:
        request._pagecache_if_none_match = held  # type: ignore[attr-defined]


def _answer_condition(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """The 304 for a condition held back from the view, when the answer still has that ETag
    (in any of its encodings)."""
    held = getattr(request, "_pagecache_if_none_match", None)
    if held is None:
        return response
    request.META["HTTP_IF_NONE_MATCH"] = held
    etag = response.get("ETag")
    if (
        response.status_code != 200
        or not etag
        or response.cookies
        or response.has_header("Set-Cookie")
        or not _etag_matches(held, etag)
    ):
        return response
    not_modified = HttpResponseNotModified()
    for name, value in response.items():
        if name.lower() in _NOT_MODIFIED_HEADERS:
            not_modified[name] = value
    return not_modified


# Set per answer, not stored: the length is the stored body's, cookies are never kept.
_HOP_HEADERS = frozenset({"set-cookie", "content-length", "connection", "date"})


def _rendered_variant(request: HttpRequest) -> str | None:
    """The variant of the reader the page was rendered for (what the middleware resolved,
    if the page asked); the cookie's variant when it never asked."""
    reader = getattr(request, "reader", None)
    if reader is None or getattr(reader, "_wrapped", None) is empty:
        return variant_for_cookie_header(request.META.get("HTTP_COOKIE", ""))
    return str(reader.variant) if reader.kind != "staff" else None


def _versions_for_entry(request: HttpRequest, tags: tuple[str, ...]) -> tuple[str, ...]:
    before = getattr(request, "_pagecache_versions_before", {})
    current = versions_of(tags)
    return tuple(before.get(tag, version) for tag, version in zip(tags, current, strict=True))


def mark_cacheable(request: HttpRequest, *tags: str) -> None:
    """Let this request's answer be cached, depending on ``tags`` (and whatever else
    its rendering names)."""
    collector = getattr(request, "_pagecache_collector", None)
    if collector is None:
        return
    request._pagecache_tags_known = True  # type: ignore[attr-defined]
    collector.tags.update(tags)
    checked = [tag for tag in tags if tag in SELF_CHECKED_TAGS]
    if checked:
        # Their versions before the render: a bump during it leaves the entry behind.
        request._pagecache_versions_before = dict(  # type: ignore[attr-defined]
            zip(checked, versions_of(checked), strict=True)
        )


def _response_from_hit(hit: Hit) -> HttpResponse:
    response = HttpResponse(hit.body, status=hit.status)
    for name, value in hit.headers:
        response[name] = value
    if hit.status == 200:
        response["Content-Length"] = str(hit.content_length)
    if hit.meter is not None:
        from masthead.membership.metering import store_meter_cookie

        store_meter_cookie(response, hit.meter)
    return response


# --- The WSGI wrapper ---------------------------------------------------------------


class CachedApplication:
    """A WSGI application that answers page-cache hits before Django sees the request.

    A hit costs a dictionary lookup and one read of the shared generation, so cached
    pages are served at close to a static file's speed; everything else goes to Django.
    A request seen before without cookies, validators or credentials skips even the
    parsing (``_hot_requests``).
    """

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        conf = _hit_settings if _hit_settings.loaded else _hit_settings.load()
        if not conf.enabled:
            return self.application(environ, start_response)
        raw: tuple[str | None, ...] | None = None
        rep: Representation | None = None
        hit: Hit | None = None
        try:
            raw = tuple(map(environ.get, conf.raw_names))
            rep = _hot_answer(raw)
            if rep is None:
                hit = lookup(
                    method=environ.get("REQUEST_METHOD", "GET"),
                    scheme=_scheme(environ),
                    host=_host(environ),
                    path=_path(environ),
                    query_string=environ.get("QUERY_STRING", ""),
                    cookie_header=environ.get("HTTP_COOKIE", ""),
                    if_none_match=environ.get("HTTP_IF_NONE_MATCH", ""),
                    has_authorization="HTTP_AUTHORIZATION" in environ,
                    accept_encoding=environ.get("HTTP_ACCEPT_ENCODING", ""),
                )
        except Exception:
            # The cache must never take the site down: Django answers, uncached.
            logger.exception("The page cache is unavailable")
            store().clear()
            rep = hit = None
        if rep is not None:
            start_response("200 OK", list(rep.wsgi_headers))  # the server may add to it
            return [rep.body]
        if hit is None:
            return self.application(environ, start_response)
        if hit.status == 304:
            start_response("304 Not Modified", hit.headers)
            return [b""]
        if raw is not None and hit.entry is not None and _hot_entry(hit.entry):
            member_cookie = _plain_request(environ, conf)
            if member_cookie is not None:
                if len(_hot_requests) >= _HOT_REQUESTS:
                    _hot_requests.clear()  # a flood of distinct requests only costs re-parsing
                _hot_requests[raw] = (hit.key, hit.codings, member_cookie, hit.entry.variant)
        length = ("Content-Length", str(hit.content_length))
        start_response(f"{hit.status} OK", [*hit.headers, length])
        return [hit.body]


# A raw request answered before (the environ's values of ``_HitSettings.raw_names``) →
# its cache key, accepted codings, member cookie ("" for none) and access variant. Only
# the parsing is skipped: every answer still comes from the store and is checked as
# ``lookup`` checks it, and a member's variant is checked again, so an index entry can
# never outlive what it points to. Its values are taken as sent, not normalised: two
# spellings of one request are two index entries for the same answer.
_hot_requests: dict[tuple[str | None, ...], tuple[str, tuple[str, ...], str, str]] = {}
_HOT_REQUESTS = 4096


def _plain_request(environ: dict[str, Any], conf: _HitSettings) -> str | None:
    """The member cookie of a request whose answer holds for every request sent alike
    ("" for none), or None for a request that needs ``lookup``'s whole work each time.

    A validator or credentials need it, as do staff (a session cookie) and readers with
    a flash message; so does a path mounted under a script name, whose key ``_path``
    builds. An overlong ``Accept-Encoding`` or ``Cookie`` is not remembered (as in
    ``accepted_codings``): the index stays small whatever clients send.
    """
    if (
        environ.get("REQUEST_METHOD") != "GET"
        or len(environ.get("HTTP_ACCEPT_ENCODING", "")) > _MAX_REMEMBERED_HEADER
        or "HTTP_IF_NONE_MATCH" in environ
        or "HTTP_AUTHORIZATION" in environ
        or environ.get("SCRIPT_NAME")
        or "SCRIPT_URL" in environ
        or "REDIRECT_URL" in environ
        or conf.script_name is not None
    ):
        return None
    cookie_header = environ.get("HTTP_COOKIE", "")
    if not cookie_header:
        return ""
    if len(cookie_header) > _MAX_REMEMBERED_COOKIE_HEADER:
        return None
    return _member_cookie_in(cookie_header)


def _hot_entry(entry: Entry) -> bool:
    """Whether a hit may be answered from the index: not a metered article's (each
    reader's meter decides) nor one whose tags are checked on every hit."""
    return entry.status == 200 and entry.meter_page is None and not entry.self_checked


def _hot_answer(raw: tuple[str | None, ...]) -> Representation | None:
    """The answer to a request in the index, if its entry is kept and current.

    The generation check is ``_valid_entry``'s cheap half; when the generation moved,
    the full lookup checks the entry's versions (and puts it back here).
    """
    found = _hot_requests.get(raw)
    if found is None:
        return None
    key, codings, member_cookie, variant = found
    if member_cookie and _variants().variant_for_cookie(member_cookie) != variant:
        return None  # the member's access changed: ``lookup`` finds the new key
    entry = store().get(key)
    if (
        entry is None
        or not _hot_entry(entry)
        or (entry.valid_until is not None and time.time() >= entry.valid_until)
        or entry.checked_generation != generation(fresh=False)
    ):
        return None
    return entry.representation(codings)


def _scheme(environ: dict[str, Any]) -> str:
    """``HttpRequest.scheme``'s rule, so both paths build the same key."""
    conf = _settings()
    if conf.proxy_ssl_header:
        header, secure_value = conf.proxy_ssl_header
        value = environ.get(header)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return str(environ.get("wsgi.url_scheme", "http"))


def _host(environ: dict[str, Any]) -> str:
    """``HttpRequest._get_raw_host``'s rule (forwarded host and port included)."""
    conf = _settings()
    if conf.forwarded_host and "HTTP_X_FORWARDED_HOST" in environ:
        return str(environ["HTTP_X_FORWARDED_HOST"])
    if "HTTP_HOST" in environ:
        return str(environ["HTTP_HOST"])
    host = str(environ.get("SERVER_NAME", ""))
    if conf.forwarded_port and "HTTP_X_FORWARDED_PORT" in environ:
        port = str(environ["HTTP_X_FORWARDED_PORT"])
    else:
        port = str(environ.get("SERVER_PORT", ""))
    if port != ("443" if _scheme(environ) == "https" else "80"):
        host = f"{host}:{port}"
    return host


def _path(environ: dict[str, Any]) -> str:
    """``request.path`` as Django builds it (script name, then path info)."""
    path_info = environ.get("PATH_INFO", "/")
    if (
        path_info.startswith("/")
        and path_info.isascii()
        and not environ.get("SCRIPT_NAME")
        and not environ.get("SCRIPT_URL")
        and not environ.get("REDIRECT_URL")
        and _settings().script_name is None
    ):
        return str(path_info)  # nothing to re-decode: Django would give the same
    from django.core.handlers.wsgi import get_path_info, get_script_name

    return get_script_name(environ) + get_path_info(environ)
