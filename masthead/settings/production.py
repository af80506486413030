"""Production: refuses to start without the settings it needs, and hardens security."""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before base.py runs: base would otherwise write a generated secret key
# into the current directory, and a data folder that depends on the directory the
# command is started from would split one site across several databases.
_REQUIRED = ["MASTHEAD_SECRET_KEY", "MASTHEAD_SITE_URL", "MASTHEAD_DATA_DIR"]
_missing = [name for name in _REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "masthead's production settings need these environment variables: "
        + ", ".join(_missing)
        + ". Set them (see docs/reference/settings.md), or run the demo with "
        "DJANGO_SETTINGS_MODULE=masthead.settings.base."
    )

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
_https = MASTHEAD_SITE_URL.startswith("https://")  # noqa: F405
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and env.bool("MASTHEAD_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("MASTHEAD_HSTS_SECONDS", default=31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
if env.bool("MASTHEAD_BEHIND_PROXY", default=False):
    # Only trust X-Forwarded-Proto when a proxy in front of us sets it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
