"""Newsletters through an email service: anymail's real Mailgun backend against a stand-in.

Each batch is one request carrying every recipient, with their own links and headers
filled in by the service; rows are claimed before the request, so whatever fails (the
service busy, down, silent, two workers on one batch) each reader gets one message at
most, and exactly one once the service is back. The service's webhooks come back through
anymail's view and mark deliveries, bounces, complaints and unsubscribes.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client
from django.urls import reverse

from masthead.membership.access import Visibility
from masthead.membership.models import Member, Tier
from masthead.newsletters import actions, delivery, esp, rendering, tokens
from masthead.newsletters.models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    Suppression,
)
from masthead.publishing.factories import ArticlePageFactory, paragraph_blocks
from masthead.settings.base import _ESP_BACKENDS, email_service_settings

from .esp_standin import MailgunStandIn, SentMessage

WEBHOOK_SECRET = "mailgun-hooks:5f0c1e2d9a8b7c6d"
WEBHOOK = "/webhooks/email/mailgun/tracking/"
PREVIEW = "The free part of the story, which everyone may read."
SECRET = "The paid part of the story, which only members who pay may read."


def use_service(settings: Any, standin: MailgunStandIn, **options: Any) -> None:
    """The settings base.py makes from MASTHEAD_ESP=mailgun, aimed at the stand-in."""
    settings.MASTHEAD_ESP = "mailgun"
    made = email_service_settings(
        "mailgun",
        api_key=standin.api_key,
        api_url=standin.api_url,
        webhook_secret=WEBHOOK_SECRET,
        webhook_signing_key=standin.webhook_signing_key,
        **options,
    )
    for name, value in made.items():
        setattr(settings, name, value)


@pytest.fixture
def standin(settings: Any) -> Iterator[MailgunStandIn]:
    with MailgunStandIn() as stand_in:
        use_service(settings, stand_in)
        yield stand_in
        assert not stand_in.internal_errors, stand_in.internal_errors


@pytest.fixture
def no_task_runs(settings: Any) -> None:
    """Tasks are enqueued and never run, so the test runs the workers itself."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "newsletters"],
        }
    }


@pytest.fixture
def daily(db: None) -> Newsletter:
    return Newsletter.objects.create(
        name="Ukraine Daily",
        slug="ukraine-daily",
        sender_name="The Newsroom",
        sender_email="daily@news.example.org",
        reply_to="letters@example.org",
        subscribe_on_signup=False,
    )


@pytest.fixture
def subscriber(daily: Newsletter, make_member: Any) -> Callable[..., Member]:
    def make(email: str, *, name: str = "", comp: Tier | None = None) -> Member:
        member = make_member(email, comp=comp)
        if name:
            member.name = name
            member.save(update_fields=["name"])
        actions.subscribe(member=member, newsletters=[daily])
        return member

    return make


def story(home: Any, *, visibility: str = Visibility.PUBLIC, slug: str = "story") -> Any:
    body = [
        *paragraph_blocks([PREVIEW]),
        {"type": "paywall", "value": None},
        *paragraph_blocks([SECRET]),
    ]
    return ArticlePageFactory(
        parent=home, title="Kyiv after the storm", slug=slug, body=body, visibility=visibility
    )


def send_now(capture: Any, page: Any, newsletter: Newsletter) -> NewsletterSend:
    """Create the send and run its tasks (prepare, then every batch) as a worker would."""
    with capture(execute=True):
        send = actions.create_send(page=page, newsletter=newsletter)
    send.refresh_from_db()
    return send


def prepare_only(capture: Any, page: Any, newsletter: Newsletter) -> NewsletterSend:
    """Create the send and choose its recipients, but deliver nothing yet."""
    with capture(execute=False):
        send = actions.create_send(page=page, newsletter=newsletter)
    delivery.prepare_send(send.pk)
    send.refresh_from_db()
    return send


def statuses(send: NewsletterSend) -> dict[str, str]:
    return dict(send.deliveries.values_list("email", "status"))


def unsubscribe_link(message: SentMessage) -> str:
    header = message.headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    return header[1:-1]


def post_webhook(payload: dict[str, Any], *, auth: str = WEBHOOK_SECRET) -> Any:
    return Client().post(
        WEBHOOK,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(auth.encode()).decode(),
    )


# --- Sending -------------------------------------------------------------------------------------


def test_a_batch_is_one_request_and_every_reader_gets_their_own_links_and_headers(
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(3)]
    readers.append(subscriber("tom@example.org", name="Tom & <Jerry>"))

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert send.status == NewsletterSend.Status.SENT and send.recipient_count == 4
    (request,) = standin.requests
    assert request.status == 200 and request.recipients == 4
    assert request.path == "/v3/news.example.org/messages"
    # Tracking is off unless the newsroom switches it on; it is a batch send.
    assert request.one("o:tracking-opens") == "no" and request.one("o:tracking-clicks") == "no"
    assert json.loads(request.one("recipient-variables")).keys() == {r.email for r in readers}
    assert dict(standin.counts) == {reader.email: 1 for reader in readers}

    links = set()
    for reader in readers:
        (message,) = standin.to(reader.email)
        assert message.subject == "Kyiv after the storm"
        assert message.sender == "The Newsroom <daily@news.example.org>"
        assert message.headers["Reply-To"] == "letters@example.org"
        assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.headers["List-Id"] == "Ukraine Daily <ukraine-daily.127.0.0.1>"
        assert message.headers["Precedence"] == "bulk"
        link = unsubscribe_link(message)
        links.add(link)
        query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        checked = tokens.read_unsubscribe_link(query)
        assert checked is not None and checked.member_uuid == str(reader.uuid)
        assert checked.send_uuid == str(send.uuid)
        # The same link in the footer, escaped in the HTML, plain in the text.
        assert link in message.text
        assert link.replace("&", "&amp;") in message.html
        assert "%recipient." not in message.html + message.text + message.subject
        assert "%%masthead:" not in message.html + message.text
        row = send.deliveries.get(member=reader)
        assert message.variables == {
            "masthead_delivery": str(row.pk),
            "masthead_send": str(send.uuid),
        }
        assert row.status == Delivery.Status.SENT and row.attempts == 1
        assert row.message_id == message.message_id
    assert len(links) == 4
    (tom,) = standin.to("tom@example.org")
    assert tom.to == '"Tom & <Jerry>" <tom@example.org>'


def test_each_batch_and_each_variant_is_its_own_request(
    standin: MailgunStandIn,
    settings: Any,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    supporter: Tier,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MASTHEAD_NEWSLETTER_BATCH_SIZE = 3
    free = [subscriber(f"free{i}@example.org") for i in range(4)]
    paying = [subscriber(f"paying{i}@example.org", comp=supporter) for i in range(2)]

    send = send_now(django_capture_on_commit_callbacks, story(home, visibility="paid"), daily)

    assert send.status == NewsletterSend.Status.SENT and send.batch_count == 2
    # Batch 0 mixes both variants (two requests), batch 1 has one variant or two.
    rows = list(send.deliveries.order_by("pk").values_list("batch", "variant"))
    expected = len({(batch, variant) for batch, variant in rows})
    assert len(standin.requests) == expected
    assert all(request.status == 200 for request in standin.requests)
    assert dict(standin.counts) == {member.email: 1 for member in free + paying}
    for member in paying:
        (message,) = standin.to(member.email)
        assert SECRET in message.text
    for member in free:
        (message,) = standin.to(member.email)
        assert PREVIEW in message.text and SECRET not in message.text + message.html


def test_a_batch_larger_than_the_service_takes_is_split(
    standin: MailgunStandIn,
    monkeypatch: pytest.MonkeyPatch,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    standin.max_recipients = 2
    monkeypatch.setitem(
        esp.SERVICES, "mailgun", esp.EmailService("mailgun", esp.SERVICES["mailgun"].merge_field, 2)
    )
    readers = [subscriber(f"reader{i}@example.org") for i in range(5)]

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert [request.recipients for request in standin.requests] == [2, 2, 1]
    assert dict(standin.counts) == {reader.email: 1 for reader in readers}
    assert set(statuses(send).values()) == {Delivery.Status.SENT}
    # Each request has its own id; every row has the id of the request that carried it.
    assert len(set(send.deliveries.values_list("message_id", flat=True))) == 3


def test_tracking_is_asked_for_only_when_the_newsroom_switches_it_on(
    standin: MailgunStandIn,
    settings: Any,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MASTHEAD_EMAIL_TRACKING = True
    subscriber("reader@example.org")

    send_now(django_capture_on_commit_callbacks, story(home), daily)

    (request,) = standin.requests
    assert request.one("o:tracking-opens") == "yes" and request.one("o:tracking-clicks") == "yes"


def test_a_name_in_the_email_goes_in_escaped_in_the_html_and_as_typed_in_the_text(
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber("tom@example.org", name="Tom & <Jerry>")
    subscriber("ann@example.org")
    send = prepare_only(django_capture_on_commit_callbacks, story(home), daily)
    NewsletterSend.objects.filter(pk=send.pk).update(
        html_full=f'<p>Dear {rendering.NAME},</p><a href="{rendering.UNSUBSCRIBE_URL}">Leave</a>',
        text_full=f"Dear {rendering.NAME},\nLeave: {rendering.UNSUBSCRIBE_URL}\n",
    )

    assert delivery.deliver_batch(send.pk, 0)["sent"] == 2

    (request,) = standin.requests
    variables = json.loads(request.one("recipient-variables"))["tom@example.org"]
    # Only what the email shows travels: it has no "manage" link.
    assert {"name", "name_html", "unsubscribe_url", "unsubscribe_url_html"} <= variables.keys()
    assert not {"manage_url", "manage_url_html"} & variables.keys()
    (tom,) = standin.to("tom@example.org")
    assert tom.html.startswith("<p>Dear Tom &amp; &lt;Jerry&gt;,</p>")
    assert tom.text.startswith("Dear Tom & <Jerry>,\n")
    (ann,) = standin.to("ann@example.org")
    assert ann.text.startswith("Dear ,\nLeave: http")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_send_cancelled_while_a_batch_goes_out_stops_before_the_next_request(
    standin: MailgunStandIn,
    no_task_runs: None,
    monkeypatch: pytest.MonkeyPatch,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
) -> None:
    monkeypatch.setitem(
        esp.SERVICES, "mailgun", esp.EmailService("mailgun", esp.SERVICES["mailgun"].merge_field, 2)
    )
    for i in range(4):
        subscriber(f"reader{i}@example.org")
    send = actions.create_send(page=story(home), newsletter=daily)
    delivery.prepare_send(send.pk)

    def cancel(fields: dict[str, list[str]]) -> None:
        standin.on_request = None
        try:
            actions.cancel_send(send=send)
        finally:
            connections.close_all()

    standin.on_request = cancel
    assert delivery.deliver_batch(send.pk, 0)["sent"] == 2

    assert len(standin.requests) == 1 and standin.total == 2
    assert sorted(statuses(send).values()) == ["cancelled", "cancelled", "sent", "sent"]


# --- When the service is unwell ----------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_failing_service_is_retried_and_each_reader_gets_one_message(
    status: int,
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(3)]
    standin.fail_next(status)

    with caplog.at_level(logging.INFO):
        send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    # The inline task backend retries at once; a worker waits 30 s, 1 min, 2 min…
    assert standin.answered() == [status, 200]
    assert dict(standin.counts) == {reader.email: 1 for reader in readers}
    assert send.status == NewsletterSend.Status.SENT
    assert set(send.deliveries.values_list("status", "attempts")) == {(Delivery.Status.SENT, 2)}
    assert "example.org" not in caplog.text  # no reader's address in the logs


def test_a_service_that_cannot_be_reached_gets_the_batch_later_once(
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(3)]
    send = prepare_only(django_capture_on_commit_callbacks, story(home), daily)
    standin.go_down()

    with pytest.raises(delivery.TemporaryFailure):
        delivery.deliver_batch(send.pk, 0)
    assert set(statuses(send).values()) == {Delivery.Status.QUEUED}

    standin.come_back()
    assert delivery.deliver_batch(send.pk, 0) == {"sent": 3, "failed": 0, "retry": 0}
    assert delivery.deliver_batch(send.pk, 0) == {}  # a repeated task finds nothing to do
    assert dict(standin.counts) == {reader.email: 1 for reader in readers}
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SENT


def test_a_request_the_service_never_answers_is_not_sent_again(
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(3)]
    send = prepare_only(django_capture_on_commit_callbacks, story(home), daily)
    standin.drop_next()  # the service takes the request, the answer is lost

    assert delivery.deliver_batch(send.pk, 0) == {"sent": 0, "failed": 3, "retry": 0}
    assert delivery.deliver_batch(send.pk, 0) == {}

    assert dict(standin.counts) == {reader.email: 1 for reader in readers}
    for row in send.deliveries.all():
        assert row.status == Delivery.Status.FAILED and row.error.startswith("Unconfirmed:")
    assert "example.org" not in caplog.text
    # The service's webhook says it went out after all: the row is corrected, not resent.
    (event,) = standin.events_for("reader0@example.org", "delivered")
    assert post_webhook(event).status_code == 200
    row = send.deliveries.get(email="reader0@example.org")
    assert row.status == Delivery.Status.SENT and row.delivered_at is not None and not row.error
    assert standin.total == 3


def test_a_refused_request_fails_its_readers_without_retrying_or_suppressing(
    standin: MailgunStandIn,
    settings: Any,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber("reader0@example.org")
    subscriber("reader1@example.org")
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_API_KEY": "key-revoked"}

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert standin.answered() == [401]
    assert send.status == NewsletterSend.Status.SENT  # finished: nobody is left to send to
    for row in send.deliveries.all():
        assert row.status == Delivery.Status.FAILED
        assert row.error == "Refused by the mail service: 401 Forbidden"
    assert not Suppression.objects.exists()


def test_a_service_that_stays_busy_fails_readers_at_the_attempt_limit(
    standin: MailgunStandIn,
    settings: Any,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MASTHEAD_NEWSLETTER_MAX_ATTEMPTS = 3
    subscriber("reader@example.org")
    standin.fail_next(429, times=10)

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert standin.answered() == [429, 429, 429]
    (row,) = send.deliveries.all()
    assert row.status == Delivery.Status.FAILED and row.attempts == 3
    assert row.error.startswith("Gave up after 3 attempts.")
    assert standin.total == 0


# --- Addresses the service will not take -------------------------------------------------------


def test_a_reader_the_service_will_not_deliver_to_fails_and_is_suppressed_the_others_arrive(
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(3)]
    subscriber("bounced@example.org")
    standin.reject("bounced@example.org")  # on Mailgun's bounce list

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)
    assert len(standin.requests) == 1
    for event in standin.events:
        assert post_webhook(event).status_code == 200

    rows = {row.email: row for row in send.deliveries.all()}
    assert rows["bounced@example.org"].status == Delivery.Status.FAILED
    assert "previously bounced" in rows["bounced@example.org"].error
    suppression = Suppression.objects.get()
    assert suppression.email == "bounced@example.org"
    assert suppression.reason == Suppression.Reason.BOUNCE and suppression.send == send
    for reader in readers:
        assert rows[reader.email].status == Delivery.Status.SENT
        assert rows[reader.email].delivered_at is not None

    # The next send does not even ask the service to try.
    standin.requests.clear()
    later = send_now(django_capture_on_commit_callbacks, story(home, slug="later"), daily)
    assert later.deliveries.get(email="bounced@example.org").status == "suppressed"
    assert standin.requests[0].recipients == 3


def test_an_address_the_service_would_refuse_never_reaches_the_request(
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(2)]
    # Mailgun refuses a whole request for one malformed address.
    broken = Member.objects.create(email="not an address@example.org")
    actions.subscribe(member=broken, newsletters=[daily])

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    (request,) = standin.requests
    assert request.status == 200 and request.recipients == 2
    assert dict(standin.counts) == {reader.email: 1 for reader in readers}
    row = send.deliveries.get(member=broken)
    assert row.status == Delivery.Status.FAILED
    assert Suppression.objects.get().email == "not an address@example.org"


def test_a_recipient_refused_in_the_services_answer_fails_and_is_suppressed(
    settings: Any,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Services that answer per recipient (anymail's statuses) go through the same path.

    Mailgun reports refused addresses by webhook; here anymail's test backend answers
    with a refused recipient in the request's own answer.
    """
    from anymail.message import AnymailRecipientStatus
    from anymail.signals import pre_send

    settings.MASTHEAD_ESP = "mailgun"
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    readers = [subscriber(f"reader{i}@example.org") for i in range(2)]
    subscriber("refused@example.org")

    def answer(sender: Any, message: Any, **kwargs: Any) -> None:
        message.anymail_test_response = {
            "recipient_status": {
                address: AnymailRecipientStatus(
                    message_id=None if address.startswith("refused") else f"id-{address}",
                    status="rejected" if address.startswith("refused") else "queued",
                )
                for address in message.merge_data
            }
        }

    pre_send.connect(answer, dispatch_uid="test-esp-answer")
    try:
        send = send_now(django_capture_on_commit_callbacks, story(home), daily)
    finally:
        pre_send.disconnect(dispatch_uid="test-esp-answer")

    rows = {row.email: row for row in send.deliveries.all()}
    assert rows["refused@example.org"].status == Delivery.Status.FAILED
    suppression = Suppression.objects.get()
    assert suppression.email == "refused@example.org"
    assert suppression.reason == Suppression.Reason.REJECTED
    for reader in readers:
        assert rows[reader.email].status == Delivery.Status.SENT
        assert rows[reader.email].message_id == f"id-{reader.email}"


# --- Two workers, one batch --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_second_worker_with_the_same_batch_in_hand_sends_nothing(
    standin: MailgunStandIn,
    no_task_runs: None,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
) -> None:
    """The race, step by step: both workers read the batch's queued rows; the first
    claims them and is waiting for the service's answer when the second gets to claim."""
    readers = [subscriber(f"reader{i}@example.org") for i in range(20)]
    send = actions.create_send(page=story(home), newsletter=daily)
    delivery.prepare_send(send.pk)
    send = NewsletterSend.objects.select_related("newsletter").get(pk=send.pk)
    in_hand = list(send.deliveries.filter(batch=0, status=Delivery.Status.QUEUED))
    uuids = {member.pk: member.uuid for member in readers}
    second: dict[str, int] = {"sent": 0, "failed": 0, "retry": 0}

    def second_worker(fields: dict[str, list[str]]) -> None:
        standin.on_request = None
        try:
            esp.deliver_through_esp(send, in_hand, uuids, second)
        finally:
            connections.close_all()

    standin.on_request = second_worker
    first = delivery.deliver_batch(send.pk, 0)

    assert first == {"sent": 20, "failed": 0, "retry": 0}
    assert second == {"sent": 0, "failed": 0, "retry": 0}
    assert len(standin.requests) == 1
    assert dict(standin.counts) == {reader.email: 1 for reader in readers}
    assert set(statuses(send).values()) == {Delivery.Status.SENT}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_the_same_batch_at_once_send_each_reader_one_message(
    standin: MailgunStandIn,
    no_task_runs: None,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
) -> None:
    if connections["default"].vendor != "postgresql":
        pytest.skip(
            "two writers at once need PostgreSQL: set MASTHEAD_DATABASE_URL=postgres://… "
            "(SQLite's in-memory test database refuses a second writer instead of waiting)"
        )
    readers = [subscriber(f"reader{i}@example.org") for i in range(20)]
    send = actions.create_send(page=story(home), newsletter=daily)
    delivery.prepare_send(send.pk)
    standin.delay = 0.3  # both workers are in the middle of it at once
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(delivery.deliver_batch(send.pk, 0))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(result.get("sent", 0) for result in results) == [0, 20]
    assert len(standin.requests) == 1
    assert dict(standin.counts) == {reader.email: 1 for reader in readers}
    assert set(statuses(send).values()) == {Delivery.Status.SENT}


# --- Webhooks ----------------------------------------------------------------------------------


@pytest.fixture
def sent(
    standin: MailgunStandIn,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> NewsletterSend:
    subscriber("reader@example.org")
    subscriber("other@example.org")
    return send_now(django_capture_on_commit_callbacks, story(home), daily)


def test_delivered_is_recorded_once_however_often_it_arrives(
    standin: MailgunStandIn, sent: NewsletterSend
) -> None:
    (event,) = standin.events_for("reader@example.org", "delivered")
    assert post_webhook(event).status_code == 200
    row = sent.deliveries.get(email="reader@example.org")
    first = row.delivered_at
    assert first is not None

    assert post_webhook(event).status_code == 200
    row.refresh_from_db()
    assert row.delivered_at == first and row.status == Delivery.Status.SENT
    assert sent.deliveries.get(email="other@example.org").delivered_at is None


def test_opens_and_clicks_are_recorded_only_with_tracking_on(
    standin: MailgunStandIn, settings: Any, sent: NewsletterSend
) -> None:
    (message,) = standin.to("reader@example.org")
    assert post_webhook(standin.event("opened", message)).status_code == 200
    assert post_webhook(standin.event("clicked", message)).status_code == 200
    row = sent.deliveries.get(email="reader@example.org")
    assert row.opened_at is None and row.clicked_at is None

    settings.MASTHEAD_EMAIL_TRACKING = True
    assert post_webhook(standin.event("opened", message)).status_code == 200
    assert post_webhook(standin.event("clicked", message)).status_code == 200
    row.refresh_from_db()
    assert row.opened_at is not None and row.clicked_at is not None


def test_a_spam_complaint_suppresses_the_address(
    standin: MailgunStandIn, sent: NewsletterSend
) -> None:
    (message,) = standin.to("reader@example.org")
    event = standin.event("complained", message)
    assert post_webhook(event).status_code == 200
    assert post_webhook(event).status_code == 200

    suppression = Suppression.objects.get()
    assert suppression.email == "reader@example.org"
    assert suppression.reason == Suppression.Reason.COMPLAINT and suppression.send == sent


def test_an_unsubscribe_at_the_service_takes_the_member_off_every_newsletter(
    standin: MailgunStandIn, sent: NewsletterSend, daily: Newsletter
) -> None:
    member = Member.objects.get(email="reader@example.org")
    weekly = Newsletter.objects.create(name="The Weekly", slug="the-weekly")
    actions.subscribe(member=member, newsletters=[weekly])
    (message,) = standin.to("reader@example.org")

    assert post_webhook(standin.event("unsubscribed", message)).status_code == 200

    assert not member.newsletter_subscriptions.subscribed().exists()
    assert (
        NewsletterSubscription.objects.get(member=member, newsletter=daily).unsubscribed_from
        == sent
    )
    assert NewsletterSubscription.objects.get(
        member__email="other@example.org", newsletter=daily
    ).status == (NewsletterSubscription.Status.SUBSCRIBED)


def test_a_hard_bounce_after_delivery_fails_the_row_and_suppresses(
    standin: MailgunStandIn, sent: NewsletterSend
) -> None:
    (message,) = standin.to("reader@example.org")
    bounce = standin.event(
        "failed",
        message,
        severity="permanent",
        reason="bounce",
        **{"delivery-status": {"code": 550, "message": "5.1.1 No such user", "description": ""}},
    )
    assert post_webhook(bounce).status_code == 200
    row = sent.deliveries.get(email="reader@example.org")
    assert row.status == Delivery.Status.FAILED and "No such user" in row.error
    assert Suppression.objects.get().reason == Suppression.Reason.BOUNCE


def test_a_temporary_failure_or_a_rejection_for_the_senders_reasons_suppresses_nobody(
    standin: MailgunStandIn, sent: NewsletterSend
) -> None:
    (message,) = standin.to("reader@example.org")
    deferred = standin.event("failed", message, severity="temporary", reason="generic")
    rejected = standin.event(
        "rejected", message, reject={"reason": "Sandbox subdomains are for test purposes only"}
    )
    assert post_webhook(deferred).status_code == 200
    assert post_webhook(rejected).status_code == 200
    assert not Suppression.objects.exists()


def test_events_for_other_mail_or_made_up_deliveries_change_nothing(
    standin: MailgunStandIn, sent: NewsletterSend
) -> None:
    (message,) = standin.to("reader@example.org")
    row = sent.deliveries.get(email="reader@example.org")
    unknown = standin.event("complained", message)
    unknown["event-data"]["user-variables"] = {"masthead_delivery": "999999"}
    garbage = standin.event("complained", message)
    garbage["event-data"]["user-variables"] = {"masthead_delivery": "not a number"}
    someone_else = standin.event("complained", message)
    someone_else["event-data"]["recipient"] = "stranger@example.org"
    sign_in_email = standin.event("complained", message)
    sign_in_email["event-data"]["user-variables"] = {}
    sign_in_email["event-data"]["message"]["headers"]["message-id"] = "other@news.example.org"
    for payload in (unknown, garbage, someone_else, sign_in_email):
        assert post_webhook(payload).status_code == 200
    assert not Suppression.objects.exists()
    row.refresh_from_db()
    assert row.status == Delivery.Status.SENT


def test_a_webhook_without_the_secret_or_the_signature_is_refused_and_changes_nothing(
    standin: MailgunStandIn, sent: NewsletterSend
) -> None:
    (message,) = standin.to("reader@example.org")
    complaint = standin.event("complained", message)
    assert post_webhook(complaint, auth="mailgun-hooks:wrong").status_code == 400
    unauthenticated = Client().post(
        WEBHOOK, data=json.dumps(complaint), content_type="application/json"
    )
    assert unauthenticated.status_code == 400
    forged = standin.event("complained", message)
    forged["signature"]["signature"] = "0" * 64
    assert post_webhook(forged).status_code == 400
    assert not Suppression.objects.exists()


def test_events_of_another_service_are_ignored(
    standin: MailgunStandIn, settings: Any, sent: NewsletterSend
) -> None:
    from anymail.signals import AnymailTrackingEvent, EventType, tracking

    import masthead.newsletters.tracking  # noqa: F401  (connects the receiver)

    row = sent.deliveries.get(email="reader@example.org")
    event = AnymailTrackingEvent(
        event_type=EventType.COMPLAINED,
        recipient="reader@example.org",
        metadata={"masthead_delivery": str(row.pk)},
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")
    settings.MASTHEAD_ESP = ""
    tracking.send(sender=object, event=event, esp_name="Mailgun")
    assert not Suppression.objects.exists()
    settings.MASTHEAD_ESP = "mailgun"
    tracking.send(sender=object, event=event, esp_name="Mailgun")
    assert Suppression.objects.get().email == "reader@example.org"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_services_webhooks_over_http_reach_the_site(
    standin: MailgunStandIn,
    live_server: Any,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(2)]
    subscriber("bounced@example.org")
    standin.reject("bounced@example.org")
    send = actions.create_send(page=story(home), newsletter=daily)  # runs inline on commit

    url = live_server.url + reverse("email_webhooks:mailgun_tracking_webhook")
    for event in standin.events:
        assert standin.post_event(event, url, auth=WEBHOOK_SECRET) == 200
    assert standin.post_event(standin.events[0], url, auth="intruder:guess") == 400

    rows = {row.email: row for row in send.deliveries.all()}
    assert all(rows[reader.email].delivered_at for reader in readers)
    assert rows["bounced@example.org"].status == Delivery.Status.FAILED
    assert Suppression.objects.get().email == "bounced@example.org"


# --- Settings ----------------------------------------------------------------------------------


def test_settings_name_the_backend_and_keep_transactional_mail_untracked() -> None:
    made = email_service_settings(
        "mailgun",
        api_key="key-1",
        api_url="https://api.eu.mailgun.net/v3",
        sender_domain="mg.example.org",
        webhook_secret="user:pass",
        webhook_signing_key="signing",
    )
    assert made == {
        "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
        "ANYMAIL": {
            "MAILGUN_API_KEY": "key-1",
            "MAILGUN_API_URL": "https://api.eu.mailgun.net/v3",
            "MAILGUN_SENDER_DOMAIN": "mg.example.org",
            "MAILGUN_WEBHOOK_SIGNING_KEY": "signing",
            "WEBHOOK_SECRET": "user:pass",
            "SEND_DEFAULTS": {"track_opens": False, "track_clicks": False},
        },
    }
    assert set(_ESP_BACKENDS) == set(esp.SERVICES)


@pytest.mark.parametrize(
    ("esp_name", "options", "says"),
    [
        ("postmark", {"api_key": "k"}, "Use one of: mailgun"),
        ("sendgrid", {"api_key": "k"}, "unsubscribe link"),
        ("mailgun", {"api_key": ""}, "needs MASTHEAD_ESP_API_KEY"),
        ("mailgun", {"api_key": "k", "webhook_secret": "nocolon"}, "joined by a colon"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_what_to_do(
    esp_name: str, options: dict[str, str], says: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=says):
        email_service_settings(esp_name, **options)
