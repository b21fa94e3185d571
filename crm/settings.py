"""Settings for the CRM, in one module, driven by environment variables.

With no configuration the app runs on a SQLite file and kombu's filesystem broker under
``var/``, so it works anywhere. Production (``DJANGO_ENV=production``) runs on PostgreSQL and
Redis and refuses to start without a real ``SECRET_KEY``.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A .env file beside manage.py is read when present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)

_DEV_SECRET_KEY = "insecure-development-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if IS_PRODUCTION and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs SECRET_KEY: a random value of at least 50 characters."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "crm.apps.AxesConfig",  # django-axes, with a translated name
    "simple_history",
    "workflow",
    "accounts",
    "customers",
    "visits",
    "reminders",
    "jobs",
    "notifications",
    "watchlists",
    "opportunities",
    "service",
    "reports",
    "ops",  # health checks, failed tasks, API tokens
    "home",  # the role home pages and the navigation, composed of what the apps above add
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (X-Request-ID, echoed).
    "crm.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "crm.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # request.htmx; HTML answers vary on HX-Request (a fragment or the whole page).
    "django_htmx.middleware.HtmxMiddleware",
    "crm.htmx.VaryOnHtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionRefreshMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Report pages and exports read from the replica when there is one (crm.replica).
    "crm.replica.ReplicaMiddleware",
    # Last, so that a lockout is answered after the session and language are known.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

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
                "home.context_processors.navigation",
                "crm.context_processors.language_choices",
            ],
            # crm/ is the project package, not an app: its tags are registered here.
            "libraries": {"crm": "crm.templatetags.crm"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'crm.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Web requests and jobs are short and run side by side: a parallel plan takes the cores
    # other requests need, and its eager workers read far past a LIMIT (the RM home's
    # maturities took 0.37 s instead of 0.07 s at a million customers). 0 turns it off.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options",
        f"-c max_parallel_workers_per_gather={env.int('DB_PARALLEL_WORKERS', default=0)}",
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file, not memory, so a real worker process can share it; one per
    # test process, so two runs side by side do not trample each other.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The web server and the worker write at the same time: IMMEDIATE transactions wait for
    # each other (up to the timeout) instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
# A streaming replica of the primary, for report pages and exports (crm.replica): reads
# fall back to the primary while it is down or more than REPLICA_MAX_LAG_SECONDS behind.
if env.str("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["crm.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=5.0)
# The read-only report pages (URL names) and export jobs (kinds) that read from the replica;
# modules add theirs with crm.replica.register_replica_views / register_replica_job_kinds.
REPLICA_URL_NAMES = env.list(
    "REPLICA_URL_NAMES",
    default=[
        "visits-coverage",
        "customers-export",
        "opportunities-review",
        "opportunities-review-export",
        "service-stats",
        "reports-dashboard",
        "reports-scorecard",
        "reports-ranking",
        "reports-monday",
    ],
)
REPLICA_JOB_KINDS = env.list("REPLICA_JOB_KINDS", default=["customers.export"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, login and sessions --------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts-login"

# A session ends after this many minutes without a request.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# A used session is saved (and its idle limit moved) at most this often, not on every
# request: see accounts.middleware.SessionRefreshMiddleware.
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Lockout after repeated failed logins, per username, so that guessing from many addresses
# still locks the account. An admin unlocks early with `manage.py axes_reset_username NAME`.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Staff of a whole outlet share one address behind the bank's NAT: locking by address would lock
# them all out together, so axes' advice to add ip_address is deliberately not followed.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured("LANGUAGE_CODE must be one of: zh-hans, en.")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Background jobs ------------------------------------------------------------------------
# Uploads and job results go through the default storage above: a folder under var/ here; point
# STORAGES["default"] at a shared storage (S3, a shared mount via MEDIA_ROOT) when more than one
# machine serves the app, so that every web server and worker sees the same files.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "files")))
# Files that hold customer data (uploads, results, problem reports) are deleted this many days
# after their job ended, by a daily task.
JOB_FILES_RETENTION_DAYS = env.int("JOB_FILES_RETENTION_DAYS", default=7)
# A running job with no sign of life (progress) for this long was interrupted: it is marked
# failed (every minute, and when a worker starts).
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=300)
# The progress of running jobs, shared by the workers and every web server: a file cache under
# var/ here; a Redis URL (redis://…) when more than one machine serves the app.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "jobs": env.cache("JOBS_CACHE_URL", default=f"filecache://{VAR_DIR / 'cache' / 'jobs'}"),
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if not IS_PRODUCTION else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="crm@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- WeCom (企业微信) -------------------------------------------------------------------------
# The self-built app's credentials; without all three, WeCom messages are off.
WECOM_CORP_ID = env.str("WECOM_CORP_ID", default="")
WECOM_AGENT_ID = env.str("WECOM_AGENT_ID", default="")
WECOM_SECRET = env.str("WECOM_SECRET", default="")
WECOM_API_BASE = env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com")
# The team group robot of every branch that has none of its own (Branch.wecom_robot_webhook).
WECOM_ROBOT_WEBHOOK = env.str("WECOM_ROBOT_WEBHOOK", default="")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.CountlessPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "crm.api_schema.ApiSchema",
    "EXCEPTION_HANDLER": "crm.api.exception_handler",
    # Per user; answered with 429 and the `throttled` error (crm.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["crm.throttling.PerUserRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if IS_PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
}
# API tokens expire this many days after they were made (0: never); a user renews or revokes
# theirs on the "API token" page, an admin revokes anyone's there or in the Django admin.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Requests a user may make to the API, e.g. "600/min" ("" for no limit).
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# The cache that counts them: one every web server shares (the jobs cache; Redis when more
# than one machine serves the app).
API_THROTTLE_CACHE = env.str("API_THROTTLE_CACHE", default="jobs")

SPECTACULAR_SETTINGS = {
    "TITLE": "Bank CRM API",
    "DESCRIPTION": (
        "Customer files, visits, watchlists, opportunities and reminders for relationship "
        "managers. Authenticate with `Authorization: Token <key>` "
        "(`manage.py drf_create_token USERNAME`) or a browser session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name across modules get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "ProductCategoryEnum": "customers.models.Product.Category",
        "TicketCategoryEnum": "service.models.Ticket.Category",
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_FILESYSTEM_DIR = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's database scheduler, writing a heartbeat for /readyz (ops.beat).
CELERY_BEAT_SCHEDULER = "ops.beat:DatabaseScheduler"
# Change history is read per object (by its id), never by date across objects: the
# history_date indexes would only cost every write (an import writes 100,000 history rows).
SIMPLE_HISTORY_DATE_INDEX = False

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Operations: health, logs, error reporting ----------------------------------------------
# /readyz answers 503 when one of these checks fails (the others are reported only).
READYZ_CHECKS = env.list(
    "READYZ_CHECKS",
    default=["database", "cache", "broker", "beat", "workers", "pending_jobs"],
)
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=1.0)
# The beat writes a heartbeat this often; /readyz says it is down after this much silence.
BEAT_HEARTBEAT_SECONDS = env.int("BEAT_HEARTBEAT_SECONDS", default=15)
BEAT_SILENCE_SECONDS = env.int("BEAT_SILENCE_SECONDS", default=120)
# Failed Celery tasks are kept this many days for admins (ops.tasks).
TASK_FAILURE_RETENTION_DAYS = env.int("TASK_FAILURE_RETENTION_DAYS", default=30)
# A job still waiting for a worker after this long means the workers do not keep up.
JOB_WAIT_ALARM_SECONDS = env.int("JOB_WAIT_ALARM_SECONDS", default=300)
# Content-Security-Policy (crm.csp); true sends it as report-only.
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
# "json": one JSON object per line with request_id and user_id (crm.observability); "text".
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "text")
# One line per request (method, path without its query string, status, duration).
ACCESS_LOG = env.bool("ACCESS_LOG", default=True)
# Celery keeps its own log format unless the lines are JSON.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from crm.observability import init_sentry

    init_sentry(SENTRY_DSN, environment=DJANGO_ENV, release=env.str("RELEASE", default=""))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusal_without_traceback": {"()": "crm.log_filters.RefusalWithoutTraceback"},
        "request_context": {"()": "crm.observability.RequestContextFilter"},
    },
    "formatters": {
        "json": {"()": "crm.observability.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Lockouts are warnings; axes' routine bookkeeping at INFO would drown them.
        "axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")},
        # A refused request (403) is one line; errors keep their traceback.
        "django.request": {"filters": ["refusal_without_traceback"]},
    },
}

# --- Production hardening -------------------------------------------------------------------
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer or monitor may ask a web server directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
    if env.str("SECURE_PROXY_SSL_HEADER", default=""):
        SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
