"""Live page polling benchmark: many readers polling one live page while editors post.

Builds (once) a throwaway newsroom in ``var/bench-live`` with one live page of 150
updates, starts ``masthead serve`` on a free port (the production server, no task
worker), then:

1. **Cost per request**, the reference of this run: the server's CPU time per request
   (read from ``/proc`` for the server's whole process tree) for a full render of the
   live page, for a poll that finds one new update (200) and for a poll that finds
   nothing (304). The ratios say what a poll costs next to the page view it replaces.
2. **Load**: ``--readers`` simulated readers (default 1,000) poll the page every
   ``--interval`` seconds (default 5), each on its own schedule and with its own cursor
   and ETag, as live.js does (``If-None-Match``, ``?since=<cursor>``), while an editor
   posts an update every ``--post-every`` seconds (default 10) through
   ``publishing.actions``, as the live desk does.

It reports errors (anything but 200 or 304, and failed connections: the target is 0),
requests per second, the share answered 304, for each posted update how long until
every reader had seen it (the target is one poll interval) and the p50/p99 over all
readers, and the server's CPU use. The readers run in this process (asyncio, aiohttp)
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

    server = start_server(port, workers=args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + page.url)
        costs = asyncio.run(_costs(base, page.url, _cursor(page), args.requests, server.pid))
        load = asyncio.run(_load(base, page, _cursor(page), args, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=60)
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
    cpu_ms: float
    wall_ms: float
    status: int


def _cursor(page: Any) -> int:
    """The page's latest sequence number, as the page hands it to live.js."""
    from masthead.publishing.models import LiveUpdate

    latest = LiveUpdate.objects.filter(page=page).order_by("-sequence")
    return int(latest.values_list("sequence", flat=True)[0])


async def _costs(
    base: str, page_url: str, cursor: int, requests: int, server_pid: int
) -> list[Cost]:
    import aiohttp

    poll = f"{base}/{SLUG}/updates.json"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{poll}?since={cursor}") as response:
            etag = response.headers.get("ETag", "")
        cases = [
            ("live page, full render", base + page_url, {}),
            ("poll, one new update (200)", f"{poll}?since={cursor - 1}", {}),
            ("poll, nothing new (304)", f"{poll}?since={cursor}", {"If-None-Match": etag}),
        ]
        results = []
        for name, url, headers in cases:
            for _ in range(20):  # warm every worker
                async with session.get(url, headers=headers) as response:
                    status = response.status
                    await response.read()
            cpu_before = server_cpu_seconds(server_pid)
            start = time.perf_counter()
            for _ in range(requests):
                async with session.get(url, headers=headers) as response:
                    await response.read()
            wall = time.perf_counter() - start
            cpu = server_cpu_seconds(server_pid) - cpu_before
            results.append(Cost(name, cpu * 1000 / requests, wall * 1000 / requests, status))
    return results


# --- load ---------------------------------------------------------------------


@dataclass
class Load:
    seconds: float = 0.0
    requests: int = 0
    not_modified: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    posted: dict[int, float] = field(default_factory=dict)  # update id -> posted (monotonic)
    seen: dict[int, list[float]] = field(default_factory=dict)  # update id -> seen delays
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
            while not stop.is_set():
                delay = next_at - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=delay)
                        return  # stopped while waiting for the next poll
                next_at += args.interval
                headers = {"If-None-Match": etag} if etag else {}
                try:
                    async with session.get(f"{poll}?since={cursor}", headers=headers) as response:
                        load.requests += 1
                        if response.status == 304:
                            load.not_modified += 1
                            continue
                        if response.status != 200:
                            load.error(f"HTTP {response.status}")
                            continue
                        data = await response.json()
                        etag = response.headers.get("ETag", "")
                except (aiohttp.ClientError, TimeoutError) as error:
                    load.error(type(error).__name__)
                    continue
                now = time.monotonic()
                cursor = data["cursor"]
                for update in data["updates"]:
                    posted = load.posted.get(update["id"])
                    if update["new"] and posted is not None:
                        load.seen.setdefault(update["id"], []).append(now - posted)

        def post(number: int) -> tuple[int, float]:
            from django.db import close_old_connections

            from masthead.publishing import actions
            from masthead.publishing.factories import paragraph_blocks

            close_old_connections()
            update = actions.post_live_update(
                page=page,
                headline=f"Benchmark update {number}",
                body=paragraph_blocks(["Posted while readers poll. " * 20]),
            )
            return update.pk, time.monotonic()

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
        "Server CPU per request (reference: the live page's full render)",
        "",
        "| request | status | CPU ms | ratio to page render | wall ms |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c.name} | {c.status} | {c.cpu_ms:.2f} | {c.cpu_ms / page_cost:.2f} | {c.wall_ms:.2f} |"
        for c in costs
    ]
    delays = [delay for seen in load.seen.values() for delay in seen]
    everyone = [max(seen) for update_id, seen in load.seen.items() if len(seen) >= args.readers]
    missed = sum(args.readers - len(load.seen.get(update_id, [])) for update_id in load.posted)
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
        lines += [
            f"| time until every reader had seen an update, worst of {len(everyone)} "
            f"(target ≤ {args.interval:g} s) | {worst:.2f} s = "
            f"{worst / args.interval:.2f} poll intervals |",
            f"| same, median over updates | {statistics.median(everyone):.2f} s |",
        ]
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
