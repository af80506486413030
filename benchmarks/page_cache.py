"""Page cache benchmark: masthead's cached pages next to nginx serving the same bytes.

Seeds a large demo archive (``seed_demo --size large``, 20,000 articles) once into
``benchmarks/.data/<size>/`` and keeps it between runs (``--reseed`` builds it again;
``--size small`` is a quick run on ~340 articles). Then it starts, on loopback:

- ``masthead serve --no-worker`` with workers = cores, the production server, cache on;
- a second one with ``MASTHEAD_PAGE_CACHE=false``, for the uncached (cache miss) cases;
- nginx (the Debian package) serving the very bytes of one article, fetched once from
  masthead and written to a temporary folder, with ``worker_processes auto`` and no
  access log: the reference every ratio is taken against. It serves masthead's own gzip
  encoding of those bytes (``gzip_static``) to clients that accept gzip;
- granian, started with ``masthead serve``'s own command line, running a WSGI app that
  returns those gzip bytes with masthead's headers and does nothing else
  (``benchmarks/wsgi_floor.py``): the server's own ceiling for a cached hit, shown
  with its ratio to nginx but no target.

Every case sends ``Accept-Encoding: gzip``, as every browser does: masthead's page cache
keeps each page compressed, and nginx serves the same compressed bytes. Two more rows
repeat the anonymous article and its nginx reference for a client that accepts no
compression, each ratio against the reference of its own kind.

Each case is a ``wrk`` run (default ``-t2 -c64 -d10s``: two client threads, 64 keep-alive
connections, as many requests as they can send for ten seconds), repeated ``--runs`` times
(default 3) in rounds that go through every case. A case with a ratio target is run
right after a run of its nginx reference, and each such pair gives one ratio: on a shared
virtual machine the speed drifts by more than a tenth between runs a minute apart, more
than the differences measured, but rarely within a pair. Every timed run follows an
untimed second of the same load, so no case pays for work its predecessor left queued
(an uncached server finishes its backlog for about a second). The table shows the median
requests per second of the runs, the median of the pairs' ratios (for the other cases,
the ratio to nginx's median), the median of the runs'
p50 and p99 latencies and the errors of all runs: responses with a status of 400 or
more and socket errors, counted by wrk and read by ``page_cache.lua`` (which also sends
the member cookie and headers). Every address is checked once for a 200 before the load.

Cases and the issue's targets:

- anonymous article, cached: ≥ 0.9 of nginx; the same article for a signed-in paying
  member (a real member cookie): ≥ 0.5;
- home, tag page, News Feed "Show More" fragment (``/news-feed/?before=…&partial=1``),
  live page poll (``/<slug>/updates.json?since=<cursor - 1>``, one new update): ≥ 0.5;
- Content API posts browse (``limit=15&include=tags,authors``): ≥ 0.5 of nginx cached,
  ≥ 300 req/s uncached; cache miss (the article, uncached server): ≥ 600 req/s;
- publish-to-visible: a new headline published through Wagtail's revision publish from
  this process, against the same database, then the article polled in a tight loop until
  the headline shows; five times, median (and worst) from the publish call: ≤ 1 s;
- peak memory per worker: the peak resident size (``VmHWM``) of each server worker.

wrk, nginx and both servers share the machine's cores, so the absolute numbers are
those of a busy machine; the ratios compare like with like. Usage::

    python -m benchmarks.page_cache [--size large|small] [--reseed] [--runs 3]
                                    [--duration 10] [--connections 64] [--threads 2]

It prints the table and writes it to ``benchmarks/results/page_cache.md``. A
missed target is reported as "no"; the exit code is 0 unless the benchmark itself cannot
run (wrk or nginx missing, a page that does not answer).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._common import content_key, free_port, process_tree, start_server, wait_for

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("page_cache.lua")
# The publish-to-visible poll gives up after this long: a page that never shows the
# change counts as an error, not as a hang.
VISIBLE_TIMEOUT = 10.0
PUBLISH_REPEATS = 5


@dataclass(frozen=True)
class Target:
    """A case's goal: a share of nginx's rate (``ratio``) or requests per second (``rate``)."""

    ratio: float | None = None
    rate: float | None = None
    # Shown instead of a target by a row that only informs.
    note: str | None = None

    def label(self) -> str:
        if self.note is not None:
            return self.note
        if self.ratio is not None:
            return f"≥ {self.ratio:g} of nginx"
        if self.rate is not None:
            return f"≥ {self.rate:,.0f} req/s"
        return "reference"

    def met(self, rate: float, ratio: float) -> str:
        if self.ratio is not None:
            return "yes" if ratio >= self.ratio else "no"
        if self.rate is not None:
            return "yes" if rate >= self.rate else "no"
        return "—"


# What every case sends unless it says otherwise: browsers all accept gzip, and nginx
# serves the article's gzip bytes to them (``gzip_static``), as masthead does its own.
BROWSER = {"Accept-Encoding": "gzip"}
NGINX = "nginx, the same article bytes from disk"
NGINX_PLAIN = "nginx, the same article bytes, uncompressed"
FLOOR = "granian, a WSGI app that only returns the same bytes"
ANONYMOUS = "anonymous article, cached"


@dataclass(frozen=True)
class Case:
    name: str
    url: str
    target: Target
    headers: dict[str, str] = field(default_factory=lambda: dict(BROWSER))
    # The reference row its ratio is taken against; None for a reference itself.
    against: str | None = NGINX
    # Run right after its reference for a ratio, like a case with a ratio target.
    paired: bool = False


@dataclass
class Run:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    bytes_per_request: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", choices=["small", "large"], default=os.environ.get("BENCH_SIZE", "large")
    )
    parser.add_argument("--reseed", action="store_true", help="Build the archive again.")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="An already seeded data folder to use instead of benchmarks/.data/<size>.",
    )
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per case (median).")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk run.")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections.")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="Server processes (cores)."
    )
    args = parser.parse_args()
    if min(args.runs, args.duration, args.connections, args.threads, args.workers) < 1:
        sys.exit("--runs, --duration, --connections, --threads and --workers must be positive.")
    if args.threads > args.connections:
        sys.exit("--threads must not exceed --connections (wrk needs a connection per thread).")
    wrk, nginx = _tool("wrk"), _tool("nginx")
    if wrk is None or nginx is None:
        missing = [name for name, path in (("wrk", wrk), ("nginx", nginx)) if not path]
        sys.exit(
            f"benchmarks.page_cache needs {' and '.join(missing)}: "
            f"install with `apt-get install {' '.join(missing)}` (Debian, Ubuntu)."
        )

    data_dir = _prepare_data(args)
    port, uncached_port, nginx_port, floor_port = free_port(), free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "MASTHEAD_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "masthead.settings.base",
            "MASTHEAD_SITE_URL": base,
        }
    )
    import django

    django.setup()
    if args.data_dir is None:
        from django.core.management import call_command

        # A kept archive predates any migration added since it was seeded.
        call_command("migrate", verbosity=0, interactive=False)
    fixture = _fixture()

    servers = {
        "cached": start_server(port, workers=args.workers),
        "uncached": start_server(
            uncached_port, workers=args.workers, env={"MASTHEAD_PAGE_CACHE": "false"}
        ),
    }
    nginx_proc: subprocess.Popen[bytes] | None = None
    floor_proc: subprocess.Popen[bytes] | None = None
    html_dir = Path(tempfile.mkdtemp(prefix="masthead-bench-nginx-"))
    try:
        wait_for(base + fixture.article)
        wait_for(f"http://127.0.0.1:{uncached_port}{fixture.article}")
        nginx_proc = _start_nginx(nginx, html_dir, nginx_port, base + fixture.article, fixture)
        floor_proc = _start_floor(html_dir, floor_port, base + fixture.article, args.workers)
        more = _show_more_path(base)
        uncached = f"http://127.0.0.1:{uncached_port}"
        nginx_base = f"http://127.0.0.1:{nginx_port}"
        cases = [
            Case(NGINX, nginx_base + fixture.article, Target(), against=None),
            Case(ANONYMOUS, base + fixture.article, Target(ratio=0.9)),
            Case(
                FLOOR,
                f"http://127.0.0.1:{floor_port}{fixture.article}",
                Target(note="— (the server's ceiling)"),
                paired=True,
            ),
            Case(
                "paying member, same article",
                base + fixture.article,
                Target(ratio=0.5),
                {**BROWSER, "Cookie": fixture.member_cookie},
            ),
            Case("home", base + "/", Target(ratio=0.5)),
            Case("tag page", base + fixture.tag, Target(ratio=0.5)),
            Case('News Feed "Show More" fragment', base + more, Target(ratio=0.5)),
            Case("live page poll", base + fixture.live_poll, Target(ratio=0.5)),
            Case(
                "Content API posts browse, cached",
                base + fixture.api_browse,
                Target(ratio=0.5),
                {**BROWSER, "Accept-Version": "v6.0"},
            ),
            Case(
                "cache miss: article, uncached server", uncached + fixture.article, Target(rate=600)
            ),
            Case(
                "Content API posts browse, uncached server",
                uncached + fixture.api_browse,
                Target(rate=300),
                {**BROWSER, "Accept-Version": "v6.0"},
            ),
            # The same comparison for a client that accepts no compression.
            Case(NGINX_PLAIN, nginx_base + fixture.article, Target(), {}, against=None),
            Case(
                "anonymous article, cached, uncompressed",
                base + fixture.article,
                Target(ratio=0.9),
                {},
                against=NGINX_PLAIN,
            ),
        ]
        _check_member_cookie(base, fixture.member_cookie)
        for case in cases:
            _check(case)
        measured = _measure(wrk, cases, args)
        visible = _publish_to_visible(base + fixture.article, fixture.article_id)
        memory = {name: _worker_peaks_mib(proc.pid) for name, proc in servers.items()}
    finally:
        if nginx_proc is not None:
            _stop_nginx(nginx_proc)
        if floor_proc is not None:
            floor_proc.terminate()
            floor_proc.wait(timeout=60)
        for proc in servers.values():
            proc.terminate()
        for proc in servers.values():
            proc.wait(timeout=60)
        shutil.rmtree(html_dir, ignore_errors=True)
    _report(args, fixture, cases, measured, visible, memory)


# --- set-up -----------------------------------------------------------------------


def _tool(name: str) -> str | None:
    """The program's path; nginx lives in /usr/sbin, which a user's PATH may lack."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


def _prepare_data(args: argparse.Namespace) -> Path:
    """The seeded data folder: reused when complete, (re)built otherwise."""
    if args.data_dir is not None:
        data_dir: Path = args.data_dir.resolve()
        if not (data_dir / "masthead.sqlite3").exists():
            sys.exit(f"{data_dir} holds no masthead database; seed it or leave out --data-dir.")
        return data_dir
    data_dir = ROOT / "benchmarks" / ".data" / args.size
    marker = data_dir / "seeded"
    if args.reseed or not marker.exists():
        # A folder without the marker is a seed that was interrupted: start again.
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        seconds = _seed(data_dir, args.size)
        marker.write_text(f"{seconds:.0f}\n")  # how long seeding took, for the curious
    return data_dir


def _seed(data_dir: Path, size: str) -> float:
    """``migrate``, ``collectstatic`` and ``seed_demo`` in a child, showing its progress bar.

    Returns the seconds it took.
    """
    env = {
        **os.environ,
        "MASTHEAD_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "masthead.settings.base",
    }
    started = time.monotonic()
    sys.stdout.write(f"Seeding the {size} demo archive into {data_dir} (kept for later runs)\n")
    sys.stdout.flush()
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["seed_demo", "--size", size],
    ):
        # Run as a child so this process can set up Django afterwards with its own settings.
        done = subprocess.run(  # noqa: S603  # our own interpreter and command
            [sys.executable, "-m", "masthead.cli", *command], env=env, check=False
        )
        if done.returncode != 0:
            sys.exit(f"`masthead {' '.join(command)}` failed; see above.")
    seconds = time.monotonic() - started
    sys.stdout.write(f"Seeded in {seconds / 60:.1f} minutes.\n")
    return seconds


@dataclass(frozen=True)
class Fixture:
    """What the cases ask for, picked from the seeded archive."""

    article: str
    article_id: int
    tag: str
    live_poll: str
    api_browse: str
    member_cookie: str
    live_articles: int


def _fixture() -> Fixture:
    from django.conf import settings
    from django.http import HttpResponse

    from masthead.membership import auth
    from masthead.membership.access import Visibility
    from masthead.membership.models import Member, Membership, MemberStatus, Tier
    from masthead.publishing.models import ArticlePage, LivePage, LiveUpdate, Tag

    articles = ArticlePage.objects.live().filter(visibility=Visibility.PUBLIC)
    article = articles.filter(format="article").order_by("-first_published_at").first()
    tag = Tag.objects.sections().public().order_by("pk").first()
    live = LivePage.objects.live().order_by("-first_published_at").first()
    if article is None or tag is None or live is None:
        sys.exit(
            "The archive has no public article, section or live page: run again with --reseed."
        )
    cursor = (
        LiveUpdate.objects.filter(page=live)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if not cursor:
        sys.exit("The archive's live page has no updates: run again with --reseed.")
    paying = Membership.objects.active().filter(tier__kind=Tier.Kind.PAID).values("member")
    member = Member.objects.filter(status=MemberStatus.PAID, pk__in=paying).order_by("pk").first()
    if member is None:
        sys.exit("The archive has no paying member: run again with --reseed.")
    response = HttpResponse()
    auth.issue_member_cookie(response, member)
    cookie = response.cookies[settings.MASTHEAD_MEMBER_COOKIE].value
    return Fixture(
        article=article.url,
        article_id=article.pk,
        tag=tag.get_absolute_url(),
        live_poll=f"/{live.slug}/updates.json?since={cursor - 1}",
        api_browse=(f"/ghost/api/content/posts/?key={content_key()}&limit=15&include=tags,authors"),
        member_cookie=f"{settings.MASTHEAD_MEMBER_COOKIE}={cookie}",
        live_articles=articles.count(),
    )


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310  # loopback only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # loopback only
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def _show_more_path(base: str) -> str:
    """The News Feed's "Show More" link, as site.js asks for it (``partial=1``)."""
    status, body = _get(base + "/news-feed/")
    match = re.search(rb"<a[^>]*data-show-more[^>]*>", body)
    href = match and re.search(rb'href="([^"]+)"', match.group(0))
    if status != 200 or not href:
        sys.exit("The News Feed has no Show More link: run again with --reseed.")
    path = href.group(1).decode().replace("&amp;", "&")
    return path + ("&" if "?" in path else "?") + "partial=1"


def _check_member_cookie(base: str, cookie: str) -> None:
    import json

    status, body = _get(base + "/members/api/reader/", {"Cookie": cookie})
    if status != 200 or json.loads(body).get("status") != "paid":
        sys.exit("The member cookie does not sign in a paying member; the benchmark is wrong.")


def _check(case: Case) -> None:
    status, _ = _get(case.url, case.headers)
    if status != 200:
        sys.exit(f"{case.name}: {case.url} answered {status}; every case must answer 200.")


def _start_nginx(
    nginx: str, folder: Path, port: int, article_url: str, fixture: Fixture
) -> subprocess.Popen[bytes]:
    """nginx serving the article's bytes at the article's own path, from ``folder``: the
    plain bytes, and masthead's own gzip encoding of them to clients that accept it."""
    status, body = _get(article_url)
    gz_status, gz_body = _get(article_url, BROWSER)
    if status != 200 or gz_status != 200:
        sys.exit(f"{article_url} answered {status}; nginx needs the article's HTML.")
    if gzip.decompress(gz_body) != body:
        sys.exit(f"{article_url}: the gzip answer is not the plain answer's bytes.")
    page = folder / "html" / fixture.article.strip("/") / "index.html"
    page.parent.mkdir(parents=True)
    page.write_bytes(body)
    page.with_name("index.html.gz").write_bytes(gz_body)
    # nginx's workers drop root for an unprivileged user, who must be able to read this.
    for path in (folder, *page.parents[: len(page.relative_to(folder).parts) - 1]):
        path.chmod(0o755)
    page.chmod(0o644)
    page.with_name("index.html.gz").chmod(0o644)
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes auto;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    types {{ text/html html; }}
    default_type text/html;
    sendfile on;
    gzip_static on;
    keepalive_requests 1000000;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    server {{
        listen 127.0.0.1:{port};
        root {folder}/html;
        index index.html;
    }}
}}
"""
    )
    proc = subprocess.Popen(  # noqa: S603  # the nginx found on PATH, our own config
        [nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            url = f"http://127.0.0.1:{port}{fixture.article}"
            if _get(url) == (200, body) and _get(url, BROWSER) == (200, gz_body):
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    log = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
    _stop_nginx(proc)
    sys.exit(f"nginx did not serve the article: {log.strip().splitlines()[-1:] or 'no log'}")


def _start_floor(
    folder: Path, port: int, article_url: str, workers: int
) -> subprocess.Popen[bytes]:
    """granian with ``masthead serve``'s options, running ``benchmarks/wsgi_floor.py``
    on the article's gzip bytes and masthead's own headers for them."""
    import json

    from masthead.management.commands.serve import granian_command

    request = urllib.request.Request(article_url, headers=BROWSER)  # noqa: S310  # loopback only
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # loopback only
        body = response.read()
        # What the server adds to masthead's answers it adds here too; urllib's request
        # asked to close the connection, which wrk's keep-alive requests do not.
        added = {"date", "server", "connection", "keep-alive", "transfer-encoding"}
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in added]
    (folder / "floor.body").write_bytes(body)
    spec = folder / "floor.json"
    spec.write_text(json.dumps({"body": str(folder / "floor.body"), "headers": headers}))
    proc = subprocess.Popen(  # noqa: S603  # our own interpreter and the server we depend on
        granian_command(
            "127.0.0.1", port, workers, application="benchmarks.wsgi_floor:application"
        ),
        cwd=ROOT,
        env={**os.environ, "BENCH_FLOOR_RESPONSE": str(spec), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        if _get(f"http://127.0.0.1:{port}/", BROWSER) != (200, body):
            sys.exit(
                "The WSGI floor app did not answer the article's bytes; the benchmark is wrong."
            )
    except BaseException:  # sys.exit included: the caller never gets the process to stop
        proc.terminate()
        proc.wait(timeout=60)
        raise
    return proc


def _stop_nginx(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGQUIT)  # graceful: workers finish, then the master
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- load ---------------------------------------------------------------------------


def _wrk(wrk: str, case: Case, args: argparse.Namespace, seconds: int) -> Run:
    env = {**os.environ, "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in case.headers.items())}
    done = subprocess.run(  # noqa: S603  # the wrk found on PATH, our own script
        [
            wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            case.url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"wrk failed on {case.url}: {(done.stderr or done.stdout).strip()[-300:]}")
    numbers = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}
    requests = numbers["requests"]
    return Run(
        rate=requests / (numbers["duration_us"] / 1e6),
        p50_ms=numbers["p50_us"] / 1000,
        p99_ms=numbers["p99_us"] / 1000,
        errors=sum(numbers[k] for k in ("status", "connect", "read", "write", "timeout")),
        bytes_per_request=numbers["bytes"] // max(requests, 1),
    )


@dataclass
class Measured:
    runs: dict[str, list[Run]]
    # Per case with a ratio target: each run's rate over that of the reference run just
    # before it.
    ratios: dict[str, list[float]]


def _measure(wrk: str, cases: list[Case], args: argparse.Namespace) -> Measured:
    """``args.runs`` rounds over every case, after a short warm-up of each.

    A case with a ratio target is measured right after a run of its reference, and the
    pair gives one ratio: on a shared machine the speed drifts by more than a tenth
    between runs a minute apart, more than the differences measured.
    """
    for case in cases:
        # Fills the cache on every server process and opens its database connections.
        _wrk(wrk, case, args, seconds=2)
    by_name = {case.name: case for case in cases}
    measured = Measured({case.name: [] for case in cases}, {case.name: [] for case in cases})

    def timed(case: Case, round_number: int, *, pairing: bool = False) -> Run:
        # An untimed second first: the previous case's server may still be finishing
        # the requests queued when its load stopped (a miss case's take a second).
        _wrk(wrk, case, args, seconds=1)
        run = _wrk(wrk, case, args, seconds=args.duration)
        # A reference's own row shows its own runs only; a run made for a pair counts
        # for that pair's ratio.
        if not pairing:
            measured.runs[case.name].append(run)
        name = f"{case.name} (paired)" if pairing else case.name
        sys.stdout.write(
            f"run {round_number}/{args.runs} {name}: {run.rate:,.0f} req/s, "
            f"p99 {run.p99_ms:.1f} ms, errors {run.errors}\n"
        )
        sys.stdout.flush()
        return run

    for round_number in range(1, args.runs + 1):
        for case in cases:
            if case.against is None or (case.target.ratio is None and not case.paired):
                timed(case, round_number)
                continue
            reference = timed(by_name[case.against], round_number, pairing=True)
            run = timed(case, round_number)
            measured.ratios[case.name].append(run.rate / reference.rate)
    return measured


# --- publish-to-visible and memory ---------------------------------------------------


@dataclass
class Visible:
    delays_ms: list[float]
    missed: int


def _publish_to_visible(url: str, article_id: int) -> Visible:
    """Publish a new headline, then poll ``url`` until it shows; the headline is restored."""
    from masthead.publishing.models import ArticlePage

    original = ArticlePage.objects.get(pk=article_id).title
    delays: list[float] = []
    missed = 0
    try:
        for attempt in range(1, PUBLISH_REPEATS + 1):
            marker = f"Benchmark edit {attempt} {time.time_ns()}"
            page = ArticlePage.objects.get(pk=article_id)
            page.title = f"{original} {marker}"
            revision = page.save_revision()
            started = time.perf_counter()
            revision.publish()
            while True:
                _, body = _get(url)
                elapsed = time.perf_counter() - started
                if marker.encode() in body:
                    delays.append(elapsed * 1000)
                    break
                if elapsed > VISIBLE_TIMEOUT:
                    missed += 1
                    break
            time.sleep(0.5)
    finally:
        page = ArticlePage.objects.get(pk=article_id)
        page.title = original
        page.save_revision().publish()
    return Visible(delays, missed)


def _worker_peaks_mib(server_pid: int) -> list[float]:
    """Peak resident memory (VmHWM) of each granian worker under ``masthead serve``.

    The workers are the leaves of the server's process tree: ``masthead serve`` starts
    granian, which starts one process per worker.
    """
    tree = process_tree(server_pid)
    parents = set()
    for pid in tree:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            parents.add(int(stat[stat.rindex(")") + 2 :].split()[1]))
    peaks = []
    for pid in sorted(tree - parents):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            if match := re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE):
                peaks.append(int(match.group(1)) / 1024)
    return peaks


# --- report --------------------------------------------------------------------------


def _report(
    args: argparse.Namespace,
    fixture: Fixture,
    cases: list[Case],
    measured: Measured,
    visible: Visible,
    memory: dict[str, list[float]],
) -> None:
    runs = measured.runs
    references = {
        case.name: statistics.median(run.rate for run in runs[case.name])
        for case in cases
        if case.against is None
    }
    lines = [
        f"Page cache against nginx: {fixture.live_articles:,} live public articles "
        f"({args.size}), wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"median of {args.runs} runs, {args.workers} server workers, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M')}",
        "",
        "| case | req/s (median of runs) | ratio to nginx (median of pairs) | target | met? "
        "| p50 / p99 latency ms | errors |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    for case in cases:
        case_runs = runs[case.name]
        rate = statistics.median(run.rate for run in case_runs)
        paired = measured.ratios[case.name]
        ratio = (
            statistics.median(paired) if paired else rate / references[case.against or case.name]
        )
        p50 = statistics.median(run.p50_ms for run in case_runs)
        p99 = statistics.median(run.p99_ms for run in case_runs)
        errors = sum(run.errors for run in case_runs)
        lines.append(
            f"| {case.name} | {rate:,.0f} | {ratio:.2f} | {case.target.label()} "
            f"| {case.target.met(rate, ratio)} | {p50:.1f} / {p99:.1f} | {errors} |"
        )
    if visible.delays_ms:
        median = statistics.median(visible.delays_ms)
        worst = max(visible.delays_ms)
        met = "yes" if median <= 1000 and not visible.missed else "no"
        timing = f"{median:.0f} / {worst:.0f} (median / worst of {len(visible.delays_ms)})"
    else:
        met, timing = "no", "never visible"
    lines.append(
        f"| publish-to-visible | — | — | ≤ 1,000 ms | {met} | {timing} "
        f"| {visible.missed} not visible within {VISIBLE_TIMEOUT:g} s |"
    )
    floor = statistics.median(measured.ratios[FLOOR])
    anonymous = statistics.median(measured.ratios[ANONYMOUS])
    sizes = {
        case.name: statistics.median(run.bytes_per_request for run in runs[case.name])
        for case in cases
    }
    lines += [
        "",
        "Every case but the last two sends `Accept-Encoding: gzip`, as browsers do; nginx "
        "then serves masthead's own gzip bytes of the article (`gzip_static`).",
        f"A WSGI app that does nothing but return those bytes, under granian with `masthead "
        f"serve`'s options, serves {floor:.2f} of nginx's rate: the ceiling of any cached "
        f"hit on this machine. masthead's anonymous hits reach {anonymous / floor:.2f} of it.",
        f"Bytes per response, headers included: nginx {sizes[NGINX]:,.0f} gzip, "
        f"{sizes[NGINX_PLAIN]:,.0f} plain; masthead's anonymous article "
        f"{sizes[ANONYMOUS]:,.0f} gzip, "
        f"{sizes['anonymous article, cached, uncompressed']:,.0f} plain (the same bodies); "
        f"home {sizes['home']:,.0f}, Content API browse "
        f"{sizes['Content API posts browse, cached']:,.0f} gzip.",
        "",
        "Peak memory per worker (VmHWM, MiB): "
        + "; ".join(
            f"{name} server {', '.join(f'{mib:.0f}' for mib in peaks) or 'not found'}"
            for name, peaks in memory.items()
        )
        + ".",
    ]
    report = "\n".join(lines)
    sys.stdout.write("\n" + report + "\n")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "page_cache.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
