"""`wms backup`: a consistent copy of the live SQLite database, and a restore that works."""
from __future__ import annotations

import shutil
import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from wms import create_app
from wms.cli import backup, check_ledger
from wms.db import db
from wms.domain.inventory.models import StockMove
from wms.domain.orders.models import Order


def test_backup_while_writing_then_restore(app, db_backend, demo, tmp_path):
    runner = app.test_cli_runner()
    if db_backend != "sqlite":
        result = runner.invoke(backup, [str(tmp_path / "x.db")])
        assert result.exit_code == 1 and "pg_dump" in result.output
        return
    from wms.seed import seed_demo_orders

    seed_demo_orders()
    db.session.commit()
    source = db.engine.url.database
    moves = db.session.scalar(select(func.count()).select_from(StockMove))
    db.session.rollback()  # SQLite transactions here take the write lock: let the writer in

    # Another connection keeps writing while the backup copies page by page.
    stop = threading.Event()
    written = []

    def writer():
        conn = sqlite3.connect(source, timeout=30)
        n = 0
        while not stop.is_set():
            n += 1
            conn.execute("INSERT INTO customer_order (reference, status, priority, is_demo, created_at) "
                         "VALUES (?, 'NEW', 0, 0, CURRENT_TIMESTAMP)", (f"W-{n}",))
            conn.commit()
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(1000):
            if len(written) >= 3:
                break
            stop.wait(0.01)
        target = tmp_path / "backup.db"
        result = runner.invoke(backup, [str(target)])
        from wms.backup import backup_sqlite

        again = tmp_path / "again.db"
        backup_sqlite(f"sqlite:///{source}", again)
        during = len(written)
    finally:
        stop.set()
        thread.join(10)
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output and written
    assert sqlite3.connect(again).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert during >= 3

    # Restore: the backup file is a database the WMS runs on, with a sound ledger.
    restored = tmp_path / "restored.db"
    shutil.copyfile(target, restored)
    other = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{restored}", "SECRET_KEY": "x"})
    with other.app_context():
        assert db.session.scalar(select(func.count()).select_from(StockMove)) == moves
        copied = db.session.scalar(select(func.count()).select_from(Order).where(Order.reference.like("W-%")))
        assert 0 <= copied <= len(written)
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.is_demo.is_(True))) == 24
        check = other.test_cli_runner().invoke(check_ledger, [])
        assert check.exit_code == 0 and "ledger ok" in check.output
        db.session.remove()
        db.engine.dispose()
    # The journal is self-contained: no -wal or -partial file is needed next to it.
    assert not (tmp_path / "backup.db-wal").exists() and not (tmp_path / "backup.db.partial").exists()


def test_backup_refuses_what_it_cannot_do(app, db_backend, tmp_path):
    if db_backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL is refused above")
    runner = app.test_cli_runner()
    existing = tmp_path / "exists.db"
    existing.write_text("keep me")
    result = runner.invoke(backup, [str(existing)])
    assert result.exit_code == 1 and "exists: choose a new file name or pass --force" in result.output
    assert existing.read_text() == "keep me"
    result = runner.invoke(backup, [str(tmp_path / "no-such-dir" / "b.db")])
    assert result.exit_code != 0 and "does not exist" in result.output
    result = runner.invoke(backup, [db.engine.url.database])
    assert result.exit_code == 1 and "cannot overwrite the database itself" in result.output
    assert runner.invoke(backup, [str(existing), "--force"]).exit_code == 0
    assert sqlite3.connect(existing).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
