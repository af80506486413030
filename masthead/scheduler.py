"""Periodic jobs run by ``masthead worker``, so a newsroom needs no cron.

Each app lists its jobs on its ``AppConfig.periodic_jobs`` as ``(dotted path,
seconds)``. Every worker runs a scheduler thread, and a job runs at most once per
period across all workers: a worker must win a short lock in the shared cache first.
Each job is also an ordinary management command for hosts that prefer cron.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.cache import cache
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    path: str
    every: float

    def load(self) -> Callable[[], object]:
        return import_string(self.path)


def periodic_jobs() -> list[PeriodicJob]:
    jobs = []
    for config in apps.get_app_configs():
        for path, every in getattr(config, "periodic_jobs", []):
            jobs.append(PeriodicJob(path=path, every=float(every)))
    return jobs


def run_due_jobs(jobs: list[PeriodicJob], *, owner: str) -> list[str]:
    """Run every job whose lock this worker wins; return the paths that ran."""
    ran = []
    for job in jobs:
        # cache.add is atomic on Redis and the database cache; the lock expiring
        # after one period is what makes the job periodic.
        if not cache.add(f"masthead:periodic:{job.path}", owner, timeout=max(1, int(job.every))):
            continue
        try:
            job.load()()
            ran.append(job.path)
        except Exception:
            # A failing job must not stop the worker or the other jobs; it is
            # logged with its traceback and tried again next period.
            logger.exception("Periodic job %s failed", job.path)
    return ran


class SchedulerThread(threading.Thread):
    def __init__(self, *, interval: float, owner: str) -> None:
        super().__init__(name="masthead-scheduler", daemon=True)
        self.interval = interval
        self.owner = owner
        self.stopping = threading.Event()
        self.jobs = periodic_jobs()

    def run(self) -> None:
        while not self.stopping.is_set():
            # The thread keeps its own database connection between runs, as a
            # request would; drop it when it has gone stale or broken.
            close_old_connections()
            run_due_jobs(self.jobs, owner=self.owner)
            close_old_connections()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
