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
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # A scanner on a belt clip sleeps for hours: keep the operator signed in for a shift.
    SESSION_LIFETIME_HOURS = 14
    # The session lasts the shift from sign-in; re-signing the cookie on every scan buys nothing.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

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
    hours = float(config.get("SESSION_LIFETIME_HOURS", 14))
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=hours)
    config["REMEMBER_COOKIE_DURATION"] = timedelta(hours=hours)


def normalise_database_url(url: str) -> str:
    """Point plain postgresql:// URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
