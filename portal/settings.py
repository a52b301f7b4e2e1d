"""Settings for the Mianyang–Beibei portal, read from the environment.

Local defaults work on a development machine; with DEBUG off every secret and address must be
given, and a bad value stops start-up with one line (see portal.env and manage.py).
"""

from pathlib import Path

from celery.schedules import crontab

from portal import env

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.boolean("DEBUG", True)
PRODUCTION = not DEBUG
_dev_secret = "dev-only-secret-not-for-production-0123456789-abcdefghijklmnop"  # noqa: S105
SECRET_KEY = env.text("SECRET_KEY", _dev_secret, required=PRODUCTION)
if PRODUCTION and (SECRET_KEY == _dev_secret or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise env.ConfigError("SECRET_KEY is too weak; give at least 50 random characters")
ALLOWED_HOSTS = env.listing(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"], required=PRODUCTION
)
CSRF_TRUSTED_ORIGINS = env.listing("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "portal",
    "portal.accounts",
    "sharing.catalogue",
    "sharing.bookings",
    "sharing.techmarket",
    "geo",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------

_db = env.database(
    "DATABASE_URL", "postgis://mianbei:mianbei@127.0.0.1:5432/mianbei", required=PRODUCTION
)
_db.update(
    ENGINE="django.contrib.gis.db.backends.postgis",
    CONN_MAX_AGE=env.integer("CONN_MAX_AGE", 60),
    CONN_HEALTH_CHECKS=True,
    OPTIONS={"connect_timeout": env.integer("DATABASE_CONNECT_TIMEOUT", 5)},
)
# Test databases are cloned from a template that provisioning made with a UTF-8 LC_CTYPE and the
# postgis, btree_gist and pg_trgm extensions, so the test role needs no superuser rights and
# pg_trgm sees Chinese characters.
_test_template = env.text("DATABASE_TEST_TEMPLATE", "mianbei_template")
_db["TEST"] = {}
if _test_template != "none":
    _db["TEST"]["TEMPLATE"] = _test_template
# Parallel test runs on one machine each name their own test database.
if _test_name := env.text("DATABASE_TEST_NAME", ""):
    _db["TEST"]["NAME"] = _test_name
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.redis_url("REDIS_URL", "redis://127.0.0.1:6379/0", required=PRODUCTION)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mianbei",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

# --- People -------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
DEMO_PASSWORD = env.text("DEMO_PASSWORD", "mianbei-demo")

# --- Language and time: Chinese first, English second -------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# YYYY-MM-DD and 24-hour times in both languages.
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static files: everything served by the portal itself, nothing from a CDN -------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.text("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    # Closed by default: every view names who may call it.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "绵碚合作资源共享门户 API / Mianyang–Beibei resource-sharing portal API",
    "DESCRIPTION": "仪器共享、预约、两用技术交易与一圈一廊一带布局。",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Several models have a "status"; each choice set gets a name of its own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "sharing.bookings.models.Booking.Status",
        "ImportJobStatusEnum": "sharing.catalogue.models.ImportJob.Status",
        "RunningStatusEnum": "sharing.catalogue.models.Instrument.RunningStatus",
    },
}

# --- Celery -------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged after it ran, and given back when its worker dies, so a crash never
# loses work; tasks are written to be idempotent for that reason.
# Tests give each real worker a queue of its own (tests/conftest.py); everything else uses one.
CELERY_TASK_DEFAULT_QUEUE = env.text("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.integer("CELERY_TASK_SOFT_TIME_LIMIT", 540)
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The schedule is declared here; django-celery-beat copies it into its tables at start, where
# administrators can pause an entry without a deploy.
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 60.0},
    "catalogue-feed-sync": {
        "task": "sharing.catalogue.tasks.sync_due_feed_sources",
        "schedule": 300.0,
    },
    # Booking sweeps: each is idempotent, so an overlap or a missed run does no harm.
    "bookings-send-reminders": {"task": "sharing.bookings.tasks.send_reminders", "schedule": 300.0},
    "bookings-resend-unsent": {"task": "sharing.bookings.tasks.resend_unsent", "schedule": 300.0},
    "bookings-expire-requests": {
        "task": "sharing.bookings.tasks.expire_requests",
        "schedule": 300.0,
    },
    "bookings-release-no-shows": {
        "task": "sharing.bookings.tasks.release_no_shows",
        "schedule": 300.0,
    },
    # The layout map is rebuilt on changes; nightly catches bulk imports that send no signals.
    "geo-map-nightly": {
        "task": "geo.tasks.build_map",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- Bookings and money ------------------------------------------------------------------

# Requests nobody decides on expire; an approved booking with no check-in is released.
BOOKING_REQUEST_EXPIRY_MINUTES = env.integer("BOOKING_REQUEST_EXPIRY_MINUTES", 24 * 60)
BOOKING_NO_SHOW_MINUTES = env.integer("BOOKING_NO_SHOW_MINUTES", 15)
# The share of a fee an innovation voucher may cover (科技创新券 policy; 0 < share <= 1).
VOUCHER_MAX_SHARE = env.decimal("VOUCHER_MAX_SHARE", "0.5")
if not (0 < VOUCHER_MAX_SHARE <= 1):
    raise env.ConfigError("VOUCHER_MAX_SHARE must be a number above 0 and at most 1")
# 利用率 = effective hours ÷ this base (1,600 h is common; Chongqing has used 1,400 h).
INDICATOR_YEARLY_BASE_HOURS = env.integer("INDICATOR_YEARLY_BASE_HOURS", 1600)

# --- Maps ---------------------------------------------------------------------------------

# The layout map's basemap: osm, tianditu (needs MAP_TIANDITU_KEY), gaode (GCJ-02: overlays are
# shifted when drawn, never stored shifted) or none. Everything but the tiles is served locally.
MAP_BASEMAP = env.text("MAP_BASEMAP", "osm")
if MAP_BASEMAP not in {"osm", "tianditu", "gaode", "none"}:
    raise env.ConfigError("MAP_BASEMAP must be one of osm, tianditu, gaode, none")
MAP_TIANDITU_KEY = env.text("MAP_TIANDITU_KEY", "")

# --- E-mail -------------------------------------------------------------------------------

EMAIL_BACKEND = env.text(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.text("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "绵碚共享门户 <noreply@mianbei.example>")

# --- Security -----------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.boolean("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env.boolean("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is probed over plain HTTP from inside the cluster; it must not redirect to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

SILENCED_SYSTEM_CHECKS = [
    # gis.W001: GDAL before 3.9 (Debian 12 ships 3.6) cannot block file and network access
    # while parsing a spatial reference. The portal never hands GDAL a spatial reference or a
    # dataset from user input: SRIDs are the fixed integers 4326 and 32648, feeds are CSV/XLSX
    # read in Python, and user geometry arrives as GeoJSON parsed by GEOS. So the risk the
    # warning describes does not reach this code; the warning goes away with GDAL 3.9.
    "gis.W001",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
