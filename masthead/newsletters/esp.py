"""Newsletter batches through an email service's HTTP API (django-anymail), one request each.

``delivery.deliver_batch`` calls ``deliver_through_esp`` when ``EMAIL_BACKEND`` is an
anymail backend (``MASTHEAD_ESP``). A batch's recipients go out as one anymail *batch
send* per email variant (the full article, the free preview): one ``AnymailMessage`` whose
``to`` lists every recipient, with the body's placeholders turned into the service's
merge fields and each recipient's values in ``merge_data``, their own ``List-Unsubscribe``
in ``merge_headers`` and their delivery's id in ``merge_metadata`` (so the service's
webhooks find the row again, see ``tracking.py``). The service sends each recipient a
separate message.

Exactly once. An HTTP API has no "message complete" step to hang a claim on (see
``models.Delivery``), so before each request the rows are switched from ``queued`` to
``sending`` in one committed conditional UPDATE, stamped with this worker's claim time,
and only the rows that carry that stamp are sent: another worker given the same batch
finds nothing left to claim. Then:

- the service accepted the request: each row becomes ``sent`` with its message id, or
  ``failed`` (and the address suppressed) if the service refused that one recipient;
- the service said "not now" (429, 5xx) or could not be reached at all: the rows go back
  to ``queued`` and the task retries the batch later, waiting longer each time;
- the service said no (any other 4xx, e.g. a wrong API key): the rows are ``failed``;
- the request went out but no answer came back (a read timeout, a dropped connection):
  the service may have accepted it, so the rows are ``failed`` as unconfirmed and never
  sent again, as when a worker dies mid-request (``delivery.resume_stalled_sends``).
  A later webhook from the service confirms them (``tracking.py``).

An address that is not valid at all fails, and is suppressed, before any request:
Mailgun refuses a whole request for one such address. Recipient addresses are never
logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from typing import Any, Literal

import requests
from anymail.exceptions import (  # type: ignore[import-untyped]
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
)
from anymail.message import AnymailMessage  # type: ignore[import-untyped]
from anymail.utils import parse_single_address  # type: ignore[import-untyped]
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import tokens
from .delivery import list_id, manage_url, sender_address
from .models import Delivery, NewsletterSend, Suppression
from .rendering import MANAGE_URL, NAME, UNSUBSCRIBE_URL, RenderedEmail, personalise

logger = logging.getLogger(__name__)

MERGE_KEYS = ("name", "unsubscribe_url", "manage_url")


@dataclass(frozen=True)
class EmailService:
    """What masthead needs to know about a service beyond what anymail does for it."""

    name: str
    # A merge field in the service's on-the-fly template syntax, e.g. %recipient.name%.
    merge_field: Callable[[str], str]
    # Recipients one API request may carry; a larger batch is split.
    max_recipients: int


SERVICES: dict[str, EmailService] = {
    # Mailgun: recipient variables work in the body, the subject and headers; 1,000
    # recipients per request is Mailgun's documented batch-sending limit.
    "mailgun": EmailService(
        name="mailgun", merge_field=lambda key: f"%recipient.{key}%", max_recipients=1000
    ),
}


def current_service() -> EmailService:
    try:
        return SERVICES[settings.MASTHEAD_ESP]
    except KeyError:
        raise ImproperlyConfigured(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND!r} but MASTHEAD_ESP "
            f"({settings.MASTHEAD_ESP!r}) names none of {sorted(SERVICES)}; set MASTHEAD_ESP."
        ) from None


@dataclass
class _Recipient:
    delivery: Delivery
    address: str  # the To address as given to anymail
    key: str  # the address as anymail keys merge data and statuses: its addr-spec
    member_uuid: Any


# --- Delivering a batch ---------------------------------------------------------------------


def deliver_through_esp(
    send: NewsletterSend, deliveries: list[Delivery], uuids: dict[int, Any], result: dict[str, int]
) -> None:
    """Send a batch's queued rows as batch sends of at most the service's recipient limit."""
    service = current_service()
    recipients = _valid_recipients(send, deliveries, uuids, result)
    chunks = list(_chunks(recipients, service.max_recipients))
    if not chunks:
        return
    connection = get_connection(ignore_recipient_status=True)
    connection.open()
    try:
        for index, chunk in enumerate(chunks):
            if not _still_sending(send):
                return  # cancelled: the rows left queued are the cancel's to close
            outcome = _deliver_chunk(send, chunk, service, connection, result)
            NewsletterSend.objects.filter(pk=send.pk).update(heartbeat_at=timezone.now())
            if outcome == "retry":
                # The service is unwell: leave the rest of the batch for the retry.
                result["retry"] += sum(len(later) for later in chunks[index + 1 :])
                return
    finally:
        connection.close()


def _valid_recipients(
    send: NewsletterSend, deliveries: list[Delivery], uuids: dict[int, Any], result: dict[str, int]
) -> list[_Recipient]:
    """The rows whose address the service can take; the others fail and are suppressed.

    Mailgun refuses a whole request for one malformed address, so such an address must
    not reach the request.
    """
    recipients = []
    for delivery in deliveries:
        member_uuid = uuids.get(delivery.member_id or 0)
        if member_uuid is None:
            continue  # the member was deleted; delivery.py does not send those
        try:
            validate_email(delivery.email)
            address = _to_address(delivery)
            # anymail keys its merge data by the address it parses out of ``to``; a
            # plain address is its own key, which spares parsing it twice.
            if _PLAIN_ADDRESS.match(delivery.email):
                key = delivery.email
            else:
                key = parse_single_address(address).addr_spec
        except (ValidationError, AnymailInvalidAddress, ValueError):
            _fail_unsent(delivery, send, "Not a valid email address; not sent.")
            result["failed"] += 1
            continue
        recipients.append(_Recipient(delivery, address, key, member_uuid))
    return recipients


_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$")


def _to_address(delivery: Delivery) -> str:
    name = re.sub(r"[\x00-\x1f\x7f]", " ", delivery.name).strip()
    local, _, domain = delivery.email.rpartition("@")
    try:
        return str(Address(display_name=name, username=local, domain=domain))
    except ValueError:
        if not name:
            raise
        return str(Address(username=local, domain=domain))


def _fail_unsent(delivery: Delivery, send: NewsletterSend, error: str) -> None:
    from .actions import suppress

    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.FAILED, failed_at=timezone.now(), error=error
    )
    if updated:
        suppress(email=delivery.email, reason=Suppression.Reason.REJECTED, detail=error, send=send)


def _chunks(recipients: list[_Recipient], size: int) -> Iterator[list[_Recipient]]:
    """Runs of at most ``size`` recipients who get the same variant, in batch order."""
    by_variant: dict[str, list[_Recipient]] = {}
    for recipient in recipients:
        by_variant.setdefault(recipient.delivery.variant, []).append(recipient)
    for group in by_variant.values():
        for start in range(0, len(group), size):
            yield group[start : start + size]


def _still_sending(send: NewsletterSend) -> bool:
    status = NewsletterSend.objects.filter(pk=send.pk).values_list("status", flat=True).first()
    return status == NewsletterSend.Status.SENDING


Outcome = Literal["done", "retry"]


def _deliver_chunk(
    send: NewsletterSend,
    chunk: list[_Recipient],
    service: EmailService,
    connection: Any,
    result: dict[str, int],
) -> Outcome:
    claim, attempts = _claim(chunk)
    mine = [recipient for recipient in chunk if recipient.delivery.pk in attempts]
    if not mine:
        return "done"  # another worker has this batch, or it was cancelled
    try:
        message = _batch_message(send, mine, service)
    except Exception:
        _release(mine, claim)  # nothing was posted: the rows wait for the fix
        raise
    message.connection = connection
    try:
        message.send()
    except AnymailAPIError as error:
        kind = _classify(error)
        description = _describe(error)
        if kind == "retry":
            _put_back(send, mine, claim, attempts, description, result)
            return "retry"
        if kind == "unconfirmed":
            _give_up(
                mine,
                claim,
                "Unconfirmed: the request reached the mail service but no answer came back "
                f"({description}); not sent again, to avoid a duplicate.",
                result,
                maybe_sent=True,
            )
            logger.warning(
                "send %s: no answer from the mail service for %s recipients (%s); "
                "marked unconfirmed, not resent",
                send.pk,
                len(mine),
                description,
            )
            return "done"
        _give_up(
            mine, claim, f"Refused by the mail service: {description}", result, maybe_sent=False
        )
        logger.error(
            "send %s: the mail service refused a request for %s recipients (%s)%s",
            send.pk,
            len(mine),
            description,
            "; check MASTHEAD_ESP_API_KEY" if error.status_code in (401, 403) else "",
        )
        return "done"
    except AnymailError:
        # Raised before anything was posted (a message anymail cannot build): a bug or a
        # setting to fix. The rows wait in the queue for the fix rather than failing.
        _release(mine, claim)
        raise
    _record_statuses(send, mine, claim, message.anymail_status, result)
    return "done"


def _claim(chunk: list[_Recipient]) -> tuple[datetime, dict[int, int]]:
    """Switch the chunk's queued rows to sending, committed; the ids this worker got.

    The claim time is the worker's mark: rows another worker claimed carry its own.
    Returns the claim time and, for each row claimed, its attempts so far.
    """
    claim = timezone.now()
    ids = [recipient.delivery.pk for recipient in chunk]
    with transaction.atomic():
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SENDING, sent_at=claim, attempts=F("attempts") + 1, error=""
        )
    claimed = Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING, sent_at=claim)
    return claim, dict(claimed.values_list("pk", "attempts"))


def _mine(recipients: list[_Recipient], claim: datetime) -> Any:
    return Delivery.objects.filter(
        pk__in=[recipient.delivery.pk for recipient in recipients],
        status=Delivery.Status.SENDING,
        sent_at=claim,
    )


def _release(recipients: list[_Recipient], claim: datetime) -> None:
    _mine(recipients, claim).update(
        status=Delivery.Status.QUEUED, sent_at=None, attempts=F("attempts") - 1
    )


def _put_back(
    send: NewsletterSend,
    recipients: list[_Recipient],
    claim: datetime,
    attempts: dict[int, int],
    description: str,
    result: dict[str, int],
) -> None:
    """The service will take them later: back to the queue, or failed at the attempt limit."""
    limit = settings.MASTHEAD_NEWSLETTER_MAX_ATTEMPTS
    spent = [r for r in recipients if attempts[r.delivery.pk] >= limit]
    again = [r for r in recipients if attempts[r.delivery.pk] < limit]
    error = f"Not taken by the mail service: {description}"[:1000]
    if spent:
        _give_up(spent, claim, f"Gave up after {limit} attempts. {error}", result, maybe_sent=False)
    if again:
        result["retry"] += _mine(again, claim).update(
            status=Delivery.Status.QUEUED, sent_at=None, error=error
        )
    logger.warning(
        "send %s: the mail service did not take %s recipients (%s); %s will be retried",
        send.pk,
        len(recipients),
        description,
        len(again),
    )


def _give_up(
    recipients: list[_Recipient],
    claim: datetime,
    error: str,
    result: dict[str, int],
    *,
    maybe_sent: bool,
) -> None:
    """Failed for good; ``sent_at`` stays only where the service may have the message."""
    extra = {} if maybe_sent else {"sent_at": None}
    result["failed"] += _mine(recipients, claim).update(
        status=Delivery.Status.FAILED, failed_at=timezone.now(), error=error[:1000], **extra
    )


# The statuses anymail reports for a recipient the service took.
_ACCEPTED = {"sent", "queued", "scheduled", "unknown"}
# The service refused the address itself: it is never mailed again.
_REFUSED = {"rejected", "invalid"}


def _record_statuses(
    send: NewsletterSend,
    recipients: list[_Recipient],
    claim: datetime,
    status: Any,
    result: dict[str, int],
) -> None:
    from .actions import suppress

    reported = {email.lower(): value for email, value in (status.recipients or {}).items()}
    sent_by_id: dict[str, list[_Recipient]] = {}
    refused: list[tuple[_Recipient, str]] = []
    for recipient in recipients:
        one = reported.get(recipient.key.lower())
        if one is None or one.status in _ACCEPTED:
            message_id = (one.message_id if one is not None else None) or ""
            sent_by_id.setdefault(str(message_id)[:255], []).append(recipient)
        else:
            refused.append((recipient, one.status))
    with transaction.atomic():
        for message_id, group in sent_by_id.items():
            # A webhook may already have confirmed a row (status sent); it keeps its claim time.
            result["sent"] += Delivery.objects.filter(
                pk__in=[r.delivery.pk for r in group],
                status__in=[Delivery.Status.SENDING, Delivery.Status.SENT],
                sent_at=claim,
            ).update(status=Delivery.Status.SENT, message_id=message_id)
    for recipient, reason in refused:
        error = f"Refused by the mail service ({reason})."
        if _mine([recipient], claim).update(
            status=Delivery.Status.FAILED, failed_at=timezone.now(), error=error, sent_at=None
        ):
            result["failed"] += 1
            if reason in _REFUSED:
                suppress(
                    email=recipient.delivery.email,
                    reason=Suppression.Reason.REJECTED,
                    detail=error,
                    send=send,
                )
    if refused:
        logger.warning("send %s: the mail service refused %s recipients", send.pk, len(refused))


# --- Errors -------------------------------------------------------------------------------------


def _classify(error: AnymailAPIError) -> Literal["retry", "unconfirmed", "permanent"]:
    """What a failed request means for its recipients.

    ``retry``: the service did not take the request and asked for it later (429, 5xx),
    or the connection never opened. ``unconfirmed``: the request went out and the
    service may have taken it. ``permanent``: the service refused it for good.
    """
    status = getattr(error, "status_code", None)
    if status is not None:
        if status == 429 or status >= 500:
            return "retry"
        if 200 <= status < 300:
            return "unconfirmed"  # accepted, with an answer anymail could not read
        return "permanent"
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError):
        return "retry"  # no connection, so no request
    if _never_connected(error):
        return "retry"
    if isinstance(error, requests.RequestException):
        return "unconfirmed"
    return "permanent"


def _never_connected(error: BaseException) -> bool:
    """Whether the connection failed before any of the request was sent."""
    from urllib3.exceptions import NewConnectionError

    seen: set[int] = set()
    todo: list[Any] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectionRefusedError):
            return True
        todo.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        todo.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False


_ADDRESS = re.compile(r"[^\s'\"<>(),;:]+@[^\s'\"<>(),;:]+")


def _describe(error: AnymailAPIError) -> str:
    """The service's answer in a few words, with any email address taken out."""
    status = getattr(error, "status_code", None)
    if status is None:
        cause = error.__cause__ or error
        text = type(cause).__name__
    else:
        text = str(status)
        response = getattr(error, "response", None)
        detail = ""
        try:
            body = response.json() if response is not None else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            detail = str(body.get("message") or body.get("Message") or "")
        elif response is not None:
            detail = response.text[:200]
        if detail:
            text = f"{text} {detail}"
    return _ADDRESS.sub("<address>", " ".join(text.split()))[:300]


# --- Building the message ----------------------------------------------------------------------


def _batch_message(
    send: NewsletterSend, recipients: list[_Recipient], service: EmailService
) -> AnymailMessage:
    """One batch send to ``recipients``, who all get the same variant of the email."""
    variant = recipients[0].delivery.variant
    html = getattr(send, f"html_{variant}")
    text = getattr(send, f"text_{variant}")
    placeholders = {"name": NAME, "unsubscribe_url": UNSUBSCRIBE_URL, "manage_url": MANAGE_URL}
    # Only the values the email shows travel in the request.
    keys = [k for k in MERGE_KEYS if placeholders[k] in html or placeholders[k] in text]
    for key in keys:
        html = html.replace(placeholders[key], service.merge_field(f"{key}_html"))
        text = text.replace(placeholders[key], service.merge_field(key))

    newsletter = send.newsletter
    merge_data: dict[str, dict[str, str]] = {}
    merge_headers: dict[str, dict[str, str]] = {}
    merge_metadata: dict[str, dict[str, str]] = {}
    probe = "\n".join(placeholders[key] for key in MERGE_KEYS)
    for recipient in recipients:
        unsubscribe = tokens.unsubscribe_url(recipient.member_uuid, newsletter.uuid, send.uuid)
        # The values the SMTP path puts in, escaped the same way: personalise decides.
        html_values, text_values = personalise(
            RenderedEmail(subject=send.subject, html=probe, text=probe),
            name=recipient.delivery.name,
            unsubscribe_url=unsubscribe,
            manage_url=manage_url(recipient.member_uuid),
        )
        # The name comes first and is filled in last, so it may hold anything.
        html_parts = dict(zip(MERGE_KEYS, html_values.rsplit("\n", 2), strict=True))
        text_parts = dict(zip(MERGE_KEYS, text_values.rsplit("\n", 2), strict=True))
        values = {}
        for key in keys:
            values[key] = text_parts[key]
            values[f"{key}_html"] = html_parts[key]
        merge_data[recipient.key] = values
        merge_headers[recipient.key] = {"List-Unsubscribe": f"<{unsubscribe}>"}
        merge_metadata[recipient.key] = {"masthead_delivery": str(recipient.delivery.pk)}

    tracking = bool(settings.MASTHEAD_EMAIL_TRACKING)
    message = AnymailMessage(
        subject=send.subject,
        body=text,
        from_email=sender_address(newsletter),
        to=[recipient.address for recipient in recipients],
        reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
        headers={
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": list_id(newsletter),
            "Precedence": "bulk",
        },
        metadata={"masthead_send": str(send.uuid)},
        tags=[f"newsletter-{newsletter.slug}"[:128]],
        track_opens=tracking,
        track_clicks=tracking,
    )
    message.attach_alternative(html, "text/html")
    # Each of these makes anymail send one message per recipient (a batch send).
    message.merge_data = merge_data
    message.merge_headers = merge_headers
    message.merge_metadata = merge_metadata
    return message
