"""Helpers the benchmarks share: starting ``masthead serve``, waiting for it, its CPU time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def start_server(
    port: int, *, workers: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``masthead serve`` (the production server, no task worker) in a process of its own.

    ``env`` adds to (or overrides) this process's environment, for a second server
    configured differently against the same data.
    """
    return subprocess.Popen(  # noqa: S603  # our own interpreter and command
        [
            sys.executable,
            "-m",
            "masthead.cli",
            "serve",
            "--no-worker",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        # A benchmark started in the background inherits an ignored SIGINT, and so would
        # the server's processes, which ``serve`` stops with SIGINT: they would then
        # hang on until its 30 s timeout. They get the default disposition back.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str) -> None:
    """Return once ``url`` answers 200; exit with one line if it never does."""
    import urllib.request

    deadline = time.monotonic() + 180  # a loaded machine starts Django slowly
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  # our own server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"The server did not answer {url} within 180 s.")


def process_tree(root_pid: int) -> set[int]:
    """``root_pid`` and every process under it, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after its closing parenthesis do not.
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def server_cpu_seconds(root_pid: int) -> float:
    """User and system CPU of ``root_pid`` and every process under it, from /proc."""
    total = 0.0
    for pid in process_tree(root_pid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # ended since the tree was read
        fields = stat[stat.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def content_key(name: str = "Benchmark") -> str:
    """The content API key of the benchmarks' integration, made on first use."""
    from masthead.contentapi.models import Integration

    integration = Integration.objects.active().filter(name=name).first()
    if integration is None:
        integration = Integration.objects.create(name=name)
    return str(integration.content_key)
