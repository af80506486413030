"""Page rendering benchmark: uncached page costs as ratios of a static file served in-process.

Builds (once) a demo newsroom in ``var/bench-<size>``, then times each public page type
with Django's test client, in the same process and run as the reference: a static
file served by whitenoise through the same middleware stack. Ratios, not absolute
numbers, are comparable across machines. Usage::

    python -m benchmarks [--size small|large] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", choices=["small", "large"], default=os.environ.get("BENCH_SIZE", "small")
    )
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    data_dir = ROOT / "var" / f"bench-{args.size}"
    os.environ["MASTHEAD_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "masthead.settings.base"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("seed_demo", "--size", args.size, "--if-empty", verbosity=1)

    from masthead.publishing.models import ArticlePage, Author, Tag

    article = (
        ArticlePage.objects.live()
        .stories()
        .filter(format="article")
        .order_by("-first_published_at")
        .first()
    )
    author = Author.objects.order_by("pk").first()
    tag = Tag.objects.sections().first()
    if not (article and author and tag):
        sys.exit("The demo newsroom is incomplete: remove var/bench-* and run again.")
    from masthead.membership.models import Member, MemberStatus

    gated = (
        ArticlePage.objects.live().filter(visibility="members").order_by("-published_at").first()
    )
    paid = ArticlePage.objects.live().filter(visibility="paid").order_by("-published_at").first()
    free_member = Member.objects.filter(status=MemberStatus.FREE).order_by("pk").first()
    paying_member = Member.objects.filter(status=MemberStatus.PAID).order_by("pk").first()
    if not (gated and paid and free_member and paying_member):
        sys.exit(
            "The demo newsroom has no members or gated stories: remove var/bench-* and run again."
        )
    client = Client(HTTP_HOST="127.0.0.1")
    free_client = _member_client(free_member)
    paying_client = _member_client(paying_member)
    urls = {
        "static file (reference)": (client, "/static/masthead/css/site.css"),
        "home": (client, "/"),
        "article": (client, article.url),
        "members-only article, anonymous (paywall)": (client, gated.url),
        "members-only article, free member": (free_client, gated.url),
        "paid article, paying member": (paying_client, paid.url),
        "tag": (client, tag.get_absolute_url()),
        "author": (client, author.get_absolute_url()),
        "news feed": (client, "/news-feed/"),
        "search": (client, "/search/?q=drones"),
        "join page": (client, "/members/join/"),
        "/members/api/reader/ (free member)": (free_client, "/members/api/reader/"),
    }
    rows = []
    for name, (client, url) in urls.items():
        for _ in range(5):  # warm caches, renditions and connections
            status = client.get(url).status_code
            if status != 200:
                sys.exit(f"{url} answered {status}; the benchmark needs every page to work.")
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries.captured_queries)
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            timings.append(time.perf_counter() - start)
        rows.append((name, statistics.median(timings) * 1000, query_count))

    reference = rows[0][1]
    count = ArticlePage.objects.live().count()
    lines = [
        f"Uncached page cost, {count:,} live articles ({args.size}), {args.requests} requests each, median",
        "",
        "| page | median ms | ratio to static file | SQL queries |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {ms:.2f} | {ms / reference:.1f} | {q} |" for name, ms, q in rows]
    report = "\n".join(lines)
    sys.stdout.write(report + "\n")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / f"pages-{args.size}.md").write_text(report + "\n")


def _member_client(member: Any) -> Any:
    """A test client signed in as ``member`` with the real member cookie."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import Client

    from masthead.membership import auth

    response = HttpResponse()
    auth.issue_member_cookie(response, member)
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.MASTHEAD_MEMBER_COOKIE] = response.cookies[
        settings.MASTHEAD_MEMBER_COOKIE
    ].value
    return client


if __name__ == "__main__":
    main()
