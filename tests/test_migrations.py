"""The Alembic migrations build exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import pytest

from wms import create_app
from wms.db import db


@pytest.fixture
def empty_db_url(db_backend, tmp_path, request):
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    from tests.conftest import PG_SERVER_URL, missing, postgresql_available

    if not postgresql_available():
        missing("PostgreSQL not reachable")
    name = f"wms_migr_{tmp_path.name[-20:].replace('-', '_').lower()}"
    server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_upgrade_gives_the_models_schema_and_downgrade_empties(empty_db_url):
    app = create_app({"TESTING": True, "DATABASE_URL": empty_db_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"migrations and models differ: {diff}"
        # The ledger's append-only trigger comes with the migration too.
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO product (sku, name, active, created_at) VALUES ('X', 'X', true, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO warehouse (code, name) VALUES ('W', 'W')"))
            conn.execute(text("INSERT INTO location (warehouse_id, code, kind, walk_sequence, active, needs_count) VALUES (1, 'A-01-01-1', 'STORAGE', 0, true, false)"))
            conn.execute(text("INSERT INTO stock_move (product_id, quantity, to_location_id, reason, created_at) VALUES (1, 1, 1, 'RECEIVED', CURRENT_TIMESTAMP)"))
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE stock_move SET quantity = 2"))
        upgrade()  # running it again is a no-op
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_existing_receipts_take_the_site_of_their_first_received_move(empty_db_url):
    app = create_app({"TESTING": True, "DATABASE_URL": empty_db_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="i14_site_pinned")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO product (sku, name, active, created_at) VALUES ('X', 'X', true, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO warehouse (id, code, name) VALUES (1, 'W1', 'One'), (2, 'W2', 'Two')"))
            conn.execute(text("INSERT INTO location (id, warehouse_id, code, kind, walk_sequence, active, needs_count) "
                              "VALUES (1, 1, 'DCK-1', 'RECEIVING', 0, true, false), (2, 2, 'DCK-2', 'RECEIVING', 0, true, false)"))
            # RCV-1: received at W2 first, then at W1; RCV-2: nothing received; RCV-3: at W1, after a
            # move of another reason at W2 (not a receipt's).
            for rid in (1, 2, 3):
                conn.execute(text("INSERT INTO receipt (id, status, blind, created_at) "
                                  f"VALUES ({rid}, 'RECEIVING', false, CURRENT_TIMESTAMP)"))
            for loc, ref, reason in ((2, "RCV-1", "RECEIVED"), (1, "RCV-1", "RECEIVED"), (2, "RCV-3", "ADJUSTED"),
                                     (1, "RCV-3", "RECEIVED"), (2, "RCV-30", "RECEIVED")):
                conn.execute(text("INSERT INTO stock_move (product_id, quantity, to_location_id, reason, reference, "
                                  f"created_at) VALUES (1, 1, {loc}, '{reason}', '{ref}', CURRENT_TIMESTAMP)"))
        upgrade()
        with db.engine.connect() as conn:
            sites = dict(conn.execute(text("SELECT id, warehouse_id FROM receipt")).all())
        assert sites == {1: 2, 2: None, 3: 1}
        downgrade(revision="base")
        db.engine.dispose()
