"""Per-dialect engine settings: SQLite gets WAL, foreign keys and serialised writers."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    """Make SQLite behave well with several threads of a production server."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_wms_configured", False):
        return
    engine._wms_configured = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # SQLite has no row locks: take the write lock at the start of every transaction so
        # a read-then-write (check stock, then take it) can never interleave with another.
        # A read-only snapshot (the stock snapshot export) asks for a deferred BEGIN: in WAL
        # mode it reads one consistent state without holding up the writers.
        if conn.get_execution_options().get("wms_read_snapshot"):
            conn.exec_driver_sql("BEGIN DEFERRED")
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE")
