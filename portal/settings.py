"""Settings for the Mianyang–Beibei portal, read from the environment.

Local defaults work on a development machine; with DEBUG off every secret and address must be
given, and a bad value stops start-up with one line (see portal.env and manage.py).

Longer than 400 lines on purpose: every setting the environment decides is read here, in one
file, so an operator finds each variable the README names in one place.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "portal",
    "portal.accounts",
    "portal.audit",
    "portal.notifications",
    "sharing.catalogue",
    "sharing.bookings",
    "sharing.techmarket",
    "geo",
    "frontend",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body (CSRF reads a POST's form).
    "portal.uploads.UploadSizeLimitMiddleware",
    # A lost database connection in a page answers 503, not 500 (the API's handler does it there).
    "portal.unavailable.DatabaseUnavailableMiddleware",
    # Date arithmetic overflowing on hostile input in a page answers 400, not 500.
    "portal.errors.OutOfRangeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Read-only views that allow it read from a streaming replica (DATABASE_REPLICA_URLS).
    "portal.replicas.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Every error under /api/ in the one error shape, even Django's HTML 404 with DEBUG on.
    "portal.errors.ApiErrorShapeMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
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
                "frontend.context_processors.can",
                "frontend.context_processors.notifications",
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
    OPTIONS={
        "connect_timeout": env.integer("DATABASE_CONNECT_TIMEOUT", 5),
        # JIT compiles a large plan for 130-180 ms before running it (the 1M search bench): a
        # loss for a portal whose queries last milliseconds. DATABASE_JIT=true brings it back.
        "options": "-c jit=" + ("on" if env.boolean("DATABASE_JIT", False) else "off"),
    },
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
# Streaming replicas take the reads of views that ask for them (portal/replicas.py); the primary
# takes every write and every other read. In tests a replica mirrors the primary.
DATABASE_REPLICAS = []
for _number, _replica in enumerate(env.databases("DATABASE_REPLICA_URLS"), start=1):
    _alias = f"replica{_number}"
    DATABASES[_alias] = {
        **_db,
        **{k: v for k, v in _replica.items() if k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["portal.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.redis_url("REDIS_URL", "redis://127.0.0.1:6379/0", required=PRODUCTION)
CACHES = {
    "default": {
        # Fails soft: with Redis away, reads miss and writes are dropped (see portal/cache.py).
        "BACKEND": "portal.cache.FailSoftRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mianbei",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

# --- People -------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# AxesStandaloneBackend first: it refuses a locked-out username and address before any
# password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
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
    # Tokens first: DRF takes the WWW-Authenticate challenge from the first class, so a wrong
    # or expired token (and a caller with no credentials) is answered 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Closed by default: every view names who may call it.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only in production: the browsable API's HTML forms are for developers, and a second
    # way in (its own templates and assets) is more to defend. /api/docs/ documents the API.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "EXCEPTION_HANDLER": "portal.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # A JSON body nested too deep for Python is a 400, not a RecursionError (portal.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Fail-open throttles (portal.throttles): with Redis away, requests pass rather than 500.
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.throttles.AnonThrottle",
        "portal.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.text("THROTTLE_ANON", "120/min"),
        "user": env.text("THROTTLE_USER", "600/min"),
        # POST /api/auth/token/, per address: password guessing.
        "auth_token": env.text("THROTTLE_AUTH_TOKEN", "10/min"),
        # Sign-up (POST /api/auth/register/ and the /register/ page), per address.
        "register": env.text("THROTTLE_REGISTER", "10/hour"),
        # The costly pages and feeds outside the API: instrument search, booking week and its
        # quotes, ICS feeds (portal.page_throttles).
        "pages": env.text("THROTTLE_PAGES", "120/min"),
        # The password pages' sends: reset e-mails, new passwords, the change form's old one.
        "password": env.text("THROTTLE_PASSWORD", "10/hour"),
    },
    # With proxies in front, the client address is the one the nearest proxy saw.
    "NUM_PROXIES": env.integer("TRUSTED_PROXY_COUNT", 0),
}
for _scope, _rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items():
    _count, _, _period = _rate.partition("/")
    if not (_count.isdigit() and _period[:1] in {"s", "m", "h", "d"}):
        raise env.ConfigError(f"THROTTLE_{_scope.upper()} must look like 120/min, not {_rate!r}")
# An API token lives this long from when it was issued (POST /api/auth/token/ then issues a new
# one); a password change or DELETE /api/auth/token/ ends it sooner.
API_TOKEN_LIFETIME = timedelta(days=env.integer("API_TOKEN_LIFETIME_DAYS", 30))
# A sign-up's e-mail confirmation link works this long, once.
EMAIL_CONFIRM_MAX_AGE = timedelta(days=env.integer("EMAIL_CONFIRM_DAYS", 3))
if API_TOKEN_LIFETIME.total_seconds() <= 0:
    raise env.ConfigError("API_TOKEN_LIFETIME_DAYS must be a whole number of days above 0")
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
        "InquiryStageEnum": "sharing.techmarket.models.Inquiry.Stage",
        "InquiryCloseReasonEnum": "sharing.techmarket.models.Inquiry.CloseReason",
        "TransferModeEnum": "sharing.techmarket.models.TransferMode",
        "ListingStageEnum": "sharing.techmarket.models.TechListing.Stage",
        "TechListingStatusEnum": "sharing.techmarket.models.TechListing.Status",
        "TechNeedStatusEnum": "sharing.techmarket.models.TechNeed.Status",
        "ServiceRequestStatusEnum": "sharing.techmarket.models.ServiceRequest.Status",
        "NotificationKindEnum": "portal.notifications.kinds.choices",
        "NotificationChannelEnum": "portal.notifications.models.Channel",
        "RoleEnum": "portal.accounts.models.Role",
        "SampleOrderStatusEnum": "sharing.bookings.models.SampleOrder.Status",
        "VoucherApplicationStatusEnum": "sharing.bookings.models.VoucherApplication.Status",
        "SettlementRequestStatusEnum": "sharing.bookings.models.SettlementRequest.Status",
        "SettlementLineStatusEnum": "sharing.bookings.models.SettlementLine.Status",
    },
    # Each operation's 4xx answers in the one error shape (portal.errors), from its view.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.schema.add_error_responses",
    ],
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
# A message a dead worker held comes back only after visibility_timeout; it must outlast the
# longest task (CELERY_TASK_TIME_LIMIT), or a slow task would run twice at once. Work a killed
# worker left is recovered sooner by sweeps that look at the database, not at the broker: see
# sharing.catalogue.feed_import.tasks.recover_imports and sharing.bookings.tasks.resend_unsent.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# A request that enqueues while Redis is down fails in about two seconds instead of hanging on
# kombu's retries; the callers catch it, and the outbox or a sweep sends the work later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Sending a task also subscribes to its result; a Redis that accepts connections but does not
# answer held that for 120 s (the default read timeout) before these two lines.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 3
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The schedule is declared here; django-celery-beat copies it into its tables at start, where
# administrators can pause an entry without a deploy.
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 60.0},
    "catalogue-feed-sync": {
        "task": "sharing.catalogue.tasks.sync_due_feed_sources",
        "schedule": 300.0,
    },
    # Imports a killed worker left running (or a lost message left queued) are enqueued again.
    "catalogue-recover-imports": {
        "task": "sharing.catalogue.tasks.recover_imports",
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
    "bookings-close-forgotten-check-outs": {
        "task": "sharing.bookings.tasks.close_forgotten_check_outs",
        "schedule": 300.0,
    },
    # The layout map is rebuilt on changes; nightly catches bulk imports that send no signals.
    "techmarket-rematch-pending": {
        "task": "sharing.techmarket.tasks.rematch_pending",
        "schedule": 600.0,
    },
    # Matching's corpus statistics, refreshed before they expire (and computed at worker start).
    "techmarket-warm-corpus": {"task": "sharing.techmarket.tasks.warm_corpus", "schedule": 3600.0},
    "geo-map-nightly": {
        "task": "geo.tasks.build_map",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- Bookings and money ------------------------------------------------------------------

# Requests nobody decides on expire; an approved booking with no check-in is released.
BOOKING_REQUEST_EXPIRY_MINUTES = env.integer("BOOKING_REQUEST_EXPIRY_MINUTES", 24 * 60)
BOOKING_NO_SHOW_MINUTES = env.integer("BOOKING_NO_SHOW_MINUTES", 15)
# A session still checked in this long after its booked end is checked out by beat.
BOOKING_CHECKOUT_GRACE_MINUTES = env.integer("BOOKING_CHECKOUT_GRACE_MINUTES", 30)
# How long an instrument's printed QR code (its signed kiosk address) keeps working: a year and
# a bit, so a code printed once a year never lapses in use. After that the kiosk asks for a new one.
KIOSK_TOKEN_MAX_AGE_DAYS = env.integer("KIOSK_TOKEN_MAX_AGE_DAYS", 400)
# A qualification granted by a passed training is valid this many days unless told otherwise.
QUALIFICATION_VALID_DAYS = env.integer("QUALIFICATION_VALID_DAYS", 365)
# A problem marked "down" closes the instrument this long unless an expected end is given.
PROBLEM_DOWN_DEFAULT_DAYS = env.integer("PROBLEM_DOWN_DEFAULT_DAYS", 7)
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
# A notification's row stays locked while its e-mail is handed over (sharing/bookings/mail.py):
# the timeout bounds that.
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 30)
# Only for the file-based backend (tests of a real worker count the messages it wrote).
EMAIL_FILE_PATH = env.text("EMAIL_FILE_PATH", str(BASE_DIR / "media" / "mail"))
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "绵碚共享门户 <noreply@mianbei.example>")
# SMS notices: offered to people with a phone only when enabled; the backend writes each
# message to the log until a provider's backend (a class with send(phone=, text=)) is named.
SMS_ENABLED = env.boolean("SMS_ENABLED", DEBUG)
SMS_BACKEND = env.text("SMS_BACKEND", "portal.notifications.channels.LoggingSmsBackend")

# --- Security -----------------------------------------------------------------------------

# Sessions live in PostgreSQL, never in the cache: a Redis outage must not log anyone out.
# The database backend, with each session's person beside it (ending someone's sessions).
SESSION_ENGINE = "portal.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: the pages' fetch() calls (bookings.js, week.js, import.js)
# take the token from the form's csrfmiddlewaretoken field, Swagger UI from its template.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.boolean("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env.boolean("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is probed over plain HTTP from inside the cluster; it must not redirect to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Proxies in front of the portal (0: REMOTE_ADDR is the client). Login lockout, throttles and
# the audit trail take the client's address from the nearest proxy's X-Forwarded-For entry.
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0)
# Only a proxy of ours says whether the client came over HTTPS; with none in front the header is
# the client's to forge (and would make Django believe a plain-HTTP request was secure).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT > 0 else None

# Login lockout (django-axes): 5 failures for one username from one address lock that pair
# out for the cool-off. Counted in the database, so it holds with Redis down.
AXES_ENABLED = env.boolean("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Axes' database handler, plus a budget of failed sign-ins per address whatever the usernames
# (password spraying): past it that address alone waits the cool-off (portal.signin). Counted in
# the cache: with Redis down it fails open and the per-pair lockout above still holds. 0: off
# (AXES_ENABLED=false turns it off too: axes asks for it).
AXES_HANDLER = "portal.signin.SignInHandler"
LOGIN_FAILURES_PER_ADDRESS = env.integer("LOGIN_FAILURES_PER_ADDRESS", 30)
LOGIN_ADDRESS_COOLOFF = timedelta(minutes=env.integer("LOGIN_ADDRESS_COOLOFF_MINUTES", 15))
if LOGIN_FAILURES_PER_ADDRESS < 0 or LOGIN_ADDRESS_COOLOFF.total_seconds() <= 0:
    raise env.ConfigError(
        "LOGIN_FAILURES_PER_ADDRESS must be 0 (off) or more and "
        "LOGIN_ADDRESS_COOLOFF_MINUTES more than 0"
    )
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.security.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# No banner at every start (a start-up error must stay one line); lockouts are still logged.
AXES_VERBOSE = False
# Neither passwords nor what else was posted belong in the attempts table.
AXES_SENSITIVE_PARAMETERS = ["password", "csrfmiddlewaretoken", "new_password1", "new_password2"]

# Content Security Policy (django-csp). No inline script without the response's nonce; no
# host but this one except the map tile servers (img-src). Inline style *attributes* are
# allowed (style-src-attr): Leaflet and Swagger UI write style="..." into the HTML they build
# (popups, legends, tooltips), and a style attribute cannot run code. <style> elements need
# the nonce like scripts. The layout-map frame (Folium) gets a policy of its own built from
# hashes of its inline blocks (geo.map.frame).
_TILE_HOSTS = {
    "osm": ["https://tile.openstreetmap.org"],
    "gaode": ["https://*.is.autonavi.com"],
    "tianditu": ["https://*.tianditu.gov.cn"],
    "none": [],
}
MAP_TILE_HOSTS = sorted(
    {
        *_TILE_HOSTS[MAP_BASEMAP],
        # The admin's map widget draws OpenStreetMap tiles (the small maps on instrument,
        # platform and organisation pages draw MAP_BASEMAP's, as the layout map does).
        *_TILE_HOSTS["osm"],
        *env.listing("CSP_EXTRA_IMG_HOSTS", []),
    }
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", *MAP_TILE_HOSTS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Uploads: file bodies above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, never all into
# memory; other request bodies are capped at DATA_UPLOAD_MAX_MEMORY_SIZE.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The largest multipart request at all, refused from its Content-Length before the body is
# read (portal.uploads.UploadSizeLimitMiddleware). The largest upload is a catalogue feed
# (200 MB, sharing.catalogue.feed_import.jobs); each endpoint checks its own limit as well.
UPLOAD_MAX_REQUEST_BYTES = env.integer("UPLOAD_MAX_REQUEST_BYTES", 201 * 1024 * 1024)

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
