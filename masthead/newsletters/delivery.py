"""How a send reaches its recipients: choose them once, then deliver each exactly once.

1. ``prepare_send`` renders the email twice (the whole article, and the free preview
   for recipients who may not read it all) and writes one ``Delivery`` row per
   recipient, streaming the members and numbering them into batches. Rows are unique
   per send and member, so preparing again after a crash adds only what is missing.
2. ``deliver_batch`` hands one batch to the mail server over one SMTP connection (or to
   an ESP's batch API, see ``esp.py``). A row's switch from queued to sent is a
   conditional UPDATE, so two workers given the same batch never both send a row, and
   a batch can be enqueued again at any time. Over SMTP the switch is committed after
   the message's content and before the final "." that completes it (see models.Delivery).
3. ``resume_stalled_sends`` (a periodic job) re-enqueues the work of sends whose
   heartbeat stopped: a worker killed mid-send is replaced without anyone clicking.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from masthead.membership.access import Reader, ReaderKind, can_read
from masthead.membership.models import Membership, MemberStatus, Tier

from . import tokens
from .actions import segment_members
from .models import Delivery, Newsletter, NewsletterSend, Suppression

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 50  # messages


# --- Preparing a send ---------------------------------------------------------------------------


def view_in_browser_url(send: NewsletterSend) -> str:
    return f"{settings.MASTHEAD_SITE_URL}{reverse('newsletters:view_in_browser', args=[send.uuid])}"


def render_send(send: NewsletterSend) -> None:
    """Keep the email's two versions on the send, so every recipient gets the same text."""
    from .rendering import render_article_email

    page = send.page.specific if send.page else None
    if page is None:
        raise SendFailed("The article was deleted before it could be sent.")
    for variant in (Delivery.Variant.FULL, Delivery.Variant.PREVIEW):
        rendered = render_article_email(
            page=page,
            newsletter=send.newsletter,
            variant=variant,
            subject=send.subject,
            view_in_browser_url=view_in_browser_url(send),
        )
        setattr(send, f"html_{variant}", rendered.html)
        setattr(send, f"text_{variant}", rendered.text)


class SendFailed(Exception):
    """A send that cannot go on at all; the reason is shown to editors."""


@dataclass(frozen=True)
class _Recipient:
    pk: int
    email: str
    name: str
    status: str


def _reader_variant(page: Any, *, status: str, tier_ids: frozenset[int]) -> str:
    reader = Reader(
        kind=ReaderKind.MEMBER, tier_ids=tier_ids, has_paid_access=status != MemberStatus.FREE
    )
    allowed = can_read(reader, visibility=page.visibility, tier_ids=page.tier_ids)
    return Delivery.Variant.FULL if allowed else Delivery.Variant.PREVIEW


def _recipients(send: NewsletterSend) -> Iterator[_Recipient]:
    members = segment_members(send.newsletter, send.segment, send.tiers.all())
    rows = members.order_by("pk").values_list("pk", "email", "name", "status")
    for pk, email, name, status in rows.iterator(chunk_size=2000):
        yield _Recipient(pk, email, name, status)


def _tier_ids_of(member_ids: list[int], free_tier_id: int | None) -> dict[int, frozenset[int]]:
    now = timezone.now()
    tiers: dict[int, set[int]] = {pk: set() for pk in member_ids}
    for member_id, tier_id in (
        Membership.objects.active(now)
        .filter(member_id__in=member_ids)
        .values_list("member_id", "tier_id")
    ):
        tiers[member_id].add(tier_id)
    if free_tier_id is not None:
        for value in tiers.values():
            value.add(free_tier_id)
    return {pk: frozenset(value) for pk, value in tiers.items()}


def prepare_send(send_id: int, *, chunk: int = 2000) -> NewsletterSend | None:
    """Render the send and write its deliveries; then enqueue its batches. Safe to repeat."""
    with transaction.atomic():
        send = NewsletterSend.objects.select_for_update().filter(pk=send_id).first()
        if send is None or send.status not in {
            NewsletterSend.Status.QUEUED,
            NewsletterSend.Status.PREPARING,
            NewsletterSend.Status.SENDING,
        }:
            return send
        if send.status == NewsletterSend.Status.SENDING:
            preparing = False
        else:
            preparing = True
            now = timezone.now()
            send.status = NewsletterSend.Status.PREPARING
            send.started_at = send.started_at or now
            send.heartbeat_at = now
            try:
                render_send(send)
            except SendFailed as error:
                _fail(send, str(error))
                return send
            send.save()
    if preparing:
        _write_deliveries(send, chunk=chunk)
        with transaction.atomic():
            send = NewsletterSend.objects.select_for_update().get(pk=send_id)
            if send.status != NewsletterSend.Status.PREPARING:
                return send  # cancelled while recipients were being chosen
            counts = send.deliveries.aggregate(total=Count("pk"), batches=Max("batch"))
            send.recipient_count = counts["total"] or 0
            send.batch_count = (counts["batches"] + 1) if counts["batches"] is not None else 0
            send.status = NewsletterSend.Status.SENDING
            send.heartbeat_at = timezone.now()
            send.save()
    enqueue_remaining_batches(send)
    finish_if_done(send.pk)
    return send


def _write_deliveries(send: NewsletterSend, *, chunk: int) -> None:
    page = send.page.specific if send.page else None
    batch_size = max(1, settings.MASTHEAD_NEWSLETTER_BATCH_SIZE)
    free_tier_id = Tier.objects.filter(kind=Tier.Kind.FREE).values_list("pk", flat=True).first()
    needs_tiers = page is not None and page.visibility == "tiers"
    # Continue numbering after rows a previous, interrupted run already wrote.
    already = send.deliveries.count()
    position = already
    pending: list[_Recipient] = []

    def flush() -> None:
        nonlocal position
        tiers = _tier_ids_of([r.pk for r in pending], free_tier_id) if needs_tiers else {}
        rows = []
        for recipient in pending:
            rows.append(
                Delivery(
                    send=send,
                    member_id=recipient.pk,
                    email=recipient.email,
                    name=recipient.name,
                    variant=_reader_variant(
                        page, status=recipient.status, tier_ids=tiers.get(recipient.pk, frozenset())
                    ),
                    batch=position // batch_size,
                )
            )
            position += 1
        with transaction.atomic():
            created = Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            del created
            # Suppressed addresses are recorded, never sent.
            Delivery.objects.filter(
                send=send,
                status=Delivery.Status.QUEUED,
                email__in=Suppression.objects.filter(email__in=[r.email for r in pending]).values(
                    "email"
                ),
            ).update(status=Delivery.Status.SUPPRESSED)
            NewsletterSend.objects.filter(pk=send.pk).update(heartbeat_at=timezone.now())
        pending.clear()

    existing = set()
    if already:
        existing = set(send.deliveries.values_list("member_id", flat=True))
    for recipient in _recipients(send):
        if recipient.pk in existing:
            continue
        pending.append(recipient)
        if len(pending) >= chunk:
            flush()
    if pending:
        flush()


def enqueue_remaining_batches(send: NewsletterSend) -> list[int]:
    from .tasks import deliver_batch

    batches = list(
        send.deliveries.filter(status=Delivery.Status.QUEUED)
        .order_by("batch")
        .values_list("batch", flat=True)
        .distinct()
    )
    for batch in batches:
        transaction.on_commit(partial(deliver_batch.enqueue, send_id=send.pk, batch=batch))
    return batches


def _fail(send: NewsletterSend, reason: str) -> None:
    now = timezone.now()
    send.status = NewsletterSend.Status.FAILED
    send.error = reason
    send.finished_at = now
    send.save(update_fields=["status", "error", "finished_at"])


def finish_if_done(send_id: int) -> bool:
    """Mark a send sent once no recipient is waiting; True if it is finished now."""
    with transaction.atomic():
        send = NewsletterSend.objects.select_for_update().filter(pk=send_id).first()
        if send is None or send.status != NewsletterSend.Status.SENDING:
            return bool(send and send.is_finished)
        if send.deliveries.filter(
            status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
        ).exists():
            return False
        send.status = NewsletterSend.Status.SENT
        send.finished_at = timezone.now()
        send.save(update_fields=["status", "finished_at"])
        return True


def send_progress(send: NewsletterSend) -> dict[str, int]:
    counts = dict(
        send.deliveries.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    progress = {status: counts.get(status, 0) for status in Delivery.Status.values}
    progress["total"] = sum(counts.values())
    return progress


def resume_stalled_sends(*, now: Any = None) -> list[int]:
    """Re-enqueue the work of sends whose worker stopped (killed, restarted, lost)."""
    from .tasks import prepare_send as prepare_task

    now = now or timezone.now()
    stall_after = timedelta(seconds=settings.MASTHEAD_NEWSLETTER_STALL_SECONDS)
    in_progress = [
        NewsletterSend.Status.QUEUED,
        NewsletterSend.Status.PREPARING,
        NewsletterSend.Status.SENDING,
    ]
    # While any send makes progress the workers are alive, and a quiet send is most
    # likely waiting its turn in the queue: enqueuing its work again would only add
    # duplicate tasks. Only a send quiet for much longer is resumed then (a batch lost
    # with a worker that died while others carried on).
    busy = NewsletterSend.objects.filter(
        status__in=in_progress, heartbeat_at__gte=now - stall_after
    ).exists()
    quiet_since = now - (stall_after * 10 if busy else stall_after)
    stalled = NewsletterSend.objects.filter(
        Q(heartbeat_at__lt=quiet_since) | Q(heartbeat_at__isnull=True, created_at__lt=quiet_since),
        status__in=in_progress,
    )
    resumed = []
    for send_id in stalled.values_list("pk", flat=True):
        NewsletterSend.objects.filter(pk=send_id).update(heartbeat_at=now)
        # Messages a dead worker left in "sending" at an ESP are not sent again.
        _give_up_unconfirmed(send_id, older_than=quiet_since)
        with transaction.atomic():
            transaction.on_commit(partial(prepare_task.enqueue, send_id=send_id))
        resumed.append(send_id)
        logger.warning("newsletter send %s stalled; resuming it", send_id)
    return resumed


def _give_up_unconfirmed(send_id: int, *, older_than: Any) -> None:
    Delivery.objects.filter(
        send_id=send_id, status=Delivery.Status.SENDING, sent_at__lt=older_than
    ).update(
        status=Delivery.Status.FAILED,
        failed_at=timezone.now(),
        error="Unconfirmed: the worker stopped while the mail service was answering; "
        "not sent again, to avoid a duplicate.",
    )


# --- Building one message -----------------------------------------------------------------------


def sender_address(newsletter: Newsletter) -> str:
    name = newsletter.sender_name or settings.WAGTAIL_SITE_NAME
    return formataddr((name, newsletter.sender_email or settings.DEFAULT_FROM_EMAIL))


def list_id(newsletter: Newsletter) -> str:
    """``List-Id`` (RFC 2919): a stable id per newsletter, under the site's domain."""
    domain = urlsplit(settings.MASTHEAD_SITE_URL).hostname or "localhost"
    return f"{newsletter.name} <{newsletter.slug}.{domain}>"


def manage_url(member_uuid: Any) -> str:
    """The preferences page: an unsubscribe link that names no newsletter."""
    return tokens.unsubscribe_url(member_uuid)


def build_message(
    send: NewsletterSend, delivery: Delivery, *, member_uuid: Any, connection: Any = None
) -> EmailMultiAlternatives:
    from .rendering import RenderedEmail, personalise

    variant = delivery.variant
    rendered = RenderedEmail(
        subject=send.subject,
        html=getattr(send, f"html_{variant}"),
        text=getattr(send, f"text_{variant}"),
    )
    unsubscribe = tokens.unsubscribe_url(member_uuid, send.newsletter.uuid, send.uuid)
    html, text = personalise(
        rendered,
        name=delivery.name,
        unsubscribe_url=unsubscribe,
        manage_url=manage_url(member_uuid),
    )
    domain = urlsplit(settings.MASTHEAD_SITE_URL).hostname or "localhost"
    newsletter = send.newsletter
    return newsletter_email(
        newsletter,
        subject=send.subject,
        text=text,
        html=html,
        to=formataddr((delivery.name, delivery.email)) if delivery.name else delivery.email,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # One id per recipient and send: a resent copy is recognisable as the same.
            "Message-ID": f"<{send.uuid}.{delivery.pk}@{domain}>",
            "Precedence": "bulk",
        },
        connection=connection,
    )


def newsletter_email(
    newsletter: Newsletter,
    *,
    subject: str,
    text: str,
    html: str,
    to: str,
    headers: dict[str, str],
    connection: Any = None,
) -> EmailMultiAlternatives:
    """One email from a newsletter: its sender, reply-to and ``List-Id``, both parts."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender_address(newsletter),
        to=[to],
        reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
        headers={**headers, "List-Id": list_id(newsletter)},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def _member_uuids(deliveries: list[Delivery]) -> dict[int, Any]:
    from masthead.membership.models import Member

    return dict(
        Member.objects.filter(pk__in=[d.member_id for d in deliveries if d.member_id]).values_list(
            "pk", "uuid"
        )
    )


# --- Delivering a batch -------------------------------------------------------------------------


class TemporaryFailure(Exception):
    """The mail server or service asked us to try later; the task retries with backoff."""


def deliver_batch(send_id: int, batch: int) -> dict[str, int]:
    """Deliver the batch's queued rows; returns counts. Raises TemporaryFailure to retry."""
    send = NewsletterSend.objects.select_related("newsletter").filter(pk=send_id).first()
    if send is None:
        return {}
    if send.status == NewsletterSend.Status.CANCELLED:
        return {}
    if send.status != NewsletterSend.Status.SENDING:
        return {}
    deliveries = list(
        send.deliveries.filter(batch=batch, status=Delivery.Status.QUEUED)
        .exclude(member__isnull=True)
        .order_by("pk")
    )
    # Addresses suppressed since the recipients were chosen are skipped too.
    suppressed = set(
        Suppression.objects.filter(email__in=[d.email for d in deliveries]).values_list(
            "email", flat=True
        )
    )
    if suppressed:
        Delivery.objects.filter(
            pk__in=[d.pk for d in deliveries if d.email in suppressed],
            status=Delivery.Status.QUEUED,
        ).update(status=Delivery.Status.SUPPRESSED)
        deliveries = [d for d in deliveries if d.email not in suppressed]
    uuids = _member_uuids(deliveries)
    deliveries = [d for d in deliveries if d.member_id in uuids]
    result = {"sent": 0, "failed": 0, "retry": 0}
    if deliveries:
        transport = transport_for_settings()
        transport(send, deliveries, uuids, result)
    finish_if_done(send.pk)
    if result["retry"]:
        raise TemporaryFailure(f"{result['retry']} recipients will be retried")
    return result


Transport = Callable[[NewsletterSend, list[Delivery], dict[int, Any], dict[str, int]], None]


def transport_for_settings() -> Transport:
    backend = settings.EMAIL_BACKEND
    if backend == "django.core.mail.backends.smtp.EmailBackend":
        return deliver_over_smtp
    if backend.startswith("anymail."):
        from .esp import deliver_through_esp

        return deliver_through_esp
    return deliver_through_backend


def _claim(delivery: Delivery) -> bool:
    """Mark one queued row sent, committed; False if another worker (or a cancel) got there first."""
    with transaction.atomic():
        return bool(
            Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.QUEUED).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=delivery.attempts + 1
            )
        )


def _after_failure(
    delivery: Delivery,
    *,
    claimed: bool,
    permanent: bool,
    error: str,
    result: dict[str, int],
    suppress_address: bool = False,
) -> None:
    """A message the server did not take: failed for good, or back in the queue to retry.

    ``claimed`` says whether this worker had marked the row sent; the update only
    touches a row still in the state this worker left it, never one another worker sent.
    """
    attempts = delivery.attempts + 1
    mine = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.SENT if claimed else Delivery.Status.QUEUED
    )
    if permanent or attempts >= settings.MASTHEAD_NEWSLETTER_MAX_ATTEMPTS:
        mine.update(
            status=Delivery.Status.FAILED,
            attempts=attempts,
            failed_at=timezone.now(),
            error=error[:1000],
        )
        result["failed"] += 1
        if suppress_address:
            from .actions import suppress
            from .models import Suppression as S

            suppress(
                email=delivery.email, reason=S.Reason.REJECTED, detail=error, send=delivery.send
            )
    else:
        mine.update(
            status=Delivery.Status.QUEUED, attempts=attempts, error=error[:1000], sent_at=None
        )
        result["retry"] += 1


def touch_heartbeat(send_id: int, at: Any = None) -> None:
    """Move the heartbeat forward (never back: a batch waiting to retry may have set it ahead)."""
    NewsletterSend.objects.filter(pk=send_id).update(
        heartbeat_at=Greatest(
            Coalesce(F("heartbeat_at"), Value(at or timezone.now())), Value(at or timezone.now())
        )
    )


def _heartbeat(send: NewsletterSend, count: int) -> None:
    if count % HEARTBEAT_EVERY == 0:
        touch_heartbeat(send.pk)


def _still_sending(send: NewsletterSend) -> bool:
    status = NewsletterSend.objects.filter(pk=send.pk).values_list("status", flat=True).first()
    return status == NewsletterSend.Status.SENDING


def deliver_through_backend(
    send: NewsletterSend, deliveries: list[Delivery], uuids: dict[int, Any], result: dict[str, int]
) -> None:
    """Any Django email backend (console, file, locmem): claim, then send.

    These backends have no "message complete" step to hang the claim on, so a row is
    marked sent first and put back if the backend raises: at most once.
    """
    backend = None
    options: dict[str, Any] = {}
    if settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
        # A send to thousands would bury the terminal in HTML: in development, bulk
        # mail goes to files instead (one per batch), and the log says where.
        backend = "django.core.mail.backends.filebased.EmailBackend"
        options["file_path"] = str(Path(settings.DATA_DIR) / "outbox" / f"send-{send.pk}")
        logger.info(
            "newsletter send %s: %s messages written to %s",
            send.pk,
            len(deliveries),
            options["file_path"],
        )
    with get_connection(backend, **options) as connection:
        for count, delivery in enumerate(deliveries, start=1):
            if count % HEARTBEAT_EVERY == 0 and not _still_sending(send):
                return
            message = build_message(
                send,
                delivery,
                member_uuid=uuids[cast(int, delivery.member_id)],
                connection=connection,
            )
            if not _claim(delivery):
                continue
            try:
                message.send()
            except (smtplib.SMTPException, OSError) as error:
                _after_failure(
                    delivery,
                    claimed=True,
                    permanent=False,
                    error=f"{type(error).__name__}: {error}",
                    result=result,
                )
                continue
            result["sent"] += 1
            _heartbeat(send, count)


# SMTP ------------------------------------------------------------------------------------


_EOL = re.compile(rb"\r\n|\n|\r")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _data_bytes(message: EmailMultiAlternatives) -> bytes:
    """The message as SMTP DATA: CRLF line ends, leading dots doubled (RFC 5321 4.5.2)."""
    # Django's message classes take ``linesep``; the stubs describe the standard library's.
    raw = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    data = _EOL.sub(b"\r\n", raw)
    data = _LEADING_DOT.sub(b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class SMTPConnection:
    """One connection to the configured SMTP server, reused for a whole batch."""

    def __init__(self) -> None:
        self.client: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.client is not None:
            return self.client
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 60
        context = ssl.create_default_context()
        if settings.EMAIL_USE_SSL:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout)
            client.ehlo_or_helo_if_needed()
            if settings.EMAIL_USE_TLS:
                client.starttls(context=context)
                client.ehlo()
        if settings.EMAIL_HOST_USER:
            client.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        if client.sock is not None:
            # Each message ends with a short write (the final dot) followed by a wait for
            # the reply; with Nagle's algorithm that write waits for the server's delayed
            # ACK, costing ~40 ms per message.
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = client
        return client

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()
        self.client = None

    def abandon(self) -> None:
        """Drop the connection mid-message: the server discards what it has not completed."""
        if self.client is not None:
            self.client.close()
        self.client = None

    def send(
        self, *, sender: str, recipient: str, data: bytes, claim: Callable[[], bool]
    ) -> tuple[str, int, str]:
        """Send one message; ("sent"|"skipped"|"refused"|"rejected"|"retry", code, text).

        "refused" is the mailbox refused at RCPT (the address is bad: suppress it);
        "rejected" is any other permanent refusal (the sender, the content).

        ``claim`` runs after the content and before the final "." — if it returns False
        (someone else sent it, or the send was cancelled) the message is abandoned.
        """
        client = self.open()
        code, reply = client.mail(sender)
        if code != 250:
            client.rset()
            return ("rejected" if code >= 500 else "retry", code, reply.decode(errors="replace"))
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            client.rset()
            return ("refused" if code >= 500 else "retry", code, reply.decode(errors="replace"))
        client.putcmd("data")
        code, reply = client.getreply()
        if code != 354:
            client.rset()
            return ("rejected" if code >= 500 else "retry", code, reply.decode(errors="replace"))
        client.send(data)
        if not claim():
            self.abandon()
            return ("skipped", 0, "")
        client.send(b".\r\n")
        code, reply = client.getreply()
        text = reply.decode(errors="replace")
        if code == 250:
            return ("sent", code, text)
        return ("rejected" if code >= 500 else "retry", code, text)


def deliver_over_smtp(
    send: NewsletterSend, deliveries: list[Delivery], uuids: dict[int, Any], result: dict[str, int]
) -> None:
    connection = SMTPConnection()
    try:
        for count, delivery in enumerate(deliveries, start=1):
            if count % HEARTBEAT_EVERY == 0 and not _still_sending(send):
                return
            message = build_message(
                send, delivery, member_uuid=uuids[cast(int, delivery.member_id)]
            )
            try:
                outcome, code, text = connection.send(
                    sender=newsletter_envelope_sender(send.newsletter),
                    recipient=delivery.email,
                    data=_data_bytes(message),
                    claim=partial(_claim, delivery),
                )
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError) as error:
                # The connection broke. If the row was claimed the message may have
                # reached the server; it stays sent rather than risk a second copy.
                connection.abandon()
                claimed = Delivery.objects.filter(
                    pk=delivery.pk, status=Delivery.Status.SENT
                ).exists()
                if not claimed:
                    _after_failure(
                        delivery,
                        claimed=False,
                        permanent=False,
                        error=f"{type(error).__name__}: {error}",
                        result=result,
                    )
                    # The server is unreachable: leave the rest for the retry.
                    result["retry"] += sum(1 for _ in deliveries[count:])
                    return
                result["sent"] += 1
                continue
            if outcome == "sent":
                result["sent"] += 1
            elif outcome in {"refused", "rejected", "retry"}:
                _after_failure(
                    delivery,
                    claimed=Delivery.objects.filter(
                        pk=delivery.pk, status=Delivery.Status.SENT
                    ).exists(),
                    permanent=outcome != "retry",
                    suppress_address=outcome == "refused",
                    error=f"{code} {text}",
                    result=result,
                )
            _heartbeat(send, count)
    finally:
        connection.close()


def newsletter_envelope_sender(newsletter: Newsletter) -> str:
    return newsletter.sender_email or settings.DEFAULT_FROM_EMAIL


# --- Test sends ----------------------------------------------------------------------------------


def send_test_email(
    *,
    page: Any,
    newsletter: Newsletter,
    emails: list[str],
    subject: str = "",
    variant: str = "full",
) -> int:
    """Send the article to a few staff addresses now, marked as a test; nothing is recorded."""
    from .rendering import personalise, render_article_email

    rendered = render_article_email(
        page=page,
        newsletter=newsletter,
        variant=variant,
        subject=subject or page.title,
        view_in_browser_url=page.full_url or settings.MASTHEAD_SITE_URL,
    )
    placeholder = f"{settings.MASTHEAD_SITE_URL}{reverse('newsletters:unsubscribe')}"
    html, text = personalise(rendered, name="", unsubscribe_url=placeholder, manage_url=placeholder)
    messages = []
    for email in emails:
        messages.append(
            newsletter_email(
                newsletter,
                subject=f"[Test] {subject or page.title}",
                text=text,
                html=html,
                to=email,
                headers={},
            )
        )
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
