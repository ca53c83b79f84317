"""The language a printed document speaks, and its dates and numbers in that language.

Warehouse documents (pick lists, manifests, location and product labels) speak the language
of the user printing them: the request's locale, nothing to do here. Customer documents (the
packing slip, the text of a shipping label other than the carrier's own fields) speak the
order's language as the shop recorded it (`customer_order.language`): render them inside
`customer_locale(order.language)`. An order without a language, or in one the WMS does not
speak, gets the warehouse's (DEFAULT_LANGUAGE).

Outside a Flask application (a script, a unit test of the renderers) everything is English,
dates in UTC.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, has_app_context

from wms.i18n import force_locale, get_locale, language_of

ENGLISH = Locale("en")


def customer_language(code: str | None) -> str:
    """The language a customer document is printed in: the order's, else the warehouse's."""
    chosen = language_of(code)
    if chosen:
        return chosen
    default = current_app.config.get("DEFAULT_LANGUAGE") if has_app_context() else None
    return language_of(default) or "en"


@contextmanager
def customer_locale(code: str | None) -> Iterator[str]:
    """Translate, and format dates and numbers, in the order's language inside this block."""
    language = customer_language(code)
    with force_locale(language):
        yield language


def current_locale() -> Locale:
    if has_app_context():
        return get_locale() or ENGLISH
    return ENGLISH


def _time_zone():
    if has_app_context():
        from flask_babel import get_timezone

        return get_timezone()
    return dt.timezone.utc


def _local(value: dt.datetime) -> dt.datetime:
    # The database keeps UTC (naive or aware): show the warehouse's wall clock.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(_time_zone())


def format_day(value) -> str:
    """A date (or the date of a datetime, in the warehouse's time zone): "23 nov. 2025"."""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    if isinstance(value, dt.date):
        return _latin(babel_dates.format_date(value, "medium", locale=current_locale()))
    return str(value)


def format_moment(value) -> str:
    """A datetime in the warehouse's time zone, to the minute: "23 nov. 2025 10:30"."""
    if not isinstance(value, dt.datetime):
        return format_day(value)
    local = _local(value)
    locale = current_locale()
    return _latin(f"{babel_dates.format_date(local.date(), 'medium', locale=locale)} "
                  f"{babel_dates.format_time(local.time(), 'short', locale=locale)}")


def format_number(value: float, decimals: int = 0) -> str:
    """A number with the locale's decimal mark: 1.25 in English, 1,25 in French."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _latin(babel_numbers.format_decimal(value, pattern, locale=current_locale()))


def format_quantity(value: float) -> str:
    """A quantity: whole numbers without decimals, others with up to three (1,5 in French)."""
    return _latin(babel_numbers.format_decimal(value, "#,##0.###", locale=current_locale()))


def _latin(text: str) -> str:
    # CLDR puts narrow no-break spaces in French numbers and English times ("9:30 AM"); the
    # PDF built-in fonts and label printers lack that glyph: a plain no-break space prints.
    return text.replace("\u202f", "\u00a0")


def translate(text: str, context: str | None = None) -> str:
    """The catalogue's translation of a layout's fixed text (the text itself when there is none)."""
    if not has_app_context():
        return text
    from wms.i18n import gettext, pgettext

    return pgettext(context, text) if context else gettext(text)
