"""Settings shared by every environment, all read from the environment (django-environ).

With no environment at all the service runs on a SQLite file next to manage.py, so a newcomer
sees it work at once; production sets DATABASE_URL (PostgreSQL), SECRET_KEY and ALLOWED_HOSTS.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-secret-key-change-me-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public base URL of this service (e.g. https://scim.example.com): used to build the SCIM
# endpoint URL an admin copies into the IdP. Empty: the request's own scheme and host are used.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
]
LOCAL_APPS = [
    "organizations",
    "integrations",
    "scim",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "massdriver_scim.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "scim.middleware.ScimSafetyNetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "massdriver_scim.security.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "massdriver_scim.urls"
WSGI_APPLICATION = "massdriver_scim.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: a sync gunicorn worker reuses its connection across requests.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_PREPARED_STATEMENTS", default=True
):
    # Server-side parameters, and statements prepared after their second use on a connection:
    # PostgreSQL then skips parsing and planning, which is most of what an indexed lookup costs
    # it (a SCIM filter request: 0.9 -> 0.3 ms of database CPU). Behind PgBouncer in transaction
    # mode (before 1.21), set DB_PREPARED_STATEMENTS=0.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 2}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for a writer instead of failing at once, and take the write lock at BEGIN so
    # concurrent requests queue instead of dead-locking on lock upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organizations.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login guessing: after LOGIN_FAILURE_LIMIT failures for one email from one address, that pair
# is refused for LOGIN_LOCKOUT_SECONDS (organizations/backends.py; 0 turns it off).
AUTHENTICATION_BACKENDS = ["organizations.backends.LoginThrottlingBackend"]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# A shared cache (Redis) holds rate-limit counters for every server process; without REDIS_URL
# the service still runs, with a per-process memory cache.
REDIS_URL = env.str("REDIS_URL", default="")
# Keys are namespaced so deployments sharing one Redis never share counters.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="massdriver-scim")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open when Redis is unreachable (massdriver_scim/cache.py), and never waits
            # long for it.
            "BACKEND": "massdriver_scim.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts, styles, images and forms from this site only; no framing, no plugins, no <base>.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)

# Request bodies: SCIM payloads are small; a larger body is refused with 413 before parsing.
SCIM_MAX_PAYLOAD_BYTES = env.int("SCIM_MAX_PAYLOAD_BYTES", default=1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = SCIM_MAX_PAYLOAD_BYTES + 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "scim.exceptions.scim_exception_handler",
}

# SCIM service limits, each advertised in /ServiceProviderConfig where SCIM has a place for it.
SCIM_DEFAULT_PAGE_SIZE = env.int("SCIM_DEFAULT_PAGE_SIZE", default=100)
SCIM_MAX_PAGE_SIZE = env.int("SCIM_MAX_PAGE_SIZE", default=1000)
SCIM_MAX_FILTER_LENGTH = env.int("SCIM_MAX_FILTER_LENGTH", default=4096)
SCIM_MAX_PATCH_OPERATIONS = env.int("SCIM_MAX_PATCH_OPERATIONS", default=1000)
SCIM_BULK_MAX_OPERATIONS = env.int("SCIM_BULK_MAX_OPERATIONS", default=1000)
# Requests per integration per minute; 0 disables the limit.
SCIM_RATE_LIMIT_PER_MINUTE = env.int("SCIM_RATE_LIMIT_PER_MINUTE", default=6000)
# Requests refused before authentication (no or a wrong token) recorded per integration, client
# address and minute (and ten times that per integration in all); more are answered but not
# recorded (anyone who knows a URL can send them).
SCIM_REFUSALS_RECORDED_PER_MINUTE = env.int("SCIM_REFUSALS_RECORDED_PER_MINUTE", default=30)
# Request activity older than this is pruned by `manage.py prune_scim_activity`.
SCIM_ACTIVITY_RETENTION_DAYS = env.int("SCIM_ACTIVITY_RETENTION_DAYS", default=90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
