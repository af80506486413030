"""Sending an article by email: a real SMTP server receives what the delivery code sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from masthead.membership.access import Visibility
from masthead.membership.models import Member, Tier
from masthead.newsletters import actions, delivery
from masthead.newsletters.models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    Segment,
    Suppression,
)
from masthead.publishing.factories import ArticlePageFactory, paragraph_blocks

from . import smtp_sink

PREVIEW = "The free part of the story, which everyone may read."
SECRET = "The paid part of the story, which only members who pay may read."


@pytest.fixture
def sink(settings: Any) -> Iterator[smtp_sink.Sink]:
    sink = smtp_sink.Sink()
    controller = smtp_sink.start(sink)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def daily(db: None) -> Newsletter:
    return Newsletter.objects.create(
        name="Ukraine Daily",
        slug="ukraine-daily",
        sender_name="The Newsroom",
        sender_email="daily@example.org",
        reply_to="letters@example.org",
        subscribe_on_signup=False,
    )


@pytest.fixture
def subscriber(daily: Newsletter, make_member: Any) -> Callable[..., Member]:
    def make(email: str, *, comp: Tier | None = None) -> Member:
        member = make_member(email, comp=comp)
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


def send_now(capture: Any, page: Any, newsletter: Newsletter, **options: Any) -> NewsletterSend:
    with capture(execute=True):
        send = actions.create_send(page=page, newsletter=newsletter, **options)
    send.refresh_from_db()
    return send


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def test_every_subscriber_gets_one_message_with_their_own_unsubscribe_link(
    sink: smtp_sink.Sink,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    make_member: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    readers = [subscriber(f"reader{i}@example.org") for i in range(3)]
    gone = subscriber("gone@example.org")
    actions.unsubscribe(member=gone, newsletters=[daily])
    make_member("elsewhere@example.org")  # on no list of this newsletter

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert send.status == NewsletterSend.Status.SENT and send.recipient_count == 3
    assert dict(sink.counts) == {reader.email: 1 for reader in readers}
    links = set()
    for reader in readers:
        (message,) = sink.to(reader.email)
        assert message["Subject"] == "Kyiv after the storm"
        assert message["From"] == "The Newsroom <daily@example.org>"
        assert message["Reply-To"] == "letters@example.org"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] == "Ukraine Daily <ukraine-daily.127.0.0.1>"
        assert message["Message-ID"].startswith(f"<{send.uuid}.")
        link = str(message["List-Unsubscribe"]).strip().strip("<>")
        query = parse_qs(urlsplit(link).query)
        assert query["uuid"] == [str(reader.uuid)]
        assert query["newsletter"] == [str(daily.uuid)]
        assert query["send"] == [str(send.uuid)]
        # The same link is in the footer of both parts.
        assert link in text_of(message)
        assert link.replace("&", "&amp;") in html_of(message)
        assert SECRET in text_of(message) and SECRET in html_of(message)
        links.add(link)
    assert len(links) == 3
    assert set(Delivery.objects.filter(send=send).values_list("status", flat=True)) == {"sent"}


def test_the_paywall_holds_per_recipient(
    sink: smtp_sink.Sink,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    supporter: Tier,
    django_capture_on_commit_callbacks: Any,
) -> None:
    free = subscriber("free@example.org")
    paying = subscriber("paying@example.org", comp=supporter)

    send_now(django_capture_on_commit_callbacks, story(home, visibility=Visibility.PAID), daily)

    (free_copy,) = sink.to(free.email)
    (paid_copy,) = sink.to(paying.email)
    for part in (text_of(free_copy), html_of(free_copy)):
        assert PREVIEW in part and SECRET not in part
    assert SECRET in text_of(paid_copy) and SECRET in html_of(paid_copy)
    variants = dict(Delivery.objects.values_list("email", "variant"))
    assert variants == {free.email: "preview", paying.email: "full"}


def test_segments_choose_free_paid_or_tiers(
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    supporter: Tier,
    patron: Tier,
) -> None:
    free = subscriber("free@example.org")
    backer = subscriber("backer@example.org", comp=supporter)
    benefactor = subscriber("benefactor@example.org", comp=patron)

    def reached(segment: str, tiers: list[Tier] = ()) -> set[str]:  # type: ignore[assignment]
        return set(actions.segment_members(daily, segment, tiers).values_list("email", flat=True))

    assert reached(Segment.ALL) == {free.email, backer.email, benefactor.email}
    assert reached(Segment.FREE) == {free.email}
    assert reached(Segment.PAID) == {backer.email, benefactor.email}
    assert reached(Segment.TIERS, [patron]) == {benefactor.email}


def test_a_permanent_rejection_fails_one_recipient_and_the_batch_goes_on(
    sink: smtp_sink.Sink,
    settings: Any,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MASTHEAD_NEWSLETTER_BATCH_SIZE = 10
    members = [subscriber(f"r{i}@example.org") for i in range(5)]
    sink.reject.add("r2@example.org")

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert send.status == NewsletterSend.Status.SENT
    assert set(sink.counts) == {m.email for m in members} - {"r2@example.org"}
    failed = Delivery.objects.get(email="r2@example.org")
    assert failed.status == Delivery.Status.FAILED and failed.error.startswith("550")
    assert Suppression.objects.get(email="r2@example.org").reason == Suppression.Reason.REJECTED
    assert delivery.send_progress(send) == {
        **dict.fromkeys(Delivery.Status.values, 0),
        "sent": 4,
        "failed": 1,
        "total": 5,
    }


def test_a_temporary_refusal_is_retried_and_delivered_once(
    sink: smtp_sink.Sink,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber("busy@example.org")
    subscriber("calm@example.org")
    sink.defer_once.add("busy@example.org")

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert send.status == NewsletterSend.Status.SENT
    assert dict(sink.counts) == {"busy@example.org": 1, "calm@example.org": 1}
    busy = Delivery.objects.get(email="busy@example.org")
    assert busy.status == Delivery.Status.SENT and busy.attempts == 2


def test_suppressed_addresses_are_never_mailed(
    sink: smtp_sink.Sink,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber("bounced@example.org")
    subscriber("fine@example.org")
    actions.suppress(email="Bounced@Example.org", reason=Suppression.Reason.BOUNCE)

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert dict(sink.counts) == {"fine@example.org": 1}
    assert Delivery.objects.get(email="bounced@example.org").status == "suppressed"
    assert send.status == NewsletterSend.Status.SENT


def test_batches_are_numbered_and_preparing_again_adds_no_one(
    settings: Any, home: Any, daily: Newsletter, subscriber: Callable[..., Member]
) -> None:
    settings.MASTHEAD_NEWSLETTER_BATCH_SIZE = 2
    for i in range(5):
        subscriber(f"b{i}@example.org")
    # Without running the queued tasks: only the preparation.
    send = actions.create_send(page=story(home), newsletter=daily)
    delivery.prepare_send(send.pk)
    delivery.prepare_send(send.pk)
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SENDING
    assert (send.recipient_count, send.batch_count) == (5, 3)
    batches = list(Delivery.objects.order_by("pk").values_list("batch", flat=True))
    assert batches == [0, 0, 1, 1, 2]


def test_a_batch_delivered_twice_sends_each_message_once(
    sink: smtp_sink.Sink, home: Any, daily: Newsletter, subscriber: Callable[..., Member]
) -> None:
    for i in range(3):
        subscriber(f"twice{i}@example.org")
    send = actions.create_send(page=story(home), newsletter=daily)
    delivery.prepare_send(send.pk)
    first = delivery.deliver_batch(send.pk, 0)
    second = delivery.deliver_batch(send.pk, 0)
    assert first["sent"] == 3 and not second.get("sent")
    assert sorted(sink.counts.values()) == [1, 1, 1]


def test_a_cancelled_send_mails_no_one_else(
    sink: smtp_sink.Sink, home: Any, daily: Newsletter, subscriber: Callable[..., Member]
) -> None:
    for i in range(3):
        subscriber(f"c{i}@example.org")
    send = actions.create_send(page=story(home), newsletter=daily)
    delivery.prepare_send(send.pk)
    actions.cancel_send(send=send)
    assert delivery.deliver_batch(send.pk, 0) == {}
    assert sink.total == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {"cancelled"}
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.CANCELLED and send.cancelled_at is not None


def test_a_stalled_send_is_resumed_and_finished(
    sink: smtp_sink.Sink,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    for i in range(4):
        subscriber(f"s{i}@example.org")
    send = actions.create_send(page=story(home), newsletter=daily)
    delivery.prepare_send(send.pk)  # its batch tasks were lost with the worker
    long_ago = timezone.now() - timedelta(hours=1)
    NewsletterSend.objects.filter(pk=send.pk).update(heartbeat_at=long_ago, created_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.resume_stalled_sends() == [send.pk]

    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SENT
    assert sorted(sink.counts.values()) == [1, 1, 1, 1]
    # A send making progress is left alone.
    assert delivery.resume_stalled_sends() == []


def test_sends_that_cannot_start_say_why(
    home: Any, daily: Newsletter, subscriber: Callable[..., Member], supporter: Tier
) -> None:
    draft = story(home, slug="draft")
    draft.live = False
    draft.save()
    with pytest.raises(actions.SendRefused, match="not published yet"):
        actions.create_send(page=draft, newsletter=daily)
    with pytest.raises(actions.SendRefused, match="no subscribers in that segment"):
        actions.create_send(page=story(home), newsletter=daily)
    subscriber("one@example.org")
    with pytest.raises(actions.SendRefused, match="at least one tier"):
        actions.create_send(page=story(home, slug="s2"), newsletter=daily, segment=Segment.TIERS)
    article = story(home, slug="s3")
    actions.create_send(page=article, newsletter=daily)
    with pytest.raises(actions.SendRefused, match="already been sent"):
        actions.create_send(page=article, newsletter=daily)
    daily.status = Newsletter.Status.ARCHIVED
    daily.save()
    with pytest.raises(actions.SendRefused, match="archived"):
        actions.create_send(page=story(home, slug="s4"), newsletter=daily)


def test_a_send_waiting_for_publication_starts_when_the_article_is_published(
    sink: smtp_sink.Sink,
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber("waiting@example.org")
    draft = story(home, slug="scheduled")
    draft.live = False
    draft.save()
    send = actions.create_send(page=draft, newsletter=daily, when_published=True)
    assert send.status == NewsletterSend.Status.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        draft.save_revision().publish()
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SENT
    assert dict(sink.counts) == {"waiting@example.org": 1}


def test_unsubscribing_is_recorded_and_repeating_it_changes_nothing(
    daily: Newsletter, subscriber: Callable[..., Member]
) -> None:
    member = subscriber("leaving@example.org")
    assert actions.unsubscribe(member=member, newsletters=[daily]) == 1
    assert actions.unsubscribe(member=member, newsletters=[daily]) == 0
    subscription = NewsletterSubscription.objects.get(member=member, newsletter=daily)
    assert subscription.status == "unsubscribed" and subscription.unsubscribed_at is not None
    assert member.events.filter(kind="newsletter_unsubscribed").count() == 1


def test_a_send_waiting_to_retry_or_waiting_its_turn_is_not_resumed(
    home: Any, daily: Newsletter, subscriber: Callable[..., Member]
) -> None:
    subscriber("patient@example.org")
    now = timezone.now()
    waiting_to_retry = actions.create_send(page=story(home, slug="retry"), newsletter=daily)
    NewsletterSend.objects.filter(pk=waiting_to_retry.pk).update(
        status=NewsletterSend.Status.SENDING, created_at=now - timedelta(hours=1)
    )
    # A batch deferred for ten minutes set the heartbeat ahead to its retry time.
    delivery.touch_heartbeat(waiting_to_retry.pk, at=now + timedelta(minutes=10))
    delivery.touch_heartbeat(waiting_to_retry.pk)  # progress elsewhere never moves it back
    assert delivery.resume_stalled_sends(now=now + timedelta(minutes=5)) == []

    # Another send is making progress: a send quiet for a few minutes is waiting its turn.
    in_line = actions.create_send(page=story(home, slug="in-line"), newsletter=daily)
    NewsletterSend.objects.filter(pk=in_line.pk).update(heartbeat_at=now - timedelta(minutes=5))
    assert delivery.resume_stalled_sends(now=now) == []
    # Quiet for far longer than that, it is resumed even while others progress.
    NewsletterSend.objects.filter(pk=in_line.pk).update(heartbeat_at=now - timedelta(hours=1))
    assert delivery.resume_stalled_sends(now=now) == [in_line.pk]


def test_in_development_bulk_mail_goes_to_files_not_the_terminal(
    settings: Any,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    home: Any,
    daily: Newsletter,
    subscriber: Callable[..., Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DATA_DIR = tmp_path
    for i in range(3):
        subscriber(f"dev{i}@example.org")

    send = send_now(django_capture_on_commit_callbacks, story(home), daily)

    assert send.status == NewsletterSend.Status.SENT
    assert "dev0@example.org" not in capsys.readouterr().out
    (written,) = (tmp_path / "outbox" / f"send-{send.pk}").iterdir()
    text = written.read_text()
    assert all(f"dev{i}@example.org" in text for i in range(3))
