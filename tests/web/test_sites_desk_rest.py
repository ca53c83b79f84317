"""Several warehouses on the desk (issue 14): "All sites" waves make one list per site, the
"late" filter and the dashboard use each site's cut-off in its own time zone, pages filtered to
one site show its times, the Sites page edits a site's time zone."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.domain.test_sites import order_of, two_sites  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.picking.allocation import allocate_orders
from wms.domain.picking.models import PickList, PickListKind


def test_an_all_sites_wave_releases_one_list_per_site(client, login_as, two_sites):
    s = two_sites(paris={"SKU-A": 5}, lyon={"SKU-B": 5})
    paris = [order_of(s, {"SKU-A": 1}, reference=f"P{i}") for i in range(2)]
    lyon = [order_of(s, {"SKU-B": 1}, reference=f"L{i}") for i in range(3)]
    allocate_orders()
    db.session.commit()
    login_as("supervisor")
    r = client.post("/desk/picking/wave?site=all", data={"carrier": str(s.carrier.id)}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "2 waves, one per site" in page
    lists = db.session.execute(select(PickList).order_by(PickList.id)).scalars().all()
    assert [pl.kind for pl in lists] == [PickListKind.WAVE] * 2
    sites = [{plo.order.warehouse_id for plo in pl.orders} for pl in lists]
    assert sites == [{s.paris.id}, {s.lyon.id}]  # a list never mixes sites
    assert sorted(plo.order_id for pl in lists for plo in pl.orders) == sorted(o.id for o in paris + lyon)
    assert f"{lists[0].code} for Paris, 2 orders" in page and f"{lists[1].code} for Lyon, 3 orders" in page
    # Nothing left: a clear refusal, nothing made.
    r = client.post("/desk/picking/wave", data={}, follow_redirects=True)
    assert "No allocated orders match this wave" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PickList)) == 2


def test_a_wave_filtered_to_one_site_takes_only_its_orders(client, login_as, two_sites):
    s = two_sites(paris={"SKU-A": 5}, lyon={"SKU-B": 5})
    order_of(s, {"SKU-A": 1}, reference="P1")
    in_lyon = order_of(s, {"SKU-B": 1}, reference="L1")
    allocate_orders()
    db.session.commit()
    login_as("supervisor")
    r = client.post(f"/desk/picking/wave?site={s.lyon.id}", data={}, follow_redirects=True)
    assert "with 1 order" in r.get_data(as_text=True)
    [pl] = db.session.execute(select(PickList)).scalars().all()
    assert [plo.order_id for plo in pl.orders] == [in_lyon.id]
    # A bad carrier: a sentence, nothing released.
    r = client.post("/desk/picking/wave", data={"carrier": "x'"}, follow_redirects=True)
    assert "Choose a carrier from the list" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PickList)) == 1
