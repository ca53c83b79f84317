"""The health check used by the Docker image and load balancers."""
from flask import Blueprint, jsonify

from wms.db import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """Answer 200 when the database answers, 503 otherwise."""
    # A raw connection of the pool, not the session: on SQLite the session's transactions
    # start with BEGIN IMMEDIATE and would wait behind a writer; a plain read does not.
    try:
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
    except Exception as exc:  # the point is to report, not to raise
        return jsonify(status="error", database=str(exc.__class__.__name__)), 503
    return jsonify(status="ok", database="ok")
