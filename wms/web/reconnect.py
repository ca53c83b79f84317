"""Survive a dropped database connection without pinging the database on every request.

`pool_pre_ping` costs a round trip (SELECT 1) each time a request takes a connection from the
pool. Instead, connections are recycled after WMS_POOL_RECYCLE_S seconds (before a firewall or
the server drops an idle one), and a request whose connection turns out to be dead is run
once more on a fresh one: SQLAlchemy marks the error `connection_invalidated` and replaces
every pooled connection of that age. It is retried only when it has not started a COMMIT
(then its outcome is unknown and the screen's retry with the same scan id decides), and only
when its body is small enough to keep for the second run (16 KiB: every scan and form).
"""
from __future__ import annotations

import io

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

RETRY_KEY = "wms.retry_dropped_connection"
# Bytes kept to run a request twice: every scan and form is far smaller. Larger bodies (CSV
# imports, callbacks) are not read here at all, so their own size limits still apply first.
MAX_BODY = 16 * 1024


class RetryOnDroppedConnection:
    """WSGI middleware: run the request again when the app asks for it (see install)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        declared = environ.get("CONTENT_LENGTH")
        if not declared:
            # No length: a request without a body (GET), or a streamed one, which is not kept.
            if (environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "OPTIONS")
                    or environ.get("HTTP_TRANSFER_ENCODING")):
                return self.wsgi_app(environ, start_response)
            body = None
        else:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                return self.wsgi_app(environ, start_response)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
        environ[RETRY_KEY] = "allowed"
        held: list = []

        def hold(status, headers, exc_info=None):
            held[:] = [status, headers, exc_info]
            return lambda data: None  # Flask never uses the write() callable

        result = self.wsgi_app(environ, hold)
        if environ.get(RETRY_KEY) == "asked":
            if hasattr(result, "close"):
                result.close()
            if body is not None:
                environ["wsgi.input"] = io.BytesIO(body)
            environ[RETRY_KEY] = "done"
            return self.wsgi_app(environ, start_response)
        start_response(*held)
        return result


def install(app: Flask) -> None:
    """Wrap the app and answer a dropped connection by asking for the second run."""
    from wms.db import db

    app.wsgi_app = RetryOnDroppedConnection(app.wsgi_app)

    @app.errorhandler(DBAPIError)
    def _dropped(exc: DBAPIError):
        if (exc.connection_invalidated and request.environ.get(RETRY_KEY) == "allowed"
                and not g.get("_wms_commit_started")):
            db.session.rollback()
            request.environ[RETRY_KEY] = "asked"
            app.logger.warning("database connection dropped; running %s again", request.path)
            return Response("The database connection dropped: retrying.", status=503)
        raise exc


@event.listens_for(Session, "before_commit")
def _commit_started(_session) -> None:
    if has_request_context():
        g._wms_commit_started = True
