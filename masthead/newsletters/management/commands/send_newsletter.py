from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masthead.membership.models import Tier
from masthead.newsletters import actions
from masthead.newsletters.models import Newsletter, Segment
from masthead.publishing.models import ArticlePage

from ._progress import follow


class Command(BaseCommand):
    help = (
        "Send a published article to a newsletter's subscribers (or, with --when-published, "
        "as soon as it is published), and optionally follow the send with a progress bar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("article", help="The article's slug, as in its address /<slug>/.")
        parser.add_argument(
            "--newsletter",
            default="",
            help="The newsletter's slug (default: the only active newsletter, if there is one).",
        )
        parser.add_argument(
            "--segment",
            choices=Segment.values,
            default=Segment.ALL,
            help="Who receives it: all subscribers, free or paying members, or chosen tiers.",
        )
        parser.add_argument(
            "--tier",
            action="append",
            default=[],
            metavar="SLUG",
            help="A tier for --segment tiers (repeat for several).",
        )
        parser.add_argument("--subject", default="", help="The subject (default: the headline).")
        parser.add_argument(
            "--when-published",
            action="store_true",
            help="For an article not published yet: send it when it is.",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Show the send's progress until it finishes (a worker must be running).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        page = ArticlePage.objects.filter(slug=options["article"]).first()
        if page is None:
            raise CommandError(f"No article has the slug {options['article']!r}.")
        newsletter = self._newsletter(options["newsletter"])
        tiers = list(Tier.objects.filter(slug__in=options["tier"]))
        if missing := set(options["tier"]) - {tier.slug for tier in tiers}:
            raise CommandError(f"No tier has the slug {', '.join(sorted(missing))}.")
        try:
            send = actions.create_send(
                page=page,
                newsletter=newsletter,
                segment=options["segment"],
                tiers=tiers,
                subject=options["subject"],
                when_published=options["when_published"],
            )
        except actions.SendRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Send {send.pk}: “{send.subject}” to {newsletter.name} ({send.get_status_display()})."
        )
        if options["wait"] and send.status != send.Status.WAITING:
            follow(send, stdout=self.stdout, style=self.style, quiet=options["verbosity"] < 1)

    def _newsletter(self, slug: str) -> Newsletter:
        if slug:
            newsletter = Newsletter.objects.filter(slug=slug).first()
            if newsletter is None:
                raise CommandError(f"No newsletter has the slug {slug!r}.")
            return newsletter
        active = list(Newsletter.objects.active()[:2])
        if len(active) != 1:
            names = ", ".join(Newsletter.objects.active().values_list("slug", flat=True))
            raise CommandError(
                f"Choose a newsletter with --newsletter: {names or 'none is active'}."
            )
        return active[0]
