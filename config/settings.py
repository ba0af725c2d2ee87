"""Settings, driven by environment variables (see deploy/.env.example and the README).

The defaults are the demo's: SQLite, Celery tasks run in-process, an in-memory channel layer.
A real deployment sets DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.env import env_bool, env_int, env_list, env_secret, env_str
from config.logconfig import logging_config

# ModelAdmin[Competitor] and the like, as the type checker reads them, must run too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Django ---------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_secret("SECRET_KEY", demo_default="demo-only-insecure-key-change-me", debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "arena",
    "leaderboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the request: NUL in the path, query or form, junk Content-Length,
    # bodies over the limit (413; JSON under /api/).
    "arena.middleware.RequestCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers 503 with Retry-After, not a 500 page, while the database is unreachable.
    "arena.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes requires: refuses sign-in attempts from a locked-out client.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "arena.context_processors.arenas",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Production hardening (manage.py check --deploy passes with DEBUG=0; a test runs it). Every
# default follows DEBUG, so the demo works over plain HTTP and a deployment is strict.
# Cookies only over HTTPS outside DEBUG; SECURE_COOKIES=0 (with SECURE_SSL_REDIRECT=0) for a
# plain-HTTP loopback trial (`make stack`), never behind a public address.
_SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _SECURE_COOKIES)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _SECURE_COOKIES)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL", default=False) else None
)

# Content-Security-Policy (django-csp): scripts and styles only from this site's own files, so
# an answer that slipped past the sanitiser still could not run script. The API docs page uses
# drf-spectacular's split view, whose start-up script is a file too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# One handler for every logger; LOG_FORMAT=json for log shippers (arena/logconfig.py).
try:
    LOGGING = logging_config(env_str("LOG_FORMAT", "text"), env_str("LOG_LEVEL", "INFO"))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    ),
}
#: SQLite is only ever the zero-set-up demo (every deployment runs PostgreSQL): the defaults
#: that protect a public site from one client (vote caps, page rate limits) are off there.
DEMO = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if DEMO:
    # The demo's SQLite is shared by the votes and the in-process rating jobs. In WAL mode
    # readers never wait for the writer; IMMEDIATE transactions take the write lock when they
    # start, so a writer waits its turn (up to the timeout) instead of failing with "database
    # is locked" when it upgrades a read lock mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 30),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A readiness probe must fail within its timeout, not hang on an unreachable server.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT", 5
    )
    # A pool per process (psycopg_pool, through Django's "pool" option): at most this many
    # connections, however many requests run at once; the others wait for a free one up to
    # DATABASE_POOL_TIMEOUT seconds (then 503). Without it every ASGI request thread holds a
    # connection of its own, and 200 parallel clients exhausted PostgreSQL's 100. 0: no pool.
    DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 0)
    if DATABASE_POOL_MAX_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django requires 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(env_int("DATABASE_POOL_MIN_SIZE", 1), DATABASE_POOL_MAX_SIZE),
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 30),
        }

#: A PostgreSQL replica (a streaming standby) the rating jobs read the votes from, so that their
#: full scans leave the primary to the votes and pages. Unset: the jobs read the primary. Only
#: the jobs' vote reads go there (explicitly, with ``using``): every write and every read that
#: must see its own writes stays on the primary, and the connection is read-only besides.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL")
    DATABASES["replica"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5),
        # A standby refuses writes anyway; pointed at a primary by mistake, this one still does.
        "options": "-c default_transaction_read_only=on",
    }
    # Django's own test databases read the primary's through this alias (no second copy).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
#: The alias the rating jobs read the votes from (a service reads it at call time).
ARENA_RATING_READ_DATABASE = "replica" if DATABASE_REPLICA_URL else "default"
#: Migrations run on the primary only: a replica gets its schema from the primary's WAL.
DATABASE_ROUTERS = ["config.db_routers.PrimaryOnlyMigrations"]

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "arena.User"
# The sign-up page lists these rules beside the password field.
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {
        "NAME": f"{_VALIDATION}.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("ARENA_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "arena"
LOGOUT_REDIRECT_URL = "arena"
# django-axes counts failed sign-ins (the admin's and the site's) per user name and client
# address, and refuses that pair for a while after too many.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ARENA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("ARENA_LOGIN_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same client address as the vote caps: X-Forwarded-For only as far as the trusted proxies.
AXES_CLIENT_IP_CALLABLE = "arena.net.client_address"
AXES_LOCKOUT_CALLABLE = "arena.views.login_locked_out"

# --- DRF / drf-spectacular ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["arena.api.parsers.CheckedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "arena.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "arena.api.throttling.ApiKeyThrottle",
        "arena.api.throttling.ClientAddressThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": env_str("ARENA_API_RATE_PER_KEY", "1200/min"),
        "client_address": env_str("ARENA_API_RATE_PER_ADDRESS", "600/min"),
    },
    "EXCEPTION_HANDLER": "arena.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Arena API",
    "DESCRIPTION": (
        "Battles, votes and leaderboards for automated judges and model owners. Authenticate "
        "with `Authorization: Bearer KEY` (keys from `manage.py judge_key create` or the admin). "
        'Every error is JSON: `{"code": …, "message": …}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "arena.api.schema.closed_request_bodies",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers and beat log through LOGGING above (JSON when asked), not Celery's own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged job (its worker was killed) returns to the queue after this long.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
# Queues per family of work, so that workers scale apart (docs/deploying.md#scaling): "arena"
# for generation, judging and the beat's housekeeping; the rating jobs by method family
# (leaderboards.services.runs.rating_queue picks one per run). A worker started without -Q
# (make worker, make stack, deploy/run.sh worker unless CELERY_QUEUES is set) consumes them
# all; "celery", the former default, is kept so that messages sent before an upgrade still run.
ARENA_QUEUES = ("arena", "ratings.fast", "ratings.bootstrap", "ratings.heavy", "celery")
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ARENA_QUEUES]
CELERY_TASK_DEFAULT_QUEUE = "arena"
CELERY_TASK_ROUTES = {
    # a run sent without its family's queue (by hand, from a shell) is a point fit's
    "ratings.rating_run_execute": {"queue": "ratings.fast"},
    "ratings.*": {"queue": "arena"},
    "arena.*": {"queue": "arena"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "leaderboards-check": {
        "task": "ratings.leaderboards_check",
        "schedule": float(env_int("ARENA_RATING_CHECK_SECONDS", 5)),
    },
    "voter-flags-update": {
        "task": "ratings.voter_flags_update_all",
        "schedule": float(env_int("ARENA_VOTER_FLAG_SECONDS", 900)),
    },
    "judgings-check": {
        "task": "arena.judgings_check",
        "schedule": float(env_int("ARENA_JUDGING_CHECK_SECONDS", 30)),
    },
}

# --- Channels -------------------------------------------------------------------------------
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNELS_PREFIX", "asgi")},
        }
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    ),
}

# The cache holds costly pages' results (keyed by their vote watermark or rating run): per
# process in memory unless Redis is configured, so that workers share them.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
}

# --- Arena ----------------------------------------------------------------------------------
#: How long a served battle can be voted on.
ARENA_BATTLE_TTL_SECONDS = env_int("ARENA_BATTLE_TTL_SECONDS", 3600)
#: A queued rating run whose message is still unanswered after this long is sent again.
ARENA_RATING_REQUEUE_SECONDS = env_int("ARENA_RATING_REQUEUE_SECONDS", 120)
#: A running job whose worker stopped renewing its heartbeat this long ago is given to another.
ARENA_RATING_LEASE_SECONDS = env_int("ARENA_RATING_LEASE_SECONDS", 30)
#: In the demo (no beat process): run the leaderboard check in a thread of the web process.
ARENA_INPROCESS_BEAT = env_bool("ARENA_INPROCESS_BEAT", False)
#: Votes a voter casts in an arena before their personal board is shown.
ARENA_PERSONAL_BOARD_MIN_VOTES = env_int("ARENA_PERSONAL_BOARD_MIN_VOTES", 20)
#: Pull of the arena's board on a personal board (inverse prior variance, per log unit²).
ARENA_PERSONAL_PRIOR_PRECISION = float(env_str("ARENA_PERSONAL_PRIOR_PRECISION", "2.0"))
#: Share of the battles served to a judge that are swapped twins of battles it already judged
#: (same prompt and answers, positions exchanged): position consistency is measured continuously.
ARENA_JUDGE_TWIN_SHARE = float(env_str("ARENA_JUDGE_TWIN_SHARE", "0.1"))
#: A person's battles within this many hours form their session: the next battles avoid the
#: prompts it showed and keep each competitor within twice its fair share of it (0: off).
ARENA_SESSION_WINDOW_HOURS = float(env_str("ARENA_SESSION_WINDOW_HOURS", "12"))
#: A competitor whose answers to different prompts, or to their own prompts, are this similar
#: (mean word-3-gram Jaccard, 0 to 1) is flagged as a null model and kept off public leaderboards
#: until an operator clears it. Real models in the shared LLMFAO answers score at most 0.42; a
#: constant answer, or one that repeats the prompt, scores 1.
ARENA_NULL_MODEL_THRESHOLD = float(env_str("ARENA_NULL_MODEL_THRESHOLD", "0.6"))
#: How many of a competitor's newest answers the null-model score compares (pairs grow as n²).
ARENA_NULL_MODEL_SAMPLE = env_int("ARENA_NULL_MODEL_SAMPLE", 40)
#: Proxies in front of the site whose X-Forwarded-For entries are trusted (0: REMOTE_ADDR only).
ARENA_TRUSTED_PROXY_COUNT = env_int("ARENA_TRUSTED_PROXY_COUNT", 0)
#: Where the rate-limit counters live (a ``limits`` storage URI): Redis when configured, so that
#: they hold across workers and hosts, else this process's memory.
ARENA_RATE_LIMIT_STORAGE = env_str("ARENA_RATE_LIMIT_STORAGE", REDIS_URL or "memory://")
#: Requests to the crowd pages that compute (battle, vote, boards, comparator, judges), per
#: page family, per client address and per signed-in user ("" for no limit). The API's limits are
#: ARENA_API_RATE_PER_KEY and ARENA_API_RATE_PER_ADDRESS (DRF's throttle rates above). None
#: by default in the demo (SQLite: one person on their own machine).
ARENA_PAGE_RATE_PER_ADDRESS = env_str("ARENA_PAGE_RATE_PER_ADDRESS", "" if DEMO else "300/min")
ARENA_PAGE_RATE_PER_USER = env_str("ARENA_PAGE_RATE_PER_USER", "" if DEMO else "120/min")
#: The comparator's bounds: its answer similarity reads each answer's first MAX_CHARS characters
#: on the MAX_PROMPTS newest prompts both answered; a result is cached per pair watermark (newest
#: vote between the two, newest answer of either) for at most CACHE_SECONDS.
ARENA_COMPARE_MAX_CHARS = env_int("ARENA_COMPARE_MAX_CHARS", 4000)
ARENA_COMPARE_MAX_PROMPTS = env_int("ARENA_COMPARE_MAX_PROMPTS", 300)
ARENA_COMPARE_CACHE_SECONDS = env_int("ARENA_COMPARE_CACHE_SECONDS", 600)
#: Crowd votes accepted per browser session (or signed-in user) and per client address, per hour
#: and per day, across arenas (0: no cap). Judges are limited by their API rate instead. The
#: demo (SQLite: one person trying the site on their own machine) has none by default.
ARENA_VOTE_CAP_SESSION_PER_HOUR = env_int("ARENA_VOTE_CAP_SESSION_PER_HOUR", 0 if DEMO else 120)
ARENA_VOTE_CAP_SESSION_PER_DAY = env_int("ARENA_VOTE_CAP_SESSION_PER_DAY", 0 if DEMO else 600)
ARENA_VOTE_CAP_ADDRESS_PER_HOUR = env_int("ARENA_VOTE_CAP_ADDRESS_PER_HOUR", 0 if DEMO else 600)
ARENA_VOTE_CAP_ADDRESS_PER_DAY = env_int("ARENA_VOTE_CAP_ADDRESS_PER_DAY", 0 if DEMO else 3000)
#: Phrases that reveal a competitor when an answer contains them (besides its name and maker).
ARENA_IDENTITY_PHRASES = env_list(
    "ARENA_IDENTITY_PHRASES",
    [
        "as an AI developed by",
        "as a language model developed by",
        "I was developed by",
        "I was created by",
        "I was trained by",
        "large language model trained by",
    ],
)
#: Suspicious voters: the chance that a voter who votes as the ratings predict is flagged
#: anyway (the test's false-positive rate), and the decisive votes a voter needs to be tested.
ARENA_SUSPICION_FALSE_POSITIVE_RATE = float(env_str("ARENA_SUSPICION_FALSE_POSITIVE_RATE", "0.01"))
ARENA_SUSPICION_MIN_VOTES = env_int("ARENA_SUSPICION_MIN_VOTES", 20)
#: Bursts: this many votes for one competitor from one voter or one address within the window.
ARENA_BURST_MIN_VOTES = env_int("ARENA_BURST_MIN_VOTES", 30)
ARENA_BURST_WINDOW_SECONDS = env_int("ARENA_BURST_WINDOW_SECONDS", 3600)
#: Seconds a client is told to wait (Retry-After) while the database is unreachable.
ARENA_RETRY_AFTER_SECONDS = env_int("ARENA_RETRY_AFTER_SECONDS", 5)
#: The largest API request body in bytes; uploads may be larger (ARENA_API_MAX_UPLOAD_BYTES).
ARENA_API_MAX_BODY_BYTES = env_int("ARENA_API_MAX_BODY_BYTES", 4 * 1024 * 1024)
ARENA_API_MAX_UPLOAD_BYTES = env_int("ARENA_API_MAX_UPLOAD_BYTES", 64 * 1024 * 1024)
#: Caps on one owner's upload (422 beyond): records with a prompt, with an answer, and distinct
#: models; and on the new prompts and answers one owner may add in 24 hours, all arenas together.
ARENA_UPLOAD_MAX_PROMPTS = env_int("ARENA_UPLOAD_MAX_PROMPTS", 10_000)
ARENA_UPLOAD_MAX_ANSWERS = env_int("ARENA_UPLOAD_MAX_ANSWERS", 10_000)
ARENA_UPLOAD_MAX_COMPETITORS = env_int("ARENA_UPLOAD_MAX_COMPETITORS", 100)
ARENA_UPLOAD_MAX_PROMPTS_PER_DAY = env_int("ARENA_UPLOAD_MAX_PROMPTS_PER_DAY", 50_000)
ARENA_UPLOAD_MAX_ANSWERS_PER_DAY = env_int("ARENA_UPLOAD_MAX_ANSWERS_PER_DAY", 50_000)
# Django's own body limit (2.5 MiB by default) is the API's, so that every body up to the
# documented limit is read, and every larger one gets the API's JSON 413 (pages: a plain 413).
DATA_UPLOAD_MAX_MEMORY_SIZE = ARENA_API_MAX_BODY_BYTES
#: When set, /metrics answers only a scraper sending `Authorization: Bearer <token>`.
ARENA_METRICS_TOKEN = env_str("ARENA_METRICS_TOKEN", "")
#: A Celery worker serves its processes' counters on this port (0: it does not).
ARENA_WORKER_METRICS_PORT = env_int("ARENA_WORKER_METRICS_PORT", 0)

# --- Endpoints: generated answers and platform-run judges (docs/endpoints.md) --------------
#: Prompts one generation task answers before it hands over to the next (one event loop each).
ARENA_GENERATION_BATCH = env_int("ARENA_GENERATION_BATCH", 16)
#: A batch with a failed call is retried this many times, after ARENA_GENERATION_RETRY_SECONDS
#: doubled at each retry (capped at 15 minutes); then the job stops, marked failed.
ARENA_GENERATION_MAX_RETRIES = env_int("ARENA_GENERATION_MAX_RETRIES", 5)
ARENA_GENERATION_RETRY_SECONDS = float(env_str("ARENA_GENERATION_RETRY_SECONDS", "10"))
#: Battles one judging task judges (each in both positions: twice as many calls).
ARENA_JUDGING_BATCH = env_int("ARENA_JUDGING_BATCH", 10)
#: Calls for one verdict when the judge's answer holds none; then it is recorded unparseable.
ARENA_JUDGING_ATTEMPTS = env_int("ARENA_JUDGING_ATTEMPTS", 2)
