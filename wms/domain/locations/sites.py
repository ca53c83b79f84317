"""Sites: the warehouse a handheld works in, the refusal of a bin of another site, site time zones.

A handheld chooses its station; the station stands in a warehouse, and from then on every scan
that names a bin of another site is refused with a sentence naming the bin's site. The web
layer puts the device's site in ``flask.g.site_id`` for the request (wms.web.handheld); the
scan paths call :func:`check_site` with the ``warehouse_id`` of the location row they already
read, so the check costs no statement (only a refusal reads the two site names).
"""
from __future__ import annotations

import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g, has_app_context
from sqlalchemy import event, select

from wms.db import db
from wms.domain.locations.models import Warehouse
from wms.errors import DomainError
from wms.i18n import _


def current_site_id() -> int | None:
    """The warehouse the handheld of this request works in, or None (desk, API, no station)."""
    if not has_app_context():
        return None
    return g.get("site_id")


def site_names(warehouse_id: int, site_id: int) -> tuple[str, str]:
    """The names of a thing's site and of the handheld's (one read, for a refusal's sentence)."""
    names = dict(db.session.execute(select(Warehouse.id, Warehouse.name)
                                    .where(Warehouse.id.in_([warehouse_id, site_id]))).all())
    return names.get(warehouse_id, "?"), names.get(site_id, "?")


def other_site_refusal(warehouse_id: int, code: str, site_id: int) -> DomainError:
    """The refusal of bin ``code`` of warehouse ``warehouse_id`` scanned by a handheld of ``site_id``."""
    there, here = site_names(warehouse_id, site_id)
    return DomainError(_("%(code)s is a bin of %(site)s, not of %(here)s: scan a bin of %(here)s.",
                         code=code, site=there, here=here), code="other_site")


def elsewhere(warehouse_id: int | None, site_id: int | None = None) -> int | None:
    """The handheld's site when something of `warehouse_id` belongs to another one; None when
    it is here, or when either has no site (then anything is fine)."""
    site = current_site_id() if site_id is None else site_id
    if site is None or warehouse_id is None or warehouse_id == site:
        return None
    return site


def check_site(warehouse_id: int | None, code: str, site_id: int | None = None) -> None:
    """Refuse a bin of another site than the handheld's (no site chosen: every bin is fine).

    ``warehouse_id`` and ``code`` come from the location row the scan already read.
    """
    site = elsewhere(warehouse_id, site_id)
    if site is not None:
        raise other_site_refusal(warehouse_id, code, site)


def check_order_site(order) -> None:
    """Refuse an order of another site than the handheld's (packing: the order's code scanned)."""
    site = elsewhere(order.warehouse_id)
    if site is None:
        return
    there, here = site_names(order.warehouse_id, site)
    raise DomainError(_("%(order)s ships from %(site)s, not from %(here)s: leave it for %(site)s.",
                        order=order.code, site=there, here=here), code="other_site")


def all_warehouses() -> list[Warehouse]:
    return list(db.session.execute(select(Warehouse).order_by(Warehouse.id)).scalars())


def first_warehouse() -> Warehouse | None:
    """The first site (an installation with one site: that one)."""
    return db.session.execute(select(Warehouse).order_by(Warehouse.id).limit(1)).scalar_one_or_none()


# ------------------------------------------------------------------ time zones

# Site time zones, per database: ({warehouse id: IANA name or None}, when to read again).
# Choosing the zone a screen shows its times in costs no statement (a scan formats times);
# a site saved in this process clears it, other processes notice within ZONES_TTL_S.
_ZONES: dict[str, tuple[dict[int, str | None], float]] = {}
ZONES_TTL_S = 60.0


def valid_zone(name: str | None) -> bool:
    """True for an IANA time zone name zoneinfo knows ("Europe/Lisbon")."""
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def default_zone() -> str:
    """The installation's zone (WMS_TIMEZONE): "All sites" and sites with none of their own."""
    zone = current_app.config.get("TIMEZONE") if has_app_context() else None
    return zone if valid_zone(zone) else "UTC"


def site_zones() -> dict[int, str | None]:
    """Every site's own zone (None: the installation's), read at most once per ZONES_TTL_S."""
    key = str(db.engine.url)
    kept = _ZONES.get(key)
    if kept is not None and kept[1] > time.monotonic():
        return kept[0]
    zones = dict(db.session.execute(select(Warehouse.id, Warehouse.timezone)).all())
    _ZONES[key] = (zones, time.monotonic() + ZONES_TTL_S)
    return zones


def site_zone(warehouse_id: int | None) -> str:
    """The IANA zone of a site (its own, else WMS_TIMEZONE); None: WMS_TIMEZONE."""
    if warehouse_id is None:
        return default_zone()
    zone = site_zones().get(warehouse_id)
    return zone if valid_zone(zone) else default_zone()


@event.listens_for(Warehouse, "after_insert")
@event.listens_for(Warehouse, "after_update")
@event.listens_for(Warehouse, "after_delete")
def _forget_zones(_mapper, _connection, _target) -> None:
    # A site saved in this process: read the zones again (other processes: within the TTL).
    _ZONES.clear()
