"""``masthead live``: list live pages, post an update, end or resume coverage.

For scripts and bots (an alert feed, a wire service) as much as for people: every
refusal is one line on standard error and a non-zero exit, and posting goes through
the same action as the admin's live desk.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Max, Q
from django.utils.html import escape

from masthead.publishing import actions
from masthead.publishing.middleware import site_timezone
from masthead.publishing.models import Author, CoverageStatus, LivePage

BLANK_LINES = re.compile(r"\n[ \t]*\n+")
# The largest id a database's integer column holds.
MAX_ID = 2**63 - 1


def paragraphs(text: str) -> list[dict[str, str]]:
    """Plain text to paragraph blocks: one per blank-line-separated paragraph, escaped."""
    blocks = []
    for chunk in BLANK_LINES.split(text.replace("\r\n", "\n").strip()):
        lines = [escape(line.strip()) for line in chunk.strip().splitlines() if line.strip()]
        if lines:
            blocks.append({"type": "paragraph", "value": f"<p>{'<br/>'.join(lines)}</p>"})
    return blocks


def find_live_page(slug_or_id: str) -> LivePage:
    pages = LivePage.objects.all()
    # isdigit() lets "²" through to int(); a number past 2**63 - 1 overflows SQLite.
    if (
        slug_or_id.isascii()
        and slug_or_id.isdecimal()
        and len(slug_or_id) <= 19
        and int(slug_or_id) <= MAX_ID
    ):
        by_id = pages.filter(pk=int(slug_or_id)).first()
        if by_id is not None:
            return by_id
    found = list(pages.filter(slug=slug_or_id)[:2])
    if not found:
        raise CommandError(
            f"No live page has the slug or id {slug_or_id!r}; `masthead live list` shows them."
        )
    if len(found) > 1:
        raise CommandError(
            f"Several live pages have the slug {slug_or_id!r}; give the page's id instead."
        )
    return found[0]


def message(error: ValidationError) -> str:
    return " ".join(" ".join(problems) for problems in error.message_dict.values())


class Command(BaseCommand):
    help = "Live coverage from the command line: list live pages, post updates, end or resume."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        commands.add_parser("list", help="List live pages: id, slug, status, updates, last update.")

        post = commands.add_parser("post", help="Post an update on a live page.")
        post.add_argument("page", help="The live page's slug (as in /<slug>/) or id.")
        post.add_argument(
            "--text",
            required=True,
            help="The update's words; a blank line starts a new paragraph. '-' reads them "
            "from standard input.",
        )
        post.add_argument("--headline", default="", help="An optional headline.")
        post.add_argument("--author", default="", help="The author's slug, for the byline.")
        post.add_argument("--pinned", action="store_true", help="Keep it at the top of the page.")
        post.add_argument("--key-event", action="store_true", help="List it among the key events.")

        for name, what in (("end", "End"), ("resume", "Resume")):
            sub = commands.add_parser(name, help=f"{what} the coverage of a live page.")
            sub.add_argument("page", help="The live page's slug or id.")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "list":
            self.list_pages()
        elif subcommand == "post":
            self.post(options)
        else:
            self.set_status(
                find_live_page(options["page"]),
                CoverageStatus.ENDED if subcommand == "end" else CoverageStatus.LIVE,
            )

    def list_pages(self) -> None:
        visible = Q(updates__deleted_at__isnull=True)
        pages = (
            LivePage.objects.annotate(
                update_count=Count("updates", filter=visible),
                last_update_at=Max("updates__posted_at", filter=visible),
            )
            .order_by("-coverage_status", "-pk")
            .values_list("pk", "slug", "coverage_status", "live", "update_count", "last_update_at")
        )
        tz = site_timezone()
        rows = [("ID", "SLUG", "STATUS", "UPDATES", "LAST UPDATE")]
        for pk, slug, status, live, count, last in pages:
            rows.append(
                (
                    str(pk),
                    slug,
                    status if live else f"{status} (draft)",
                    str(count),
                    last.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if last else "-",
                )
            )
        if len(rows) == 1:
            self.stdout.write("No live pages yet.")
            return
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            )

    def post(self, options: dict[str, Any]) -> None:
        page = find_live_page(options["page"])
        text = sys.stdin.read() if options["text"] == "-" else options["text"]
        author = None
        if options["author"]:
            author = Author.objects.filter(slug=options["author"]).first()
            if author is None:
                raise CommandError(f"No author has the slug {options['author']!r}.")
        try:
            update = actions.post_live_update(
                page=page,
                body=paragraphs(text),
                headline=options["headline"],
                author=author,
                is_pinned=options["pinned"],
                is_key_event=options["key_event"],
            )
        except ValidationError as error:
            raise CommandError(message(error)) from None
        self.stdout.write(
            f"Posted update {update.pk} on {page.slug}: {update.permalink(page.full_url or None)}"
        )

    def set_status(self, page: LivePage, status: str) -> None:
        if page.coverage_status == status:
            state = "has already ended" if status == CoverageStatus.ENDED else "is already live"
            self.stdout.write(f"The coverage of {page.slug} {state}.")
            return
        actions.set_coverage_status(page=page, status=status)
        state = "ended" if status == CoverageStatus.ENDED else "live again"
        self.stdout.write(f"The coverage of {page.slug} is {state}.")
