"""Late against the cut-off of the order's carrier at the order's site (issue 14), on the site's
clock: CarrierSite's cut-off, else the carrier's; one statement, whatever the number of orders."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import event, select

from tests.domain.test_sites import order_of, two_sites  # noqa: F401 (fixture)
from wms.db import db
from wms.domain.locations import sites as site_module
from wms.domain.orders.models import Order, OrderStatus
from wms.domain.orders.services import last_cutoff, late_condition
from wms.domain.shipping.models import CarrierSite

UTC = timezone.utc
NOW = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)  # 14:00 in Paris, 08:00 in Montreal


def test_last_cutoff_is_read_on_the_zone_clock():
    assert last_cutoff(time(15, 0), "Europe/Paris", NOW) == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert last_cutoff(time(11, 0), "Europe/Paris", NOW) == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert last_cutoff(time(11, 0), "America/Montreal", NOW) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    # The day summer time starts in Paris (29 March 2026): 15:00 is 13:00 UTC.
    spring = datetime(2026, 3, 29, 20, 0, tzinfo=UTC)
    assert last_cutoff(time(15, 0), "Europe/Paris", spring) == datetime(2026, 3, 29, 13, 0, tzinfo=UTC)


def _late(now=NOW) -> set[str]:
    return set(db.session.execute(select(Order.reference).where(late_condition(now))).scalars())


def _placed(s, reference, site, at, **kw):
    order = order_of(s, {"SKU-A": 1}, reference=reference)
    order.warehouse_id = site.id if site is not None else None
    order.ordered_at = at
    for key, value in kw.items():
        setattr(order, key, value)
    db.session.flush()
    return order


def test_late_uses_the_cutoff_at_the_order_site_in_its_zone(two_sites):
    s = two_sites()
    current_app.config["TIMEZONE"] = "Europe/Paris"
    s.carrier.cutoff = time(15, 0)
    # Lyon's truck comes at 11:00 (its own cut-off); Paris keeps the carrier's 15:00.
    s.carrier.sites.extend([CarrierSite(warehouse_id=s.lyon.id, cutoff=time(11, 0)),
                            CarrierSite(warehouse_id=s.paris.id)])
    db.session.flush()
    this_morning = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 10:00 in Paris and Lyon
    _placed(s, "PARIS-TODAY", s.paris, this_morning)  # due at 15:00 today: not late yet
    _placed(s, "LYON-TODAY", s.lyon, this_morning)  # missed Lyon's 11:00
    _placed(s, "PARIS-YESTERDAY", s.paris, this_morning - timedelta(days=1))  # missed yesterday's 15:00
    _placed(s, "NO-SITE", None, this_morning - timedelta(days=1))  # no site: carrier's, WMS_TIMEZONE
    _placed(s, "SHIPPED", s.paris, this_morning - timedelta(days=3), status=OrderStatus.SHIPPED)
    _placed(s, "DUE-FRIDAY", s.paris, this_morning - timedelta(days=3), ship_by=NOW + timedelta(days=2))
    _placed(s, "WAS-DUE", s.lyon, this_morning, ship_by=NOW - timedelta(minutes=5))
    _placed(s, "NO-CARRIER", s.paris, this_morning - timedelta(days=3), carrier_id=None)
    assert _late() == {"LYON-TODAY", "PARIS-YESTERDAY", "NO-SITE", "WAS-DUE"}
    # Lyon is in fact a 3PL in Montreal: 11:00 there is 16:00 UTC, not passed today.
    s.lyon.timezone = "America/Montreal"
    db.session.flush()
    assert _late() == {"PARIS-YESTERDAY", "NO-SITE", "WAS-DUE"}
    assert "LYON-TODAY" in _late(datetime(2026, 11, 28, 16, 30, tzinfo=UTC))
    # No cut-off anywhere: only ship-by counts.
    s.carrier.cutoff = None
    s.carrier.sites[0].cutoff = None
    db.session.flush()
    assert _late() == {"WAS-DUE"}


def test_late_costs_one_statement_and_a_bad_zone_falls_back(two_sites):
    s = two_sites()
    s.carrier.cutoff = time(15, 0)
    for n in range(20):
        _placed(s, f"R{n}", s.paris if n % 2 else s.lyon, NOW - timedelta(days=2))
    site_module.site_zones()  # the zones are cached (read once per process)
    statements = []
    listener = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        condition = late_condition(NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1  # the cut-offs; the count or list is the caller's one statement
    assert len(db.session.execute(select(Order.id).where(condition)).all()) == 20
    # A zone that is no zone (edited in the database by hand) reads as WMS_TIMEZONE, never a 500.
    s.lyon.timezone = "Mars/Olympus"
    db.session.flush()
    assert site_module.site_zone(s.lyon.id) == site_module.default_zone()
    assert len(_late()) == 20
