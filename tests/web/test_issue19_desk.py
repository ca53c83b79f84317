"""Issue 19 on the server side: productivity kept as daily figures, stock drift, the stock page's
sort and totals, the putaway list, pick-list rows, the short-picks tile, counts taking back."""
from datetime import timedelta

from sqlalchemy import func, select

from wms.db import db, utcnow
from wms.domain.inventory.services import receive
from wms.domain.locations.models import LocationKind
from wms.domain.scans.models import OperatorDay, ScanRecord
from wms.domain.scans.productivity import aggregate_days, reason_key

HX = {"HX-Request": "true"}


def move_scan(client, code, scan_id):
    return client.post("/handheld/move/scan", data={"code": code, "scan_id": scan_id},
                       headers={**HX, "X-Scan-Id": scan_id})


def test_productivity_is_aggregated_outside_scans_and_outlives_the_scan_answers(
        app, client, login_as, make_location, make_product):
    from wms.sync_cli import prune_scans

    user = login_as("operator")
    src, dst = make_location("A-01-01-1"), make_location("A-02-01-1")
    product = make_product("MUG-1")
    receive(product, src, 5)
    db.session.commit()
    codes = ["A-01-01-1", product.main_barcode, product.main_barcode, "A-02-01-1",
             "A-02-01-1", product.main_barcode, "A-01-01-1"]
    for n, code in enumerate(codes):
        assert move_scan(client, code, f"scan-prod-{n:04d}").status_code == 200
    refused = move_scan(client, "9999999999994", "scan-prod-bad1")
    assert refused.status_code == 422
    # The scans wrote no figures: only the worker / prune-scans does.
    assert db.session.scalar(select(func.count()).select_from(OperatorDay)) == 0
    # The scanner reports its refusals in a batch (a refused scan writes nothing itself).
    r = client.post("/handheld/refusals", data={"reason": [
        "Barcode 9999999999994 is not known: check the label", "Barcode 4006381333931 is not known: x",
        "Wrong location: go to A-01-02-1"]})
    assert r.status_code == 204
    assert client.post("/handheld/refusals", data={"reason": ["x"] * 201}).status_code == 400

    assert aggregate_days() == 1
    db.session.commit()
    day = db.session.execute(select(OperatorDay)).scalar_one()
    assert (day.user_id, day.scans, day.units, day.lines) == (user.id, 7, 3, 2)
    assert day.refused == 3
    assert day.refusals == {"Barcode … is not known": 2, "Wrong location": 1}
    assert day.first_at <= day.last_at

    # Past the retention the scan answers go, the day's figures stay (prune-scans aggregates first).
    db.session.execute(ScanRecord.__table__.update().values(created_at=utcnow() - timedelta(hours=100)))
    db.session.commit()
    result = app.test_cli_runner().invoke(prune_scans)
    assert result.exit_code == 0 and "forgot 7 scan answers" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ScanRecord)) == 0
    kept = db.session.execute(select(OperatorDay)).scalar_one()
    assert (kept.scans, kept.units, kept.refused) == (7, 3, 3)

    # The desk shows them.
    client.post("/logout")
    login_as("supervisor")
    page = client.get("/desk/productivity?days=7").get_data(as_text=True)
    assert f'data-user="{user.username}"' in page and "Barcode … is not known × 2" in page
    assert client.get("/desk/productivity?days=abc").status_code == 200
    assert client.post("/desk/productivity/refresh").status_code == 302


def test_refusal_reasons_drop_codes_and_numbers():
    assert reason_key("Wrong location: go to A-01-02-1") == "Wrong location"
    assert reason_key("A-05-20-2 is a location: scan a product") == "… is a location"
    assert reason_key("") == "Refused"


def test_operators_cannot_read_the_figures(client, login_as):
    login_as("operator")
    assert client.get("/desk/productivity").status_code in (302, 403)
    assert client.get("/desk/drift").status_code in (302, 403)


def test_drift_page_says_what_the_shop_shows_and_why_it_differs(client, login_as, make_location, make_product):
    from wms.integrations.prestashop.models import StockPushState

    login_as("supervisor")
    bin_ = make_location("A-01-01-1")
    mug = make_product("MUG-1", ps_product_id=11, ps_combination_id=0)
    tee = make_product("TEE-1", ps_product_id=12, ps_combination_id=3)
    new = make_product("NEW-1", ps_product_id=13)
    receive(mug, bin_, 5)
    receive(tee, bin_, 2)
    db.session.add_all([StockPushState(shop="default", product_id=mug.id, quantity=5,
                                       pushed_at=utcnow() + timedelta(minutes=1)),
                        StockPushState(shop="default", product_id=tee.id, quantity=7,
                                       pushed_at=utcnow() - timedelta(hours=1))])
    db.session.commit()
    page = client.get("/desk/drift").get_data(as_text=True)
    assert 'data-sku="MUG-1"' not in page  # in step: hidden unless asked
    assert 'data-sku="TEE-1"' in page and "-5" in page and "12/3" in page
    assert "Stock moved since the last push" in page
    assert 'data-sku="NEW-1"' not in page and "1 product never pushed" in page
    everything = client.get("/desk/drift?all=1").get_data(as_text=True)
    assert 'data-sku="NEW-1"' in everything and "Never pushed" in everything
    assert 'data-sku="MUG-1"' in everything and "In step." in everything
    assert new.sku in everything


def test_stock_page_sorts_by_sku_with_totals(client, login_as, make_location, make_product):
    login_as("supervisor")
    a, b = make_location("A-01-01-1"), make_location("B-01-01-1")
    mug, cup = make_product("MUG-1"), make_product("CUP-1")
    receive(mug, a, 2)
    receive(mug, b, 3)
    receive(cup, b, 1)
    db.session.commit()
    page = client.get("/desk/stock?sort=sku").get_data(as_text=True)
    assert page.index('data-sku="CUP-1"') < page.index('data-sku="MUG-1"')
    total = page[page.index('data-sku-total="MUG-1"'):]
    assert "Total MUG-1" in total and ">5<" in total[:300]
    by_location = client.get("/desk/stock?sort=nonsense").get_data(as_text=True)
    assert 'data-sort="location"' in by_location and "sku-total" not in by_location


def test_putaway_lists_what_waits_on_the_docks(client, login_as, make_location, make_product):
    login_as("operator")
    dock = make_location("DOCK-1", kind=LocationKind.RECEIVING)
    make_location("A-01-01-1")
    mug = make_product("MUG-1")
    receive(mug, dock, 4)
    db.session.commit()
    page = client.get("/handheld/putaway").get_data(as_text=True)
    assert 'hx-get="/handheld/putaway/waiting"' in page
    waiting = client.get("/handheld/putaway/waiting").get_data(as_text=True)
    assert 'data-sku="MUG-1"' in waiting and "DOCK-1" in waiting and ">4<" in waiting


def test_count_takes_back_an_over_scanned_unit(client, login_as, make_location, make_product):
    from wms.domain.counts.models import CountLine
    from wms.domain.counts.services import create_count

    user = login_as("operator")
    bin_ = make_location("A-01-01-1")
    mug = make_product("MUG-1")
    receive(mug, bin_, 2)
    task = create_count(user=user, location=bin_)
    db.session.commit()
    for code in (task.code, "A-01-01-1", mug.main_barcode, mug.main_barcode):
        assert client.post("/handheld/count/scan", data={"code": code}, headers=HX).status_code == 200
    line = db.session.execute(select(CountLine).where(CountLine.product_id == mug.id)).scalar_one()
    r = client.post(f"/handheld/count/lines/{line.id}/take-back", headers=HX)
    assert r.status_code == 200 and "1 taken back, 1 counted" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CountLine, line.id).counted == 1
    client.post(f"/handheld/count/lines/{line.id}/take-back", headers=HX)
    r = client.post(f"/handheld/count/lines/{line.id}/take-back", headers=HX)
    assert r.status_code == 422 and "Nothing counted" in r.get_data(as_text=True)
    assert client.post("/handheld/count/lines/999999/take-back", headers=HX).status_code == 422


def test_short_picks_tile_counts_what_the_exceptions_page_lists(client, login_as, make_location, make_product):
    from wms.domain.orders.models import Order, OrderLine, OrderStatus
    from wms.domain.picking.models import Allocation

    login_as("supervisor")
    bin_ = make_location("A-01-01-1")
    mug = make_product("MUG-1")
    for ref, status in (("WEB1", OrderStatus.SHIPPED), ("WEB2", OrderStatus.BACKORDERED)):
        order = Order(reference=ref, status=status)
        order.lines.append(OrderLine(line_no=1, product_id=mug.id, sku=mug.sku, name="Mug", quantity=1))
        db.session.add(order)
        db.session.flush()
        # WEB1's short was reallocated and the order went out: nothing left to act on.
        db.session.add(Allocation(order_id=order.id, order_line_id=order.lines[0].id, location_id=bin_.id,
                                  product_id=mug.id, quantity=0, short=1))
    db.session.commit()
    tile = client.get("/desk/").get_data(as_text=True)
    start = tile.index('data-metric="short-picks"')
    assert '<span class="num">1</span>' in tile[start:start + 120]
    page = client.get("/desk/exceptions").get_data(as_text=True)
    section = page[page.index('id="short_picks"'):]
    assert '<span class="badge warn">1</span>' in section[:300]


def test_order_page_has_no_empty_actions_heading(client, login_as, make_product):
    from wms.domain.orders.models import Order, OrderLine, OrderStatus

    login_as("supervisor")
    mug = make_product("MUG-1")
    order = Order(reference="WEB9", status=OrderStatus.SHIPPED)
    order.lines.append(OrderLine(line_no=1, product_id=mug.id, sku=mug.sku, name="Mug", quantity=1))
    db.session.add(order)
    db.session.commit()
    page = client.get(f"/desk/orders/{order.id}").get_data(as_text=True)
    assert "<h2>Actions</h2>" not in page


def test_shipped_today_tile_and_its_page_count_the_same_orders(client, login_as):
    from wms.domain.orders.models import Order, OrderStatus

    login_as("supervisor")
    db.session.add_all([Order(reference="OLD", status=OrderStatus.SHIPPED, shipped_at=utcnow() - timedelta(days=3)),
                        Order(reference="NEW", status=OrderStatus.SHIPPED, shipped_at=utcnow())])
    db.session.commit()
    tile = client.get("/desk/").get_data(as_text=True)
    start = tile.index('data-metric="shipped-today"')
    assert '<span class="num">1</span>' in tile[start:start + 80]
    href = tile[tile.rindex('href="', 0, start) + 6:]
    href = href[:href.index('"')].replace("&amp;", "&")
    page = client.get(href).get_data(as_text=True)
    assert ">NEW<" in page and ">OLD<" not in page


def test_no_native_dialogs_in_the_screens():
    """Confirmations are asked on the page (app.js): a native confirm() keeps the focus on its
    button, so a scanner's next Enter re-opens it and the scan is lost."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder, pattern in (("static/js", "*.js"), ("templates", "*.html")):
        for path in (root / folder).rglob(pattern):
            text = path.read_text(encoding="utf-8")
            for needle in ("confirm(", "hx-confirm", "alert(", "prompt("):
                if needle in text:
                    offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []


def test_lines_short_tile_counts_the_lines_its_page_lists(client, login_as, make_product):
    from wms.domain.orders.models import Order, OrderLine, OrderStatus

    login_as("supervisor")
    mug, cup = make_product("MUG-1"), make_product("CUP-1")
    order = Order(reference="WEB5", status=OrderStatus.BACKORDERED)
    order.lines += [OrderLine(line_no=1, product_id=mug.id, sku="MUG-1", name="Mug", quantity=2),
                    OrderLine(line_no=2, product_id=cup.id, sku="CUP-1", name="Cup", quantity=1,
                              quantity_allocated=1)]
    db.session.add(order)
    db.session.commit()
    tile = client.get("/desk/").get_data(as_text=True)
    start = tile.index('data-metric="lines-short"')
    assert '<span class="num">1</span>' in tile[start:start + 80]
    href = tile[tile.rindex('href="', 0, start) + 6:]
    assert href.startswith("/desk/exceptions#lines_short")
    page = client.get("/desk/exceptions").get_data(as_text=True)
    section = page[page.index('id="lines_short"'):]
    section = section[:section.index("</section>")]
    assert '<span class="badge warn">1</span>' in section and "2 of 2 short" in section
