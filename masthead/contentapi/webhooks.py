"""Ghost's webhooks: which events have listeners, their payloads, and sending them.

An event becomes one ``WebhookDelivery`` row per active webhook listening for it, written
in the transaction that made the change, and a ``deliver_webhook`` task enqueued once that
transaction commits. The request is made as Ghost makes it
(``core/server/services/webhooks/webhook-trigger.js``): a JSON body, ``Content-Version``,
and, when the webhook has a secret, ``X-Ghost-Signature: sha256=<hmac>, t=<ms>`` where the
HMAC-SHA256 covers the body followed by the timestamp. A 410 answer deletes the webhook, as
Ghost does; other failures are retried with growing waits.

Payloads follow ``core/server/services/webhooks/serialize.js``: ``{"post": {"current":
{…}, "previous": {…changed fields…}}}``, posts and pages in the Admin API shape with
``html`` and ``plaintext``, tags and authors; a deleted object is ``previous`` with an
empty ``current``; ``site.changed`` sends ``{}``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from typing import Any

from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from masthead.membership.access import STAFF
from masthead.membership.models import Member
from masthead.publishing.models import ArticlePage, StandardPage, Tag

from . import serializers
from .http import GHOST_VERSION
from .models import Webhook, WebhookDelivery, WebhookEvent
from .serializers import Context

logger = logging.getLogger(__name__)

# Ghost gives a receiver 2 s and retries at once; a newsroom's Zapier flow or static-site
# build hook is often slower to answer, and retries here wait, so allow a little more.
# TIMEOUT_SECONDS bounds each socket operation (connecting, one read); a receiver that
# drips its answer a byte at a time would pass every one of them, so DEADLINE_SECONDS
# bounds the whole attempt: when it passes, the connection is shut from another thread.
TIMEOUT_SECONDS = 5
DEADLINE_SECONDS = 10
MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
LONGEST_WAIT_SECONDS = 3600
# While a delivery is being sent its next attempt is pushed this far ahead, so a second
# runner (the sweep, or a duplicated task) leaves it alone. An attempt lasts at most the
# deadline plus the name lookup (which no socket timeout covers) and the database writes,
# so five times the deadline leaves a wide margin.
LEASE_SECONDS = 5 * DEADLINE_SECONDS
# The events with listeners are kept in the shared cache (so every process sees a new
# webhook at once) and, for a moment, in each thread (so a burst of saves costs nothing).
LISTENED_EVENTS_KEY = "masthead:contentapi:listened-events"
LISTENED_EVENTS_SECONDS = 300
LOCAL_SECONDS = 1.0
ERROR_LENGTH = 2000
RESPONSE_BYTES_READ = 64 * 1024

Payload = dict[str, Any]
PayloadSource = Payload | Callable[[], Payload]


# --- Which events have listeners ---------------------------------------------------


class _State(threading.local):
    def __init__(self) -> None:
        self.events: frozenset[str] | None = None
        self.read_at = 0.0
        self.suppressed = 0


_state = _State()


def forget_listened_events(**_kwargs: Any) -> None:
    """Read the events with listeners again: a webhook or an integration changed."""
    _state.events = None
    caches["default"].delete(LISTENED_EVENTS_KEY)
    # Again after the commit: a process that read the table before it committed may
    # have cached the old answer.
    transaction.on_commit(lambda: caches["default"].delete(LISTENED_EVENTS_KEY), robust=True)


def forget_local_events(**_kwargs: Any) -> None:
    """Drop this thread's copy, so a new request or task reads the shared cache."""
    _state.events = None


def listened_events() -> frozenset[str]:
    """The events at least one active webhook listens for.

    Every save of an article, tag or member asks this first, so seeding a large demo,
    importing an archive or a site nobody has connected a tool to pays a cache read
    instead of building payloads nobody receives; the table is read once per change
    of webhooks (or every few minutes).
    """
    now = time.monotonic()
    if _state.events is not None and now - _state.read_at <= LOCAL_SECONDS:
        return _state.events
    store = caches["default"]
    events = store.get(LISTENED_EVENTS_KEY)
    if not isinstance(events, frozenset):
        events = frozenset(
            Webhook.objects.filter(integration__revoked_at__isnull=True)
            .values_list("event", flat=True)
            .distinct()
        )
        store.set(LISTENED_EVENTS_KEY, events, timeout=LISTENED_EVENTS_SECONDS)
    _state.events = events
    _state.read_at = now
    return events


def wants(*events: str) -> bool:
    """True when any of ``events`` would be delivered somewhere right now."""
    if _state.suppressed:
        return False
    listened = listened_events()
    return any(event in listened for event in events)


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """Fire no webhooks inside this block, in this thread: imports and demo seeding.

    Ghost fires none for imports either (``options.importing`` in ``listen.js``): a tool
    listening for ``post.published`` should not receive the whole archive at once.
    """
    _state.suppressed += 1
    try:
        yield
    finally:
        _state.suppressed -= 1


# --- Payloads ----------------------------------------------------------------------


def resource_name(event: str) -> str:
    """The payload's key: ``post`` for ``post.tag.attached``, ``page`` for ``page.added``."""
    return event.split(".", 1)[0]


def payload(
    event: str, *, current: Payload | None = None, previous: Payload | None = None
) -> Payload:
    """Ghost's payload for ``event``; ``previous`` keeps only the keys that changed."""
    if event == WebhookEvent.SITE_CHANGED:
        return {}
    current = current or {}
    previous = previous or {}
    if current and previous:
        previous = changed_fields(previous, current)
    return {resource_name(event): {"current": current, "previous": previous}}


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> Payload:
    """The keys of ``before`` whose value differs in ``after``, with their old values."""
    return {key: value for key, value in before.items() if after.get(key) != value}


def _serializer_context() -> Context:
    # The Admin API's view (nothing gated) with what Ghost's serialize.js asks for.
    return Context(
        api="admin",
        reader=STAFF,
        include=frozenset({"tags", "authors"}),
        formats=frozenset({"html", "plaintext"}),
    )


def serialize_post(page: ArticlePage | StandardPage) -> Payload:
    """An article (Ghost post) or standard page (Ghost page) as webhooks carry it."""
    context = _serializer_context()
    if isinstance(page, StandardPage):
        return dict(serializers.serialize_pages([page], context)[0])
    return dict(serializers.serialize_posts([page], context)[0])


def fresh_post(page: ArticlePage | StandardPage) -> Payload:
    """The article or page as stored now, loaded with what the serializer needs."""
    stored: ArticlePage | StandardPage | None
    if isinstance(page, StandardPage):
        stored = serializers.page_queryset("admin").filter(pk=page.pk).first()
    else:
        stored = serializers.post_queryset("admin").filter(pk=page.pk).first()
    return serialize_post(stored) if stored is not None else {}


def serialize_tag(tag: Tag) -> Payload:
    return dict(serializers.serialize_tags([tag], _serializer_context())[0])


def serialize_member(member: Member) -> Payload:
    """The member as stored now, in the Admin API's shape."""
    from . import member_serializers

    stored = member_serializers.member_queryset().filter(pk=member.pk).first()
    return dict(member_serializers.serialize_members([stored or member], _serializer_context())[0])


# --- Recording events --------------------------------------------------------------


def trigger(event: str, source: PayloadSource) -> list[int]:
    """Record one delivery of ``event`` per active webhook listening for it.

    ``source`` is the payload or a function building it, called only when someone
    listens. Call inside the transaction making the change: the rows commit with it,
    and their tasks are enqueued once it has committed.
    """
    if not wants(event):
        return []
    webhooks = list(
        Webhook.objects.filter(event=event, integration__revoked_at__isnull=True).only("pk")
    )
    if not webhooks:
        return []
    body = source() if callable(source) else source
    # Stored as the JSON text that will be sent, so what is signed is what was recorded.
    stored = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(webhook=webhook, event=event, payload=stored) for webhook in webhooks]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: enqueue(ids), robust=True)
    return ids


def trigger_many(events: Iterable[str], source: PayloadSource) -> None:
    """``trigger`` for several events sharing one payload, built at most once."""
    built: list[Payload] = []

    def once() -> Payload:
        if not built:
            built.append(source() if callable(source) else source)
        return built[0]

    for event in events:
        trigger(event, once)


def enqueue(delivery_ids: Iterable[int]) -> None:
    from .tasks import deliver_webhook

    for delivery_id in delivery_ids:
        deliver_webhook.enqueue(delivery_id=delivery_id)


# --- Sending -----------------------------------------------------------------------


def user_agent() -> str:
    try:
        version = metadata.version("masthead")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"masthead/{version} (Ghost-compatible webhooks)"


def signature(secret: str, body: bytes, timestamp_ms: int) -> str:
    """Ghost's ``X-Ghost-Signature`` value for ``body`` sent at ``timestamp_ms``."""
    digest = hmac.new(
        secret.encode(), body + str(timestamp_ms).encode(), hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}, t={timestamp_ms}"


def is_web_url(url: str) -> bool:
    """Only http and https targets: never ``file:``, ``ftp:`` or a bare path."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min… at most 1 h."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_WAIT_SECONDS)
    )


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: ``retry_at`` is set when another attempt is due."""

    sent: bool
    status: int | None = None
    retry_at: datetime | None = None
    skipped: bool = False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the signed body to an address nobody registered.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class DeadlinePassed(TimeoutError):
    """The receiver did not answer within ``DEADLINE_SECONDS``."""


class _Deadline:
    """Shuts the sockets of one attempt once ``seconds`` have passed, whatever they wait for."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.passed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        """Seconds left, at least a sliver, so a socket timeout is never zero (non-blocking)."""
        left = self.expires - time.monotonic()
        if left <= 0 or self.passed:
            raise DeadlinePassed(self.message())
        return max(left, 0.01)

    def message(self) -> str:
        return f"the receiver gave no complete answer within {self.seconds:g} seconds"

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.passed:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # shutdown, not close: a read blocked in another thread returns at once, and the
    # thread that owns the socket still closes it.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        self.timeout = min(TIMEOUT_SECONDS, self.deadline.remaining())
        super().connect()
        self.deadline.watch(self.sock)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        # http.client's own connect, with the TLS handshake made after the socket is
        # watched, so a receiver dripping its handshake is cut off too.
        self.timeout = min(TIMEOUT_SECONDS, self.deadline.remaining())
        http.client.HTTPConnection.connect(self)
        tunnel_host: str | None = getattr(self, "_tunnel_host", None)
        context: ssl.SSLContext = getattr(self, "_context", None) or ssl.create_default_context()
        self.sock = context.wrap_socket(
            self.sock, server_hostname=tunnel_host or self.host, do_handshake_on_connect=False
        )
        self.deadline.watch(self.sock)
        self.sock.do_handshake()


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, deadline=self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPSConnection, deadline=self.deadline), req)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` and return the answer's status, within ``DEADLINE_SECONDS`` in all.

    Once the status line and headers are in, the status is the answer: a body cut off by
    the deadline does not undo a delivery the receiver has accepted.
    """
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  # scheme checked by is_web_url
    with _Deadline(DEADLINE_SECONDS) as deadline:
        opener = urllib.request.build_opener(
            _NoRedirects, _DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline)
        )
        try:
            with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    response.read(RESPONSE_BYTES_READ)
                return int(response.status)
        except urllib.error.HTTPError as error:
            with contextlib.suppress(OSError, http.client.HTTPException):
                error.read(RESPONSE_BYTES_READ)
            return int(error.code)
        except (OSError, http.client.HTTPException) as failure:
            if deadline.passed:
                raise DeadlinePassed(deadline.message()) from failure
            raise


REVOKED_ERROR = (
    "Not sent: the integration was revoked, so its webhooks no longer fire. Restoring it "
    "sends events from then on; this one is not sent again."
)


def fail_revoked(deliveries: QuerySet[WebhookDelivery]) -> int:
    """Mark the pending ``deliveries`` of revoked integrations failed; return how many.

    A revoked integration's keys stop working at once, so its receivers must stop getting
    the site's content at once too, including events recorded before it was revoked.
    """
    return deliveries.filter(
        status=WebhookDelivery.Status.PENDING, webhook__integration__revoked_at__isnull=False
    ).update(status=WebhookDelivery.Status.FAILED, last_error=REVOKED_ERROR)


def claim(delivery_id: int, *, now: datetime, due_only: bool = True) -> WebhookDelivery | None:
    """Take a pending delivery for one attempt, or None when another runner has it.

    One conditional UPDATE decides, so two workers (or a task and the sweep) never both
    send: the winner pushes ``next_attempt_at`` a lease ahead. A delivery of a revoked
    integration is never taken: it is marked failed instead.
    """
    fail_revoked(WebhookDelivery.objects.filter(pk=delivery_id))
    rows = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        webhook__integration__revoked_at__isnull=True,
    )
    if due_only:
        rows = rows.filter(next_attempt_at__lte=now)
    if not rows.update(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS)):
        return None
    return WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()


def attempt(delivery_id: int, *, due_only: bool = True, now: datetime | None = None) -> Outcome:
    """Send one pending delivery once and record what happened."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now=now, due_only=due_only)
    if delivery is None:
        return Outcome(sent=False, skipped=True)
    webhook = delivery.webhook
    body = delivery.payload.encode()
    headers = {
        "Content-Type": "application/json",
        "Content-Version": f"v{GHOST_VERSION}",
        "User-Agent": user_agent(),
    }
    if webhook.secret:
        headers["X-Ghost-Signature"] = signature(webhook.secret, body, int(time.time() * 1000))
    status: int | None = None
    error = ""
    if not is_web_url(webhook.target_url):
        error = "Refused: the target URL must start with http:// or https://."
    else:
        try:
            status = _post(webhook.target_url, body, headers)
        except (OSError, ValueError, http.client.HTTPException) as failure:
            reason = getattr(failure, "reason", failure)
            error = f"Request failed: {type(reason).__name__}: {reason}"[:ERROR_LENGTH]
    finished = timezone.now()
    attempts = delivery.attempts + 1
    if status == 410:
        logger.info(
            "webhook %s (%s → %s) answered 410 Gone; deleting it as Ghost does",
            webhook.pk,
            webhook.event,
            webhook.target_url,
        )
        webhook.delete()
        return Outcome(sent=False, status=status)
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED,
            attempts=attempts,
            delivered_at=finished,
            response_status=status,
            last_error="",
        )
        _record_on_webhook(webhook, at=finished, status=status, error="")
        return Outcome(sent=True, status=status)
    if status is not None:
        error = f"Request failed: the receiver answered HTTP {status}."
    if error.startswith("Refused") or attempts >= MAX_ATTEMPTS:
        retry_at = None
        fields: dict[str, Any] = {"status": WebhookDelivery.Status.FAILED}
        logger.warning(
            "webhook delivery %s to %s failed for good after %s attempts: %s",
            delivery.pk,
            webhook.target_url,
            attempts,
            error,
        )
    else:
        retry_at = finished + retry_delay(attempts)
        fields = {"next_attempt_at": retry_at}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts, response_status=status, last_error=error[:ERROR_LENGTH], **fields
    )
    _record_on_webhook(webhook, at=finished, status=status, error=error)
    return Outcome(sent=False, status=status, retry_at=retry_at)


def _record_on_webhook(webhook: Webhook, *, at: datetime, status: int | None, error: str) -> None:
    # A plain UPDATE: saving the model would bump updated_at, which clients compare.
    Webhook.objects.filter(pk=webhook.pk).update(
        last_triggered_at=at,
        last_triggered_status="" if status is None else str(status),
        last_triggered_error=error[:ERROR_LENGTH],
    )


def due_deliveries(
    *, now: datetime | None = None, late_by: timedelta, limit: int = 500
) -> list[int]:
    """Pending deliveries whose attempt is overdue by ``late_by``: their task was lost.

    Those of revoked integrations are marked failed rather than listed.
    """
    now = now or timezone.now()
    fail_revoked(WebhookDelivery.objects.all())
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now - late_by
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
