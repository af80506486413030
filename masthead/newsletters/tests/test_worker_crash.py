"""A worker killed with SIGKILL in the middle of a send, then restarted: nobody gets two.

The worker runs as a real process (``manage.py worker``) against its own database, with
the embedded task queue, or RQ on Redis when ``MASTHEAD_REDIS_URL`` is set; the SMTP
server is a real one in this process. On PostgreSQL (``MASTHEAD_DATABASE_URL``) the
worker gets a fresh database of its own next to the test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import smtp_sink

ROOT = Path(__file__).resolve().parents[3]
MEMBERS = 1500

SEED = """
from wagtail.models import Site
from masthead.membership.models import Member
from masthead.newsletters import actions
from masthead.newsletters.models import Newsletter, NewsletterSubscription
from masthead.publishing.factories import ArticlePageFactory

home = Site.objects.get(is_default_site=True).root_page.specific
Member.objects.bulk_create(
    Member(email=f"reader{{i}}@example.org", name=f"Reader {{i}}") for i in range({members})
)
newsletter = Newsletter.objects.get(slug="default-newsletter")
NewsletterSubscription.objects.bulk_create(
    NewsletterSubscription(member=member, newsletter=newsletter) for member in Member.objects.all()
)
page = ArticlePageFactory(parent=home, title="A send that survives a crash", slug="crash")
actions.create_send(page=page, newsletter=newsletter)
"""

STATUS = """
from django.db.models import Count
from masthead.newsletters.models import Delivery, NewsletterSend
send = NewsletterSend.objects.get()
counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))
print(send.status, counts.get("sent", 0), counts)
"""


def _manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole
        )


def _wait(condition: Any, *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{tail}")


@pytest.fixture
def worker_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MASTHEAD_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="masthead.settings.dev",
        MASTHEAD_DATA_DIR=str(tmp_path / "data"),
        MASTHEAD_SCHEDULER_INTERVAL="1",
        MASTHEAD_NEWSLETTER_STALL_SECONDS="3",
        MASTHEAD_NEWSLETTER_BATCH_SIZE="200",
        MASTHEAD_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    database = os.environ.get("MASTHEAD_DATABASE_URL", "")
    created = maintenance = ""
    if database.startswith("postgres"):
        import psycopg

        created = f"masthead_crash_{uuid.uuid4().hex[:12]}"
        # The URL names a database the test runner never creates (it makes test_<name>):
        # create and drop through the server's maintenance database.
        maintenance = database.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{created}"')
        env["MASTHEAD_DATABASE_URL"] = database.rsplit("/", 1)[0] + f"/{created}"
    redis_url = os.environ.get("MASTHEAD_REDIS_URL", "")
    if redis_url:
        # A Redis database of its own, so other test processes' keys are not touched.
        env["MASTHEAD_REDIS_URL"] = redis_url.rsplit("/", 1)[0] + "/13"
        env["MASTHEAD_TASK_BACKEND"] = "rq"
    try:
        yield env
    finally:
        if created:
            import psycopg

            with psycopg.connect(maintenance, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
        if redis_url:
            import redis

            redis.Redis.from_url(env["MASTHEAD_REDIS_URL"]).flushdb()


def test_a_worker_killed_mid_send_and_restarted_sends_everyone_exactly_one_message(
    worker_env: dict[str, str], tmp_path: Path
) -> None:
    sink = smtp_sink.Sink(delay=0.002, keep_messages=False)
    controller = smtp_sink.start(sink)
    env = {**worker_env, "MASTHEAD_EMAIL_URL": f"smtp://127.0.0.1:{controller.port}"}
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        _manage(env, "migrate", "--no-input")
        if env.get("MASTHEAD_TASK_BACKEND") == "rq":
            import redis

            redis.Redis.from_url(env["MASTHEAD_REDIS_URL"]).flushdb()
        _manage(env, "shell", "-c", SEED.format(members=MEMBERS))

        workers.append(_start_worker(env, log))
        _wait(lambda: sink.total >= MEMBERS // 3, timeout=120, what="the send to start", log=log)
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        killed_at = sink.total
        assert killed_at < MEMBERS, "the send finished before the worker could be killed"

        workers.append(_start_worker(env, log))
        _wait(lambda: len(sink.counts) >= MEMBERS, timeout=180, what="every recipient", log=log)
        report = ""

        def finished() -> bool:
            nonlocal report
            # The last line: the shell may print its automatic imports first.
            report = _manage(env, "shell", "-c", STATUS).strip().splitlines()[-1]
            return report.split()[0] == "sent"

        try:
            _wait(finished, timeout=60, what="the send to be marked sent", log=log)
        except AssertionError as error:
            raise AssertionError(f"{error}\nlast status: {report}") from None
        status, sent = report.split()[:2]
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        controller.stop()

    assert (status, int(sent)) == ("sent", MEMBERS)
    assert len(sink.counts) == MEMBERS
    duplicates = {address: n for address, n in sink.counts.items() if n != 1}
    assert not duplicates, f"{len(duplicates)} recipients got more than one message"
    assert 0 < killed_at < MEMBERS
