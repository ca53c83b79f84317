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


def test_the_sites_page_edits_a_site_time_zone_and_refuses_a_bad_one(client, login_as, two_sites):
    s = two_sites()
    db.session.commit()
    login_as("supervisor")
    page = client.get("/desk/sites").get_data(as_text=True)
    assert 'name="timezone"' in page and 'list="zone-names"' in page and "America/Montreal" in page
    r = client.post(f"/desk/sites/{s.lyon.id}", data={"priority": "1", "sellable": "1",
                                                       "timezone": " America/Montreal "})
    assert r.status_code == 302
    db.session.expire_all()
    assert s.lyon.timezone == "America/Montreal"
    for bad in ("Mars/Olympus", "../../etc/passwd", "x" * 300):
        r = client.post(f"/desk/sites/{s.lyon.id}", data={"priority": "7", "sellable": "1", "timezone": bad})
        assert r.status_code == 422
        assert "is not a time zone: write it as Region/City" in r.get_data(as_text=True)
        db.session.expire_all()
        assert s.lyon.timezone == "America/Montreal" and s.lyon.priority == 1  # nothing changed
    # Empty: back to the installation's zone.
    assert client.post(f"/desk/sites/{s.lyon.id}", data={"priority": "1", "timezone": ""}).status_code == 302
    db.session.expire_all()
    assert s.lyon.timezone is None


def test_a_desk_filtered_to_a_site_shows_times_on_its_clock(app, client, login_as, two_sites):
    from datetime import datetime, timezone

    s = two_sites()
    s.lyon.timezone = "Asia/Tokyo"
    app.config["TIMEZONE"] = "Europe/Paris"
    order = order_of(s, {"SKU-A": 1})
    order.warehouse_id = s.lyon.id
    order.ship_by = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    db.session.commit()
    login_as("supervisor")
    lyon = client.get(f"/desk/orders/{order.id}?site={s.lyon.id}").get_data(as_text=True)
    assert "9:00\u202fPM" in lyon or "9:00 PM" in lyon  # 21:00 in Tokyo
    every = client.get(f"/desk/orders/{order.id}?site=all").get_data(as_text=True)
    assert "1:00\u202fPM" in every or "1:00 PM" in every  # 13:00 in Paris (WMS_TIMEZONE)


def test_a_handheld_shows_its_site_clock_at_no_statement(app, two_sites):
    from flask import g

    from wms.domain.locations import sites as site_module
    from wms.i18n import select_timezone
    from sqlalchemy import event

    s = two_sites()
    s.lyon.timezone = "America/Montreal"
    db.session.flush()
    app.config["TIMEZONE"] = "Europe/Paris"
    with app.test_request_context("/handheld/"):
        g.site_id = s.lyon.id
        assert select_timezone() == "America/Montreal"
        statements = []
        listener = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            for _ in range(5):
                assert select_timezone() == "America/Montreal"
            g.site_id = s.paris.id
            assert select_timezone() == "Europe/Paris"  # no zone of its own
            g.site_id = None
            assert select_timezone() == "Europe/Paris"  # no station: the installation's
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert statements == []
        # A supervisor edits the site: the cache forgets and the next time reads the new zone.
        s.lyon.timezone = "Asia/Tokyo"
        db.session.flush()
        g.site_id = s.lyon.id
        assert site_module.site_zone(s.lyon.id) == "Asia/Tokyo"


def test_dashboard_and_late_filter_use_the_cutoff_at_the_order_site(client, login_as, two_sites):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from wms.db import utcnow
    from wms.domain.shipping.models import CarrierSite

    s = two_sites()
    now = utcnow()
    paris = ZoneInfo("Europe/Paris")
    # The carrier's own cut-off is in 30 minutes; at Lyon it was 30 minutes ago.
    s.carrier.cutoff = (now + timedelta(minutes=30)).astimezone(paris).time().replace(second=0, microsecond=0)
    s.carrier.sites.extend([CarrierSite(warehouse_id=s.paris.id),
                            CarrierSite(warehouse_id=s.lyon.id, cutoff=(now - timedelta(minutes=30)).astimezone(
                                paris).time().replace(second=0, microsecond=0))])
    for ref, site in (("IN-PARIS", s.paris), ("IN-LYON", s.lyon)):
        order = order_of(s, {"SKU-A": 1}, reference=ref)
        order.warehouse_id, order.ordered_at = site.id, now - timedelta(hours=1)
    db.session.commit()
    login_as("supervisor")
    page = client.get("/desk/orders?late=1&site=all").get_data(as_text=True)
    assert "IN-LYON" in page and "IN-PARIS" not in page
    numbers = client.get("/desk/dashboard/numbers").get_data(as_text=True)
    assert '<span class="num">1</span> late against cut-off' in numbers


def test_a_wave_ship_by_is_typed_on_the_site_clock(client, login_as, two_sites):
    from datetime import datetime, timezone

    s = two_sites(lyon={"SKU-A": 5})
    s.lyon.timezone = "Asia/Tokyo"  # UTC+9
    early = order_of(s, {"SKU-A": 1}, reference="EARLY")
    late = order_of(s, {"SKU-A": 1}, reference="LATE")
    early.ship_by = datetime(2026, 11, 28, 5, 0, tzinfo=timezone.utc)  # 14:00 in Tokyo
    late.ship_by = datetime(2026, 11, 28, 7, 0, tzinfo=timezone.utc)  # 16:00 in Tokyo
    allocate_orders()
    db.session.commit()
    login_as("supervisor")
    assert client.get(f"/desk/picking/?site={s.lyon.id}").status_code == 200  # the desk shows Lyon
    r = client.post("/desk/picking/wave", data={"ship_by_before": "tomorrow"}, follow_redirects=True)
    assert "is not a date and time" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PickList)) == 0
    r = client.post("/desk/picking/wave", data={"ship_by_before": "2026-11-28T15:00"}, follow_redirects=True)
    assert "with 1 order" in r.get_data(as_text=True)
    [pl] = db.session.execute(select(PickList)).scalars().all()
    assert [plo.order_id for plo in pl.orders] == [early.id]
    assert pl.note == "Wave: ship by 2026-11-28 15:00"  # as typed, on Lyon's clock
