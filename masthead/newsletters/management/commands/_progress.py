"""A send's progress as a terminal progress bar, shared by the newsletter commands."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError
from tqdm import tqdm

from masthead.newsletters.delivery import send_progress
from masthead.newsletters.models import NewsletterSend

POLL_SECONDS = 1.0


def follow(send: NewsletterSend, *, stdout: Any, style: Any, quiet: bool = False) -> None:
    """Poll the send until it is finished; raise CommandError if it failed or was cancelled."""
    with tqdm(
        total=send.recipient_count or None, unit="email", desc="Sending", disable=quiet
    ) as bar:
        while True:
            send.refresh_from_db()
            progress = send_progress(send)
            done = progress["total"] - progress["queued"] - progress["sending"]
            bar.total = progress["total"] or bar.total
            bar.set_postfix(sent=progress["sent"], failed=progress["failed"], refresh=False)
            bar.update(done - bar.n)
            if send.is_finished:
                break
            time.sleep(POLL_SECONDS)
    summary = (
        f"{progress['sent']} sent, {progress['failed']} failed, "
        f"{progress['suppressed']} suppressed, {progress['cancelled']} not sent (cancelled)."
    )
    if send.status == NewsletterSend.Status.SENT:
        stdout.write(style.SUCCESS(f"Send {send.pk} finished: {summary}"))
        return
    reason = f" {send.error}" if send.error else ""
    raise CommandError(f"Send {send.pk} is {send.get_status_display().lower()}:{reason} {summary}")
