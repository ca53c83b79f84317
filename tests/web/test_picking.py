"""Picking over HTTP: desk allocation, batch creation and PDF; handheld refusals answer 422."""
from wms.db import db
from wms.domain.inventory.services import receive
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.picking.models import PickList


def test_desk_allocate_batch_pdf_and_handheld_refusal(client, login_as, make_location, make_product, make_user):
    login_as("supervisor")
    make_location("PACK-01", kind=LocationKind.PACKING)
    face = make_location("A-02-03-1", kind=LocationKind.PICK_FACE)
    p = make_product("W-1")
    receive(p, face, 5)
    orders = []
    for n in range(2):
        o = Order(reference=f"R{n}")
        o.lines.append(OrderLine(line_no=1, product_id=p.id, sku=p.sku, name=p.name, quantity=2))
        db.session.add(o)
        orders.append(o)
    db.session.commit()
    assert client.post("/desk/picking/allocate").status_code == 302
    assert [o.status for o in orders] == [OrderStatus.ALLOCATED] * 2
    page = client.get("/desk/picking/").get_data(as_text=True)
    assert "SO-%d" % orders[0].id in page
    r = client.post("/desk/picking/lists", data={"mode": "batch", "order": [str(o.id) for o in orders]})
    assert r.status_code == 302
    pl = db.session.query(PickList).one()
    pdf = client.get(f"/desk/picking/lists/{pl.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # The same orders cannot go on a second list.
    client.post("/desk/picking/lists", data={"mode": "single", "order": [str(orders[0].id)]})
    assert db.session.query(PickList).count() == 1

    client.post("/logout")
    login_as("operator")
    hx = {"HX-Request": "true"}
    assert client.post("/handheld/pick/scan", data={"code": pl.code}, headers=hx).status_code == 200
    r = client.post("/handheld/pick/scan", data={"code": "A-02-03-1"}, headers=hx)
    assert r.status_code == 422 and "empty tote" in r.get_data(as_text=True)
    assert "scan-error" in r.headers["HX-Trigger"]
