"""Configuration: class defaults, then WMS_* environment variables, then the test mapping."""
from __future__ import annotations

from datetime import timedelta


class Config:
    """Defaults for every setting; each can be overridden by WMS_<NAME> in the environment."""

    # "production" refuses to start without WMS_SECRET_KEY; "development" and "demo" may
    # generate one and keep it in the instance folder.
    ENV = "production"
    SECRET_KEY: str | None = None
    # Empty means a SQLite file in the instance folder.
    DATABASE_URL = ""
    # No pre-ping (a SELECT 1 each time a request takes a connection): connections are
    # recycled before an idle one is likely to be dropped, and a request that meets a dropped
    # one runs once more on a fresh connection (wms/web/reconnect.py).
    POOL_RECYCLE_S = 1800

    # A scanner on a belt clip sleeps for hours: keep the operator signed in for a shift.
    SESSION_LIFETIME_HOURS = 14
    # The session lasts the shift from sign-in; re-signing the cookie on every scan buys nothing.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Cookies marked Secure and HSTS sent: on by default in production (ENV=production, not
    # TESTING). A plain-HTTP install on a trusted LAN sets WMS_ALLOW_PLAIN_HTTP=true (the
    # cookies then travel unencrypted: see docs/security.md).
    ALLOW_PLAIN_HTTP = False
    COOKIE_SECURE: bool | None = None  # None: as above; true/false forces it
    HSTS_SECONDS = 31_536_000
    # How many reverse proxies stand in front of the WMS (nginx, Caddy, a load balancer).
    # Their X-Forwarded-For / -Proto / -Host are believed only when this is 1 or more:
    # otherwise any client could claim to come over HTTPS or from another address.
    TRUSTED_PROXIES = 0
    # The largest request body (CSV uploads are 5 MB at most; pasted CSV text too).
    MAX_CONTENT_LENGTH = 6_000_000
    MAX_FORM_MEMORY_SIZE = 5_500_000

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    # Languages (wms/i18n.py): the screens' language when neither the user nor the browser
    # chose one, and the time zone times are shown in (a site may set its own).
    DEFAULT_LANGUAGE = "en"
    # The handheld asks an operator without a language for one, with one tap, at the first
    # badge sign-in; false: never asks (the browser's language, then DEFAULT_LANGUAGE).
    ASK_LANGUAGE = True
    TIMEZONE = "Europe/Paris"

    # Scans: a scan id seen again within this many hours returns the stored answer.
    SCAN_ID_RETENTION_HOURS = 72
    # Location codes the scan parser recognises (zone-aisle-bay-level or a named area);
    # a warehouse with other codes sets its own regular expression.
    LOCATION_PATTERN = r"^(?:[A-Z]{1,3}-\d{2}-\d{2}-\d{1,2}|[A-Z]{3,5}-\d{2})$"

    # The character a scanner sends for GS1's FNC1 separator when it cannot send ASCII 29.
    GS1_SEPARATOR = ""

    # Receiving: how many units above the expected quantity an operator may receive alone.
    OVER_RECEIPT_TOLERANCE_PCT = 0

    # PrestaShop (first shop). More shops: see README.
    PRESTASHOP_URL = ""
    PRESTASHOP_KEY = ""
    PRESTASHOP_CALLBACK_SECRET = ""
    PRESTASHOP_IMPORT_STATES = "2,3,11"
    # Merchandise return states (order_return_state ids of a fresh install): the one written
    # when the warehouse received a return, denied (cancels an expected return), completed
    # (the merchant refunded: the return leaves the desk's "waiting for a refund").
    PS_RETURN_RECEIVED_STATE = 3
    PS_RETURN_DENIED_STATE = 4
    PS_RETURN_COMPLETED_STATE = 5

    # Webhooks to the merchant's other systems (docs/webhooks.md).
    WEBHOOK_TIMEOUT_S = 10
    WEBHOOK_BACKOFF_S = 30
    WEBHOOK_MAX_ATTEMPTS = 10
    WEBHOOK_STOCK_DEBOUNCE_S = 30
    WEBHOOK_SETTLE_S = 2
    # Carrier API accounts (JSON object, by account name; see docs/carriers.md). Credentials
    # live only here, never in the database or a log.
    CARRIER_ACCOUNTS: dict | str = {}

    # Logs: "json" for one JSON object per line (with request and scan ids); else plain text.
    LOG_FORMAT = ""
    # /metrics (Prometheus): scrapers send "Authorization: Bearer <token>"; signed-in
    # supervisors may look too. Empty: only signed-in supervisors and admins.
    METRICS_TOKEN = ""

    SEED_DIR = ""  # defaults to the repository's seed_data/
    LABELS_DIR = ""  # defaults to the repository's labels/


def finish_config(config: dict, instance_path: str) -> None:
    """Derive the settings that depend on others (database URI, session lifetime)."""
    url = config.get("DATABASE_URL") or f"sqlite:///{instance_path}/wms.db"
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_recycle", int(config.get("POOL_RECYCLE_S", 1800)))
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    hours = float(config.get("SESSION_LIFETIME_HOURS", 14))
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=hours)
    config["REMEMBER_COOKIE_DURATION"] = timedelta(hours=hours)
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = secure_cookies(config)


def secure_cookies(config) -> bool:
    """Whether cookies are Secure-only and HSTS is sent (production, unless told otherwise)."""
    if config.get("COOKIE_SECURE") is not None:
        return bool(config["COOKIE_SECURE"])
    return (config.get("ENV") == "production" and not config.get("TESTING")
            and not config.get("ALLOW_PLAIN_HTTP"))


def normalise_database_url(url: str) -> str:
    """Point plain postgresql:// URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
