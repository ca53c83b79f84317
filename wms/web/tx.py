"""One commit per request, and idempotent scan requests."""
from __future__ import annotations

import re
from functools import wraps

from flask import Response, current_app, g, make_response, request
from flask_login import current_user
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from wms.db import db, utcnow
from wms.domain.scans.models import ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied
from wms.i18n import _
from wms.web.htmx import partial_status

SCAN_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
# Built once: the one statement that records a scan and its answer.
_INSERT_RECORD = insert(ScanRecord.__table__)


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


def _replay(record: ScanRecord, user_id: int | None, request_hash: str | None = None,
            screen=None) -> Response:
    if record.user_id != user_id or record.endpoint != (request.endpoint or ""):
        # Never hand one operator's (or screen's) stored answer to another.
        return Response(_("This scan id was already used by another screen or operator: scan again."),
                        status=409, mimetype="text/plain")
    if request_hash is not None and record.request_hash not in (None, request_hash):
        # A script reused its Idempotency-Key for another request: replaying the first
        # answer would silently drop this one.
        from flask import jsonify

        response = jsonify(error={"code": "idempotency_key_reused",
                                  "message": _("This Idempotency-Key was already used with another "
                                                        "body: send a new key for a new request.")})
        response.status_code = 422
        return response
    partial = partial_status(record.body) if screen is not None else None
    if partial is not None:
        # A partial answer (htmx.flow_update) changes a few elements of the screen it was
        # made for, which may have moved on since (a later scan, a short pick, another
        # device): the retry gets the whole current screen, under the first answer's sentence.
        message, ok = partial
        response = make_response(screen(message, ok))
        response.headers.pop("HX-Trigger", None)
    else:
        response = Response(record.body or "", status=record.status_code,
                            mimetype=record.mimetype or "text/html")
    if record.trigger:
        response.headers["HX-Trigger"] = record.trigger
    response.headers["X-Scan-Replayed"] = "1"
    return response


def _stored(scan_id: str) -> ScanRecord | None:
    return db.session.execute(
        select(ScanRecord).where(ScanRecord.scan_id == scan_id)).scalar_one_or_none()


def _record(scan_id: str, user_id: int | None, response: Response | None,
            request_hash: str | None = None) -> None:
    """Write the scan record, with its answer when given, in one INSERT (Core: no flush)."""
    values = {"scan_id": scan_id, "endpoint": request.endpoint or "", "user_id": user_id,
              "request_hash": request_hash, "created_at": utcnow()}
    if response is not None:
        values.update(status_code=response.status_code, body=response.get_data(as_text=True),
                      trigger=response.headers.get("HX-Trigger"), mimetype=response.mimetype)
    db.session.execute(_INSERT_RECORD, values)


def scan_endpoint(view=None, *, screen=None):
    """Apply a scan request once per client scan id, and answer a retry as the first time.

    `screen(message, ok)`, for a view that answers some scans with only what changed
    (htmx.flow_update): renders the flow's whole current screen, which a retry of such a
    scan gets instead of the stored partial answer (`@scan_endpoint(screen=...)`).

    The scan's work runs first; its ScanRecord, holding the answer, is inserted last, in the
    same transaction, in one statement. The unique index on the scan id decides: a retry of
    an applied scan (even one running at the same time: on PostgreSQL its INSERT waits for
    the first to commit) fails there, rolls its work back and gets the stored answer. A scan
    the view refuses (4xx) is rolled back, then its id is tried the same way (an INSERT
    rolled back at once): if the id was already applied, the stored answer wins; if not, the
    refusal stands and nothing was written. A flow's fast path may look the id up in its
    own first read and raise ScanAlreadyApplied (wms/domain/scans/services.py).
    """
    if view is None:
        return lambda view: scan_endpoint(view, screen=screen)

    @wraps(view)
    def wrapper(*args, **kwargs):
        scan_id = scan_id_from_request()
        if scan_id is None:
            return transactional(view)(*args, **kwargs)
        if not isinstance(scan_id, str) or not SCAN_ID.match(scan_id):
            return Response(_("The scan id sent by the screen is malformed; reload the page."),
                            status=400, mimetype="text/plain")
        # Read before any rollback below: a rollback expires the user and would reload it.
        user_id = current_user.id if current_user.is_authenticated else None
        request_hash = _request_hash()
        g.scan_id = scan_id
        try:
            response = make_response(view(*args, **kwargs))
        except ScanAlreadyApplied:
            return _replay_stored(scan_id, user_id, request_hash, screen)  # nothing written: same transaction
        except Exception:
            db.session.rollback()
            raise
        if response.status_code >= 400:
            # A refused scan changes nothing. Was this id applied already (a retry whose first
            # try succeeded, or is committing now)? Try its record, then roll back either way.
            db.session.rollback()
            try:
                _record(scan_id, user_id, None, request_hash)
            except IntegrityError:
                db.session.rollback()
                return _replay_stored(scan_id, user_id, request_hash, screen)
            db.session.rollback()
            return response
        try:
            _record(scan_id, user_id, response, request_hash)
            db.session.commit()
        except IntegrityError:
            # Applied already (or by a request committing at the same time): undo this work.
            db.session.rollback()
            return _replay_stored(scan_id, user_id, request_hash, screen)
        current_app.logger.debug("scan %s applied", scan_id)
        return response

    return wrapper


def _replay_stored(scan_id: str, user_id: int | None, request_hash: str | None = None,
                   screen=None) -> Response:
    record = _stored(scan_id)
    if record is None:  # pragma: no cover - the unique index said it exists
        response = Response(_("This scan could not be checked: scan again."), status=409,
                            mimetype="text/plain")
    else:
        response = _replay(record, user_id, request_hash, screen)  # before the rollback, which would expire it
    db.session.rollback()
    return response
