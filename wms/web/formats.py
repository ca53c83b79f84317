"""Dates, times and numbers the way the reader's language writes them (issue 18).

Times are stored in UTC (wms.db.UTCDateTime hands them back timezone-aware) and shown in
the time zone of the site a screen works for (a desk filtered to one site, a handheld at a
station of a site: `Warehouse.timezone`), else WMS_TIMEZONE (default Europe/Paris), with no
SQL statement: the selector (wms.i18n.select_timezone) runs whenever a time is formatted,
handheld scans included, and reads the site zones from a per-process cache.

Jinja filters (registered on the app):
- `|datetime` "28 nov. 2026, 00:30" / "Nov 28, 2026, 12:30 AM"; `|datetime('short')` without
  the year; `|datetime('medium')` with seconds;
- `|date` "28 nov. 2026" (or a Babel pattern: `|date('EEE d MMM')`); `|time` "00:30",
  `|time('medium')` with seconds, `|time(rebase=False)` for a wall-clock time (a cut-off);
- `|number` / `|number(2)` with the locale's decimal separator; `|percent(1)` "12,3 %".
"""
from __future__ import annotations

from datetime import date, datetime, time

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask
from flask_babel import get_locale, get_timezone



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
