"""The one settings module. Every value comes from the environment (see .env.example)."""

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from channel.lib.clients import parse_rate
from config.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_map,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PROXY_VAR_DIR", str(BASE_DIR / "var")))
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is false; "
            "scripts/run creates one under var/ for local use."
        )
    SECRET_KEY = get_random_secret_key()  # dev/test only: a fresh key each start
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "channel.apps.ProxyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "simple_history",
    "axes",
    "channel",
    "returns",
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
    "simple_history.middleware.HistoryRequestMiddleware",
    "channel.api.middleware.ApiCallRecordMiddleware",
    "axes.middleware.AxesMiddleware",  # answers 429 to an admin login that is locked out
    "channel.api.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# --- Database: SQLite file by default, PostgreSQL in production -------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'proxy.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside one writer; IMMEDIATE takes the write lock up front, so two
        # writers queue on the busy timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    VAR_DIR.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work: django-q2 ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
Q_CLUSTER: dict[str, Any] = {
    "name": env_str("Q_CLUSTER_NAME", "proxy"),
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": env_int("Q_TIMEOUT_SECONDS", 120, minimum=10),
    "retry": env_int("Q_RETRY_SECONDS", 180, minimum=20),
    "max_attempts": 1,  # the outbox owns retries; a lost task is swept up by the schedule
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "poll": env_float("Q_POLL_SECONDS", 0.5),  # ORM broker: how often an idle worker looks
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
Q_CLUSTER["sync"] = env_bool("Q_SYNC", False)  # run tasks inline (tests, debugging)

# The cache holds counters such as failed API-key attempts per client address, shared by every web
# process: Redis when there is one, else a table in the database (made after every `migrate`).
# Tests use a per-process memory cache.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else (
            {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
            if TESTING
            else {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "proxy_cache",
            }
        )
    )
}

# --- Auth, i18n, static ------------------------------------------------------------------------
# Admin logins are throttled by django-axes: after ADMIN_LOGIN_FAILURE_LIMIT wrong passwords for
# one user name from one client address, that pair is locked for ADMIN_LOGIN_COOLOFF_MINUTES
# (429). Only the admin login is watched: the API (keys, not passwords) never reaches axes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # a stranger cannot lock a user out
AXES_ONLY_ADMIN_SITE = True
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not stored (nothing piles up)
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "channel.api.auth.axes_client_address"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Every time in admin reads `2026-12-02 04:26:49 UTC` (config/formats/en replaces Django's formats).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security headers (production settings pass `check --deploy`) -------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
# Opt-in: include-subdomains binds every subdomain of the host's domain to HTTPS, and a preload
# listing is shipped in browsers (hard to undo). Django's deploy check warns while they are off.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
# Sent on the admin and the API docs pages (channel.api.security): scripts and styles from this
# host only (inline style attributes allowed), no plugins, framed by this host only (the manifest
# page shows its PDF); empty sends none.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["channel.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["channel.api.auth.HasOmniScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["channel.api.parsers.JsonParser"],
    "EXCEPTION_HANDLER": "channel.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "channel.api.schema.ProxyAutoSchema",
}
API_KEY_HEADER = env_str("API_KEY_HEADER", "X-Api-Key")
# A process remembers a valid key this long instead of reading the key table on every request;
# a key revoked or changed in another process stops working there within this time (0: always read).
API_KEY_CACHE_SECONDS = env_int("API_KEY_CACHE_SECONDS", 10, minimum=0)
# Caps on what one request may ask for (400 naming the limit): items in any list of a JSON body,
# and comma-separated values in a query parameter such as `?status=`.
API_MAX_LIST_ITEMS = env_int("API_MAX_LIST_ITEMS", 1000, minimum=1)
API_MAX_QUERY_VALUES = env_int("API_MAX_QUERY_VALUES", 20, minimum=1)
# Wrong API keys allowed per client address in a period (`20/min`, `100/h`); more answer 429. A
# valid key is never throttled.
AUTH_FAILURE_RATE = env_str("AUTH_FAILURE_RATE", "20/min")
try:
    parse_rate(AUTH_FAILURE_RATE)
except ValueError as exc:
    raise ImproperlyConfigured(f"AUTH_FAILURE_RATE: {exc}") from None
# The client's address is REMOTE_ADDR unless proxies in front say otherwise: TRUSTED_PROXY_COUNT
# (how many proxies append to X-Forwarded-For) or TRUSTED_PROXIES (their addresses or networks,
# e.g. `10.0.0.0/8`). Used for the failed-key counter and the admin login lockout.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
# The OpenAPI schema at /api/schema/ and its pages at /api/docs/ (docs/api.md).
SPECTACULAR_SETTINGS = {
    "TITLE": "omni-magento-proxy API",
    "DESCRIPTION": (
        "The API that Increff Omni calls (`/api/omni/`) and the returns API for internal systems "
        "(`/api/returns/`). JSON in and out, in Omni's field names; unknown fields are ignored. "
        f"Every call carries an API key in the `{API_KEY_HEADER}` header. Every error answers "
        '`{"hasError": true, "errorMessage": "<one sentence>"}`, with `errors` by field path '
        "for bad input. Every write may be repeated: a repeat answers the same status and body. "
        "Timestamps are ISO 8601; the proxy answers in UTC with milliseconds."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.0.3",
    "SCHEMA_PATH_PREFIX": "/api/",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": False,
    "ENFORCE_NON_BLANK_FIELDS": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": False,
    "ENUM_NAME_OVERRIDES": {
        "ReturnOrderTypeEnum": "returns.models.ReturnType",
        "ReturnQcStatusEnum": "returns.models.QcStatus",
        "OutwardOrderTypeEnum": ["SO"],
        "OutwardQcStatusEnum": ["PASS"],
    },
    "TAGS": [  # the order of a day's work
        {"name": "orders", "description": "Orders from Magento, read from the mirror."},
        {"name": "shipments", "description": "Pack."},
        {"name": "invoices", "description": "The Magento invoice of a shipment, as a PDF."},
        {"name": "shipping-label", "description": "AWB and label PDF of a shipment."},
        {"name": "manifests", "description": "A courier's pickup list."},
        {"name": "handover", "description": "The parcels leave: Magento ships them."},
        {"name": "inventory", "description": "Omni's stock, written to Magento."},
        {"name": "returns", "description": "Return orders and their QC result."},
    ],
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: the browser fetches nothing else
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},  # no online validator
}

# --- Magento -----------------------------------------------------------------------------------
MAGENTO_BASE_URL = env_str("MAGENTO_BASE_URL", "").rstrip("/")
MAGENTO_AUTH_MODE = env_choice("MAGENTO_AUTH_MODE", "bearer", ("bearer", "oauth1", "admin", "ims"))
MAGENTO_TOKEN = env_secret("MAGENTO_TOKEN")
MAGENTO_CONSUMER_KEY = env_secret("MAGENTO_CONSUMER_KEY")
MAGENTO_CONSUMER_SECRET = env_secret("MAGENTO_CONSUMER_SECRET")
MAGENTO_ACCESS_TOKEN = env_secret("MAGENTO_ACCESS_TOKEN")
MAGENTO_ACCESS_TOKEN_SECRET = env_secret("MAGENTO_ACCESS_TOKEN_SECRET")
MAGENTO_USERNAME = env_secret("MAGENTO_USERNAME")
MAGENTO_PASSWORD = env_secret("MAGENTO_PASSWORD")
# Adobe Commerce as a Cloud Service (MAGENTO_AUTH_MODE=ims): server-to-server OAuth credentials
# from the Adobe Developer Console; the token comes from Adobe IMS (client_credentials grant).
IMS_TOKEN_URL = env_str("IMS_TOKEN_URL", "https://ims-na1.adobelogin.com/ims/token/v3")
IMS_CLIENT_ID = env_str("IMS_CLIENT_ID", "")  # also sent as x-api-key
IMS_CLIENT_SECRET = env_secret("IMS_CLIENT_SECRET")
IMS_SCOPES = env_str("IMS_SCOPES", "openid,AdobeID,additional_info.projectedProductContext")
IMS_ORG_ID = env_str("IMS_ORG_ID", "")  # sent as x-gw-ims-org-id
IMS_TOKEN_MARGIN_SECONDS = env_int("IMS_TOKEN_MARGIN_SECONDS", 300, minimum=0)  # refetch early
MAGENTO_CONNECT_TIMEOUT = env_float("MAGENTO_CONNECT_TIMEOUT", 3.0)
MAGENTO_READ_TIMEOUT = env_float("MAGENTO_READ_TIMEOUT", 8.0)  # inside an Omni request
MAGENTO_BACKGROUND_READ_TIMEOUT = env_float("MAGENTO_BACKGROUND_READ_TIMEOUT", 30.0)
MAGENTO_NEW_ORDER_STATUSES = env_list("MAGENTO_NEW_ORDER_STATUSES", "pending,processing,holded")
MAGENTO_ACK_STATUS = env_str("MAGENTO_ACK_STATUS", "processing")
MAGENTO_COD_METHODS = env_list("MAGENTO_COD_METHODS", "cashondelivery")
# Prepaid payment methods. Empty: every method not in MAGENTO_COD_METHODS counts as prepaid; set,
# an order paid otherwise (not COD, prepaid or offline) is not sent to Omni (reason: payment).
MAGENTO_PREPAID_METHODS = env_list("MAGENTO_PREPAID_METHODS", "")
# Payment methods whose invoice is created without capture (money not taken online); COD methods
# are always offline. Every other method is captured online when the proxy invoices.
MAGENTO_OFFLINE_PAYMENT_METHODS = env_list(
    "MAGENTO_OFFLINE_PAYMENT_METHODS", "checkmo,banktransfer,purchaseorder,free"
)
# All Magento calls made inside one Omni request together stay within this many seconds.
MAGENTO_REQUEST_BUDGET = env_float("MAGENTO_REQUEST_BUDGET", 8.0)
MAGENTO_PAGE_SIZE = env_int("MAGENTO_PAGE_SIZE", 100, minimum=1)
MAGENTO_STOCK_MODE = env_choice("MAGENTO_STOCK_MODE", "legacy", ("legacy", "msi"))
MAGENTO_SOURCE_MAP = env_map("MAGENTO_SOURCE_MAP", "")  # Omni location -> MSI source_code
MAGENTO_SOURCE_ITEMS_CHUNK = env_int("MAGENTO_SOURCE_ITEMS_CHUNK", 20, minimum=1)  # input limit
# Store ids whose orders are taken (comma-separated; empty = all). The store code in
# MAGENTO_BASE_URL does not filter sales reads. MAGENTO_STORE_ID (one id) is the older spelling.
MAGENTO_STORE_IDS = env_list("MAGENTO_STORE_IDS", env_str("MAGENTO_STORE_ID", ""))
# Per store: Omni location of its orders (store_id:location; else OMNI_LOCATION_CODE) and the
# currency its orders must be in (store_id:currency; another one is not sent: reason currency).
MAGENTO_STORE_LOCATIONS = env_map("MAGENTO_STORE_LOCATIONS", "")
MAGENTO_STORE_CURRENCIES = env_map("MAGENTO_STORE_CURRENCIES", "")
# Magento's MSI reservations are on (2.4 default): stock writes add the units Magento still
# reserves for open orders Omni already has, so the salable quantity equals Omni's (8.1).
MAGENTO_RESERVATIONS = env_bool("MAGENTO_RESERVATIONS", True)
# Magento's REST input limit: no array sent to Magento carries more items (8.6).
MAGENTO_INPUT_LIMIT = env_int("MAGENTO_INPUT_LIMIT", 20, minimum=1)
# The website code whose stock the reconciliation reads salable quantities of (8.1).
MAGENTO_SALES_CHANNEL = env_str("MAGENTO_SALES_CHANNEL", "base")
# Product attribute holding the HSN code printed per line on invoices (8.2).
MAGENTO_HSN_ATTRIBUTE = env_str("MAGENTO_HSN_ATTRIBUTE", "hsn_code")
SYNC_OVERLAP_MINUTES = env_int("SYNC_OVERLAP_MINUTES", 5, minimum=0)
# First created_at to take, `YYYY-MM-DD HH:MM:SS` UTC. Empty: the go-live moment (stored by the
# first migrate, shown in admin); older orders only come through `sync_magento --backfill`.
SYNC_START = env_str("SYNC_START", "")
# /healthz is unhealthy when order intake has not succeeded for this long (0: not checked).
HEALTH_SYNC_MAX_AGE_MINUTES = env_int("HEALTH_SYNC_MAX_AGE_MINUTES", 30, minimum=0)
ORDER_CODE_FIELD = env_choice("ORDER_CODE_FIELD", "increment_id", ("increment_id", "entity_id"))
INVOICE_AT_PACK = env_bool("INVOICE_AT_PACK", True)
# When the Magento shipment is created: at `handover` (the parcel leaves), or at `pack` so that a
# courier extension in Magento can give it its AWB and label (contract 8.5).
MAGENTO_SHIPMENT_AT = env_choice("MAGENTO_SHIPMENT_AT", "handover", ("pack", "handover"))
MAGENTO_BUNDLES_SHIP_SEPARATELY = env_bool("MAGENTO_BUNDLES_SHIP_SEPARATELY", False)

# --- Seller (printed on invoices) -----------------------------------------------------------------
SELLER_NAME = env_str("SELLER_NAME", "")
SELLER_ADDRESS_LINE1 = env_str("SELLER_ADDRESS_LINE1", "")
SELLER_ADDRESS_LINE2 = env_str("SELLER_ADDRESS_LINE2", "")
SELLER_CITY = env_str("SELLER_CITY", "")
SELLER_STATE = env_str("SELLER_STATE", "")
SELLER_ZIP = env_str("SELLER_ZIP", "")
SELLER_COUNTRY = env_str("SELLER_COUNTRY", "IN")
SELLER_PHONE = env_str("SELLER_PHONE", "")
SELLER_EMAIL = env_str("SELLER_EMAIL", "")
SELLER_GSTIN = env_str("SELLER_GSTIN", "")

# --- Omni ----------------------------------------------------------------------------------------
OMNI_BASE_URL = env_str("OMNI_BASE_URL", "").rstrip("/")
OMNI_AUTH_USERNAME = env_secret("OMNI_AUTH_USERNAME")
OMNI_AUTH_PASSWORD = env_secret("OMNI_AUTH_PASSWORD")
OMNI_AUTH_DOMAIN = env_str("OMNI_AUTH_DOMAIN", "")
OMNI_PUSH_ORDERS = env_bool("OMNI_PUSH_ORDERS", True)
OMNI_LOCATION_CODE = env_str("OMNI_LOCATION_CODE", "")  # empty: Omni routes (isSplitRequired)
OMNI_SLA_DAYS = env_int("OMNI_SLA_DAYS", 2, minimum=0)
OMNI_RETURN_PATH = env_str("OMNI_RETURN_PATH", "/return/return-orders")
# Credit memo for returned units that pass QC (online when their invoice was captured online and
# REFUND_ONLINE is on, else offline).
RETURNS_CREDIT_MEMO = env_bool("RETURNS_CREDIT_MEMO", False)
# Refund through the payment gateway (POST /V1/invoice/{id}/refund, isOnline) when the invoice was
# captured online; off: every credit memo is offline (the merchant refunds by hand).
REFUND_ONLINE = env_bool("REFUND_ONLINE", True)
OMNI_CONNECT_TIMEOUT = env_float("OMNI_CONNECT_TIMEOUT", 3.0)
OMNI_READ_TIMEOUT = env_float("OMNI_READ_TIMEOUT", 30.0)

# --- Inventory (PUT /api/omni/inventory; docs/inventory.md) ----------------------------------
INVENTORY_CONCURRENCY = env_int("INVENTORY_CONCURRENCY", 8, minimum=1)
INVENTORY_TIME_BUDGET_SECONDS = env_float("INVENTORY_TIME_BUDGET_SECONDS", 7.0)
if not 0 < INVENTORY_TIME_BUDGET_SECONDS <= 8.5:  # Omni must get its answer within 10 s
    raise ImproperlyConfigured("INVENTORY_TIME_BUDGET_SECONDS must be above 0 and at most 8.5")
INVENTORY_RECONCILE_MINUTES = env_int("INVENTORY_RECONCILE_MINUTES", 30, minimum=1)
INVENTORY_RECONCILE_HOURS = env_int("INVENTORY_RECONCILE_HOURS", 24, minimum=1)
INVENTORY_RECONCILE_LIMIT = env_int("INVENTORY_RECONCILE_LIMIT", 500, minimum=1)

# --- Outbox and documents ----------------------------------------------------------------------
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 50, minimum=1)
# Operations made together (a page of new orders) go to django-q in tasks of up to this many.
OUTBOX_TASK_CHUNK = env_int("OUTBOX_TASK_CHUNK", 25, minimum=1)
OUTBOX_BASE_BACKOFF_SECONDS = env_float("OUTBOX_BASE_BACKOFF_SECONDS", 5.0)  # first retry delay
OUTBOX_MAX_BACKOFF_SECONDS = env_int("OUTBOX_MAX_BACKOFF_SECONDS", 3600, minimum=1)
# The `sweep-outbox` schedule fires once a minute; below 60 its task keeps sweeping every this many
# seconds until the next tick, so retries run soon after they are due (it occupies one Q worker).
OUTBOX_SWEEP_SECONDS = env_float("OUTBOX_SWEEP_SECONDS", 60.0)
if OUTBOX_BASE_BACKOFF_SECONDS <= 0 or OUTBOX_SWEEP_SECONDS <= 0:
    raise ImproperlyConfigured("OUTBOX_BASE_BACKOFF_SECONDS and OUTBOX_SWEEP_SECONDS must be > 0")
OUTBOX_ALERT_AGE_MINUTES = env_int("OUTBOX_ALERT_AGE_MINUTES", 60, minimum=1)
OUTBOX_CLAIM_SECONDS = env_int("OUTBOX_CLAIM_SECONDS", 300, minimum=10)
DOCUMENT_SIGNING_KEY = env_secret("DOCUMENT_SIGNING_KEY") or SECRET_KEY
DOCUMENT_URL_TTL_SECONDS = env_int("DOCUMENT_URL_TTL_SECONDS", 86400, minimum=1)
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "").rstrip("/")
AWB_LOW_STOCK_THRESHOLD = env_int("AWB_LOW_STOCK_THRESHOLD", 500, minimum=0)  # AWBs left
HEALTH_MAX_HEARTBEAT_AGE_SECONDS = env_int("HEALTH_MAX_HEARTBEAT_AGE_SECONDS", 300, minimum=1)
# Bearer token a Prometheus scraper sends to GET /metrics; unset: /metrics answers 404 (off).
METRICS_TOKEN = env_secret("METRICS_TOKEN")

# LOG_FORMAT=json: one JSON object a line, with order_code and operation_id on the lines that
# concern one (channel.lib.logcontext); default "plain".
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))

# --- Retention (channel.services.retention; the daily `retention` schedule) ----------------------
# Days to keep each kind of record; 0 keeps it forever. Records of orders still open (new,
# acknowledged, in fulfilment) are always kept. Call record bodies (customers' names, addresses,
# phone numbers as Magento and Omni sent them) are blanked first; the rows go later.
RETENTION_CALL_BODIES_DAYS = env_int("RETENTION_CALL_BODIES_DAYS", 30, minimum=0)
RETENTION_CALL_RECORDS_DAYS = env_int("RETENTION_CALL_RECORDS_DAYS", 90, minimum=0)
RETENTION_AUDIT_DAYS = env_int("RETENTION_AUDIT_DAYS", 365, minimum=0)
# An Omni retry later than this is answered afresh (every write is idempotent by state too).
RETENTION_IDEMPOTENCY_DAYS = env_int("RETENTION_IDEMPOTENCY_DAYS", 30, minimum=0)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000, minimum=1)  # rows per statement

# Admin lists at millions of rows: counted exactly up to this many rows, estimated past it.
ADMIN_EXACT_COUNT_LIMIT = env_int("ADMIN_EXACT_COUNT_LIMIT", 10000, minimum=1)
# A search through a relation (e.g. orders with a SKU) lists at most this many, newest first.
ADMIN_SEARCH_MATCH_LIMIT = env_int("ADMIN_SEARCH_MATCH_LIMIT", 1000, minimum=1)
# The dashboard's "orders by lifecycle step" counts orders created in the last N days.
DASHBOARD_ORDER_DAYS = env_int("DASHBOARD_ORDER_DAYS", 30, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "channel.lib.logcontext.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "channel.lib.logcontext.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # At DEBUG these log OAuth 1.0a signing internals: the access token, the Authorization header.
    "loggers": {name: {"level": "WARNING"} for name in ("oauthlib", "requests_oauthlib")},
}
