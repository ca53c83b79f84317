"""CSV imports: all rows checked, one bad row imports nothing, every error has its row."""
import pytest

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.importing import ImportRefused, import_products, import_stock
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.inventory.services import ledger_problems, stock_at

GOOD = """sku,name,variant,barcodes,ps_product_id,ps_combination_id,weight_g
TSH-BLK-M,T-shirt,Black / M,4006381333931,12,40,180
TSH-BLK-L,T-shirt,Black / L,036000291452|WMS000001,12,41,190
MUG-1,Mug,,,13,0,400
"""


def test_import_products_creates_and_updates(app):
    result = import_products(GOOD)
    assert (result.created, result.updated) == (3, 0)
    product = db.session.query(Product).filter_by(sku="TSH-BLK-L").one()
    assert [b.code for b in product.barcodes] == ["036000291452", "WMS000001"]
    assert (product.ps_product_id, product.ps_combination_id, product.weight_g) == (12, 41, 190)
    again = import_products(GOOD.replace("Mug,", "Big mug,"))
    assert (again.created, again.updated) == (0, 3)
    assert db.session.query(Product).filter_by(sku="MUG-1").one().name == "Big mug"


def test_one_bad_row_imports_nothing_and_every_error_has_its_row(app):
    bad = GOOD + """BAD-1,,,4006381333932,x,,-5
TSH-BLK-M,Duplicate,,,,,
DUP-EAN,Other,,4006381333931,,,
"""
    with pytest.raises(ImportRefused) as info:
        import_products(bad)
    messages = [str(e) for e in info.value.result.errors]
    assert "row 5: name is empty" in messages
    assert any(m.startswith("row 5: barcode 4006381333932: wrong check digit") for m in messages)
    assert any(m.startswith("row 5: ps_product_id must be a whole number") for m in messages)
    assert any(m.startswith("row 5: weight_g") for m in messages)
    assert "row 6: sku TSH-BLK-M appears twice (also on row 2)" in messages
    assert "row 7: barcode 4006381333931 appears twice (also on row 2)" in messages
    assert db.session.query(Product).count() == 0


def test_missing_and_unknown_columns(app):
    with pytest.raises(ImportRefused, match="missing column"):
        import_products("name\nT-shirt\n")
    with pytest.raises(ImportRefused, match="unknown column"):
        import_products("sku,name,colour\nA,B,C\n")


def test_import_stock_posts_an_initial_load(app, make_location, make_product, make_user):
    make_location("A-01-01-1")
    make_product("TSH-1")
    user = make_user("admin")
    result = import_stock("location,sku,quantity\na-01-01-1,TSH-1,12\n", user=user)
    assert result.created == 1
    move = db.session.query(StockMove).one()
    assert (move.reason, move.quantity, move.user_id) == (MoveReason.INITIAL_LOAD, 12, user.id)
    assert ledger_problems() == []
    with pytest.raises(ImportRefused, match="already holds TSH-1"):
        import_stock("location,sku,quantity\nA-01-01-1,TSH-1,3\n")


def test_import_stock_refuses_bad_rows(app, make_location, make_product):
    make_location("A-01-01-1")
    make_product("TSH-1")
    text = ("location,sku,quantity\nA-01-01-1,TSH-1,5\nZ-99-99-9,TSH-1,1\nA-01-01-1,NOPE,1\n"
            "A-01-01-1,TSH-1,abc\nA-01-01-1,TSH-1,0\n")
    with pytest.raises(ImportRefused) as info:
        import_stock(text)
    messages = [str(e) for e in info.value.result.errors]
    assert "row 3: location Z-99-99-9 does not exist" in messages
    assert "row 4: sku NOPE is not a known product" in messages
    assert any(m.startswith("row 5: quantity must be a whole number above 0") for m in messages)
    assert any(m.startswith("row 6: quantity") for m in messages)
    assert db.session.query(StockMove).count() == 0


def test_demo_seed_is_realistic(app, demo):
    from wms.domain.locations.models import Location, Warehouse

    assert db.session.query(Location).count() >= 200
    zones = {z for (z,) in db.session.query(Location.zone).filter(Location.aisle.isnot(None)).distinct()}
    # Paris (zones A, B) and Lyon (L, M, two blocks): issue 14's two sites.
    assert zones == {"A", "B", "L", "M"}
    paris, lyon = db.session.query(Warehouse).order_by(Warehouse.id).all()
    assert (paris.name, lyon.name) == ("Paris", "Lyon")
    assert {loc.warehouse_id for loc in db.session.query(Location).filter(Location.zone.in_(["L", "M"]))} == {lyon.id}
    products = db.session.query(Product).all()
    assert len(products) >= 100
    assert all(p.barcodes for p in products)
    assert sum(1 for p in products if p.variant) >= 80
    assert ledger_problems() == []
    assert stock_at(products[0], db.session.query(Location).filter_by(code="DOCK-01").one()) is None


def test_demo_orders_are_allocated_and_keep_the_ledger_sound(app, demo):
    from wms.domain.orders.models import Order, OrderStatus
    from wms.domain.picking.models import Allocation
    from wms.seed import seed_demo_orders

    assert seed_demo_orders(count=10) == 10
    assert seed_demo_orders(count=10) == 0  # only into a warehouse without orders
    orders = db.session.query(Order).all()
    assert len(orders) == 10 and all(o.status is OrderStatus.ALLOCATED for o in orders)
    assert sum(a.quantity for a in db.session.query(Allocation)) == sum(
        line.quantity for o in orders for line in o.lines)
    assert ledger_problems() == []


def test_locations_import_into_a_named_site(app, make_warehouse, make_location):
    from wms.domain.importing import ImportRefused, import_locations
    from wms.domain.locations.models import Location

    make_location("A-01-01-1")
    lyon = make_warehouse("LYO", "Lyon")
    result = import_locations("code,kind,warehouse\nL-01-01-1,STORAGE,lyo\nA-01-02-1,PICK_FACE,\n")
    assert result.created == 2
    by_code = {loc.code: loc.warehouse.code for loc in db.session.query(Location)}
    assert by_code == {"A-01-01-1": "WH1", "L-01-01-1": "LYO", "A-01-02-1": "WH1"}
    # Updating without the column keeps the site; naming another site or an unknown one is refused.
    assert import_locations("code,kind\nL-01-01-1,PICK_FACE\n").updated == 1
    with pytest.raises(ImportRefused) as refused:
        import_locations("code,kind,warehouse\nL-01-01-1,STORAGE,WH1\nX-01-01-1,STORAGE,NOPE\n")
    messages = [str(e) for e in refused.value.result.errors]
    assert any("L-01-01-1 is a location of another site" in m for m in messages)
    assert any("warehouse “NOPE” does not exist (sites: WH1, LYO)" in m for m in messages)
    assert db.session.query(Location).count() == 3 and lyon.id
