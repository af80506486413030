"""Webhooks end to end: masthead's changes become Ghost's events, sent to a real server.

A small HTTP server runs in a thread for each test and stands in for the tool that
registered the webhooks; it checks signatures the way Ghost's docs tell receivers to.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import caches
from django.utils import timezone

from masthead.contentapi import actions, jobs, webhooks
from masthead.contentapi.models import Integration, Webhook, WebhookDelivery
from masthead.contentapi.tasks import deliver_webhook

pytestmark = pytest.mark.django_db


# --- The receiving end ------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signature_is_valid(self, secret: str) -> bool:
        """``X-Ghost-Signature: sha256=<hmac of body + t>, t=<ms>``, checked as a receiver would."""
        header = self.headers.get("X-Ghost-Signature", "")
        parts = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
        expected = hmac.new(
            secret.encode(), self.body + parts.get("t", "").encode(), hashlib.sha256
        ).hexdigest()
        return bool(parts.get("t")) and hmac.compare_digest(parts.get("sha256", ""), expected)


@dataclass
class Receiver:
    """Answers each POST with the next status in ``answers`` (200 once they run out)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def at(self, name: str) -> list[Received]:
        return [item for item in self.received if item.path == f"/{name}"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
                status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_listeners_after_the_test() -> Iterator[None]:
    # The database is rolled back after each test without any signal, so the shared
    # cache is told here that the webhooks made by the test are gone.
    yield
    webhooks.forget_local_events()
    caches["default"].set(webhooks.LISTENED_EVENTS_KEY, frozenset())


@pytest.fixture
def integration() -> Integration:
    return Integration.objects.create(name="Static site build")


@pytest.fixture
def hook(integration: Integration, receiver: Receiver) -> Callable[..., Webhook]:
    """Register a webhook for ``event`` at ``<receiver>/<event>``."""

    def make(event: str, *, secret: str = "", on: Integration | None = None) -> Webhook:
        return Webhook.objects.create(
            integration=on or integration,
            event=event,
            target_url=f"{receiver.url}/{event}",
            secret=secret,
        )

    return make


@pytest.fixture
def committing(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Run the block's on-commit callbacks (the task enqueues) as a real commit would."""

    def run() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return run


# --- Sending: headers, signature, retries, 410, crash safety ------------------------------


def test_a_delivery_is_posted_with_ghosts_headers_and_a_signature_a_receiver_can_check(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("site.changed", secret="s3cret")
    with committing():
        webhooks.trigger("site.changed", {})
    [received] = receiver.at("site.changed")
    assert received.json == {}
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Content-Version"] == "v6.0"
    assert received.headers["User-Agent"].startswith("masthead/")
    assert "Ghost-compatible webhooks" in received.headers["User-Agent"]
    assert received.signature_is_valid("s3cret")
    assert not received.signature_is_valid("another secret")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.response_status == 200
    assert delivery.attempts == 1
    webhook = Webhook.objects.get()
    assert webhook.last_triggered_status == "200"
    assert webhook.last_triggered_at is not None
    assert webhook.last_triggered_error == ""


def test_the_signature_is_ghosts_hmac_of_body_and_timestamp() -> None:
    body = b'{"post":{}}'
    expected = hmac.new(b"key", body + b"1700000000000", hashlib.sha256).hexdigest()
    assert webhooks.signature("key", body, 1700000000000) == f"sha256={expected}, t=1700000000000"


def test_without_a_secret_there_is_no_signature_header(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("site.changed")
    with committing():
        webhooks.trigger("site.changed", {})
    [received] = receiver.received
    assert "X-Ghost-Signature" not in received.headers


def test_a_failing_receiver_is_retried_until_it_answers(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("site.changed")
    receiver.answers = [500, 503]
    with committing():
        webhooks.trigger("site.changed", {})
    assert len(receiver.received) == 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 3
    assert Webhook.objects.get().last_triggered_status == "200"


def test_a_failed_attempt_waits_longer_each_time_and_gives_up_at_the_limit(
    hook: Callable[..., Webhook], receiver: Receiver
) -> None:
    hook("site.changed")
    [delivery_id] = webhooks.trigger("site.changed", {})
    receiver.answers = [500] * webhooks.MAX_ATTEMPTS
    now = timezone.now()
    waits = []
    for _attempt in range(webhooks.MAX_ATTEMPTS - 1):
        outcome = webhooks.attempt(delivery_id, now=now)
        assert outcome.retry_at is not None
        waits.append(outcome.retry_at - timezone.now())
        # Not due yet: a second runner leaves it alone.
        assert webhooks.attempt(delivery_id, now=now).skipped
        now = outcome.retry_at
    assert waits == sorted(waits)
    assert waits[0] < timedelta(seconds=webhooks.FIRST_RETRY_SECONDS + 5)
    assert waits[1] > timedelta(seconds=webhooks.FIRST_RETRY_SECONDS * 2 - 5)
    final = webhooks.attempt(delivery_id, now=now)
    assert final.retry_at is None
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert "500" in delivery.last_error
    webhook = Webhook.objects.get()
    assert webhook.last_triggered_status == "500"
    assert "500" in webhook.last_triggered_error
    assert webhooks.retry_delay(100) == timedelta(seconds=webhooks.LONGEST_WAIT_SECONDS)


def test_a_receiver_that_is_down_counts_as_a_failure_to_retry(integration: Integration) -> None:
    # Nothing listens on port 9 of the loopback address: the connection is refused.
    Webhook.objects.create(
        integration=integration, event="site.changed", target_url="http://127.0.0.1:9/"
    )
    [delivery_id] = webhooks.trigger("site.changed", {})
    outcome = webhooks.attempt(delivery_id)
    assert not outcome.sent
    assert outcome.retry_at is not None
    assert "Request failed" in WebhookDelivery.objects.get().last_error


@dataclass
class Drip:
    """A receiver that reads the request, sends ``head`` at once, then one byte of ``drip``
    every ``interval`` seconds: each read finishes well inside a socket timeout."""

    url: str = ""
    head: bytes = b""
    drip: bytes = b""
    interval: float = 0.1
    stop: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def drip() -> Iterator[Drip]:
    state = Drip()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def serve() -> None:
        while not state.stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1)
                with contextlib.suppress(OSError):
                    connection.recv(65536)
                    connection.sendall(state.head)
                    for byte in state.drip:
                        if state.stop.wait(state.interval):
                            break
                        connection.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    state.url = f"127.0.0.1:{listener.getsockname()[1]}"
    yield state
    state.stop.set()
    thread.join(timeout=5)
    listener.close()


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.8)
    monkeypatch.setattr(webhooks, "DEADLINE_SECONDS", 1.0)
    return 1.0


def _timed_attempt(integration: Integration, url: str) -> tuple[webhooks.Outcome, float]:
    Webhook.objects.create(integration=integration, event="site.changed", target_url=url)
    [delivery_id] = webhooks.trigger("site.changed", {})
    started = time.monotonic()
    outcome = webhooks.attempt(delivery_id)
    return outcome, time.monotonic() - started


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline_and_retried_later(
    integration: Integration, drip: Drip, short_deadline: float
) -> None:
    # Uncut, this answer would take 40 s, and every single read would succeed.
    drip.drip = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n"
    outcome, took = _timed_attempt(integration, f"http://{drip.url}/hook")
    assert took < short_deadline + 1.5
    assert not outcome.sent and outcome.retry_at is not None
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert "no complete answer within 1 seconds" in delivery.last_error
    # The lease outlasts any attempt, so the sweep never sends a delivery being sent.
    assert webhooks.LEASE_SECONDS >= 3 * webhooks.DEADLINE_SECONDS


def test_a_receiver_that_answered_but_drips_its_body_counts_as_delivered(
    integration: Integration, drip: Drip, short_deadline: float
) -> None:
    drip.head = b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n"
    drip.drip = b"a" * 400
    outcome, took = _timed_attempt(integration, f"http://{drip.url}/hook")
    assert took < short_deadline + 1.5
    assert outcome.sent and outcome.status == 200
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_a_receiver_dripping_its_tls_handshake_is_cut_off_at_the_deadline(
    integration: Integration, drip: Drip, short_deadline: float
) -> None:
    # A TLS handshake record announcing 16 KB, then its bytes one at a time. Python's
    # ssl module bounds a whole handshake by the socket timeout; the deadline is the
    # backstop should that ever change.
    drip.head = bytes([0x16, 0x03, 0x03, 0x40, 0x00])
    drip.drip = bytes(400)
    outcome, took = _timed_attempt(integration, f"https://{drip.url}/hook")
    assert took < short_deadline + 1.5
    assert not outcome.sent and outcome.retry_at is not None
    error = WebhookDelivery.objects.get().last_error
    assert "no complete answer" in error or "timed out" in error


def test_410_gone_deletes_the_webhook_as_ghost_does(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("site.changed")
    receiver.answers = [410]
    with committing():
        webhooks.trigger("site.changed", {})
    assert len(receiver.received) == 1
    assert not Webhook.objects.exists()
    assert not WebhookDelivery.objects.exists()
    with committing():
        assert webhooks.trigger("site.changed", {}) == []


def test_a_revoked_integrations_webhooks_do_not_fire(
    hook: Callable[..., Webhook],
    receiver: Receiver,
    integration: Integration,
    committing: Callable[[], Any],
) -> None:
    hook("site.changed")
    integration.revoked_at = timezone.now()
    integration.save()
    with committing():
        assert webhooks.trigger("site.changed", {}) == []
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_deliveries_waiting_when_the_integration_is_revoked_are_never_sent(
    hook: Callable[..., Webhook], receiver: Receiver, integration: Integration
) -> None:
    hook("site.changed")
    [first] = webhooks.trigger("site.changed", {})
    [retry] = webhooks.trigger("site.changed", {})
    WebhookDelivery.objects.filter(pk=retry).update(attempts=2)
    actions.revoke_integration(integration=integration)
    for delivery_id in (first, retry):
        outcome = webhooks.attempt(delivery_id, due_only=False)
        assert not outcome.sent and outcome.retry_at is None
    assert receiver.received == []
    assert set(WebhookDelivery.objects.values_list("status", "last_error")) == {
        (WebhookDelivery.Status.FAILED, webhooks.REVOKED_ERROR)
    }


def test_a_pending_delivery_of_an_integration_revoked_behind_its_back_is_failed_not_sent(
    hook: Callable[..., Webhook], receiver: Receiver, integration: Integration
) -> None:
    # Revoked without the action (a data fix, another process): the sender checks itself.
    hook("site.changed")
    [queued] = webhooks.trigger("site.changed", {})
    [overdue] = webhooks.trigger("site.changed", {})
    Integration.objects.filter(pk=integration.pk).update(revoked_at=timezone.now())
    assert deliver_webhook.call(delivery_id=queued) is None
    WebhookDelivery.objects.filter(pk=overdue).update(
        next_attempt_at=timezone.now() - jobs.LATE_BY - timedelta(seconds=1)
    )
    assert jobs.send_overdue_webhook_deliveries() == 0
    assert receiver.received == []
    assert not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()


def test_a_target_that_is_not_http_is_never_requested(integration: Integration) -> None:
    Webhook.objects.create(
        integration=integration, event="site.changed", target_url="file:///etc/passwd"
    )
    [delivery_id] = webhooks.trigger("site.changed", {})
    outcome = webhooks.attempt(delivery_id)
    assert not outcome.sent and outcome.retry_at is None
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "http" in delivery.last_error


def test_the_delivery_is_recorded_before_its_task_runs_and_the_sweep_sends_a_lost_one(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("site.changed", secret="k")
    # The change commits, then the process dies before enqueueing: no on-commit callback.
    [delivery_id] = webhooks.trigger("site.changed", {})
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert receiver.received == []
    # Not yet overdue: its own task may still be on its way.
    assert jobs.send_overdue_webhook_deliveries() == 0
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        next_attempt_at=timezone.now() - jobs.LATE_BY - timedelta(seconds=1)
    )
    assert jobs.send_overdue_webhook_deliveries() == 1
    [received] = receiver.received
    assert received.signature_is_valid("k")
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED
    assert jobs.send_overdue_webhook_deliveries() == 0


def test_running_a_delivery_twice_sends_it_once(
    hook: Callable[..., Webhook], receiver: Receiver
) -> None:
    hook("site.changed")
    [delivery_id] = webhooks.trigger("site.changed", {})
    deliver_webhook.call(delivery_id=delivery_id)
    deliver_webhook.call(delivery_id=delivery_id)
    assert len(receiver.received) == 1


def test_the_sweep_job_is_scheduled() -> None:
    from masthead.scheduler import periodic_jobs

    paths = {job.path for job in periodic_jobs()}
    assert "masthead.contentapi.jobs.send_overdue_webhook_deliveries" in paths


# --- No listeners, no work ------------------------------------------------------------------


def test_with_no_webhook_a_change_builds_no_payload_and_records_nothing(
    integration: Integration, django_assert_max_num_queries: Any
) -> None:
    built = []

    def build() -> dict[str, Any]:
        built.append(1)
        return {}

    webhooks.forget_listened_events()
    with django_assert_max_num_queries(1):
        for _ in range(50):
            assert webhooks.trigger("post.published", build) == []
    assert built == []
    assert not WebhookDelivery.objects.exists()


def test_suppressed_changes_fire_nothing(
    hook: Callable[..., Webhook], receiver: Receiver, committing: Callable[[], Any]
) -> None:
    hook("site.changed")
    with committing(), webhooks.suppressed():
        assert webhooks.trigger("site.changed", {}) == []
    assert receiver.received == []
