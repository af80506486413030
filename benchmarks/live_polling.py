"""Live page polling benchmark: many readers polling one live page while editors post.

Builds (once) a throwaway newsroom in ``var/bench-live`` with one live page of 150
updates, starts ``masthead serve`` on a free port (the production server, no task
worker), then:

1. **Cost per request**: the server's CPU time per request (read from ``/proc`` for the
   server's whole process tree) for the live page and for polls that find one new update
   (200) or nothing (304). The reference is a full render of the live page by a second
   server on the same data with the page cache off (``MASTHEAD_PAGE_CACHE=false``): with
   it on, a repeated request is a cache hit and would say nothing about a render. Each row
   names the server that answered: the cached one answers repeated questions from memory,
   the uncached one shows what the poll view itself costs.
2. **Load**: ``--readers`` simulated readers (default 1,000) poll the page every
   ``--interval`` seconds (default 5), as live.js does: each on its own schedule, the next
   poll one interval after the previous one began (a fixed rate), with its own cursor and
   the ETag of the last answer it applied (``?since=<cursor>``, ``If-None-Match``), and
   backing off (twice the delay, up to 300 s) after an error; meanwhile an editor posts
   an update every ``--post-every`` seconds (default 10) through ``publishing.actions``,
   as the live desk does. Only the page-cached server takes this load.

It reports errors (anything but 200 or 304, and failed connections: the target is 0),
requests per second, the share answered 304, for each posted update how long until
every reader had seen it (the target is one poll interval, and the report says whether it
was met) and the p50/p99 over all readers, and the server's CPU use. The readers run in this process (asyncio, aiohttp)
on the same two cores as the server, so the server's numbers are, if anything,
pessimistic. Usage::

    python -m benchmarks.live_polling [--readers 1000] [--interval 5] [--post-every 10]
                                      [--duration 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._common import free_port, server_cpu_seconds, start_server, wait_for

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-live-coverage"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=5.0, help="Seconds between polls.")
    parser.add_argument("--post-every", type=float, default=10.0, help="Seconds between posts.")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of load.")
    parser.add_argument("--workers", type=int, default=2, help="Server processes.")
    parser.add_argument("--requests", type=int, default=300, help="Requests per cost sample.")
    args = parser.parse_args()
    if args.readers < 1 or args.interval <= 0 or args.post_every <= 0 or args.duration <= 0:
        sys.exit("--readers, --interval, --post-every and --duration must be positive.")

    data_dir = ROOT / "var" / "bench-live"
    port = free_port()
    os.environ.update(
        {
            "MASTHEAD_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "masthead.settings.base",
            "MASTHEAD_SITE_URL": f"http://127.0.0.1:{port}",
            "MASTHEAD_LIVE_POLL_SECONDS": str(int(args.interval)),
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    page = _live_page()

    uncached_port = free_port()
    server = start_server(port, workers=args.workers)
    uncached = start_server(
        uncached_port, workers=args.workers, env={"MASTHEAD_PAGE_CACHE": "false"}
    )
    try:
        base = f"http://127.0.0.1:{port}"
        uncached_base = f"http://127.0.0.1:{uncached_port}"
        wait_for(base + page.url)
        wait_for(uncached_base + page.url)
        servers = {
            "page cache off": (uncached_base, uncached.pid),
            "page cache on": (base, server.pid),
        }
        costs = asyncio.run(_costs(servers, page.url, _cursor(page), args.requests))
        # The load is for the server as deployed; the other one would only share its cores.
        uncached.terminate()
        uncached.wait(timeout=60)
        load = asyncio.run(_load(base, page, _cursor(page), args, server.pid))
    finally:
        for process in (server, uncached):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)
    _report(args, costs, load)


# --- set-up -----------------------------------------------------------------------


def _live_page() -> Any:
    """The benchmark's live page with 150 updates, made on the first run."""
    from masthead.publishing import actions
    from masthead.publishing.factories import paragraph_blocks
    from masthead.publishing.models import HomePage, LivePage

    page = LivePage.objects.filter(slug=SLUG).first()
    if page is None:
        home = HomePage.objects.first()
        if home is None:
            sys.exit("No home page: remove var/bench-live and run again.")
        page = LivePage(
            title="Benchmark: live coverage",
            slug=SLUG,
            dek="Readers keep this page open for hours.",
            key_points=[{"type": "point", "value": "<p>Updates arrive every few seconds.</p>"}],
        )
        home.add_child(instance=page)
        page.save_revision().publish()
        page = LivePage.objects.get(pk=page.pk)
        for number in range(150):
            actions.post_live_update(
                page=page,
                headline=f"Update {number}" if number % 3 == 0 else "",
                body=paragraph_blocks([f"Update number {number}. " + "Words of the update. " * 30]),
            )
    return page


# --- cost per request (the reference) -------------------------------------------


@dataclass
class Cost:
    name: str
    server: str
    cpu_ms: float
    wall_ms: float
    status: int


def _cursor(page: Any) -> int:
    """The page's latest sequence number, as the page hands it to live.js."""
    from masthead.publishing.models import LiveUpdate

    latest = LiveUpdate.objects.filter(page=page).order_by("-sequence")
    return int(latest.values_list("sequence", flat=True)[0])


async def _costs(
    servers: dict[str, tuple[str, int]], page_url: str, cursor: int, requests: int
) -> list[Cost]:
    """CPU per request of each case on each server; the first row is the reference."""
    import aiohttp

    results = []
    async with aiohttp.ClientSession() as session:
        for server, (base, pid) in servers.items():
            poll = f"{base}/{SLUG}/updates.json"
            cached = server == "page cache on"
            # A reader holds the ETag of the answer that brought it to the cursor.
            async with session.get(f"{poll}?since={cursor - 1}") as response:
                etag = response.headers.get("ETag", "")
            nothing_new = (f"{poll}?since={cursor}", {"If-None-Match": etag})
            cases = [
                ("live page", base + page_url, {}, False),
                ("poll, one new update", f"{poll}?since={cursor - 1}", {}, False),
                # Readers arrive at a new cursor with an ETag, so no answer at that
                # address is stored, and the view decides every 304: the case under load.
                ("poll, nothing new, decided by the view", *nothing_new, False),
            ]
            if cached:
                # Once a page just opened (no ETag) has asked, each worker holds the answer.
                cases.append(("poll, nothing new, answer held", *nothing_new, True))
            for name, url, headers, prime in cases:
                if prime:
                    for _ in range(20):
                        async with session.get(url) as response:
                            await response.read()
                for _ in range(20):  # warm every worker
                    async with session.get(url, headers=headers) as response:
                        status = response.status
                        await response.read()
                cpu_before = server_cpu_seconds(pid)
                start = time.perf_counter()
                for _ in range(requests):
                    async with session.get(url, headers=headers) as response:
                        await response.read()
                wall = time.perf_counter() - start
                cpu = server_cpu_seconds(pid) - cpu_before
                results.append(
                    Cost(name, server, cpu * 1000 / requests, wall * 1000 / requests, status)
                )
    return results


# --- load ---------------------------------------------------------------------


@dataclass
class Load:
    seconds: float = 0.0
    requests: int = 0
    not_modified: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    posted: dict[int, float] = field(default_factory=dict)  # update id -> post asked (monotonic)
    seen: dict[int, list[float]] = field(default_factory=dict)  # update id -> seen (monotonic)
    cpu_seconds: float = 0.0

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


async def _load(
    base: str, page: Any, start_cursor: int, args: argparse.Namespace, server_pid: int
) -> Load:
    import aiohttp

    poll = f"{base}/{SLUG}/updates.json"
    load = Load()
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def reader() -> None:
            cursor, etag = start_cursor, ""
            # Readers open the page at different moments: spread their schedules.
            next_at = time.monotonic() + random.uniform(0, args.interval)
            backoff = args.interval
            while not stop.is_set():
                delay = next_at - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=delay)
                        return  # stopped while waiting for the next poll
                # live.js: the next poll one interval after this one begins, or at once
                # if this one takes longer; after an error, twice the last delay.
                began = time.monotonic()
                next_at = began + args.interval
                headers = {"If-None-Match": etag} if etag else {}
                try:
                    async with session.get(f"{poll}?since={cursor}", headers=headers) as response:
                        load.requests += 1
                        if response.status == 304:
                            load.not_modified += 1
                            backoff = args.interval
                            continue
                        if response.status != 200:
                            load.error(f"HTTP {response.status}")
                            backoff = min(backoff * 2, 300)
                            next_at = time.monotonic() + backoff
                            continue
                        data = await response.json()
                        answer_etag = response.headers.get("ETag", "")
                except (aiohttp.ClientError, TimeoutError) as error:
                    load.error(type(error).__name__)
                    backoff = min(backoff * 2, 300)
                    next_at = time.monotonic() + backoff
                    continue
                backoff = args.interval
                now = time.monotonic()
                cursor, etag = data["cursor"], answer_etag
                for update in data["updates"]:
                    if update["new"]:
                        # Matched with the post's time in the report: a fast reader may get
                        # the update before the editor's call has returned its id.
                        load.seen.setdefault(update["id"], []).append(now)

        def post(number: int) -> tuple[int, float]:
            from django.db import close_old_connections

            from masthead.publishing import actions
            from masthead.publishing.factories import paragraph_blocks

            close_old_connections()
            # From the moment the editor asks to post, so "seen within" is never flattered
            # by the time the post itself takes.
            asked = time.monotonic()
            update = actions.post_live_update(
                page=page,
                headline=f"Benchmark update {number}",
                body=paragraph_blocks(["Posted while readers poll. " * 20]),
            )
            return update.pk, asked

        tasks = [asyncio.create_task(reader()) for _ in range(args.readers)]
        # One interval for every reader to make its first request before measuring.
        await asyncio.sleep(args.interval)
        cpu_before = server_cpu_seconds(server_pid)
        started = time.monotonic()
        requests_before = load.requests
        number = 0
        while time.monotonic() - started < args.duration:
            number += 1
            update_id, posted_at = await asyncio.to_thread(post, number)
            load.posted[update_id] = posted_at
            await asyncio.sleep(args.post_every)
        # Let the last update reach everyone before stopping.
        await asyncio.sleep(args.interval + 1)
        load.seconds = time.monotonic() - started
        load.cpu_seconds = server_cpu_seconds(server_pid) - cpu_before
        load.requests -= requests_before
        stop.set()
        await asyncio.gather(*tasks)
    return load


# --- report -------------------------------------------------------------------


def _report(args: argparse.Namespace, costs: list[Cost], load: Load) -> None:
    page_cost = costs[0].cpu_ms
    lines = [
        f"Live page polling: {args.readers:,} readers every {args.interval:g} s, "
        f"an update every {args.post_every:g} s, {load.seconds:.0f} s, "
        f"{args.workers} server processes, {os.cpu_count()} cores",
        "",
        "Server CPU per request, sequential requests. Reference: the first row, a full "
        "render of the live page with the page cache off (a miss; the site's shared "
        "chrome is still memoized, as on any miss).",
        "",
        "| request | server | status | server CPU ms per request "
        "| share of a full render | wall ms per request |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.name} | {c.server} | {c.status} | {c.cpu_ms:.2f} | "
        f"{c.cpu_ms / page_cost:.3f} | {c.wall_ms:.2f} |"
        for c in costs
    ]
    seen = {
        update_id: [moment - posted for moment in load.seen.get(update_id, [])]
        for update_id, posted in load.posted.items()
    }
    delays = [delay for moments in seen.values() for delay in moments]
    everyone = [max(moments) for moments in seen.values() if len(moments) >= args.readers]
    missed = sum(args.readers - len(moments) for moments in seen.values())
    rate = load.requests / load.seconds if load.seconds else 0.0
    lines += [
        "",
        "Under load",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| errors (target 0) | {load.errors}"
        + (
            f" ({', '.join(f'{k}: {v}' for k, v in load.error_kinds.items())})"
            if load.errors
            else ""
        )
        + " |",
        f"| requests | {load.requests:,} ({rate:.0f}/s) |",
        f"| answered 304 Not Modified | {load.not_modified / max(load.requests, 1):.1%} |",
        f"| updates posted | {len(load.posted)} |",
        f"| reader-updates never seen | {missed} |",
    ]
    if everyone:
        worst = max(everyone)
        within = sum(1 for seconds in everyone if seconds <= args.interval)
        lines += [
            f"| time until every reader had seen an update, worst of {len(everyone)} "
            f"| {worst:.2f} s = {worst / args.interval:.2f} poll intervals |",
            f"| same, median over updates | {statistics.median(everyone):.2f} s |",
            f"| target: every reader within one poll interval ({args.interval:g} s) | "
            f"{'met' if within == len(load.posted) else 'not met'}: {within} of "
            f"{len(load.posted)} updates |",
        ]
    elif load.posted:
        lines.append(
            f"| target: every reader within one poll interval ({args.interval:g} s) | "
            "not met: no update reached every reader |"
        )
    if delays:
        ordered = sorted(delays)
        lines += [
            f"| delay per reader, p50 | {ordered[len(ordered) // 2]:.2f} s |",
            f"| delay per reader, p99 | {ordered[int(len(ordered) * 0.99) - 1]:.2f} s |",
        ]
    lines += [
        f"| server CPU | {load.cpu_seconds / load.seconds:.1%} of one core "
        f"({load.cpu_seconds * 1000 / max(load.requests, 1):.2f} ms per request) |",
    ]
    report = "\n".join(lines)
    sys.stdout.write(report + "\n")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "live-polling.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
