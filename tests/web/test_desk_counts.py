"""Cycle counts through the desk and the handheld screens."""
from wms.db import db
from wms.domain.counts.models import CountStatus, CountTask
from wms.domain.inventory import services as inventory


def test_count_from_desk_to_handheld_to_approval(app, client, login_as, make_location, make_product):
    loc = make_location("A-01-01-1")
    product = make_product("SKU-C")
    inventory.receive(product, loc, 7)
    db.session.commit()
    login_as("supervisor")
    response = client.post("/desk/counts", data={"scope": "location", "code": "A-01-01-1"})
    assert response.status_code == 302
    task = db.session.query(CountTask).one()
    again = client.post("/desk/counts", data={"scope": "location", "code": "A-01-01-1"})
    assert again.status_code == 409 and "already counts" in again.get_data(as_text=True)
    assert client.post("/desk/counts", data={"scope": "location", "code": "Z-99-99-9"}).status_code == 404

    # The supervisor counts on the handheld here: roles above operator may use it too.
    for code, qty in ((task.code, ""), ("A-01-01-1", ""), (product.main_barcode, "5")):
        r = client.post("/handheld/count/scan", data={"code": code, "qty": qty},
                        headers={"HX-Request": "true"})
        assert r.status_code == 200, r.get_data(as_text=True)
    screen = r.get_data(as_text=True)
    assert "SKU-C" in screen and ">5<" in screen and ">7<" not in screen  # blind: books not shown
    bad = client.post("/handheld/count/scan", data={"code": "NOT A CODE !!"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "scan-error" in bad.headers["HX-Trigger"]
    assert client.post("/handheld/count/finish", headers={"HX-Request": "true"}).status_code == 200
    db.session.expire_all()
    task = db.session.get(CountTask, task.id)
    assert task.status is CountStatus.REVIEW
    page = client.get(f"/desk/counts/{task.id}").get_data(as_text=True)
    assert "-2" in page and "Approve and post 1 difference" in page
    assert client.post(f"/desk/counts/{task.id}/approve", data={"note": "two broken"}).status_code == 302
    db.session.expire_all()
    assert inventory.stock_at(product, loc).on_hand == 5
    again = client.post(f"/desk/counts/{task.id}/approve")
    assert again.status_code == 409
