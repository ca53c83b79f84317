"""Find locations by their scanned code."""
from __future__ import annotations

from sqlalchemy import select

from wms.db import db
from wms.domain.locations.models import Location, LocationKind
from wms.errors import DomainError, NotFound
from wms.i18n import _


def location_by_code(code: str) -> Location:
    """Return the active location with this code, or refuse with what to do next."""
    location = db.session.execute(
        select(Location).where(Location.code == code.strip().upper())).scalar_one_or_none()
    if location is None:
        raise NotFound(_("Location %(code)s does not exist: scan the label on the bin.", code=code),
                       code="unknown_location")
    if not location.active:
        raise DomainError(_("Location %(code)s is not in use.", code=location.code), code="inactive_location")
    return location


def default_location(kind: LocationKind, warehouse_id: int | None = None) -> Location:
    """Return the first active location of a kind (e.g. the receiving dock)."""
    query = select(Location).where(Location.kind == kind, Location.active.is_(True))
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    location = db.session.execute(query.order_by(Location.code).limit(1)).scalar_one_or_none()
    if location is None:
        raise NotFound(_("There is no %(kind)s location. Ask a supervisor to create one.",
                         kind=kind.label.lower()))
    return location
