"""Dates, times and numbers the way the reader's language writes them (issue 18).

Times are stored in UTC (wms.db.UTCDateTime hands them back timezone-aware) and shown in
the warehouse's time zone: WMS_TIMEZONE, or the site's own `Warehouse.timezone` when the
installation has exactly one site and it has one. The site's zone is read once and kept for
a few minutes per process, and never read during a handheld scan or an API call (those use
what is kept, else WMS_TIMEZONE): formatting a time adds no SQL statement to the heart loop.

Jinja filters (registered on the app):
- `|datetime` "28 nov. 2026, 00:30" / "Nov 28, 2026, 12:30 AM"; `|datetime('short')` without
  the year; `|datetime('medium')` with seconds;
- `|date` "28 nov. 2026" (or a Babel pattern: `|date('EEE d MMM')`); `|time` "00:30",
  `|time('medium')` with seconds, `|time(rebase=False)` for a wall-clock time (a cut-off);
- `|number` / `|number(2)` with the locale's decimal separator; `|percent(1)` "12,3 %".
"""
from __future__ import annotations

import time as _time
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, get_timezone

SITE_ZONE_SECONDS = 300
_site_zone: dict[int, tuple[float, str | None]] = {}  # id(app) -> (read at, zone or None)


def select_timezone() -> str:
    """The zone times are shown in: a single site's own, else WMS_TIMEZONE."""
    app = current_app._get_current_object()
    default = app.config.get("TIMEZONE") or "UTC"
    kept = _site_zone.get(id(app))
    if kept and _time.monotonic() - kept[0] < SITE_ZONE_SECONDS:
        return kept[1] or default
    if has_request_context() and (request.blueprint in ("handheld", "api")
                                  or request.path.startswith(("/handheld", "/api/"))):
        return kept[1] or default if kept else default
    zone = _read_site_zone()
    _site_zone[id(app)] = (_time.monotonic(), zone)
    return zone or default


def forget_site_zone() -> None:
    """After a site's time zone changes (and in tests)."""
    _site_zone.clear()


def _read_site_zone() -> str | None:
    from sqlalchemy import select

    from wms.db import db
    from wms.domain.locations.models import Warehouse

    try:
        zones = db.session.execute(select(Warehouse.timezone).limit(2)).scalars().all()
    except Exception:  # no tables yet (a fresh database): the configured zone
        db.session.rollback()
        return None
    if len(zones) != 1 or not zones[0]:
        return None
    try:
        ZoneInfo(zones[0])
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zones[0]


def _locale():
    return get_locale() or "en"


def format_datetime(value: datetime | None, format: str = "default") -> str:
    if value is None:
        return ""
    tz = get_timezone()
    locale = _locale()
    if format == "medium":
        return babel_dates.format_datetime(value, "medium", tzinfo=tz, locale=locale)
    day = babel_dates.format_skeleton("MMMd" if format == "short" else "yMMMd", value,
                                      tzinfo=tz, locale=locale)
    hour = babel_dates.format_time(value, "short", tzinfo=tz, locale=locale)
    return babel_dates.get_datetime_format("medium", locale=locale).replace(
        "{1}", day).replace("{0}", hour)


def format_date(value: date | datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(get_timezone()) if value.tzinfo else value
        value = value.date()
    return babel_dates.format_date(value, format, locale=_locale())


def format_time(value: datetime | time | None, format: str = "short", rebase: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and rebase:
        return babel_dates.format_time(value, format, tzinfo=get_timezone(), locale=_locale())
    if isinstance(value, datetime):
        value = value.time()
    return babel_dates.format_time(value.replace(tzinfo=None), format, locale=_locale())


def format_number(value, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is None:
        return babel_numbers.format_decimal(value, locale=_locale())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return babel_numbers.format_decimal(value, pattern, locale=_locale())


def format_percent(value, digits: int = 0) -> str:
    """A share (0.123) as the locale writes a percentage ("12,3 %" / "12.3%")."""
    if value is None:
        return ""
    locale = babel_dates.Locale.parse(_locale())
    pattern = babel_numbers.parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, locale)


def register(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_percent, "percent")
    babel = app.extensions.get("babel")
    if babel is not None:
        babel.timezone_selector = select_timezone
