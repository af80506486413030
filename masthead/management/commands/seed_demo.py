from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from masthead.demo import SIZES, DemoError, build_demo_newsroom


class Command(BaseCommand):
    help = (
        "Fill an empty site with the demo newsroom: sections, authors with avatars, "
        "articles and briefs with generated photos, videos, corrections and pages, "
        "members with tiers, a running membership drive and gated stories."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help=(
                "small: ~340 articles over 90 days and 25,000 members; "
                "large: 20,000 articles over three years, for benchmarks."
            ),
        )
        parser.add_argument(
            "--members",
            type=int,
            default=None,
            help="Number of members instead of the size's own (the mix stays the same).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed, for a repeatable newsroom."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Exit successfully without changes when the site already has content.",
        )

    def handle(
        self,
        *args: Any,
        size: str,
        seed: int,
        if_empty: bool,
        members: int | None,
        **options: Any,
    ) -> None:
        from masthead.demo import site_is_empty

        if members is not None and members < 0:
            raise CommandError("--members must be 0 or more.")

        if not site_is_empty():
            if if_empty:
                self.stdout.write("The site already has content; keeping it.")
                return
            raise CommandError(
                "This site already has content; seed_demo only fills an empty site "
                "(nothing was changed). Remove var/ or point MASTHEAD_DATABASE_URL at an empty database."
            )
        total = SIZES[size][0]
        with tqdm(
            total=total,
            unit="article",
            desc="Building the demo newsroom",
            disable=options["verbosity"] < 1,
        ) as bar:
            try:
                summary = build_demo_newsroom(
                    size=size, seed=seed, progress=bar.update, member_count=members
                )
            except DemoError as error:
                raise CommandError(str(error)) from error
        if connection.vendor == "postgresql":
            # Thousands of rows written in minutes: autovacuum would analyse them later, but
            # until then PostgreSQL plans the listings as if the tables were empty.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {summary.articles} articles, {summary.briefs} briefs and "
                f"{summary.videos} videos by {summary.authors} people in {summary.sections} sections; "
                f"{summary.members:,} members; {summary.gated} stories for members only."
            )
        )
        self.stdout.write(f"Admin login: {summary.admin_username} / {summary.admin_password}")
        if summary.integration is not None:
            self.stdout.write(
                f"Ghost API keys (Settings → Integrations): content {summary.integration.content_key}, "
                f"admin {summary.integration.admin_key}"
            )
