import os
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from masthead.publishing.factories import ArticlePageFactory
from masthead.publishing.models import ArticlePage
from masthead.scheduler import PeriodicJob, periodic_jobs, run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_publishing_registers_scheduled_publishing_as_a_periodic_job():
    assert "masthead.publishing.jobs.publish_scheduled_pages" in [
        job.path for job in periodic_jobs()
    ]


def test_worker_scheduler_publishes_a_scheduled_article_when_its_time_comes(home, time_machine):
    now = timezone.now()
    time_machine.move_to(now)
    article = ArticlePageFactory(parent=home, live=False, first_published_at=None)
    article.go_live_at = now + timedelta(minutes=5)
    article.save_revision().publish()
    article.refresh_from_db()
    assert not article.live
    assert article.scheduled_revision is not None

    jobs = periodic_jobs()
    run_due_jobs(jobs, owner="worker-a")
    assert not ArticlePage.objects.get(pk=article.pk).live

    time_machine.move_to(now + timedelta(minutes=6))
    cache.clear()  # the lock of the earlier run has expired by then
    ran = run_due_jobs(jobs, owner="worker-a")
    assert "masthead.publishing.jobs.publish_scheduled_pages" in ran
    assert ArticlePage.objects.get(pk=article.pk).live


def test_a_job_runs_once_per_period_across_workers():
    calls = []
    job = PeriodicJob(path="masthead.tests.test_scheduler.record_call", every=60)
    RECORDED.clear()
    run_due_jobs([job], owner="worker-a")
    run_due_jobs([job], owner="worker-b")
    calls.extend(RECORDED)
    assert calls == ["called"]


def test_a_failing_job_does_not_stop_the_others(caplog):
    RECORDED.clear()
    jobs = [
        PeriodicJob(path="masthead.tests.test_scheduler.explode", every=60),
        PeriodicJob(path="masthead.tests.test_scheduler.record_call", every=60),
    ]
    ran = run_due_jobs(jobs, owner="worker-a")
    assert ran == ["masthead.tests.test_scheduler.record_call"]
    assert "explode failed" in caplog.text


RECORDED: list[str] = []


def record_call() -> None:
    RECORDED.append("called")


def explode() -> None:
    raise RuntimeError("boom")


def test_the_job_lock_is_shared_through_redis_by_separate_processes(settings):
    """Two workers on two machines each hold their own Redis connection."""
    import os

    redis_url = os.environ.get("MASTHEAD_REDIS_URL")
    if not redis_url:
        pytest.skip("MASTHEAD_REDIS_URL is not set; this test needs a real Redis server")
    from django.core.cache.backends.redis import RedisCache

    first = RedisCache(redis_url, {"KEY_PREFIX": "masthead-lock-test"})
    second = RedisCache(redis_url, {"KEY_PREFIX": "masthead-lock-test"})
    key = "masthead:periodic:example"
    first.delete(key)
    try:
        assert first.add(key, "worker-a", timeout=60)
        assert not second.add(key, "worker-b", timeout=60)
        assert second.get(key) == "worker-a"
    finally:
        first.delete(key)


def test_file_cache_workers_share_an_exclusive_lock_file(settings, tmp_path):
    """The embedded setup's file cache cannot add atomically; a lock file can."""
    from django.core.cache.backends.filebased import FileBasedCache

    from masthead.scheduler import claim

    settings.DATA_DIR = tmp_path
    store = FileBasedCache(str(tmp_path / "cache"), {})
    job = PeriodicJob(path="masthead.tests.test_scheduler.record_call", every=60)
    assert claim(job, owner="worker-a", store=store)
    assert not claim(job, owner="worker-b", store=store)
    lock = tmp_path / "locks" / f"{job.path}.lock"
    assert lock.read_text() == "worker-a"
    old = lock.stat().st_mtime - 120
    os.utime(lock, (old, old))
    assert claim(job, owner="worker-b", store=store)  # an expired lock is taken over
    assert lock.read_text() == "worker-b"
