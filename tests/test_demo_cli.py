"""`wms demo`: ready in five minutes (receipt, pick lists, PDF station, barcode sheet), and kept on a second run."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

import wms.cli
from wms.cli import demo


@pytest.fixture
def demo_env(tmp_path, monkeypatch):
    """A fresh SQLite database for `wms demo`; the server is not started."""
    for name in ("WMS_PRESTASHOP_URL", "WMS_PRESTASHOP_KEY", "WMS_PRESTASHOP_SHOPS", "WMS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WMS_ENV", "demo")  # `wms demo` sets it; restored after the test
    monkeypatch.setenv("WMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    served = []
    monkeypatch.setattr(wms.cli, "run_gunicorn", lambda host, port, **kw: served.append((host, port)))
    return tmp_path, served


def test_demo_is_ready_to_use_and_kept_on_a_second_run(demo_env):
    tmp_path, served = demo_env
    first = CliRunner().invoke(demo, ["--port", "8123"])
    assert first.exit_code == 0, first.output
    assert "Demo warehouse loaded" in first.output and "BADGE-0003 / 3333" in first.output
    assert served == [("127.0.0.1", 8123)]
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
        assert q("SELECT status, supplier FROM receipt") == [("EXPECTED", "Demo Supplier Ltd")]
        assert q("SELECT count(*) FROM receipt_line")[0][0] == 3
        lists = q("SELECT kind, status FROM pick_list ORDER BY id")
        assert lists == [("ORDER", "OPEN")] * 3 + [("BATCH", "OPEN")]
        assert q("SELECT s.name, p.kind FROM station s JOIN printer p ON p.id = s.printer_id") == [
            ("Packing 1", "PDF_BROWSER")]
        # 24 demo orders and the split one (issue 14), whose part ships from the other site.
        assert q("SELECT count(*) FROM customer_order WHERE is_demo AND parent_id IS NULL")[0][0] == 25
        assert q("SELECT name FROM warehouse ORDER BY id") == [("Paris",), ("Lyon",)]
        [(parent_site, part_site, reason)] = q(
            "SELECT o.warehouse_id, p.warehouse_id, o.routing_reason FROM customer_order p "
            "JOIN customer_order o ON o.id = p.parent_id")
        assert {parent_site, part_site} == {1, 2} and "split between" in reason
        # Orders to the neighbours go to Lyon when it can ship them whole (the demo's rule).
        assert q("SELECT count(*) FROM customer_order WHERE warehouse_id = 2 AND routing_reason LIKE '%prefers it%'")[0][0] >= 1
        assert q("SELECT name FROM station WHERE warehouse_id = 2") == [("Lyon 1",)]
        # A transfer Paris -> Lyon in transit (issue 14): shipped, its units in Lyon's transit bin.
        assert q("SELECT source_warehouse_id, destination_warehouse_id, status, tracking FROM transfer_order") == [
            (1, 2, "SHIPPED", "DEMO-TR-1")]
        shipped = q("SELECT sum(shipped), sum(requested), count(*) FROM transfer_line")[0]
        assert shipped[0] == shipped[1] > 0 and shipped[2] >= 1
        assert q("SELECT sum(s.on_hand) FROM stock_level s JOIN location l ON l.id = s.location_id "
                 "WHERE l.kind = 'TRANSIT' AND l.warehouse_id = 2")[0][0] == shipped[0]
        orders_before = q("SELECT count(*) FROM customer_order")[0][0]
    sheet = tmp_path / "demo-barcodes.pdf"
    assert sheet.read_bytes().startswith(b"%PDF")
    # The ledger (in-transit stock included) is balanced after the demo.
    from wms import create_app
    from wms.db import db

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "SECRET_KEY": "x"})
    with app.app_context():
        checked = app.test_cli_runner().invoke(wms.cli.check_ledger, [])
        assert checked.exit_code == 0 and "ledger ok" in checked.output, checked.output
        db.session.remove()

    second = CliRunner().invoke(demo, ["--host", "0.0.0.0", "--port", "8124"])
    assert second.exit_code == 0, second.output
    assert "kept as it is, nothing loaded" in second.output and "Demo warehouse loaded" not in second.output
    assert served[-1] == ("0.0.0.0", 8124)
    assert "http://0.0.0.0" not in second.output  # the address a phone can reach is shown instead
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM customer_order")).scalar() == orders_before
        assert conn.execute(text("SELECT count(*) FROM pick_list")).scalar() == 4
    engine.dispose()


def test_the_barcode_sheet_lists_what_to_scan_and_scans(demo_env):
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    tmp_path, _ = demo_env
    assert CliRunner().invoke(demo, []).exit_code == 0
    sheet = tmp_path / "demo-barcodes.pdf"
    words = " ".join(page.extract_text() for page in PdfReader(sheet).pages)
    for expected in ("BADGE-0001", "BADGE-0004", "PIN 1111", "RCV-1", "PO-DEMO-1", "DOCK-01", "PL-1", "PL-4",
                     "TOTE-01", "Packing 1", "Home > Receive", "Home > Pick", "Home > Pack"):
        assert expected in words, expected
    # The barcodes themselves decode to those codes.
    found = set()
    pdf = pypdfium2.PdfDocument(str(sheet))
    for page in pdf:
        image = page.render(scale=3).to_pil()
        found |= {r.text for r in zxingcpp.read_barcodes(image)}
    pdf.close()
    assert {"BADGE-0001", "RCV-1", "DOCK-01", "PL-1", "TOTE-01"} <= found, found


def test_demo_refuses_a_database_next_to_a_shop(demo_env, monkeypatch):
    tmp_path, served = demo_env
    monkeypatch.setenv("WMS_PRESTASHOP_URL", "https://shop.example/api")
    monkeypatch.setenv("WMS_PRESTASHOP_KEY", "K" * 32)
    result = CliRunner().invoke(demo, [])
    assert result.exit_code == 1 and "A shop is configured" in result.output
    assert served == []
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account")).scalar() == 0
    engine.dispose()
