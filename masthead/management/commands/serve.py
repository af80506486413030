from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


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
            default=int(os.environ.get("MASTHEAD_WEB_WORKERS", "2")),
            help="Server processes.",
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker.")

    def handle(
        self, *args: Any, host: str, port: int, workers: int, no_worker: bool, **options: Any
    ) -> None:
        from granian import Granian
        from granian.constants import Interfaces

        if not 0 < port < 65536:
            raise CommandError(f"Port {port} is not a valid TCP port (1-65535).")
        worker = None
        if not no_worker:
            # Same interpreter and settings as this process, so the worker sees the same database.
            worker = subprocess.Popen(  # our own interpreter and command
                [sys.executable, "-m", "masthead.cli", "worker"],
                env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]},
            )
        if worker is not None:
            self.stdout.write(f"Started a task worker (pid {worker.pid}).")
        self.stdout.write(
            self.style.SUCCESS(f"masthead is serving on http://{host}:{port}/ (Ctrl-C to stop)")
        )
        self.stdout.flush()
        try:
            Granian(
                "masthead.wsgi:application",
                address=host,
                port=port,
                interface=Interfaces.WSGI,
                workers=workers,
                # One blocking thread per worker: granian's default thread pool is
                # slower than a plain process for Django's synchronous views.
                blocking_threads=1,
                log_access=settings.DEBUG,
            ).serve()
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
