"""The bare floor of bench/scan_load.py: a minimal Flask + Flask-SQLAlchemy app, one INSERT per request.

Run by the bench, served the same way as the WMS (gunicorn, gthread, the same workers and
threads, on 127.0.0.1): POST /hit inserts one row and commits, and answers a line of text.
What no scan can beat on this machine: HTTP, Flask's dispatch, one ORM insert, one commit.

    python bench/floor_app.py --url sqlite:///x.db --port 8001 --workers 1 --threads 16
"""
from __future__ import annotations

import argparse
import gc
from datetime import UTC, datetime

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Hit(db.Model):
    __tablename__ = "floor_hit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url.replace("postgresql://", "postgresql+psycopg://", 1)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            @event.listens_for(db.engine, "connect")
            def _pragmas(conn, _record):  # as the WMS sets SQLite up (wms/db_setup.py)
                conn.isolation_level = None
                cursor = conn.cursor()
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

            @event.listens_for(db.engine, "begin")
            def _begin(conn):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        db.create_all()
        # gunicorn forks its workers from this process: they must not share its connection.
        db.engine.dispose()

    @app.post("/hit")
    def hit():
        db.session.add(Hit(code=request.form.get("code", "")[:64], at=datetime.now(UTC)))
        db.session.commit()
        return "ok\n"

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    return app


def main() -> None:
    from gunicorn.app.base import BaseApplication

    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--access-log", default=None, help="as `wms serve` writes one (WMS_ACCESS_LOG)")
    args = parser.parse_args()
    app = create_app(args.url)
    # Served as `wms serve` serves the WMS: start-up's objects frozen out of the collector's
    # passes (wms/cli.py, settle_heap).
    gc.collect()
    gc.freeze()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"127.0.0.1:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", args.access_log)
            self.cfg.set("timeout", 60)

        def load(self):
            return app

    Server().run()


if __name__ == "__main__":
    main()
