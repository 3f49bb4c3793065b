"""Settings for the forum, read from the environment with development defaults.

With nothing set, the forum runs for development on SQLite (``db.sqlite3`` in the project root).
Production sets at least ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG=0``, ``DJANGO_ALLOWED_HOSTS`` and
``DATABASE_URL`` (for example ``postgres://forum@db.example/forum``).
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")
    # Development only: a fixed key keeps sessions across restarts; never used with DEBUG off.
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Behind an HTTPS proxy: the origins forms are posted from (https://forum.example).
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
if env_bool("DJANGO_BEHIND_HTTPS_PROXY", False):
    # The proxy terminates TLS and says so in this header; trust it only behind such a proxy.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over HTTPS (the default once DEBUG is off): redirect http, secure cookies, HSTS.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind proxies: the addresses (or networks) of the proxies whose X-Forwarded-For is believed
# when finding the client's address, for rate limits and bans.
FORUM_TRUSTED_PROXIES = env_list("FORUM_TRUSTED_PROXIES", [])
for _network in FORUM_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"FORUM_TRUSTED_PROXIES: {_network!r} is not an address or network "
            "(10.0.0.0/8, 2001:db8::/48, 192.0.2.1)."
        ) from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",  # for its sitemap.xml template
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "mptt",
    "csp",
    "articles",
    "search",
    "accounts",
    "notifications",
    # The task queue's table: mail leaves through it (forum.mail), sent by `manage.py db_worker`.
    "django_tasks",
    "forum.apps.TaskQueueConfig",  # django_tasks_db, its admin names translated
    "live",
    "reactions",
]

MIDDLEWARE = [
    # First: load balancers ask /healthz by address, over plain HTTP.
    "forum.middleware.HealthCheckMiddleware",
    "forum.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Serves static files itself, the precompressed .gz when the client takes it: they never
    # reach the middleware below.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses HTML (a default article page is ~150 KB, the 10,000-comment page 15 MB) after
    # every middleware below has written the body. Safe from BREACH here: the only secret a page
    # carries is the CSRF token, which Django masks anew in every response, and Django adds
    # random padding to each compressed response (README "Compression").
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the views' exceptions first: a database that does not answer.
    "forum.errors.ErrorPagesMiddleware",
]
CSRF_FAILURE_VIEW = "forum.errors.csrf_failure"

ROOT_URLCONF = "forum.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "forum.wsgi.application"


# Database: DATABASE_URL, or SQLite in the project root.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, health-checking only connections that sat idle (forum/postgresql).
    DATABASES["default"]["ENGINE"] = "forum.postgresql"
    # Parameters bound by the server, so that psycopg can prepare a statement once it has run it
    # DJANGO_DB_PREPARE_THRESHOLD times on a connection: PostgreSQL then stops parsing and
    # planning it again, about 40% of its CPU time per reply (bench/README.md). Empty turns
    # preparing off, as a pooler in transaction mode without prepared-statement support needs.
    # Added to what DATABASE_URL asks for (sslmode and the like), not instead of it.
    prepare_threshold = os.environ.get("DJANGO_DB_PREPARE_THRESHOLD", "2").strip()
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=int(prepare_threshold) if prepare_threshold else None,
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the database lock instead of failing: every transaction takes the
        # write lock when it begins (IMMEDIATE), waits up to 20 s for it, and WAL lets readers
        # go on meanwhile. This IMMEDIATE transaction is also what serialises comment-tree writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not Django's in-memory default) so that tests with threads share one database;
    # one per test run, so that two runs side by side do not trip over each other.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


# Internationalisation: Japanese first, English too.
LANGUAGE_CODE = "ja"
LANGUAGES = [
    ("ja", _("Japanese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True


# Static files, served by whitenoise.
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded images: stored through Django's storage API. By default files go under MEDIA_ROOT and
# MEDIA_URL serves them (Django itself in development; the web server in production). Any other
# backend by configuration: DJANGO_STORAGE_BACKEND=storages.backends.s3.S3Storage (with
# django-storages installed) and DJANGO_STORAGE_BUCKET, e.g. for S3.
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

if bucket := os.environ.get("DJANGO_STORAGE_BUCKET"):
    # For the S3 backend; credentials and region come from boto3's own AWS_* environment.
    STORAGES["default"]["OPTIONS"] = {"bucket_name": bucket}


# The longest comment, in characters (articles.models.COMMENT_BODY_MAX_LENGTH; the database
# holds it as a constraint, so a change needs a migration). The request body limit follows from
# it: the form of a longest comment in 4-byte characters, each sent as %XX%XX%XX%XX (12 bytes),
# plus 64 KB for the other fields. A reader who pastes more gets the 400 page with their text
# kept (forum.errors), not the form.
FORUM_COMMENT_MAX_LENGTH = 5000
DATA_UPLOAD_MAX_MEMORY_SIZE = FORUM_COMMENT_MAX_LENGTH * 12 + 64 * 1024

# The forum.
SEEDS_DIR = BASE_DIR / "seeds"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"bare": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # One JSON object a line, for the log collector.
        "json_lines": {"class": "logging.StreamHandler", "formatter": "bare"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "forum.requests": {
            "handlers": ["json_lines"],
            "level": "INFO" if env_bool("DJANGO_REQUEST_LOG", not DEBUG) else "WARNING",
            "propagate": False,
        },
    },
}

# The Content-Security-Policy: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# Redis, when there is one: the cache, sessions and rate limits shared by every app server.
# Without it everything lives in the database (fine on one machine, and correct on several).
REDIS_URL = os.environ.get("REDIS_URL", "")
# "rendered": what pages render from a versioned source, under keys holding that version
# (articles.threads.cache, articles.linked_data), so never out of date: each thread's HTML and
# structured-data items, and each article's own part. Without Redis, each process keeps its own.
RENDERED_CACHE = "rendered"
RENDERED_CACHE_TIMEOUT = 3600
# FORUM_THREAD_CACHE_ENTRIES is the name this setting had while the cache held threads only.
RENDERED_CACHE_ENTRIES = int(
    os.environ.get("FORUM_RENDERED_CACHE_ENTRIES")
    or os.environ.get("FORUM_THREAD_CACHE_ENTRIES")
    or "20000"
)
# "pages": whole article pages for readers without a cookie of ours (articles.page_cache), a
# minute each. Without Redis, each process keeps up to this many (a default page is ~250 KB).
PAGE_CACHE = "pages"
PAGE_CACHE_TIMEOUT = 60
PAGE_CACHE_ENTRIES = int(os.environ.get("FORUM_PAGE_CACHE_ENTRIES") or "200")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        RENDERED_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": RENDERED_CACHE,
            "TIMEOUT": RENDERED_CACHE_TIMEOUT,
        },
        PAGE_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": PAGE_CACHE,
            "TIMEOUT": PAGE_CACHE_TIMEOUT,
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        RENDERED_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": RENDERED_CACHE,
            "TIMEOUT": RENDERED_CACHE_TIMEOUT,
            # Enough for every thread of the largest articles; about 5 KB each on average.
            "OPTIONS": {"MAX_ENTRIES": RENDERED_CACHE_ENTRIES},
        },
        PAGE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": PAGE_CACHE,
            "TIMEOUT": PAGE_CACHE_TIMEOUT,
            "OPTIONS": {"MAX_ENTRIES": PAGE_CACHE_ENTRIES},
        },
    }
FORUM_RATE_LIMIT_STORE = "cache" if REDIS_URL else "database"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "articles:article_list"
LOGOUT_REDIRECT_URL = "articles:article_list"
# Links in account mails: a password reset link and an e-mail change link work this long.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
ACCOUNTS_EMAIL_CHANGE_DAYS = 3

# Moderation and abuse protection.
# Where the admin lives: set it to something less guessable than "admin/".
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"
# Posts per poster (IP hash, and account when signed in): name -> (count, seconds).
FORUM_RATE_LIMITS = {
    "burst": (int(os.environ.get("FORUM_BURST_LIMIT", "3")), 30),
    "hourly": (int(os.environ.get("FORUM_HOURLY_LIMIT", "30")), 3600),
}
# Searches per client address in a minute (each costs index reads over every comment).
FORUM_SEARCH_LIMIT = (int(os.environ.get("FORUM_SEARCH_LIMIT", "30")), 60)
# Sign-ups per client address in an hour.
FORUM_SIGNUP_LIMIT = (int(os.environ.get("FORUM_SIGNUP_LIMIT", "5")), 3600)
# Account mails (password reset, address confirmation) asked for in an hour: per client address,
# and per recipient address (over either, nothing is sent).
FORUM_ACCOUNT_MAIL_CLIENT_LIMIT = (
    int(os.environ.get("FORUM_ACCOUNT_MAIL_CLIENT_LIMIT", "10")),
    3600,
)
FORUM_ACCOUNT_MAIL_RECIPIENT_LIMIT = (
    int(os.environ.get("FORUM_ACCOUNT_MAIL_RECIPIENT_LIMIT", "3")),
    3600,
)
# Reactions (agree, insightful, disagree) are taps, not posts: limits of their own.
FORUM_REACTION_RATE_LIMITS = {
    "reaction_burst": (int(os.environ.get("FORUM_REACTION_BURST_LIMIT", "20")), 30),
    "reaction_hourly": (int(os.environ.get("FORUM_REACTION_HOURLY_LIMIT", "300")), 3600),
}
# Anonymous readers are told apart by their browser (its poster key); at most this many of them
# behind one address (its keyed hash) react to one comment, so that a script dropping its
# cookies cannot tap a count up, while readers sharing an address (an office, a carrier) can.
FORUM_REACTIONS_PER_ADDRESS = int(os.environ.get("FORUM_REACTIONS_PER_ADDRESS", "10"))
# A comment form sent back sooner than this after it was shown is a bot's; after the max, stale.
FORUM_FORM_MIN_SECONDS = 2
FORUM_FORM_MAX_SECONDS = 24 * 3600
# How often an open article page asks whether new comments were posted (live.js backs off from
# there while nothing comes, and stops while its tab is hidden).
FORUM_LIVE_POLL_SECONDS = int(os.environ.get("FORUM_LIVE_POLL_SECONDS", "20"))
# Site-wide pre-moderation (an article may set its own): off, first, links or all.
FORUM_PREMODERATION = os.environ.get("FORUM_PREMODERATION", "off")
# Comments containing one of these words (matched on NFKC, case-folded text), or more links than
# FORUM_MAX_LINKS, wait for approval.
FORUM_BANNED_WORDS = env_list("FORUM_BANNED_WORDS", [])
FORUM_MAX_LINKS = int(os.environ.get("FORUM_MAX_LINKS", "3"))
# Names only staff may post under, refused anywhere in anyone else's name (compared full- and
# half-width and case alike); account names are reserved for their accounts as well.
FORUM_RESERVED_NAMES = env_list(
    "FORUM_RESERVED_NAMES", ["管理人", "管理者", "運営", "モデレーター", "moderator"]
)

# Background tasks (django-tasks, the backport of Django 6's tasks framework): kept in the
# database, run by `manage.py db_worker` (any number of them, on any machine, share the queue).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail: sent only by the task worker (forum.mail), never inside a request. With no EMAIL_HOST,
# mail is printed to the console (development: `make run` shows it in the worker's output).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# A mail server that does not answer fails the attempt (retried later) rather than the worker.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "forum@localhost")
# A mail that fails is tried again after 1, 2, 4, 8… minutes, this many times in all.
FORUM_MAIL_ATTEMPTS = int(os.environ.get("FORUM_MAIL_ATTEMPTS", "6"))
FORUM_MAIL_RETRY_SECONDS = int(os.environ.get("FORUM_MAIL_RETRY_SECONDS", "60"))
# Notification mails (each reply, and digests) one account gets in an hour at most.
FORUM_NOTIFICATION_MAILS_PER_HOUR = int(os.environ.get("FORUM_NOTIFICATION_MAILS_PER_HOUR", "10"))
# The site's address, for links in mails (the worker has no request to take the host from).
FORUM_SITE_URL = os.environ.get("FORUM_SITE_URL", "http://127.0.0.1:8000")
# Boards (articles.boards): daily poster IDs next to names, on unless turned off here (an article
# may turn them off for itself), and trip codes. Each hash has its own key: empty, it is derived
# from SECRET_KEY (with a salt of its own), so changing SECRET_KEY would change every trip code
# from then on; set FORUM_TRIP_SECRET once in production to keep them for good.
FORUM_DAILY_IDS = env_bool("FORUM_DAILY_IDS", True)
FORUM_DAILY_ID_SECRET = os.environ.get("FORUM_DAILY_ID_SECRET") or SECRET_KEY
FORUM_TRIP_SECRET = os.environ.get("FORUM_TRIP_SECRET") or SECRET_KEY
