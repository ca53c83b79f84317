"""Several warehouses over HTTP: the handheld's site refuses bins of another site by name, desk
pages filter by site, the desk routes an order to the other site and edits routing rules."""
from __future__ import annotations

from sqlalchemy import select

from tests.domain.test_sites import order_of, reserved_by_site, two_sites  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.orders.models import RoutingRule
from wms.domain.picking import services as picking
from wms.domain.picking.models import PickListStatus
from wms.domain.picking.allocation import allocate_orders
from wms.domain.printing.models import Station
from wms.domain.scans.models import FlowState

HX = {"HX-Request": "true"}


def choose_station(client, station):
    r = client.post("/handheld/station", data={"station": str(station.id)})
    assert r.status_code == 302


def test_a_handheld_in_lyon_refuses_a_paris_bin_naming_paris(client, login_as, two_sites):
    s = two_sites(lyon={"SKU-A": 5})
    station = Station(name="Lyon 1", warehouse_id=s.lyon.id)
    db.session.add(station)
    order = order_of(s, {"SKU-A": 2})
    allocate_orders([order.id])
    assert order.warehouse_id == s.lyon.id
    pick_list = picking.create_pick_list([order.id])
    db.session.commit()
    login_as("operator")
    choose_station(client, station)
    page = client.get("/handheld/").get_data(as_text=True)
    assert 'class="hh-site"' in page and "Lyon" in page
    assert client.post("/handheld/pick/scan", data={"code": pick_list.code}, headers=HX).status_code == 200
    # The fast path (the picker's bin scan) refuses a bin of Paris by name and changes nothing.
    r = client.post("/handheld/pick/scan", data={"code": "A-02-01-1"}, headers=HX)
    assert r.status_code == 422
    assert "A-02-01-1 is a bin of Paris, not of Lyon" in r.get_data(as_text=True)
    r = client.post("/handheld/pick/scan", data={"code": "B-01-01-1"}, headers=HX)
    assert r.status_code == 200 and "At B-01-01-1" in r.get_data(as_text=True)
    # The move flow (location_by_code) too.
    r = client.post("/handheld/move/scan", data={"code": "A-01-01-1"}, headers=HX)
    assert r.status_code == 422 and "is a bin of Paris" in r.get_data(as_text=True)
    # Without a station the device works anywhere (one site installs: nothing changes).
    client.post("/handheld/station", data={"station": ""})
    r = client.post("/handheld/move/scan", data={"code": "A-01-01-1"}, headers=HX)
    assert r.status_code == 200


def test_a_list_of_another_site_is_not_started(client, login_as, two_sites):
    s = two_sites(paris={"SKU-A": 5})
    station = Station(name="Lyon 1", warehouse_id=s.lyon.id)
    db.session.add(station)
    order = order_of(s, {"SKU-A": 2})
    allocate_orders([order.id])
    pick_list = picking.create_pick_list([order.id])
    db.session.commit()
    user = login_as("operator")
    choose_station(client, station)
    r = client.post("/handheld/pick/scan", data={"code": pick_list.code}, headers=HX)
    assert r.status_code == 422 and "is picked in Paris, not in Lyon" in r.get_data(as_text=True)
    # An operator who has picked before (the scan's fast path reads their flow state): the same.
    db.session.add(FlowState(user_id=user.id, flow="pick", data={}))
    db.session.commit()
    r = client.post("/handheld/pick/scan", data={"code": pick_list.code}, headers=HX)
    assert r.status_code == 422 and "is picked in Paris, not in Lyon" in r.get_data(as_text=True)
    db.session.expire_all()
    assert pick_list.status is PickListStatus.OPEN and pick_list.assigned_user_id is None
    # Nor offered on the Lyon handheld's list of lists.
    assert pick_list.code not in client.get("/handheld/pick").get_data(as_text=True)
    client.post("/handheld/station", data={"station": ""})
    assert pick_list.code in client.get("/handheld/pick").get_data(as_text=True)


def test_desk_filters_by_site_and_routes_an_order_to_the_other_site(client, login_as, two_sites):
    s = two_sites(paris={"SKU-A": 5}, lyon={"SKU-A": 5, "SKU-B": 1})
    in_paris = order_of(s, {"SKU-A": 1}, reference="PARIS-1")
    in_lyon = order_of(s, {"SKU-B": 1}, reference="LYON-1")
    allocate_orders()
    db.session.commit()
    login_as("supervisor")
    page = client.get(f"/desk/orders?site={s.lyon.id}").get_data(as_text=True)
    assert "LYON-1" in page and "PARIS-1" not in page
    # The choice follows the supervisor to the other pages.
    stock = client.get("/desk/stock").get_data(as_text=True)
    assert "B-01-01-1" in stock and "A-01-01-1" not in stock
    picking_page = client.get("/desk/picking/").get_data(as_text=True)
    assert in_lyon.code in picking_page and in_paris.code not in picking_page
    assert client.get("/desk/dispatch").status_code == 200
    everything = client.get("/desk/orders?site=all").get_data(as_text=True)
    assert "LYON-1" in everything and "PARIS-1" in everything

    page = client.get(f"/desk/orders/{in_paris.id}").get_data(as_text=True)
    assert "by priority" in page and "Route there" in page
    r = client.post(f"/desk/orders/{in_paris.id}/route", data={"warehouse_id": str(s.lyon.id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert in_paris.warehouse_id == s.lyon.id
    assert reserved_by_site(s.products["SKU-A"]) == {"LYO": 1}
    page = client.get(f"/desk/orders/{in_paris.id}").get_data(as_text=True)
    assert "on the desk" in page
    # A bad site: a sentence, nothing changed.
    r = client.post(f"/desk/orders/{in_paris.id}/route", data={"warehouse_id": "x"})
    assert r.status_code == 404 and "does not exist" in r.get_data(as_text=True)
    db.session.expire_all()
    assert in_paris.warehouse_id == s.lyon.id


def test_desk_edits_routing_rules_and_sites(client, login_as, two_sites):
    s = two_sites()
    db.session.commit()
    login_as("supervisor")
    assert client.get("/desk/sites").status_code == 200
    r = client.post("/desk/sites/rules", data={"priority": "1", "countries": "be, lu", "warehouse_id": str(s.lyon.id)})
    assert r.status_code == 302
    rule = db.session.execute(select(RoutingRule)).scalar_one()
    assert rule.countries == "BE,LU" and rule.warehouse_id == s.lyon.id
    r = client.post("/desk/sites/rules", data={"priority": "1", "countries": "Belgium", "warehouse_id": str(s.lyon.id)})
    assert r.status_code == 422 and "two-letter ISO codes" in r.get_data(as_text=True)
    r = client.post("/desk/sites/rules", data={"priority": "x", "warehouse_id": str(s.lyon.id)})
    assert r.status_code == 422 and "whole number" in r.get_data(as_text=True)
    assert db.session.execute(select(RoutingRule)).scalars().all() == [rule]
    r = client.post(f"/desk/sites/{s.lyon.id}", data={"priority": "5"})
    assert r.status_code == 302
    db.session.expire_all()
    assert s.lyon.priority == 5 and s.lyon.sellable is False
    r = client.post("/desk/sites/carriers", data={"carrier_id": str(s.carrier.id), "warehouse_id": str(s.lyon.id),
                                                  "cutoff": "15:30"})
    assert r.status_code == 302
    db.session.expire_all()
    assert [(cs.warehouse_id, cs.cutoff.strftime("%H:%M")) for cs in s.carrier.sites] == [(s.lyon.id, "15:30")]
    r = client.post("/desk/sites/carriers", data={"carrier_id": str(s.carrier.id), "warehouse_id": str(s.lyon.id),
                                                  "cutoff": "25h"})
    assert r.status_code == 422 and "not a time of day" in r.get_data(as_text=True)
    r = client.post(f"/desk/sites/rules/{rule.id}/delete")
    assert r.status_code == 302
    assert db.session.execute(select(RoutingRule)).scalars().all() == []


def test_a_packing_bench_in_lyon_leaves_a_paris_order(client, login_as, two_sites):
    s = two_sites(paris={"SKU-A": 5})
    station = Station(name="Lyon bench", warehouse_id=s.lyon.id)
    db.session.add(station)
    order = order_of(s, {"SKU-A": 1})
    allocate_orders([order.id])
    pick_list = picking.create_pick_list([order.id])
    picking.scan(s.operator, pick_list.code)
    picking.scan(s.operator, "A-01-01-1")
    picking.scan(s.operator, s.products["SKU-A"].barcodes[0].code)
    db.session.commit()
    login_as("operator")
    choose_station(client, station)
    r = client.post("/handheld/packing/scan", data={"code": order.code}, headers=HX)
    assert r.status_code == 422
    assert f"{order.code} ships from Paris, not from Lyon" in r.get_data(as_text=True)
