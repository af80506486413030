from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from masthead.membership import member_csv
from masthead.membership.models import Member


class Command(BaseCommand):
    help = (
        "Export every member as CSV in Ghost's members format, oldest first, to a file or "
        "to standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            help="The file to write (replaced if it exists). Without it, the CSV goes to "
            "standard output.",
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        members = Member.objects.order_by("created_at", "pk")
        if output is None:
            member_csv.write_members_csv(members, self.stdout)
            return
        if output.is_dir():
            raise CommandError(f"{output} is a folder; give a file name such as members.csv.")
        try:
            stream = output.open("w", encoding="utf-8", newline="")
        except OSError as error:
            raise CommandError(f"{output} cannot be written: {error.strerror}.") from None
        with (
            stream,
            tqdm(
                total=members.count(),
                unit="member",
                desc="Exporting members",
                disable=options["verbosity"] < 1,
            ) as bar,
        ):
            count = member_csv.write_members_csv(members, stream, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} members to {output}."))
