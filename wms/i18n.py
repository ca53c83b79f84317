"""Languages: gettext catalogues under wms/translations, chosen per user (Flask-Babel).

English is the source language: every user-facing sentence in a template or in the code is
written in English inside a gettext call, with its numbers and codes as named placeholders
(`_("Scan the location %(code)s.", code=...)`), never concatenated. The catalogues are
`wms/translations/<lang>/LC_MESSAGES/messages.po`; a wheel ships them compiled (setup.py),
and a checkout compiles them when the app starts (a .mo older than its .po is rebuilt).
`wms translations update|compile|check` maintains them (docs/translating.md).

Which language a request speaks: the signed-in user's own choice, else the browser's
(Accept-Language), else WMS_DEFAULT_LANGUAGE. Outside a request (the worker, the CLI) the
default language. Times are shown in the time zone of the site a screen works for (a desk
filtered to one site, a handheld at a station of a site), else WMS_TIMEZONE.
"""
from __future__ import annotations

from pathlib import Path

import flask_babel
from flask import Flask, g, has_request_context, request
from flask_babel import (Babel, force_locale, format_date, format_datetime, format_decimal,
                         format_time, get_locale, lazy_ngettext)
from flask_babel.speaklater import LazyString

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
# Languages the WMS speaks, source language first; each but English has a catalogue.
LANGUAGES = {"en": "English", "fr": "Français"}


def translations():
    """The request's translations, looked up once per request and language.

    Flask-Babel's gettext asks the app context for its namespace, the domain, the locale and
    the catalogue cache on every call (about ten context-local lookups and a locale name
    built afresh): a scan answer makes dozens of calls. The catalogue found is kept in
    Flask-Babel's own namespace next to the locale it was found for, and used while that
    locale object is the current one: force_locale() and refresh() set or drop the locale,
    and a user's language change drops the namespace (g._flask_babel), so each of them is
    followed at the next call.
    """
    try:
        ctx = g._flask_babel
        found = ctx.wms_translations
        if found[0] is ctx.babel_locale:
            return found[1]
    except (AttributeError, RuntimeError):  # first call of the request, or no app context
        pass
    found = flask_babel.get_translations()
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.wms_translations = (ctx.babel_locale, found)
    return found


def gettext(string: str, **variables) -> str:
    """Translate a sentence into the request's language (Flask-Babel's gettext, cheaper)."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """The sentence for this count in the request's language; %(num)d is the count."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def pgettext(context: str, string: str, **variables) -> str:
    """Translate a sentence that has a context (a word with two meanings)."""
    text = translations().upgettext(context, string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """A sentence translated when it is shown, in the language of that moment's request."""
    return LazyString(gettext, string, **variables)


_ = gettext
_l = lazy_gettext
_nl = lazy_ngettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (enum labels, tables):
    translate it where it is shown, with `_()` on the stored English text."""
    return message


__all__ = ["_", "_l", "_nl", "N_", "gettext", "ngettext", "pgettext", "lazy_gettext",
           "force_locale", "format_date", "format_datetime", "format_decimal", "format_time",
           "get_locale", "translations", "LANGUAGES", "language_of", "init_app"]

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config.get("DEFAULT_LANGUAGE", "en"))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("TIMEZONE", "UTC"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    compile_stale_catalogues()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Templates translate through the same once-per-request catalogue.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)

    @app.teardown_request
    def _forget_locale(_exc):
        # Flask-Babel caches the locale on `g`, which a test (or a CLI command) may keep open
        # across requests: each request chooses again.
        g.pop("_flask_babel", None)


def language_of(value: str | None) -> str | None:
    """The supported language code for an ISO code or locale name ('fr-FR' -> 'fr'), or None."""
    if not value:
        return None
    code = str(value).replace("_", "-").split("-")[0].strip().lower()
    return code if code in LANGUAGES else None


def select_locale() -> str:
    from flask import current_app

    default = language_of(current_app.config.get("DEFAULT_LANGUAGE")) or "en"
    if not has_request_context():
        return default
    from flask_login import current_user

    # The user is loaded already on every signed-in request: reading it costs no statement.
    user = current_user._get_current_object() if current_user else None
    chosen = language_of(getattr(user, "language", None)) if user is not None else None
    if chosen:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or default


def select_timezone() -> str:
    """The zone times are shown in: the site's of a desk filtered to one site, the station's
    site's on a handheld, else WMS_TIMEZONE. No statement (the site zones are cached)."""
    from wms.domain.locations.sites import default_zone, site_zone

    if not has_request_context():
        return default_zone()
    site = None
    if request.blueprint == "handheld":
        site = g.get("site_id")
    elif request.blueprint == "desk":
        from wms.web.desk.sites import desk_site_id

        site = desk_site_id()
    return site_zone(site) if site is not None else default_zone()


def compile_stale_catalogues(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile each messages.po whose .mo is missing or older; returns the .mo files written.

    A wheel carries the compiled catalogues (setup.py); a checkout's are compiled here, so a
    translator's edit shows at the next start. An unwritable install is left as it is.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        try:
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError:
            continue
        written.append(mo_path)
    return written
