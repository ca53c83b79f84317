"""Supervisor actions on orders: hold, release, cancel, and the search behind the order list."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, or_, select

from wms.db import as_id, db, utcnow
from wms.domain.orders.models import OPEN_STATUSES, Order, OrderLine, OrderStatus, record_event
from wms.domain.picking.allocation import put_back_picked, release_order_allocations
from wms.domain.picking.models import Allocation, PickList
from wms.domain.picking.services import ACTIVE_LISTS, active_pick_lists, detach_order
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import N_, _, _l, ngettext

# An order past these has goods in a parcel: holding or cancelling it is a packing matter.
HOLDABLE = (OrderStatus.NEW, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED, OrderStatus.PICKING,
            OrderStatus.PICKED)
CANCELLABLE = (*HOLDABLE, OrderStatus.ON_HOLD)


def order_by_code(code: str) -> Order:
    """Find an order by its code (SO-12), number, or shop reference."""
    raw = (code or "").strip()
    number = raw[3:] if raw.upper().startswith("SO-") else raw
    order = db.session.get(Order, as_id(number)) if as_id(number) is not None else None
    if order is None and raw:
        order = db.session.execute(select(Order).where(Order.reference == raw)).scalars().first()
    if order is None:
        raise NotFound(_("There is no order %(value)s: check the code or the shop reference.",
                         value=raw or _('(empty)')))
    return order


def lock_order(order: Order) -> Order:
    """Lock an order's row for this transaction and re-read it and its lines.

    Its active pick lists are locked first: a pick scan locks its list, then the order.
    """
    db.session.flush()
    active_pick_lists(order.id, lock=True)
    order = db.session.get(Order, order.id, with_for_update=True, populate_existing=True)
    db.session.execute(select(OrderLine).where(OrderLine.order_id == order.id)
                       .execution_options(populate_existing=True)).all()
    return order


MAX_REASON = 500  # Order.hold_reason's length


def _check_reason(reason) -> None:
    """A reason is text of at most 500 characters, without control characters but line breaks."""
    if not isinstance(reason, str):
        raise DomainError(_("reason: give the reason as text."), code="invalid")
    if len(reason) > MAX_REASON:
        raise DomainError(_("reason: at most %(max_reason)s characters, not %(count)s.",
                            max_reason=MAX_REASON, count=len(reason)), code="invalid")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in reason):
        raise DomainError(_("reason: must not contain control characters."), code="invalid")


def hold_order(order: Order, reason: str, user=None) -> Order:
    """Stop an order from moving on until a supervisor releases it."""
    order = lock_order(order)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the order is held (the reason is shown to everyone)."),
                          code="reason_required")
    _check_reason(reason)
    if order.status is OrderStatus.ON_HOLD:
        raise Conflict(_("%(code)s is already on hold: %(hold_reason)s",
                         code=order.code, hold_reason=order.hold_reason))
    if order.status not in HOLDABLE:
        raise Conflict(_("%(code)s is %(status)s: it can no longer be held.",
                         code=order.code, status=order.status.label.lower()))
    order.status = OrderStatus.ON_HOLD
    order.hold_reason = reason[:500]
    record_event(order, "held", _("Held: %(reason)s", reason=reason), user)
    _detach_from_pick_lists(order, user)
    db.session.flush()
    return order


def status_after_hold(order: Order) -> OrderStatus:
    """The status an order goes back to when released, judged from its lines."""
    lines = order.lines
    if any(ln.quantity_packed > ln.quantity_shipped for ln in lines):
        # Released without unpacking (e.g. the shop took its cancellation back): the parcels
        # go on as they were, to a dispatch, or back to the packing bench.
        return _packing_status(order)
    if lines and all(ln.quantity_picked >= ln.quantity for ln in lines):
        return OrderStatus.PICKED
    if any(ln.quantity_picked for ln in lines) and _lines_on_active_pick_list(order):
        return OrderStatus.PICKING
    # Otherwise the rest is picked on a new list (a hold took the order off its list).
    if lines and all(ln.quantity_allocated >= ln.quantity for ln in lines):
        return OrderStatus.ALLOCATED
    return OrderStatus.NEW


def _packing_status(order: Order) -> OrderStatus:
    from wms.domain.shipping.models import Shipment, ShipmentStatus

    packing = db.session.execute(select(Shipment.id).where(
        Shipment.order_id == order.id, Shipment.status == ShipmentStatus.PACKING).limit(1)).first()
    return OrderStatus.PACKING if packing is not None else OrderStatus.PACKED


def release_order(order: Order, user=None) -> Order:
    """Take an order off hold so it is allocated, picked and packed again."""
    order = lock_order(order)
    if order.status is not OrderStatus.ON_HOLD:
        raise Conflict(_("%(code)s is not on hold (%(status)s).",
                         code=order.code, status=order.status.label.lower()))
    unknown = [ln.sku or ln.name for ln in order.lines if ln.product_id is None]
    if unknown:
        raise DomainError(_("%(code)s has products the warehouse does not know: %(unknown)s. "
                            "Create them (Master data) first, then release.",
                            code=order.code, unknown=', '.join(unknown)),
                          code="unknown_sku")
    order.status = status_after_hold(order)
    record_event(order, "released", _("Released from hold (%(hold_reason)s); now %(status)s.",
                                      hold_reason=order.hold_reason, status=order.status.label.lower()), user)
    order.hold_reason = None
    db.session.flush()
    return order


SHOP_CANCELLED_AFTER_PACKING = N_("Cancelled in the shop after packing: unpack the parcels and "
                                  "put the goods back")


def _packed_units(order: Order) -> int:
    # Units in a parcel that has not left yet (shipped units count as packed too).
    return sum(max(0, ln.quantity_packed - ln.quantity_shipped) for ln in order.lines)


def cancel_order(order: Order, reason: str, user=None, *, from_shop: bool = False) -> Order:
    """Cancel an order: put picked units back and release its reservations.

    With `from_shop` (the shop cancelled or refunded it) any status short of shipped is taken,
    and an order with units in parcels is held instead, for someone to unpack it first: its
    parcels must not reach a dispatch, nor the shop hear "Shipped".
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the order is cancelled."), code="reason_required")
    _check_reason(reason)
    order = lock_order(order)
    if from_shop:
        if order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
            raise Conflict(_("%(code)s is %(status)s: it cannot be cancelled.",
                             code=order.code, status=order.status.label.lower()))
        if _packed_units(order):
            released = release_order_allocations(order, user)
            # Stored in the language of whoever held it (the worker speaks the default one).
            if order.status is OrderStatus.ON_HOLD and order.hold_reason in (
                    SHOP_CANCELLED_AFTER_PACKING, _(SHOP_CANCELLED_AFTER_PACKING)):
                return order
            order.status = OrderStatus.ON_HOLD
            order.hold_reason = _(SHOP_CANCELLED_AFTER_PACKING)
            record_event(order, "held", _("%(reason)s %(hold_reason)s (%(released)s released).",
                                          reason=reason, hold_reason=order.hold_reason, released=ngettext("%(num)d reserved unit", "%(num)d reserved units", released)), user)
            db.session.flush()
            return order
    elif order.status not in CANCELLABLE:
        raise Conflict(_("%(code)s is %(status)s: it cannot be cancelled here.",
                         code=order.code, status=order.status.label.lower()))
    elif _packed_units(order):
        raise Conflict(_("%(code)s has packed units: unpack the parcel first, then cancel.",
                         code=order.code))
    moved = put_back_picked(order, user) if any(ln.quantity_picked for ln in order.lines) else 0
    released = release_order_allocations(order, user)
    _cancel_unpacked_shipments(order)
    order.status = OrderStatus.CANCELLED
    order.hold_reason = None
    record_event(order, "cancelled", _("Cancelled: %(reason)s (%(released)s released; %(moved)s "
                                       "put back).",
                                       reason=reason, released=ngettext("%(num)d reserved unit", "%(num)d reserved units", released), moved=ngettext("%(num)d picked unit", "%(num)d picked units", moved)), user)
    _detach_from_pick_lists(order, user)
    db.session.flush()
    # A split order: its parts (shipped from other sites) go with it.
    for part in order.parts:
        if part.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
            try:
                cancel_order(part, reason, user, from_shop=from_shop)
            except Conflict as exc:
                record_event(order, "part_not_cancelled", exc.message, user)
    return order


def _detach_from_pick_lists(order: Order, user) -> None:
    # A held or cancelled order must not hold up (or come back from) the pick list it is on.
    detach_order(order, user)


def _lines_on_active_pick_list(order: Order) -> bool:
    return db.session.execute(
        select(Allocation.id).join(PickList, Allocation.pick_list_id == PickList.id)
        .where(Allocation.order_id == order.id, Allocation.quantity > Allocation.picked,
               PickList.status.in_(ACTIVE_LISTS)).limit(1)).first() is not None


def _cancel_unpacked_shipments(order: Order) -> None:
    # A packing station may have opened a shipment before the first item was scanned.
    from wms.domain.shipping.models import Shipment, ShipmentStatus

    for shipment in db.session.execute(select(Shipment).where(
            Shipment.order_id == order.id, Shipment.status == ShipmentStatus.PACKING)).scalars():
        shipment.status = ShipmentStatus.CANCELLED


def search_orders(q: str = "", status: OrderStatus | None = None, *, open_only: bool = False,
                  late: bool = False, shipped_since=None):
    """Build the query behind the order list: text, status, open, late (:func:`late_condition`),
    shipped since a moment (the dashboard's "shipped today")."""
    query = select(Order).order_by(Order.priority.desc(), Order.id.desc())
    q = (q or "").strip()
    if q:
        like = f"%{q}%"
        conditions = [Order.reference.ilike(like), Order.customer_name.ilike(like),
                      Order.ship_name.ilike(like), Order.customer_email.ilike(like),
                      Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku.ilike(like)))]
        number = q[3:] if q.upper().startswith("SO-") else q
        if number.isascii() and number.isdecimal() and len(number) <= 9:  # an id, not a huge number
            conditions.append(Order.id == int(number))
        query = query.where(or_(*conditions))
    if status is not None:
        query = query.where(Order.status == status)
    if open_only or late:
        query = query.where(Order.status.in_(OPEN_STATUSES))
    if late:
        query = query.where(late_condition())
    if shipped_since is not None:
        query = query.where(Order.status == OrderStatus.SHIPPED, Order.shipped_at >= shipped_since)
    return query


# ---------------------------------------------------------------- late against the cut-off


def last_cutoff(cutoff: time, zone: str, now: datetime) -> datetime:
    """The last moment (UTC, at or before ``now``) the wall clock of ``zone`` read ``cutoff``."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    day = local.date()
    moment = datetime.combine(day, cutoff.replace(tzinfo=None), tzinfo=tz)
    if moment > local:
        moment = datetime.combine(day - timedelta(days=1), cutoff.replace(tzinfo=None), tzinfo=tz)
    return moment.astimezone(timezone.utc)


def late_condition(now: datetime | None = None):
    """SQL condition: an open order is late.

    Late: past its ship-by time when it has one; else placed before the last cut-off of its
    carrier AT ITS SITE (CarrierSite.cutoff, else the carrier's), a wall-clock time in the
    site's zone (no site yet: WMS_TIMEZONE), so it missed that collection. One statement reads
    the cut-offs; the zones are cached; the condition has a term per carrier and distinct
    (zone, cut-off), not per order.
    """
    from wms.domain.locations.sites import site_zone, site_zones
    from wms.domain.shipping.models import Carrier, CarrierSite

    now = now or utcnow()
    rows = db.session.execute(
        select(Carrier.id, Carrier.cutoff, CarrierSite.warehouse_id, CarrierSite.cutoff)
        .outerjoin(CarrierSite, CarrierSite.carrier_id == Carrier.id)).all()
    own: dict[int, time | None] = {}
    at_site: dict[int, dict[int, time]] = {}
    for carrier_id, cutoff, warehouse_id, site_cutoff in rows:
        own[carrier_id] = cutoff
        if warehouse_id is not None and site_cutoff is not None:
            at_site.setdefault(carrier_id, {})[warehouse_id] = site_cutoff
    sites: list[int | None] = [*sorted(site_zones()), None]
    placed = func.coalesce(Order.ordered_at, Order.created_at)
    terms = []
    for carrier_id in sorted(own):
        # The sites sharing one threshold (same zone and cut-off) make one term.
        by_threshold: dict[datetime, list[int | None]] = {}
        for site in sites:
            cutoff = at_site.get(carrier_id, {}).get(site) if site is not None else None
            cutoff = cutoff or own[carrier_id]
            if cutoff is None:
                continue
            by_threshold.setdefault(last_cutoff(cutoff, site_zone(site), now), []).append(site)
        for threshold, members in by_threshold.items():
            ids = [m for m in members if m is not None]
            where_site = [Order.warehouse_id.in_(ids)] if ids else []
            if None in members:
                where_site.append(Order.warehouse_id.is_(None))
            terms.append(and_(Order.carrier_id == carrier_id, or_(*where_site), placed < threshold))
    missed = or_(*terms) if terms else false()
    return and_(Order.status.in_(OPEN_STATUSES),
                or_(and_(Order.ship_by.is_not(None), Order.ship_by < now),
                    and_(Order.ship_by.is_(None), missed)))


# ---------------------------------------------------------------- shipping address

ADDRESS_FIELDS = {  # field: (label, max length, required)
    "ship_name": (_l("Name"), 200, True), "ship_company": (_l("Company"), 200, False),
    "ship_address1": (_l("Street"), 200, True), "ship_address2": (_l("Address line 2"), 200, False),
    "ship_postcode": (_l("Postcode"), 20, True), "ship_city": (_l("City"), 80, True),
    "ship_country": (_l("Country"), 2, True), "ship_phone": (_l("Phone"), 40, False),
    "relay_point_id": (_l("Relay point id"), 32, False),
}


def update_shipping_address(order: Order, form: dict, user=None) -> Order:
    """Correct the address an order ships to (e.g. after a carrier refused it); the next
    label request uses it. Refused, changing nothing, once the order has shipped."""
    order = lock_order(order)
    if order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        raise Conflict(_("%(code)s is %(status)s: its address can no longer change.",
                         code=order.code, status=order.status.label.lower()),
                       code="address_locked")
    values = {}
    for name, (label, size, required) in ADDRESS_FIELDS.items():
        value = " ".join(str(form.get(name) or "").split())
        if name == "ship_country":
            value = value.upper()
            if not (len(value) == 2 and value.isalpha()):
                raise DomainError(_("Country: give the two-letter ISO code, e.g. FR."), code="bad_address")
        if required and not value:
            raise DomainError(_("%(label)s is required.", label=label), code="bad_address")
        if len(value) > size:
            raise DomainError(_("%(label)s is too long (at most %(size)s characters).",
                                label=label, size=size), code="bad_address")
        values[name] = value or None
    changed = [ADDRESS_FIELDS[k][0] for k, v in values.items() if getattr(order, k) != v]
    if not changed:
        return order
    for name, value in values.items():
        setattr(order, name, value)
    record_event(order, "address", _("Shipping address corrected: %(fields)s",
                                      fields=", ".join(str(c) for c in changed)), user)
    db.session.flush()
    return order
