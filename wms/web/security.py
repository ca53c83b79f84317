"""Answer headers every page gets, the reverse proxy setting, and the health check's bypass
of the SQLite request queue (docs/security.md)."""
from __future__ import annotations

from flask import Flask, abort, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter

from wms.i18n import _

# The handheld and the desk load scripts and styles from /static only: nothing inline.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'self'")


MAX_INT = 2**31 - 1  # the database's INTEGER: larger ids cannot exist


class BoundedIntConverter(IntegerConverter):
    """<int:…> in URLs: ASCII digits up to the database's INTEGER, else 404 (not a 500 from the
    database refusing a number it cannot hold)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_INT if max is None else max,
                         signed=signed)


def setup_converters(app: Flask) -> None:
    """Before any blueprint is registered: the rules bind their converters then."""
    app.url_map.converters["int"] = BoundedIntConverter


def page_number(raw: str | None, maximum: int = 100_000) -> int:
    """A ?page= number: ASCII digits from 1 to `maximum`, else the first page."""
    raw = (raw or "1").strip()
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 6:
        return 1
    return min(max(int(raw), 1), maximum)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signer built once per secret key.

    Flask builds the signer (itsdangerous, key derivation set-up) afresh twice a request, to
    read the cookie and to write it. It is kept here, and built again when the app's secret
    key or its fallbacks change (a test or a key rotation that sets them).
    """

    _signer: tuple = (None, None)

    def get_signing_serializer(self, app: Flask):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        known, signer = self._signer
        if known != key:
            signer = super().get_signing_serializer(app)
            self._signer = (key, signer)
        return signer


def setup_security(app: Flask) -> None:
    app.session_interface = SessionInterface()
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    @app.before_request
    def _refuse_nul():
        # No text of this application holds a NUL; PostgreSQL refuses them with an error.
        if request.endpoint == "static":
            return None
        for values in (request.args, request.form):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400, _("The request holds a NUL character: nothing was changed. "
                                 "Retype the value (or check the file or script that sent it)."))
        return None

    hsts = app.config.get("SESSION_COOKIE_SECURE") and int(app.config.get("HSTS_SECONDS") or 0)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CSP)
        if request.endpoint != "static":
            # Pages and answers carry stock, orders, names and CSRF tokens: never keep them
            # in a shared browser's or a proxy's cache.
            headers["Cache-Control"] = "no-store"
        if hsts and request.is_secure:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
        return response
