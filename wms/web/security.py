"""Answer headers every page gets, the reverse proxy setting, and the health check's bypass
of the SQLite request queue (docs/security.md)."""
from __future__ import annotations

from flask import Flask, request

# The handheld and the desk load scripts and styles from /static only: nothing inline.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'self'")


def setup_security(app: Flask) -> None:
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

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
