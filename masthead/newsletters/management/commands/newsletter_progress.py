from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masthead.newsletters.models import NewsletterSend

from ._progress import follow


class Command(BaseCommand):
    help = "Follow a newsletter send with a progress bar (queued, sent, failed) until it finishes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("send", type=int, help="The send's number (see the admin's Sends).")

    def handle(self, *args: Any, send: int, **options: Any) -> None:
        found = NewsletterSend.objects.filter(pk=send).first()
        if found is None:
            raise CommandError(f"There is no send number {send}.")
        follow(found, stdout=self.stdout, style=self.style, quiet=options["verbosity"] < 1)
