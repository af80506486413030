"""The test suite: fast, isolated, with tasks run inline."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

# Each run keeps media and the file cache in its own folder so runs never share state.
_TEST_DIR = Path(tempfile.mkdtemp(prefix="masthead-test-"))
MEDIA_ROOT = str(_TEST_DIR / "media")
STATIC_ROOT = str(_TEST_DIR / "static")
(_TEST_DIR / "static").mkdir()  # whitenoise warns about a missing folder otherwise
# A process-local cache: tests must not see each other's cached entries.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": CACHES["renditions"],  # noqa: F405
}
if MASTHEAD_REDIS_URL:  # noqa: F405
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": MASTHEAD_REDIS_URL,  # noqa: F405
        "KEY_PREFIX": "masthead-test",
    }
# Tasks run inside the test that enqueues them, so assertions see their effects.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": TASK_QUEUES,  # noqa: F405
    }
}
# Hashing with MD5 makes creating staff users in tests ~100x faster.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
