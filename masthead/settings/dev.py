"""Local development: debug pages and the console email backend."""

from .base import *  # noqa: F403

DEBUG = True
# Development shows outgoing email in the terminal rather than sending it.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# No collectstatic step while developing.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
