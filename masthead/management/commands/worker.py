from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string
from django_tasks import task_backends

from masthead.scheduler import SchedulerThread, periodic_jobs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run background tasks and periodic jobs such as scheduled publishing. "
        "Start as many as you need; stop with Ctrl-C (the current task finishes first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues", default="*", help="Comma-separated queues to work on (default: all)."
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Only run tasks; leave periodic jobs to other workers or to cron.",
        )

    def handle(self, *args: Any, queues: str, no_scheduler: bool, **options: Any) -> None:
        worker_id = get_random_string(24)
        scheduler = None
        if not no_scheduler:
            scheduler = SchedulerThread(
                interval=settings.MASTHEAD_SCHEDULER_INTERVAL, owner=worker_id
            )
            scheduler.start()
            jobs = ", ".join(job.path.rsplit(".", 1)[-1] for job in periodic_jobs())
            self.stdout.write(
                f"Scheduler running every {settings.MASTHEAD_SCHEDULER_INTERVAL:g}s: {jobs}"
            )
        backend = task_backends["default"]
        self.stdout.write(f"Worker {worker_id} processing {queues} with {type(backend).__name__}")
        self.stdout.flush()
        try:
            self._work(backend, queues=queues, worker_id=worker_id)
        finally:
            if scheduler is not None:
                scheduler.stop()
                scheduler.join(timeout=30)

    def _work(self, backend: Any, *, queues: str, worker_id: str) -> None:
        from django_tasks_db import DatabaseBackend

        if isinstance(backend, DatabaseBackend):
            from django_tasks_db.management.commands.db_worker import Worker

            worker = Worker(
                queue_names=queues.split(","),
                interval=1,
                batch=False,
                backend_name="default",
                startup_delay=True,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )
            worker.configure_signals()
            worker.run()
        elif type(backend).__name__ == "RQBackend":
            names = settings.TASK_QUEUES if queues == "*" else queues.split(",")
            # django-tasks' own job class runs the task's function (RQ's would try to call
            # the Task object); the scheduler runs deferred jobs (newsletter retries).
            call_command(
                "rqworker", *names, job_class="django_tasks_rq.backend.Job", with_scheduler=True
            )
        else:
            # Immediate backend: tasks run where they are enqueued; only the
            # scheduler has work here, so wait for Ctrl-C.
            import threading

            threading.Event().wait()
