from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from masthead.membership import member_csv


class Command(BaseCommand):
    help = (
        "Import members from a CSV file in Ghost's members format (a Ghost export works as "
        "it is). Existing members, matched by email, are updated; importing the same file "
        "again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file to import.")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file. Check the path and try again.") from None
        except IsADirectoryError:
            raise CommandError(f"{file} is a folder; give the path of a CSV file.") from None
        except OSError as error:
            raise CommandError(f"{file} cannot be read: {error.strerror}.") from None
        try:
            parsed = member_csv.parse_members_csv(member_csv.decode_csv_bytes(raw))
        except member_csv.CSVFileError as error:
            raise CommandError(f"{file}: {error.user_message()} Nothing was imported.") from None

        with tqdm(
            total=len(parsed.rows),
            unit="member",
            desc="Importing members",
            disable=options["verbosity"] < 1,
        ) as bar:
            summary = member_csv.import_members(parsed, file_name=file.name, progress=bar.update)

        for row in summary.rejected:
            # Line and reason only: this output often ends up in logs, addresses must not.
            self.stderr.write(f"{file.name}:{row.line}: {row.reason}")
        if summary.ignored_columns:
            self.stdout.write(f"Columns not read: {', '.join(summary.ignored_columns)}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {file.name}. New members: {summary.created}. Updated: "
                f"{summary.updated}. Already up to date: {summary.unchanged}. Complimentary "
                f"memberships given: {summary.comped}. New labels: {summary.labels_created}."
            )
        )
        if summary.rejected:
            # Exit status 2, not 1: the file was read and its good rows are in.
            raise CommandError(
                f"Rows not imported: {len(summary.rejected)} (listed above with their line "
                "numbers). Fix them in the file and run the command again; rows already "
                "imported stay as they are.",
                returncode=2,
            )
