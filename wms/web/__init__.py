"""The web layer: blueprints for the handheld, the desk, the JSON API, and sign-in."""
from __future__ import annotations

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from wms.errors import DomainError
from wms.i18n import _, _l
from wms.extensions import login_manager
from wms.web.htmx import is_htmx

# Endpoints anyone may reach: sign-in pages, static files, the health check, signed callbacks.
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.handheld_login", "health.healthz",
                    "metrics"}  # /metrics checks its own token (wms/observability.py)
PUBLIC_PREFIXES = ("webhooks.",)


def register_web(app: Flask) -> None:
    """Register blueprints, the sign-in gate, error handlers and template helpers."""
    from wms.web.api import bp as api_bp
    from wms.web.auth import bp as auth_bp
    from wms.web.auth.loader import setup_login_manager
    from wms.web.desk import bp as desk_bp
    from wms.web.handheld import bp as handheld_bp
    from wms.web.health import bp as health_bp
    from wms.web.webhooks import bp as webhooks_bp

    from wms.web.security import setup_converters, setup_security

    setup_converters(app)
    setup_login_manager(login_manager)
    for bp in (auth_bp, handheld_bp, desk_bp, api_bp, health_bp, webhooks_bp):
        app.register_blueprint(bp)

    setup_security(app)
    _queue_sqlite_requests(app)  # first: before the sign-in check reads the user
    app.before_request(_require_sign_in)

    @app.teardown_request
    def _forget_user(_exc):
        # Flask-Login caches the user on `g`, which outlives a request when a test (or a CLI
        # command) holds the app context open; each request must load its user afresh.
        from flask import g

        g.pop("_login_user", None)
        g.pop("api_token", None)
    _register_error_handlers(app)
    _register_template_helpers(app)
    from wms.web.reconnect import install

    install(app)  # no pre-ping per request: a dropped connection is retried once instead

    @app.route("/")
    def index():
        from wms.domain.users.models import Role

        if current_user.has_role(Role.SUPERVISOR) and not _looks_like_handheld():
            return redirect(url_for("desk.home"))
        return redirect(url_for("handheld.home"))


def _queue_sqlite_requests(app: Flask) -> None:
    """On SQLite, let the requests of one process use the database one at a time, in a queue.

    Every SQLite transaction takes the database's write lock at its start (BEGIN IMMEDIATE,
    wms/db_setup.py), so only one request can work at a time anyway. Threads left to wait in
    SQLite's busy handler poll with sleeps of up to 100 ms, and the lock sits idle between
    their looks: under 32 scanners that made the slowest scans take seconds. A Python lock
    hands over at once. (Other processes still meet in the busy handler; PostgreSQL, with
    row locks, is left alone.)
    """
    import threading

    from flask import g

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    lock = threading.Lock()

    @app.before_request
    def _take_turn():
        # The health check reads on its own connection, outside the queue: a long import
        # must not make a load balancer think the WMS is dead.
        if request.endpoint not in ("static", "health.healthz"):
            # Bounded: past a minute, go on and let SQLite's busy timeout decide.
            g._wms_db_turn = lock.acquire(timeout=60)

    @app.teardown_request
    def _end_turn(_exc):
        if g.pop("_wms_db_turn", False):
            lock.release()


def _looks_like_handheld() -> bool:
    agent = request.headers.get("User-Agent", "")
    return "Mobile" in agent or "Android" in agent


def _require_sign_in():
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or endpoint.startswith(PUBLIC_PREFIXES):
        return None
    if current_user.is_authenticated:
        return None
    if request.path.startswith("/api/"):
        return _json_error(401, "unauthorized",
                           _("Sign in, or send an API token as 'Authorization: Bearer <token>'."))
    login = "auth.handheld_login" if request.path.startswith("/handheld") else "auth.login"
    target = url_for(login, next=request.full_path if request.method == "GET" else None)
    if is_htmx():
        # htmx follows HX-Redirect with a full page load instead of swapping a login form in.
        response = app_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def app_response(body: str, status: int):
    from flask import Response

    return Response(body, status=status)


def _json_error(status: int, code: str, message: str, **details):
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if _wants_json():
            return _json_error(exc.status, exc.code, exc.message,
                               **{k: v for k, v in exc.details.items() if _jsonable(v)})
        if is_htmx():
            return _htmx_refusal(exc.message, exc.status)
        return render_template("errors/error.html", message=exc.message, status=exc.status), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = _("This form has expired (the page was open too long or you signed in again): "
                    "reload the page and try again.")
        if _wants_json():
            return _json_error(400, "csrf", message)
        return render_template("errors/error.html", message=message, status=400), 400

    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "too_large", 500: "server_error"}
    # Lazy: each answer speaks the language of its request.
    for status, text in ((400, _l("The request could not be read: nothing was changed. Reload the page and try again.")),
                         (403, _l("You do not have the role needed for this page. Ask a supervisor.")),
                         (404, _l("There is nothing at this address.")),
                         (405, _l("That action is not allowed here.")),
                         (413, None),
                         (500, _l("Something went wrong on the server; nothing was changed. Try again, and tell a supervisor if it keeps happening."))):
        def handler(exc, status=status, text=text):
            from wms.db import db

            db.session.rollback()  # an aborted request changes nothing
            if status == 413:
                text = _("The request is too large (more than %(limit)s MB): split the file, or send less at once.",
                         limit=round((app.config.get("MAX_CONTENT_LENGTH") or 0) / 1e6))
            else:
                text = str(text)
            # A sentence given to abort() (e.g. a missing API scope) says more than the default.
            described = getattr(exc, "description", None)
            if status != 500 and described and described != getattr(type(exc), "description", None):
                text = described
            if _wants_json():
                return _json_error(status, codes[status], text)
            if is_htmx():
                return _htmx_refusal(text, status)
            return render_template("errors/error.html", message=text, status=status), status

        app.register_error_handler(status, handler)


def _htmx_refusal(message: str, status: int):
    """Answer an htmx request that failed with just the red status line, swapped in place of
    the screen's own status line, so the screen itself stays as it was."""
    from flask import make_response

    response = make_response(render_template("partials/_status.html", ok=False, message=message), status)
    response.headers["HX-Retarget"] = "#status"
    response.headers["HX-Reswap"] = "outerHTML"
    response.headers["HX-Trigger"] = '{"scan-error": null}'
    return response


def _jsonable(value) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))


def _register_template_helpers(app: Flask) -> None:
    from wms.domain.users.models import Role
    from wms.i18n import LANGUAGES, get_locale
    from wms.web import formats

    formats.register(app)

    @app.context_processor
    def inject():
        return {"Role": Role, "htmx_js": "vendor/htmx-2.0.11.min.js", "desk_menu": _desk_menu,
                "LANGUAGES": LANGUAGES, "current_locale": lambda: str(get_locale() or "en")}

    def _desk_menu():
        from wms.web.menu import DESK_MENU

        return [m for m in DESK_MENU
                if current_user.is_authenticated and current_user.has_role(Role[m.role])]
