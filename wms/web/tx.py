"""One commit per request, and idempotent scan requests."""
from __future__ import annotations

import re
from functools import wraps

from flask import Response, current_app, make_response, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wms.db import db
from wms.domain.scans.models import ScanRecord

SCAN_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def transactional(view):
    """Commit once when the view answers below 400; roll back on an error answer or exception."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            response = make_response(view(*args, **kwargs))
        except Exception:
            db.session.rollback()
            raise
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    return wrapper


def scan_id_from_request() -> str | None:
    """The client's id for this request: X-Scan-Id (the handheld), Idempotency-Key (scripts)."""
    scan_id = (request.headers.get("X-Scan-Id") or request.headers.get("Idempotency-Key")
               or request.form.get("scan_id"))
    if scan_id is None and request.is_json:
        from wms.web.api.schemas import json_object

        scan_id = json_object().get("scan_id")  # a bad body is refused here, with a sentence
        if scan_id is not None and not isinstance(scan_id, str):
            scan_id = ""  # refused as malformed below
        return scan_id
    return scan_id or None


def _request_hash() -> str | None:
    """What a script's Idempotency-Key promises: this body, at this address."""
    if not request.headers.get("Idempotency-Key"):
        return None
    import hashlib

    digest = hashlib.sha256(request.full_path.encode())
    digest.update(b"\0" + request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: ScanRecord, user_id: int | None, request_hash: str | None = None) -> Response:
    if record.user_id != user_id or record.endpoint != (request.endpoint or ""):
        # Never hand one operator's (or screen's) stored answer to another.
        return Response("This scan id was already used by another screen or operator: scan again.",
                        status=409, mimetype="text/plain")
    if request_hash is not None and record.request_hash not in (None, request_hash):
        # A script reused its Idempotency-Key for another request: replaying the first
        # answer would silently drop this one.
        from flask import jsonify

        response = jsonify(error={"code": "idempotency_key_reused",
                                  "message": "This Idempotency-Key was already used with another "
                                             "body: send a new key for a new request."})
        response.status_code = 422
        return response
    response = Response(record.body or "", status=record.status_code,
                        mimetype=record.mimetype or "text/html")
    if record.trigger:
        response.headers["HX-Trigger"] = record.trigger
    response.headers["X-Scan-Replayed"] = "1"
    return response


def scan_endpoint(view):
    """Apply a scan request once per client scan id, and answer a retry as the first time.

    The ScanRecord is inserted before the work and committed with it. A second request with
    the same id finds the unique index taken (after waiting for the first to commit, when
    both run at once on PostgreSQL), rolls back and gets the stored answer.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        scan_id = scan_id_from_request()
        if scan_id is None:
            return transactional(view)(*args, **kwargs)
        if not isinstance(scan_id, str) or not SCAN_ID.match(scan_id):
            return Response("The scan id sent by the screen is malformed; reload the page.",
                            status=400, mimetype="text/plain")
        # Insert first, without looking: a first try (nearly every scan) costs one statement,
        # and a retry finds the unique index taken, rolls back and gets the stored answer.
        # Read before any rollback below: a rollback expires the user and would reload it.
        user_id = current_user.id if current_user.is_authenticated else None
        request_hash = _request_hash()
        record = ScanRecord(scan_id=scan_id, endpoint=request.endpoint or "", user_id=user_id,
                            request_hash=request_hash)
        db.session.add(record)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            existing = db.session.execute(
                select(ScanRecord).where(ScanRecord.scan_id == scan_id)).scalar_one()
            return _replay(existing, user_id, request_hash)
        try:
            response = make_response(view(*args, **kwargs))
        except Exception:
            db.session.rollback()
            raise
        if response.status_code >= 400:
            # A refused scan changed nothing; a retry is judged afresh.
            db.session.rollback()
            return response
        record.status_code = response.status_code
        record.body = response.get_data(as_text=True)
        record.trigger = response.headers.get("HX-Trigger")
        record.mimetype = response.mimetype
        try:
            db.session.commit()
        except IntegrityError:
            # Another request with this scan id committed first (SQLite without row locks).
            db.session.rollback()
            existing = db.session.execute(
                select(ScanRecord).where(ScanRecord.scan_id == scan_id)).scalar_one()
            return _replay(existing, user_id, request_hash)
        current_app.logger.debug("scan %s applied", scan_id)
        return response

    return wrapper
