"""Newsletter send benchmark: one article to N subscribers, over SMTP and through an ESP.

Builds (once per size) a throwaway database in ``var/bench-newsletter-<N>`` with N members
subscribed to one newsletter (bulk-created), then for each transport:

1. prepares a send in this process (renders the article, writes one delivery row per
   subscriber and enqueues the batches), timed;
2. starts a real worker process (``db_worker --batch`` on the ``newsletters`` queue)
   that delivers every batch and exits: (a) into a local SMTP sink (aiosmtpd, counting
   messages and discarding them) through delivery's SMTP path, (b) into the Mailgun
   stand-in through anymail's batch path, one request per batch of 500.

It reports the time from the worker's start to the first and the last message arriving,
messages per second from the first message to the last, and the worker's peak memory
(its ``ru_maxrss``; an idle worker's is shown for comparison). Ratios are against
references measured in the same run, on the same sinks, without the database or the
task queue: the same message sent with ``smtplib`` in a loop on one connection, and the
same batch request POSTed with ``requests`` in a loop.

The SMTP path sends one message at a time and is much slower than the batch API, so it
goes to the first ``--smtp-members`` subscribers (a second newsletter) unless told
otherwise. Usage::

    python -m benchmarks.newsletter_send [--members 100000] [--smtp-members 20000]
                                         [--transport smtp|esp|both]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SENDER = "daily@news.example.org"
API_KEY = "key-bench"
# The SMTP reference sends this many messages at most: its rate is steady long before.
REFERENCE_SAMPLE = 20_000


@dataclass
class Phase:
    name: str
    messages: int
    prepare_seconds: float
    first_seconds: float
    last_seconds: float
    at_first: int  # messages that arrived with the first one (a whole request over the API)
    peak_kib: int
    reference_rate: float

    @property
    def rate(self) -> float:
        """Messages per second from the first message to the last (start-up left out)."""
        span = self.last_seconds - self.first_seconds
        return (self.messages - self.at_first) / span if span > 0 else float("nan")


class CountingSink:
    """An aiosmtpd handler that counts recipients and forgets the messages."""

    def __init__(self) -> None:
        self.count = 0
        self.at_first = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        with self._lock:
            self.count += len(envelope.rcpt_tos)
            if self.first_at is None:
                self.first_at, self.at_first = now, self.count
            self.last_at = now
        return "250 2.0.0 Accepted"

    def reset(self) -> None:
        with self._lock:
            self.count, self.at_first, self.first_at, self.last_at = 0, 0, None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--smtp-members", type=int, default=20_000)
    parser.add_argument("--transport", choices=["smtp", "esp", "both"], default="both")
    args = parser.parse_args()

    data_dir = ROOT / "var" / f"bench-newsletter-{args.members}"
    env = {
        **os.environ,
        "MASTHEAD_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "masthead.settings.base",
        "MASTHEAD_TASK_BACKEND": "database",
        "MASTHEAD_LOG_LEVEL": "WARNING",
    }
    for name in ("MASTHEAD_ESP", "MASTHEAD_EMAIL_URL", "MASTHEAD_DATABASE_URL"):
        env.pop(name, None)
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    smtp_members = min(args.smtp_members, args.members)
    newsletter, smtp_newsletter, page = _newsroom(args.members, smtp_members)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    idle_kib = _worker_peak(env)[1]

    phases = []
    if args.transport in ("smtp", "both"):
        phases.append(_smtp_phase(smtp_newsletter, page, env, smtp_members))
    if args.transport in ("esp", "both"):
        phases.append(_esp_phase(newsletter, page, env, args.members))
    _report(phases, args.members, idle_kib)


# --- The newsroom ------------------------------------------------------------------------------


def _newsroom(members: int, smtp_members: int) -> tuple[Any, Any, Any]:
    from wagtail.models import Site

    from masthead.membership.models import Member
    from masthead.publishing.factories import ArticlePageFactory, paragraph_blocks
    from masthead.publishing.models import ArticlePage

    if Member.objects.filter(email__endswith="@bench.example.org").count() != members:
        started = time.perf_counter()
        Member.objects.filter(email__endswith="@bench.example.org").delete()
        chunk = 5_000
        for start in range(0, members, chunk):
            Member.objects.bulk_create(
                [
                    Member(email=f"reader{i:07d}@bench.example.org", name=f"Reader {i}")
                    for i in range(start, min(start + chunk, members))
                ],
                batch_size=chunk,
            )
        seconds = time.perf_counter() - started
        print(f"created {members:,} members in {seconds:.1f} s", file=sys.stderr)
    newsletter = _newsletter("bench-daily", "Bench Daily", members)
    smtp_newsletter = _newsletter("bench-daily-smtp", "Bench Daily (SMTP)", smtp_members)
    page = ArticlePage.objects.filter(slug="bench-newsletter-story").first()
    if page is None:
        home = Site.objects.get(is_default_site=True).root_page.specific
        words = " ".join(["The council met again on Thursday to discuss the bridge."] * 12)
        page = ArticlePageFactory(
            parent=home,
            title="The bridge, the council and the winter ahead",
            slug="bench-newsletter-story",
            body=paragraph_blocks([words] * 12),
        )
    return newsletter, smtp_newsletter, page


def _newsletter(slug: str, name: str, subscribers: int) -> Any:
    """A newsletter whose subscribers are the first ``subscribers`` bench members."""
    from masthead.membership.models import Member
    from masthead.newsletters.models import Newsletter, NewsletterSubscription

    newsletter, _ = Newsletter.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "sender_name": "The Newsroom",
            "sender_email": SENDER,
            "subscribe_on_signup": False,
        },
    )
    if NewsletterSubscription.objects.filter(newsletter=newsletter).count() != subscribers:
        NewsletterSubscription.objects.filter(newsletter=newsletter).delete()
        members = Member.objects.filter(email__endswith="@bench.example.org").order_by("email")
        ids = members.values_list("pk", flat=True)[:subscribers]
        NewsletterSubscription.objects.bulk_create(
            [NewsletterSubscription(member_id=pk, newsletter=newsletter) for pk in ids],
            batch_size=5_000,
        )
    return newsletter


def _new_send(newsletter: Any, page: Any) -> tuple[Any, float]:
    """A fresh send of the article, prepared (rendered, rows written, batches enqueued)."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from masthead.newsletters import actions, delivery
    from masthead.newsletters.models import NewsletterSend

    NewsletterSend.objects.filter(newsletter=newsletter).delete()
    with transaction.atomic():
        send = actions.create_send(page=page, newsletter=newsletter)
    DBTaskResult.objects.all().delete()  # its prepare task: done here instead, timed
    started = time.perf_counter()
    delivery.prepare_send(send.pk)
    return send, time.perf_counter() - started


def _worker_peak(env: dict[str, str]) -> tuple[float, int]:
    """Run a worker that works through the newsletters queue and exits: (start, peak KiB)."""
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "db_worker",
        "--queue-name",
        "newsletters",
        "--batch",
        "--interval",
        "0",
        "--no-startup-delay",
        "--no-reload",
        "--verbosity",
        "0",
    ]
    started = time.time()
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"the worker exited with {process.returncode}")
    return started, int(usage.ru_maxrss)  # KiB on Linux


# --- SMTP --------------------------------------------------------------------------------------


def _smtp_phase(newsletter: Any, page: Any, env: dict[str, str], members: int) -> Phase:
    from aiosmtpd.controller import Controller

    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        send, prepare_seconds = _new_send(newsletter, page)
        reference = _smtp_reference(send, controller.port, min(members, REFERENCE_SAMPLE))
        sink.reset()
        worker_env = {**env, "MASTHEAD_EMAIL_URL": f"smtp://127.0.0.1:{controller.port}"}
        started, peak = _worker_peak(worker_env)
        return _phase("SMTP (aiosmtpd sink)", send, sink, started, peak, prepare_seconds, reference)
    finally:
        controller.stop()


def _smtp_reference(send: Any, port: int, count: int) -> float:
    """Messages per second: the send's own message, sent with smtplib on one connection."""
    from masthead.newsletters import delivery

    sample = send.deliveries.select_related("member").order_by("pk").first()
    message = delivery.build_message(send, sample, member_uuid=sample.member.uuid)
    data = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for i in range(count):
            client.sendmail(SENDER, [f"reader{i:07d}@bench.example.org"], data)
    return count / (time.perf_counter() - started)


# --- ESP ----------------------------------------------------------------------------------------


def _esp_phase(newsletter: Any, page: Any, env: dict[str, str], members: int) -> Phase:
    from masthead.newsletters.tests.esp_standin import MailgunStandIn

    with MailgunStandIn(api_key=API_KEY, keep_messages=False) as standin:
        send, prepare_seconds = _new_send(newsletter, page)
        reference = _esp_reference(send, standin, members)
        standin.reset()
        worker_env = {
            **env,
            "MASTHEAD_ESP": "mailgun",
            "MASTHEAD_ESP_API_KEY": API_KEY,
            "MASTHEAD_ESP_API_URL": standin.api_url,
        }
        started, peak = _worker_peak(worker_env)
        arrivals = CountingSink()
        arrivals.count, arrivals.at_first = standin.total, standin.at_first
        arrivals.first_at, arrivals.last_at = standin.first_at, standin.last_at
        return _phase(
            "ESP (Mailgun stand-in)", send, arrivals, started, peak, prepare_seconds, reference
        )


def _esp_reference(send: Any, standin: Any, members: int) -> float:
    """Messages per second: the first batch's request, POSTed again with ``requests``."""
    import requests
    from django.test.utils import override_settings

    from masthead.newsletters import esp
    from masthead.settings.base import email_service_settings

    made = email_service_settings("mailgun", api_key=API_KEY, api_url=standin.api_url)
    with override_settings(MASTHEAD_ESP="mailgun", **made):
        from django.core.mail import get_connection

        backend: Any = get_connection()
        batch = list(send.deliveries.filter(batch=0).select_related("member"))
        recipients = [
            esp._Recipient(d, d.email, d.email, d.member.uuid)
            for d in batch
            if d.variant == batch[0].variant
        ]
        message = esp._batch_message(send, recipients, esp.current_service())
        payload = backend.build_message_payload(message, backend.send_defaults)
        params = payload.get_request_params(backend.api_url)
    requests_needed = max(1, members // len(recipients))
    started = time.perf_counter()
    with requests.Session() as session:
        for _ in range(requests_needed):
            response = session.post(
                params["url"], data=params["data"], auth=params["auth"], timeout=60
            )
            response.raise_for_status()
    return requests_needed * len(recipients) / (time.perf_counter() - started)


# --- Report ------------------------------------------------------------------------------------


def _phase(
    name: str,
    send: Any,
    sink: CountingSink,
    started: float,
    peak: int,
    prepare_seconds: float,
    reference: float,
) -> Phase:
    from masthead.newsletters.delivery import send_progress

    send.refresh_from_db()
    progress = send_progress(send)
    if sink.count != send.recipient_count or progress["sent"] != send.recipient_count:
        sys.exit(f"{name}: {sink.count} messages arrived for {send.recipient_count}: {progress}")
    return Phase(
        name=name,
        messages=sink.count,
        prepare_seconds=prepare_seconds,
        first_seconds=(sink.first_at or started) - started,
        last_seconds=(sink.last_at or started) - started,
        at_first=sink.at_first,
        peak_kib=peak,
        reference_rate=reference,
    )


def _report(phases: list[Phase], members: int, idle_kib: int) -> None:
    lines = [
        f"Newsletter send, {members:,} members, one worker process, batches of 500",
        "",
        "| transport | recipients | prepare s | first message s | last message s "
        "| messages/s | reference messages/s | ratio to reference | worker peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases:
        lines.append(
            f"| {phase.name} | {phase.messages:,} | {phase.prepare_seconds:.1f} "
            f"| {phase.first_seconds:.2f} | {phase.last_seconds:.1f} | {phase.rate:,.0f} "
            f"| {phase.reference_rate:,.0f} | {phase.rate / phase.reference_rate:.2f} "
            f"| {phase.peak_kib / 1024:.1f} |"
        )
    lines += [
        "",
        "prepare: render the article twice and write one delivery row per recipient, in "
        "this process. first/last message: seconds from the worker's start (Django's "
        "start-up included) to the first and the last message at the sink. messages/s: "
        "from the first message to the last. reference: the same message sent without the "
        "database or the task queue (smtplib in a loop on one connection; the same batch "
        "request POSTed in a loop with requests). worker peak: the worker's maximum "
        f"resident memory; an idle worker's is {idle_kib / 1024:.1f} MiB.",
    ]
    report = "\n".join(lines)
    sys.stdout.write(report + "\n")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / f"newsletter-send-{members}.md").write_text(report + "\n")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
