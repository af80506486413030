"""Local development: debug pages and the console email backend."""

from .base import *  # noqa: F403

DEBUG = True
# Development shows outgoing email in the terminal, unless MASTHEAD_EMAIL_URL names a
# server to send to (a local mail catcher, or the SMTP server a test starts) or
# MASTHEAD_ESP an email service.
if not env.str("MASTHEAD_EMAIL_URL", default="") and not MASTHEAD_ESP:  # noqa: F405
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# No collectstatic step while developing.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
