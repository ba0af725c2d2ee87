"""Settings, driven by environment variables (see deploy/.env.example and the README).

The defaults are the demo's: SQLite, Celery tasks run in-process, an in-memory channel layer.
A real deployment sets DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from arena.env import env_bool, env_int, env_list, env_secret, env_str
from arena.logconfig import logging_config

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
    "arena",
    "ratings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "arena.urls"
WSGI_APPLICATION = "arena.wsgi.application"
ASGI_APPLICATION = "arena.asgi.application"

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

# Cookies only over HTTPS outside DEBUG; SECURE_COOKIES=0 for a plain-HTTP loopback trial
# (`make stack`), never behind a public address.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL", default=False) else None
)

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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A readiness probe must fail within its timeout, not hang on an unreachable server.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT", 5
    )

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "arena.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "arena"
LOGOUT_REDIRECT_URL = "arena"

# --- DRF / drf-spectacular ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
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
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "leaderboards-check": {
        "task": "ratings.leaderboards_check",
        "schedule": float(env_int("ARENA_RATING_CHECK_SECONDS", 5)),
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

# Rate limits are counted in the cache: per process in memory unless Redis is configured, so
# that they hold across workers.
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
#: Proxies in front of the site whose X-Forwarded-For entries are trusted (0: REMOTE_ADDR only).
ARENA_TRUSTED_PROXY_COUNT = env_int("ARENA_TRUSTED_PROXY_COUNT", 0)
#: The largest API request body in bytes; uploads may be larger (ARENA_API_MAX_UPLOAD_BYTES).
ARENA_API_MAX_BODY_BYTES = env_int("ARENA_API_MAX_BODY_BYTES", 4 * 1024 * 1024)
ARENA_API_MAX_UPLOAD_BYTES = env_int("ARENA_API_MAX_UPLOAD_BYTES", 64 * 1024 * 1024)
#: When set, /metrics answers only a scraper sending `Authorization: Bearer <token>`.
ARENA_METRICS_TOKEN = env_str("ARENA_METRICS_TOKEN", "")
#: A Celery worker serves its processes' counters on this port (0: it does not).
ARENA_WORKER_METRICS_PORT = env_int("ARENA_WORKER_METRICS_PORT", 0)
