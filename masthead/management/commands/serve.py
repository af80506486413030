from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_TIMEOUT = 30


class Command(BaseCommand):
    help = (
        "Serve masthead with a production WSGI server (granian), and by default a task "
        "worker beside it. Ctrl-C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=(
                "Server processes (default: one per CPU core this process may use, "
                f"here {available_cores()}; MASTHEAD_WEB_WORKERS sets another default)."
            ),
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker.")

    def handle(
        self, *args: Any, host: str, port: int, workers: int | None, no_worker: bool, **options: Any
    ) -> None:
        if not 0 < port < 65536:
            raise CommandError(f"Port {port} is not a valid TCP port (1-65535).")
        if workers is None:
            workers = _default_workers()
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        _check_port_is_free(host, port)
        self._collect_static_if_missing()

        # The server and the worker run in sessions of their own, so a Ctrl-C in the
        # terminal reaches only this process, which then stops them in order. When
        # the terminal's signal reached every process at once, the server's
        # supervisor could wait forever for workers that had already gone.
        children: list[tuple[str, subprocess.Popen[bytes]]] = []
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
        if not no_worker:
            worker = subprocess.Popen(  # our own interpreter and command
                [sys.executable, "-m", "masthead.cli", "worker"], env=env, start_new_session=True
            )
            children.append(("worker", worker))
            self.stdout.write(f"Started a task worker (pid {worker.pid}).")
        server = subprocess.Popen(  # noqa: S603  # our own interpreter and the server we depend on
            granian_command(host, port, workers, access_log=settings.DEBUG),
            env=env,
            start_new_session=True,
        )
        children.insert(0, ("server", server))
        self.stdout.write(
            self.style.SUCCESS(f"masthead is serving on http://{host}:{port}/ (Ctrl-C to stop)")
        )
        self.stdout.flush()

        stopping = False

        def request_stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while not stopping:
                exited = [(name, proc) for name, proc in children if proc.poll() is not None]
                if exited:
                    name, proc = exited[0]
                    self.stderr.write(
                        f"The {name} stopped unexpectedly (exit code {proc.returncode})."
                    )
                    break
                time.sleep(0.2)
        finally:
            _stop([proc for _, proc in children])
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not stopping:
            raise CommandError("masthead stopped because one of its processes failed; see above.")
        self.stdout.write("Stopped.")

    def _collect_static_if_missing(self) -> None:
        """Collect static files when they are missing or older than their sources.

        A page whose stylesheet is not in the collected manifest cannot render, so
        starting with missing or stale files would fail every request.
        """
        from django.contrib.staticfiles import finders
        from django.contrib.staticfiles.storage import staticfiles_storage
        from django.core.management import call_command

        manifest = getattr(staticfiles_storage, "manifest_name", None)
        if not manifest:
            return
        if staticfiles_storage.exists(manifest):
            collected_at = os.path.getmtime(staticfiles_storage.path(manifest))
            newest_source = max(
                (
                    os.path.getmtime(storage.path(path))
                    for finder in finders.get_finders()
                    for path, storage in finder.list([])
                ),
                default=0.0,
            )
            if newest_source <= collected_at and _compressed_as_configured(staticfiles_storage):
                return
        self.stdout.write("Collecting static files...")
        self.stdout.flush()
        call_command("collectstatic", interactive=False, verbosity=0)


def granian_command(
    host: str,
    port: int,
    workers: int,
    *,
    application: str = "masthead.wsgi:application",
    access_log: bool = False,
) -> list[str]:
    """The command line that serves ``application`` with granian as ``serve`` tunes it.

    The page benchmark starts a WSGI app that does nothing with this same line, to
    measure the server's own ceiling (decision 0019).
    """
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # One blocking thread per process: granian's default thread pool is
        # slower than a plain process for Django's synchronous views.
        "--blocking-threads",
        "1",
        "--no-ws",
        # A worker killed from outside (the kernel's OOM killer) is replaced; without
        # this granian stops the whole server when one worker dies.
        "--respawn-failed-workers",
        "--access-log" if access_log else "--no-access-log",
        application,
    ]


def available_cores() -> int:
    """The CPU cores this process may run on (a container's or ``taskset``'s limit included)."""
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        count = process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return count or 1


def _default_workers() -> int:
    """The workers when ``--workers`` is not given: ``MASTHEAD_WEB_WORKERS``, else one per core.

    Each worker runs one request at a time (one blocking thread), so fewer leave cores
    idle and more only add memory and switching between them (decision 0019).
    """
    value = os.environ.get("MASTHEAD_WEB_WORKERS", "").strip()
    if not value:
        return available_cores()
    try:
        workers = int(value)
    except ValueError:
        raise CommandError(
            f"MASTHEAD_WEB_WORKERS must be a whole number of server processes, not {value!r}."
        ) from None
    if workers < 1:
        raise CommandError("MASTHEAD_WEB_WORKERS must be at least 1.")
    return workers


def _compressed_as_configured(storage: Any) -> bool:
    """Whether the collected files have their brotli copies, when brotli is installed.

    Files collected before brotli was installed have only gzip copies; collecting again
    adds the smaller ones.
    """
    import importlib.util

    if importlib.util.find_spec("brotli") is None:
        return True
    hashed = getattr(storage, "hashed_files", {})
    stylesheets = [name for name in hashed.values() if str(name).endswith(".css")]
    return not stylesheets or storage.exists(f"{stylesheets[0]}.br")


def _check_port_is_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {host}:{port} ({error.strerror}). "
                "Another program may be using the port: stop it or choose another, e.g. PORT=8080."
            ) from error


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop each child and everything it started, as Ctrl-C would, then by force.

    Each child leads its own process group, so signalling the group also reaches the
    server's worker processes, even when the server's supervisor has crashed.
    """
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
