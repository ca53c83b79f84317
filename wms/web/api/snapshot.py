"""GET /api/v1/stock/snapshot: stock per product and warehouse, as CSV or JSON, streamed.

Every row comes from one read-only snapshot of the database (REPEATABLE READ on PostgreSQL, a
deferred read transaction on SQLite in WAL mode), so the file is consistent at one instant
however long it takes to download, and writers are never held up. ``last_move_id`` (the newest
ledger movement the snapshot includes) lets a receiver line it up with stock.changed events.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC

from flask import Response, request
from sqlalchemy import func, select

from wms.db import db, utcnow
from wms.domain.inventory.models import StockMove
from wms.domain.inventory.snapshot import SNAPSHOT_COLUMNS, stock_by_warehouse
from wms.errors import DomainError
from wms.web.api import bp
from wms.web.auth.loader import require_scope
from wms.i18n import _

CHUNK_ROWS = 500


def _format() -> str:
    fmt = (request.args.get("format") or "").lower()
    if not fmt:
        best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
        fmt = "csv" if best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes[
            "application/json"] else "json"
    if fmt not in ("csv", "json"):
        raise DomainError(_("format must be csv or json."), code="invalid")
    return fmt


def open_snapshot():
    """A connection inside a read-only snapshot transaction; returns (connection, as_of, last_move_id)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        conn.begin()
        as_of = conn.execute(select(func.now())).scalar_one()
    else:
        conn = engine.connect().execution_options(wms_read_snapshot=True)
        conn.begin()
        as_of = None
    last_move_id = conn.execute(select(func.max(StockMove.id))).scalar() or 0
    return conn, as_of or utcnow(), last_move_id


def _rows(conn):
    result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(stock_by_warehouse())
    for row in result:
        yield {"sku": row.sku, "warehouse": row.warehouse, "on_hand": int(row.on_hand),
               "reserved": int(row.reserved), "available": int(row.available)}


@bp.get("/stock/snapshot")
def stock_snapshot():
    """Stock per product and warehouse at one instant (?format=csv|json), streamed."""
    require_scope("read")
    fmt = _format()
    # End the request's own transaction now (it loaded the user and noted the token's use).
    db.session.commit()
    conn, as_of, last_move_id = open_snapshot()
    stamp = as_of.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def close():
        if not conn.closed:
            conn.rollback()
            conn.close()

    def generate():
        try:
            if fmt == "csv":
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\r\n")
                writer.writerow(SNAPSHOT_COLUMNS)
                for n, row in enumerate(_rows(conn), start=1):
                    writer.writerow([row[c] for c in SNAPSHOT_COLUMNS])
                    if n % CHUNK_ROWS == 0:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
                yield buffer.getvalue()
            else:
                yield f'{{"as_of":"{stamp}","last_move_id":{last_move_id},"items":['
                chunk = []
                for n, row in enumerate(_rows(conn)):
                    chunk.append(("," if n else "") + json.dumps(row, separators=(",", ":"), ensure_ascii=False))
                    if len(chunk) >= CHUNK_ROWS:
                        yield "".join(chunk)
                        chunk = []
                yield "".join(chunk) + "]}"
        finally:
            close()

    headers = {"X-Snapshot-As-Of": stamp, "X-Snapshot-Last-Move-Id": str(last_move_id),
               "Cache-Control": "no-store"}
    if fmt == "csv":
        headers["Content-Disposition"] = f'attachment; filename="stock-{stamp[:10]}.csv"'
    # Not stream_with_context: the request ends (its session, and on SQLite its turn in the
    # request queue) when the view returns; the body streams from the snapshot connection alone,
    # so a long download never holds up the scanners.
    response = Response(generate(), mimetype="text/csv" if fmt == "csv" else "application/json",
                        headers=headers)
    response.call_on_close(close)  # also when the body is never read (HEAD, client gone)
    return response
