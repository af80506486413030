"""Every setting masthead has, read from ``MASTHEAD_*`` environment variables.

With no variable set, masthead runs on its embedded defaults: SQLite, a file cache,
the database task queue and local media, all kept under ``var/`` in the current
directory. Each integration (PostgreSQL, Redis, RQ, SMTP) is switched on by its own
variable; ``docs/reference/settings.md`` lists them all.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ

env = environ.Env()

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# An empty value counts as unset: a shell that expands a missing variable must not put
# the database in whatever directory the command happens to run from.
DATA_DIR = Path(env.str("MASTHEAD_DATA_DIR", default="") or Path.cwd() / "var").resolve()


def _secret_key() -> str:
    """Read the key from the environment or from ``var/secret_key``, made on first run.

    Generating the key once and keeping it means sessions and signed links survive a
    restart of the demo; production settings insist on the environment variable.
    """
    if key := env.str("MASTHEAD_SECRET_KEY", default=""):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        # Created readable by its owner only, never world-readable even briefly.
        fd = os.open(key_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = env.bool("MASTHEAD_DEBUG", default=False)

MASTHEAD_SITE_URL = env.str("MASTHEAD_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
_site_host = urlsplit(MASTHEAD_SITE_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = env.list(
    "MASTHEAD_ALLOWED_HOSTS", default=[_site_host, "127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("MASTHEAD_CSRF_TRUSTED_ORIGINS", default=[MASTHEAD_SITE_URL])
MASTHEAD_SUPPORT_EMAIL = env.str("MASTHEAD_SUPPORT_EMAIL", default="support@example.org")

INSTALLED_APPS = [
    "masthead",
    "masthead.staff",
    "masthead.membership",
    "masthead.publishing",
    "masthead.newsletters",
    "masthead.contentapi",
    "masthead.theme",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtailmedia",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # Outermost, so a cached answer skips every other layer and what is stored is exactly
    # what readers got (docs/operations/page-cache.md).
    "masthead.publishing.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "masthead.contentapi.middleware.LegacyApiPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "masthead.publishing.middleware.SiteTimezoneMiddleware",
    "masthead.membership.middleware.ReaderMiddleware",
]

ROOT_URLCONF = "masthead.urls"
WSGI_APPLICATION = "masthead.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # A newsroom overrides the default theme by putting its own folder first.
        "DIRS": env.list("MASTHEAD_THEME_DIRS", default=[]),
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "masthead.publishing.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
_sqlite_path = DATA_DIR / "masthead.sqlite3"
DATABASES = {"default": env.db_url("MASTHEAD_DATABASE_URL", default=f"sqlite:///{_sqlite_path}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers and the worker run while a request writes;
            # IMMEDIATE transactions take the write lock up front instead of failing
            # half-way with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# Connections are kept between requests, SQLite's too: opening one (and, for SQLite,
# registering Django's functions and setting the pragmas) cost more than a whole
# live-page poll.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("MASTHEAD_DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------
MASTHEAD_REDIS_URL = env.str("MASTHEAD_REDIS_URL", default="")
if MASTHEAD_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": MASTHEAD_REDIS_URL,
            "KEY_PREFIX": env.str("MASTHEAD_CACHE_PREFIX", default="masthead"),
        }
    }
else:
    CACHES = {
        "default": {
            # Django's file cache, counting its files once per 500 writes rather than
            # on every write (masthead/filecache.py).
            "BACKEND": "masthead.filecache.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            # When it holds more than MAX_ENTRIES files it culls a third of them; the
            # default of 300 made that happen all the time.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
# Wagtail looks up every image rendition through this cache. Renditions never
# change once made, so a per-process memory cache is safe and costs nothing.
CACHES["renditions"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "masthead-renditions",
    "OPTIONS": {"MAX_ENTRIES": 20_000},
}

# --- Page cache -------------------------------------------------------------------
# Whole pages are kept in each web process's memory per access variant and dropped the
# moment what they show changes (docs/operations/page-cache.md). Turn it off only to
# measure or debug rendering.
MASTHEAD_PAGE_CACHE = env.bool("MASTHEAD_PAGE_CACHE", default=True)
# How often a web process checks the shared store for changes made by other processes
# (its own are seen at once). A change reaches every worker within this time.
MASTHEAD_PAGE_CACHE_CHECK_MS = env.int("MASTHEAD_PAGE_CACHE_CHECK_MS", default=250)
# Memory for cached pages in each web process, in MB.
MASTHEAD_PAGE_CACHE_MB = env.int("MASTHEAD_PAGE_CACHE_MB", default=64)
# How long a CDN or proxy may keep an anonymous page (it is purged on change when the
# edge is configured), and how long it may serve one stale while it fetches a new one.
MASTHEAD_EDGE_MAX_AGE = env.int("MASTHEAD_EDGE_MAX_AGE", default=300)
MASTHEAD_EDGE_STALE_SECONDS = env.int("MASTHEAD_EDGE_STALE_SECONDS", default=30)
MASTHEAD_CACHE_PREFIX = env.str("MASTHEAD_CACHE_PREFIX", default="masthead")

# --- Background tasks -----------------------------------------------------------
# "database" needs nothing but the database; "rq" runs on Redis with N workers.
MASTHEAD_TASK_BACKEND = env.str("MASTHEAD_TASK_BACKEND", default="database")
TASK_QUEUES = ["default", "newsletters"]
if MASTHEAD_TASK_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {name: {"URL": MASTHEAD_REDIS_URL} for name in TASK_QUEUES}
    INSTALLED_APPS.append("django_rq")
elif MASTHEAD_TASK_BACKEND == "immediate":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
# How often the worker's scheduler looks for due periodic jobs (scheduled publishing).
MASTHEAD_SCHEDULER_INTERVAL = env.float("MASTHEAD_SCHEDULER_INTERVAL", default=15.0)
# The demo newsroom's ticker: while on, the worker posts to the demo's live page every
# two minutes and publishes a brief every ten (`make demo` turns it on). Demo data only.
MASTHEAD_DEMO_TICKER = env.bool("MASTHEAD_DEMO_TICKER", default=False)

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "staff.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = env.str("MASTHEAD_LANGUAGE_CODE", default="en-us")
# Stored times are UTC; pages show them in the site's timezone (Site settings).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.str("MASTHEAD_STATIC_ROOT", default=str(DATA_DIR / "static"))
MEDIA_URL = env.str("MASTHEAD_MEDIA_URL", default="/media/")
MEDIA_ROOT = env.str("MASTHEAD_MEDIA_ROOT", default=str(DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "masthead.staticstorage.ManifestStaticFilesStorage"},
}
# A file missing from the manifest but present in STATIC_ROOT (collected by an
# older release) is served under its plain name instead of failing the page.
WHITENOISE_MANIFEST_STRICT = False
# Uploaded media are served by the app itself unless a web server or bucket does it.
MASTHEAD_SERVE_MEDIA = env.bool("MASTHEAD_SERVE_MEDIA", default=True)

# --- Email ----------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("MASTHEAD_EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("MASTHEAD_DEFAULT_FROM_EMAIL", default="newsroom@example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Wagtail --------------------------------------------------------------------
WAGTAIL_SITE_NAME = env.str("MASTHEAD_SITE_NAME", default="masthead")
WAGTAILADMIN_BASE_URL = MASTHEAD_SITE_URL
WAGTAILIMAGES_IMAGE_MODEL = "publishing.Photo"
# Search: the database's own full text (SQLite FTS5, PostgreSQL) by default; OpenSearch or
# Elasticsearch for large archives. docs/guides/search.md explains the choice.
MASTHEAD_SEARCH_BACKEND = env.str("MASTHEAD_SEARCH_BACKEND", default="database").strip().lower()
MASTHEAD_SEARCH_URL = env.str("MASTHEAD_SEARCH_URL", default="").strip()
_SEARCH_BACKENDS = {
    "database": "wagtail.search.backends.database",
    "opensearch": "wagtail.search.backends.opensearch2",
    "elasticsearch": "wagtail.search.backends.elasticsearch8",
}


def search_backend_settings(
    name: str, *, url: str = "", prefix: str = "masthead"
) -> dict[str, dict[str, object]]:
    """``WAGTAILSEARCH_BACKENDS`` for a search backend; says what is wrong if anything."""
    from django.core.exceptions import ImproperlyConfigured

    if name not in _SEARCH_BACKENDS:
        raise ImproperlyConfigured(
            f"MASTHEAD_SEARCH_BACKEND={name!r} is not a search backend masthead knows. Use "
            f"one of: {', '.join(sorted(_SEARCH_BACKENDS))}; see docs/guides/search.md."
        )
    backend: dict[str, object] = {"BACKEND": _SEARCH_BACKENDS[name]}
    if name != "database":
        if not url:
            raise ImproperlyConfigured(
                f"MASTHEAD_SEARCH_BACKEND={name} needs MASTHEAD_SEARCH_URL: the address of "
                "the search server, e.g. https://user:password@search.internal:9200."
            )
        # The site's own prefix (MASTHEAD_CACHE_PREFIX, as for Redis keys), so one cluster
        # can hold the indexes of several sites.
        backend.update({"URLS": [url], "INDEX_PREFIX": f"{prefix}_"})
    return {"default": backend}


WAGTAILSEARCH_BACKENDS = search_backend_settings(
    MASTHEAD_SEARCH_BACKEND,
    url=MASTHEAD_SEARCH_URL,
    prefix=env.str("MASTHEAD_CACHE_PREFIX", default="masthead"),
)
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
# Uploaded video is played by the reader's browser, so only formats every current
# browser plays are accepted (not AVI, MKV or MPEG, which would show a broken player).
WAGTAILMEDIA = {
    "VIDEO_EXTENSIONS": ["mp4", "m4v", "webm"],
    "AUDIO_EXTENSIONS": ["mp3", "m4a", "aac", "ogg", "wav"],
}
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No third-party requests from the admin: avatars come from uploads, not Gravatar.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_DATE_FORMAT = "%Y-%m-%d"
WAGTAIL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"

# --- Members --------------------------------------------------------------------
# Magic links and their 6-digit codes work once, for this many minutes.
MASTHEAD_SIGNIN_LINK_MINUTES = env.int("MASTHEAD_SIGNIN_LINK_MINUTES", default=30)
MASTHEAD_MEMBER_COOKIE = "masthead-member"
MASTHEAD_MEMBER_SESSION_DAYS = env.int("MASTHEAD_MEMBER_SESSION_DAYS", default=180)
# Rate limits on sign-in emails and code guesses, per hour.
MASTHEAD_SIGNIN_PER_EMAIL_HOUR = env.int("MASTHEAD_SIGNIN_PER_EMAIL_HOUR", default=5)
MASTHEAD_SIGNIN_PER_IP_HOUR = env.int("MASTHEAD_SIGNIN_PER_IP_HOUR", default=30)
MASTHEAD_CODE_ATTEMPTS_PER_IP_HOUR = env.int("MASTHEAD_CODE_ATTEMPTS_PER_IP_HOUR", default=30)
# Behind a reverse proxy, the request header holding the reader's address
# (e.g. HTTP_X_FORWARDED_FOR); empty trusts the connection's own address.
MASTHEAD_CLIENT_IP_HEADER = env.str("MASTHEAD_CLIENT_IP_HEADER", default="")
# Member counts on the site (drive, counter) are recomputed at most this often.
MASTHEAD_COUNTER_CACHE_SECONDS = env.int("MASTHEAD_COUNTER_CACHE_SECONDS", default=60)

# --- Live coverage -----------------------------------------------------------------


def live_poll_seconds(seconds: int) -> int:
    """The poll interval, refused outside 2..300 s: shorter floods the server, longer
    leaves readers minutes behind the newsroom."""
    if not 2 <= seconds <= 300:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"MASTHEAD_LIVE_POLL_SECONDS={seconds} is out of range: give a number of seconds "
            "from 2 to 300 (the default is 10)."
        )
    return seconds


# Readers' live pages ask for new updates this often. Shorter is fresher and costs more
# requests; each answer may be cached for up to 5 seconds.
MASTHEAD_LIVE_POLL_SECONDS = live_poll_seconds(env.int("MASTHEAD_LIVE_POLL_SECONDS", default=10))

# --- Payments -------------------------------------------------------------------
# Payments are optional: without a secret key, paid buttons say payments are off and
# free membership works as before. Use test-mode keys (sk_test_…) until launch.
MASTHEAD_STRIPE_SECRET_KEY = env.str("MASTHEAD_STRIPE_SECRET_KEY", default="")
MASTHEAD_STRIPE_WEBHOOK_SECRET = env.str("MASTHEAD_STRIPE_WEBHOOK_SECRET", default="")
# Another address for Stripe's API (a local stand-in or stripe-mock); empty is Stripe's.
MASTHEAD_STRIPE_API_BASE = env.str("MASTHEAD_STRIPE_API_BASE", default="")
# Members whose renewal failed keep access this many days while the provider retries.
MASTHEAD_PAYMENT_GRACE_DAYS = env.int("MASTHEAD_PAYMENT_GRACE_DAYS", default=7)

# --- Newsletters ------------------------------------------------------------------
# Recipients per delivery task: one SMTP connection or one ESP batch request each.
MASTHEAD_NEWSLETTER_BATCH_SIZE = env.int("MASTHEAD_NEWSLETTER_BATCH_SIZE", default=500)
# Temporary failures (a 4xx from the mail server, an ESP timeout) are retried this many
# times, waiting longer each time, before the recipient counts as failed.
MASTHEAD_NEWSLETTER_MAX_ATTEMPTS = env.int("MASTHEAD_NEWSLETTER_MAX_ATTEMPTS", default=5)
# A send whose worker shows no progress for this long is resumed by another worker.
MASTHEAD_NEWSLETTER_STALL_SECONDS = env.int("MASTHEAD_NEWSLETTER_STALL_SECONDS", default=120)
# Opens and clicks are only tracked if the newsroom switches it on.
MASTHEAD_EMAIL_TRACKING = env.bool("MASTHEAD_EMAIL_TRACKING", default=False)
# After a move from Ghost, its members_email_auth_secret keeps old unsubscribe links working.
MASTHEAD_GHOST_MEMBERS_EMAIL_AUTH_SECRET = env.str(
    "MASTHEAD_GHOST_MEMBERS_EMAIL_AUTH_SECRET", default=""
)

# --- Email service (ESP) ----------------------------------------------------------
# With MASTHEAD_ESP set, every email (newsletters in batches, sign-in and payment emails
# one by one) goes through that service's HTTP API with django-anymail, and
# MASTHEAD_EMAIL_URL is not used. docs/operations/email.md explains each variable.
MASTHEAD_ESP = env.str("MASTHEAD_ESP", default="").strip().lower()
MASTHEAD_ESP_API_KEY = env.str("MASTHEAD_ESP_API_KEY", default="")
# Another API address: the service's EU region, or a local stand-in. Empty: the service's.
MASTHEAD_ESP_API_URL = env.str("MASTHEAD_ESP_API_URL", default="")
# The service's sending domain, when it is not the domain of the sender addresses.
MASTHEAD_ESP_SENDER_DOMAIN = env.str("MASTHEAD_ESP_SENDER_DOMAIN", default="")
# "user:password" put in the webhook URL registered at the service (HTTP basic auth).
MASTHEAD_ESP_WEBHOOK_SECRET = env.str("MASTHEAD_ESP_WEBHOOK_SECRET", default="")
# The key the service signs its webhooks with (Mailgun: "HTTP webhook signing key").
MASTHEAD_ESP_WEBHOOK_SIGNING_KEY = env.str("MASTHEAD_ESP_WEBHOOK_SIGNING_KEY", default="")

# The services newsletters can go through: each must fill in every recipient's own
# unsubscribe link in a batch without a stored template (see docs/operations/email.md).
_ESP_BACKENDS = {"mailgun": "anymail.backends.mailgun.EmailBackend"}


def email_service_settings(
    esp: str,
    *,
    api_key: str,
    api_url: str = "",
    sender_domain: str = "",
    webhook_secret: str = "",
    webhook_signing_key: str = "",
) -> dict[str, object]:
    """``EMAIL_BACKEND`` and ``ANYMAIL`` for an email service; says what is wrong if anything."""
    from django.core.exceptions import ImproperlyConfigured

    if esp not in _ESP_BACKENDS:
        raise ImproperlyConfigured(
            f"MASTHEAD_ESP={esp!r} is not an email service masthead can send newsletters "
            f"through. Use one of: {', '.join(sorted(_ESP_BACKENDS))}; or leave MASTHEAD_ESP "
            "empty to send through MASTHEAD_EMAIL_URL (SMTP). Postmark, Brevo, SendGrid and "
            "Amazon SES cannot put each reader's own unsubscribe link in a batch without a "
            "template stored at the service; see docs/operations/email.md."
        )
    if not api_key:
        raise ImproperlyConfigured(
            f"MASTHEAD_ESP={esp} needs MASTHEAD_ESP_API_KEY: the service's sending API key."
        )
    if webhook_secret and ":" not in webhook_secret:
        raise ImproperlyConfigured(
            "MASTHEAD_ESP_WEBHOOK_SECRET must be a user name and a password joined by a "
            "colon (e.g. made with `openssl rand -hex 16` twice): the service sends it as "
            "the webhook URL's basic authentication."
        )
    prefix = esp.upper()
    anymail: dict[str, object] = {
        f"{prefix}_API_KEY": api_key,
        # Sign-in links must never be rewritten through the service's tracking domain:
        # nothing is tracked unless a newsletter asks (MASTHEAD_EMAIL_TRACKING).
        "SEND_DEFAULTS": {"track_opens": False, "track_clicks": False},
    }
    if api_url:
        anymail[f"{prefix}_API_URL"] = api_url
    if sender_domain:
        anymail[f"{prefix}_SENDER_DOMAIN"] = sender_domain
    if webhook_secret:
        anymail["WEBHOOK_SECRET"] = webhook_secret
    if webhook_signing_key:
        anymail[f"{prefix}_WEBHOOK_SIGNING_KEY"] = webhook_signing_key
    return {"EMAIL_BACKEND": _ESP_BACKENDS[esp], "ANYMAIL": anymail}


if MASTHEAD_ESP:
    vars().update(
        email_service_settings(
            MASTHEAD_ESP,
            api_key=MASTHEAD_ESP_API_KEY,
            api_url=MASTHEAD_ESP_API_URL,
            sender_domain=MASTHEAD_ESP_SENDER_DOMAIN,
            webhook_secret=MASTHEAD_ESP_WEBHOOK_SECRET,
            webhook_signing_key=MASTHEAD_ESP_WEBHOOK_SIGNING_KEY,
        )
    )

# --- Security -------------------------------------------------------------------
CSRF_FAILURE_VIEW = "masthead.membership.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("MASTHEAD_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wagtail logs every page save at INFO; the audit log in the admin keeps them.
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}

# --- Edge cache (CDN) -------------------------------------------------------------
# A CDN or a caching proxy (nginx, Varnish) in front is purged when content changes: by
# key (Fastly surrogate keys, Cloudflare cache tags) and by URL, from the task queue.
# docs/operations/edge-caching.md has the recipes; "none" (the default) purges nothing.
_CDN_BACKENDS = {
    "cloudflare": "masthead.publishing.edge.CloudflareBackend",
    "cloudfront": "masthead.publishing.edge.CloudFrontBackend",
    "fastly": "masthead.publishing.edge.FastlyBackend",
    "nginx": "masthead.publishing.edge.PurgeRequestBackend",
    "varnish": "masthead.publishing.edge.PurgeRequestBackend",
}


def edge_cache_settings(
    cdn: str,
    *,
    purge_url: str = "",
    api_url: str = "",
    cloudflare_api_token: str = "",
    cloudflare_zone_id: str = "",
    cloudfront_distribution_id: str = "",
    fastly_api_key: str = "",
    fastly_service_id: str = "",
    key_prefix: str = "masthead",
) -> dict[str, object]:
    """``WAGTAILFRONTENDCACHE`` and the key prefix for a CDN; says what is wrong if anything."""
    from importlib.util import find_spec

    from django.core.exceptions import ImproperlyConfigured

    if (
        not key_prefix
        or len(key_prefix) > 64
        or not all("\x21" <= char <= "\x7e" and char != "," for char in key_prefix)
    ):
        raise ImproperlyConfigured(
            f"MASTHEAD_CDN_KEY_PREFIX={key_prefix!r} cannot start a CDN key: use 1 to 64 "
            "printable characters without spaces or commas, e.g. the site's name."
        )
    made: dict[str, object] = {"MASTHEAD_CDN_KEY_PREFIX": key_prefix}
    if cdn in ("", "none"):
        return made
    if cdn not in _CDN_BACKENDS:
        raise ImproperlyConfigured(
            f"MASTHEAD_CDN={cdn!r} is not a CDN masthead can purge. Use one of: "
            f"{', '.join(sorted(_CDN_BACKENDS))}, or none; see docs/operations/edge-caching.md."
        )

    def need(value: str, variable: str, what: str) -> str:
        if not value.strip():
            raise ImproperlyConfigured(f"MASTHEAD_CDN={cdn} needs {variable}: {what}.")
        return value.strip()

    backend: dict[str, object] = {"BACKEND": _CDN_BACKENDS[cdn]}
    if cdn in ("nginx", "varnish"):
        location = need(
            purge_url,
            "MASTHEAD_CDN_PURGE_URL",
            f"the address {cdn} takes PURGE requests at, e.g. http://127.0.0.1:80",
        )
        if urlsplit(location).scheme not in ("http", "https") or not urlsplit(location).netloc:
            raise ImproperlyConfigured(
                f"MASTHEAD_CDN_PURGE_URL={location!r} is not an http:// or https:// address "
                f"of the {cdn} server, e.g. http://127.0.0.1:80."
            )
        backend["LOCATION"] = location
    elif cdn == "cloudflare":
        backend["BEARER_TOKEN"] = need(
            cloudflare_api_token,
            "MASTHEAD_CLOUDFLARE_API_TOKEN",
            "an API token with the Zone > Cache Purge permission",
        )
        backend["ZONEID"] = need(
            cloudflare_zone_id, "MASTHEAD_CLOUDFLARE_ZONE_ID", "the zone ID of the site's domain"
        )
    elif cdn == "fastly":
        backend["API_KEY"] = need(
            fastly_api_key, "MASTHEAD_FASTLY_API_KEY", "an API token with the purge_select scope"
        )
        backend["SERVICE_ID"] = need(
            fastly_service_id, "MASTHEAD_FASTLY_SERVICE_ID", "the ID of the site's service"
        )
    else:  # cloudfront
        backend["DISTRIBUTION_ID"] = need(
            cloudfront_distribution_id,
            "MASTHEAD_CLOUDFRONT_DISTRIBUTION_ID",
            "the ID of the site's distribution",
        )
        if find_spec("boto3") is None:
            raise ImproperlyConfigured(
                "MASTHEAD_CDN=cloudfront needs the boto3 package (pip install boto3); AWS "
                "credentials come from the usual AWS_* variables or the instance's role."
            )
    if api_url:
        backend["API_URL"] = api_url
    made["WAGTAILFRONTENDCACHE"] = {"default": backend}
    return made


MASTHEAD_CDN = env.str("MASTHEAD_CDN", default="none").strip().lower() or "none"
# Purges the edge refuses for now (rate limits, outages) are tried again, waiting longer
# each time, up to this many attempts (about eight minutes in all); then an error is logged.
MASTHEAD_CDN_PURGE_ATTEMPTS = env.int("MASTHEAD_CDN_PURGE_ATTEMPTS", default=8)
vars().update(
    edge_cache_settings(
        MASTHEAD_CDN,
        purge_url=env.str("MASTHEAD_CDN_PURGE_URL", default=""),
        # Another API address (a local stand-in); empty is the CDN's own.
        api_url=env.str("MASTHEAD_CDN_API_URL", default=""),
        cloudflare_api_token=env.str("MASTHEAD_CLOUDFLARE_API_TOKEN", default=""),
        cloudflare_zone_id=env.str("MASTHEAD_CLOUDFLARE_ZONE_ID", default=""),
        cloudfront_distribution_id=env.str("MASTHEAD_CLOUDFRONT_DISTRIBUTION_ID", default=""),
        fastly_api_key=env.str("MASTHEAD_FASTLY_API_KEY", default=""),
        fastly_service_id=env.str("MASTHEAD_FASTLY_SERVICE_ID", default=""),
        # Several sites can share one CDN account: each one's keys start with its prefix.
        key_prefix=env.str("MASTHEAD_CDN_KEY_PREFIX", default="")
        or env.str("MASTHEAD_CACHE_PREFIX", default="masthead"),
    )
)
if MASTHEAD_CDN != "none":
    # Without Wagtail's page signal handlers: every purge goes through the task queue
    # (masthead/publishing/edge_apps.py says why).
    INSTALLED_APPS.append("masthead.publishing.edge_apps.FrontendCacheConfig")
