"""Periodic jobs run by ``masthead worker``, so a newsroom needs no cron.

Each app lists its jobs on its ``AppConfig.periodic_jobs`` as ``(dotted path,
seconds)``. Every worker runs a scheduler thread, and a job runs at most once per
period across all workers: a worker must first win a lock that lasts one period.
Each job is also an ordinary management command for hosts that prefer cron.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.filebased import FileBasedCache
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


def claim(job: PeriodicJob, *, owner: str, store: BaseCache | None = None) -> bool:
    """Win the right to run ``job`` for one period, across every worker.

    Redis and the database cache add a key atomically, so workers on many machines
    agree. The file cache checks and then writes, which two workers can both win;
    on the embedded setup every worker shares one machine, so an exclusively
    created lock file, replaced once it is a period old, serves instead.
    """
    store = store if store is not None else caches["default"]
    timeout = max(1, int(job.every))
    if not isinstance(store, FileBasedCache):
        return bool(store.add(f"masthead:periodic:{job.path}", owner, timeout=timeout))
    lock_dir = Path(settings.DATA_DIR) / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock = lock_dir / f"{job.path}.lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            try:
                expired = time.time() - lock.stat().st_mtime >= timeout
            except FileNotFoundError:
                continue  # another worker just removed it; try to create it again
            if not expired:
                return False
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(owner)
        return True
    return False


def run_due_jobs(jobs: list[PeriodicJob], *, owner: str) -> list[str]:
    """Run every job whose lock this worker wins; return the paths that ran."""
    ran = []
    for job in jobs:
        try:
            if not claim(job, owner=owner):
                continue
            job.load()()
            ran.append(job.path)
        except Exception:
            # A failing job, or a cache that is briefly unreachable, must not stop
            # the worker or the other jobs: log it and try again next period.
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
            try:
                # The thread keeps its own database connection between runs, as a
                # request would; drop it when it has gone stale or broken.
                close_old_connections()
                run_due_jobs(self.jobs, owner=self.owner)
                close_old_connections()
            except Exception:
                # Losing this thread would silently stop scheduled publishing.
                logger.exception("The scheduler loop failed; retrying next period")
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
