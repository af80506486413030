"""Ghost Content API benchmark: posts browse and read-by-slug under concurrent load.

Builds (once) a demo newsroom in ``var/bench-ghost-<size>`` with ``seed_demo``, makes an
integration for its content key, starts ``masthead serve`` on a free port (the production
server, no task worker) and sends requests from ``--concurrency`` simultaneous clients for
``--duration`` seconds per case:

- **reference**: a static file served by the same server (whitenoise, through the same
  middleware), measured in the same run so the ratios compare across machines;
- ``GET /ghost/api/content/posts/?limit=15&include=tags,authors``, what a Ghost front end's
  home page asks for;
- ``GET /ghost/api/content/posts/slug/<slug>/``, rotating over the 15 newest posts, what
  it asks for to show one story.

For each it reports requests per second, p50 and p99 latency, the server's CPU time per
request (from ``/proc``, for the server's whole process tree) and the ratios to the
reference. The load runs in this process (asyncio, aiohttp) on the same cores as the
server, so absolute numbers are pessimistic. Usage::

    python -m benchmarks.ghost_api [--size small|large] [--concurrency 16]
                                   [--duration 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks._common import content_key, free_port, server_cpu_seconds, start_server, wait_for

ROOT = Path(__file__).resolve().parent.parent
STATIC_FILE = "/static/masthead/css/site.css"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", choices=["small", "large"], default=os.environ.get("BENCH_SIZE", "small")
    )
    parser.add_argument("--concurrency", type=int, default=16, help="Simultaneous clients.")
    parser.add_argument("--duration", type=float, default=15.0, help="Seconds per case.")
    parser.add_argument("--workers", type=int, default=2, help="Server processes.")
    args = parser.parse_args()
    if args.concurrency < 1 or args.duration <= 0 or args.workers < 1:
        sys.exit("--concurrency, --duration and --workers must be positive.")

    data_dir = ROOT / "var" / f"bench-ghost-{args.size}"
    port = free_port()
    os.environ.update(
        {
            "MASTHEAD_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "masthead.settings.base",
            "MASTHEAD_SITE_URL": f"http://127.0.0.1:{port}",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("seed_demo", "--size", args.size, "--if-empty", verbosity=1)
    key, slugs, total = _content_key_and_slugs()

    server = start_server(port, workers=args.workers)
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/ghost/api/content"
    cases = {
        "static file (reference)": [base + STATIC_FILE],
        "posts browse, limit=15, include=tags,authors": [
            f"{api}/posts/?key={key}&limit=15&include=tags,authors"
        ],
        "post read by slug": [f"{api}/posts/slug/{slug}/?key={key}" for slug in slugs],
    }
    try:
        wait_for(base + STATIC_FILE)
        results = [
            asyncio.run(_measure(name, urls, args, server.pid)) for name, urls in cases.items()
        ]
    finally:
        server.terminate()
        server.wait(timeout=60)
    _report(args, results, total)


def _content_key_and_slugs() -> tuple[str, list[str], int]:
    """The benchmark integration's content key, the 15 newest posts' slugs, the post count."""
    from masthead.membership.access import Visibility
    from masthead.publishing.models import ArticlePage

    articles = ArticlePage.objects.live().filter(visibility=Visibility.PUBLIC)
    slugs = list(articles.order_by("-first_published_at").values_list("slug", flat=True)[:15])
    if not slugs:
        sys.exit("The demo newsroom has no articles: remove var/bench-ghost-* and run again.")
    return content_key(), slugs, articles.count()


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]  # seconds, sorted
    cpu_seconds: float
    errors: dict[str, int]
    body_bytes: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        """Latency in ms at ``share`` (0.5, 0.99) of the requests, nearest rank."""
        index = min(len(self.latencies) - 1, max(0, round(share * len(self.latencies)) - 1))
        return self.latencies[index] * 1000

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1000 / max(self.requests, 1)


async def _measure(name: str, urls: list[str], args: argparse.Namespace, server_pid: int) -> Result:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    errors: dict[str, int] = {}
    latencies: list[float] = []
    sizes: list[int] = []

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def get(url: str) -> None:
            start = time.perf_counter()
            try:
                async with session.get(url, headers={"Accept-Version": "v6.0"}) as response:
                    body = await response.read()
                    failure = None if response.status == 200 else f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as error:
                failure = type(error).__name__
            if failure is not None:
                errors[failure] = errors.get(failure, 0) + 1
                return
            latencies.append(time.perf_counter() - start)
            sizes.append(len(body))

        # Warm every server process, its connections and caches, and check the answers.
        await asyncio.gather(*(get(urls[n % len(urls)]) for n in range(args.concurrency * 4)))
        if errors:
            sys.exit(f"{name}: {urls[0]} failed while warming up: {errors}")
        latencies.clear()
        sizes.clear()

        stop_at = time.monotonic() + args.duration
        cpu_before = server_cpu_seconds(server_pid)
        started = time.monotonic()

        async def client(number: int) -> None:
            sent = number
            while time.monotonic() < stop_at:
                await get(urls[sent % len(urls)])
                sent += args.concurrency

        await asyncio.gather(*(client(n) for n in range(args.concurrency)))
        seconds = time.monotonic() - started
        cpu = server_cpu_seconds(server_pid) - cpu_before
    return Result(
        name=name,
        requests=len(latencies),
        seconds=seconds,
        latencies=sorted(latencies),
        cpu_seconds=cpu,
        errors=errors,
        body_bytes=round(sum(sizes) / max(len(sizes), 1)),
    )


def _report(args: argparse.Namespace, results: list[Result], total: int) -> None:
    reference = results[0]
    lines = [
        f"Ghost Content API under load: {total:,} public articles ({args.size}), "
        f"{args.concurrency} concurrent clients, {args.duration:g} s per case, "
        f"{args.workers} server processes, {os.cpu_count()} cores",
        "",
        "| request | req/s | p50 ms | p99 ms | server CPU ms/req | body bytes "
        "| req/s ratio to static | CPU ratio to static | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        errors = ", ".join(f"{kind}: {count}" for kind, count in result.errors.items()) or "0"
        lines.append(
            f"| {result.name} | {result.rate:.0f} | {result.percentile(0.5):.1f} "
            f"| {result.percentile(0.99):.1f} | {result.cpu_ms:.2f} | {result.body_bytes:,} "
            f"| {result.rate / reference.rate:.3f} | {result.cpu_ms / reference.cpu_ms:.1f} "
            f"| {errors} |"
        )
    report = "\n".join(lines)
    sys.stdout.write(report + "\n")
    results_dir = ROOT / "benchmarks" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"ghost-api-{args.size}.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
