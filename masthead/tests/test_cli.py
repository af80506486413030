"""The ``masthead`` command as an operator runs it: real processes, real server."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

MASTHEAD = [sys.executable, "-m", "masthead.cli"]


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MASTHEAD, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MASTHEAD_", "DJANGO_"))}
    return {
        **clean,
        "MASTHEAD_DATA_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "masthead.settings.base",
    }


def test_help_lists_masthead_commands(env):
    result = run(["help"], env)
    assert result.returncode == 0
    for command in ["seed_demo", "serve", "worker", "publish_scheduled"]:
        assert command in result.stdout


def test_production_settings_name_the_missing_variables(env):
    env = {**env, "DJANGO_SETTINGS_MODULE": "masthead.settings.production"}
    result = run(["check"], env)
    assert result.returncode == 1
    assert "MASTHEAD_SECRET_KEY" in result.stderr and "MASTHEAD_SITE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_explains_a_port_that_is_taken(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve", "--port", str(port), "--no-worker"], env)
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def test_serve_help_shows_one_worker_per_core_by_default(env):
    result = run(["serve", "--help"], env)
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    assert f"one per CPU core this process may use, here {cores()}" in help_text
    assert "MASTHEAD_WEB_WORKERS" in help_text


def test_serve_workers_default_to_the_cores_unless_the_environment_says_otherwise(monkeypatch):
    from masthead.management.commands.serve import _default_workers

    monkeypatch.delenv("MASTHEAD_WEB_WORKERS", raising=False)
    assert _default_workers() == cores()
    monkeypatch.setenv("MASTHEAD_WEB_WORKERS", " 3 ")
    assert _default_workers() == 3


@pytest.mark.parametrize(
    ("args", "workers_env", "message"),
    [
        (["--workers", "0"], None, "--workers must be at least 1."),
        (["--workers", "many"], None, "argument --workers: invalid int value: 'many'"),
        (
            [],
            "many",
            "MASTHEAD_WEB_WORKERS must be a whole number of server processes, not 'many'.",
        ),
        ([], "0", "MASTHEAD_WEB_WORKERS must be at least 1."),
    ],
)
def test_serve_refuses_a_bad_worker_count_in_one_line(env, args, workers_env, message):
    if workers_env is not None:
        env = {**env, "MASTHEAD_WEB_WORKERS": workers_env}
    result = run(["serve", "--no-worker", "--port", str(_free_port()), *args], env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line and not line.startswith(" ")]
    assert len([line for line in errors if "usage:" not in line]) == 1


def test_seed_demo_rejects_an_unknown_size(env):
    result = run(["seed_demo", "--size", "huge"], env)
    assert result.returncode != 0
    assert "invalid choice: 'huge'" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_the_site_and_a_worker_and_stops_cleanly_on_ctrl_c(env, tmp_path):
    assert run(["migrate", "--noinput", "-v0"], env).returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [*MASTHEAD, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and (
            status is None or not any("Scheduler running" in x for x in lines)
        ):
            # Connection refused until the server listens: keep polling.
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response,
            ):
                status = response.status
                body = response.read().decode()
            time.sleep(0.3)
        assert status == 200
        assert "<html" in body
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', body).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{stylesheet}", timeout=5) as response:
            assert response.status == 200
            assert b"{" in response.read()
        # Ctrl-C in a terminal signals the whole process group.
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("serve did not stop within 60 s of Ctrl-C; it printed:\n" + "".join(lines))
        reader.join(timeout=10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    output = "".join(lines)
    assert "Scheduler running" in output
    assert "Collecting static files" in output  # serve collects them when nobody has
    assert "Traceback" not in output
    assert server.returncode == 0
    assert "Stopped." in output
    worker_pid = int(re.search(r"task worker \(pid (\d+)\)", output).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)  # the worker has exited too


def test_seed_demo_on_a_site_with_content_exits_1_and_changes_nothing(env):
    assert run(["migrate", "--noinput", "-v0"], env).returncode == 0
    make_tag = (
        "from masthead.publishing.models import Tag; Tag.objects.create(name='Mine', slug='mine')"
    )
    assert run(["shell", "-c", make_tag], env).returncode == 0
    result = run(["seed_demo"], env)
    assert result.returncode == 1
    assert "already has content" in result.stderr
    assert "Traceback" not in result.stderr
    count = "from masthead.publishing.models import ArticlePage, Tag; print(ArticlePage.objects.count(), Tag.objects.count())"
    assert run(["shell", "-c", count], env).stdout.split()[-2:] == ["0", "1"]


def test_static_files_collected_without_brotli_copies_are_collected_again(tmp_path: Path) -> None:
    """An install collected before brotli was a dependency gets the smaller copies too."""
    from django.core.files.storage import FileSystemStorage

    from masthead.management.commands.serve import _compressed_as_configured

    class Collected(FileSystemStorage):
        hashed_files = {"masthead/site.css": "masthead/site.0a1b2c.css"}

    storage = Collected(location=tmp_path)
    (tmp_path / "masthead").mkdir()
    (tmp_path / "masthead" / "site.0a1b2c.css").write_text("body{}")
    assert not _compressed_as_configured(storage)
    (tmp_path / "masthead" / "site.0a1b2c.css.br").write_bytes(b"\x0b")
    assert _compressed_as_configured(storage)
