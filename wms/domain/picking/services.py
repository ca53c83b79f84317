"""Pick lists in walking order, and the picking scans that move stock to the packing bench."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import selectinload

from wms.barcodes import ScanKind
from wms.db import as_id, db, utcnow
from wms.domain.catalog.services import product_by_code
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.services import location_by_code
from wms.domain.locations.sites import all_warehouses, current_site_id, elsewhere
from wms.domain.orders.models import Order, OrderLine, OrderStatus, record_event
from wms.domain.picking import routing
from wms.domain.picking.allocation import allocate_line, picked_location
from wms.domain.picking.models import (
    Allocation, PickList, PickListKind, PickListOrder, PickListStatus,
)
from wms.domain.scans.models import FlowState
from wms.domain.scans.services import load_state, parse, save_state
from wms.domain.users.models import Role
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _
from wms.resources import resource_dir

FLOW = "pick"
ACTIVE_LISTS = (PickListStatus.OPEN, PickListStatus.PICKING, PickListStatus.PAUSED)
# The first key of the advisory locks taken on tote names (any constant other locks do not use).
TOTE_LOCK_SPACE = 7411
# Orders whose units must not be picked any more.
STOPPED = (OrderStatus.ON_HOLD, OrderStatus.CANCELLED)
DEFAULT_LAYOUT = resource_dir("seed_data") / "warehouse.json"


@lru_cache(maxsize=4)
def _layout(path: str) -> routing.Layout:
    return routing.Layout.from_json(path)


def layout() -> routing.Layout:
    """The warehouse floor plan used for walking routes (WMS_LAYOUT_PATH, else the demo's)."""
    return _layout(str(current_app.config.get("LAYOUT_PATH") or DEFAULT_LAYOUT))


@lru_cache(maxsize=8)
def _site_layouts(folder: str) -> dict[str, str]:
    """warehouse code -> path of its warehouse-<name>.json in a folder (the other sites' plans)."""
    import json
    from pathlib import Path

    found = {}
    for path in sorted(Path(folder).glob("warehouse-*.json")):
        try:
            found[str(json.loads(path.read_text())["warehouse"]["code"])] = str(path)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def layout_for(warehouse_id: int | None) -> routing.Layout:
    """The floor plan of one site: its warehouse-<name>.json next to the first site's plan
    (WMS_LAYOUT_PATH's folder, else seed_data/), else the first site's plan."""
    if warehouse_id is not None:
        from pathlib import Path

        from wms.domain.locations.models import Warehouse

        warehouse = db.session.get(Warehouse, warehouse_id)
        folder = Path(str(current_app.config.get("LAYOUT_PATH") or DEFAULT_LAYOUT)).parent
        path = _site_layouts(str(folder)).get(warehouse.code) if warehouse is not None else None
        if path:
            return _layout(path)
    return layout()


def sequence_allocations(allocations: list[Allocation]) -> list[Allocation]:
    """Number allocations in walking order; locations off the aisle grid go last by walk_sequence."""
    plan = layout_for(allocations[0].location.warehouse_id if allocations else None)
    routed, rest = [], []
    for allocation in allocations:
        loc = allocation.location
        try:
            if loc.aisle is None or loc.pos_y is None:
                raise routing.RoutingError(_("not on an aisle"))
            routed.append((allocation, routing.make_stop(plan, loc.code, loc.aisle, loc.pos_y)))
        except routing.RoutingError:
            rest.append(allocation)
    ordered = [a for a, _ in routing.order_by_walk(plan, routed, lambda item: item[1])] if routed else []
    ordered += sorted(rest, key=lambda a: (a.location.walk_sequence, a.location.code, a.id))
    for n, allocation in enumerate(ordered, start=1):
        allocation.sequence = n
    db.session.flush()
    return ordered


# ------------------------------------------------------------------ creating lists

def pickable_orders() -> list[Order]:
    """Allocated orders not yet on an active pick list."""
    on_lists = select(PickListOrder.order_id).join(PickList).where(PickList.status.in_(ACTIVE_LISTS))
    return list(db.session.execute(
        select(Order).where(Order.status == OrderStatus.ALLOCATED, Order.id.not_in(on_lists))
        .order_by(Order.id)).scalars())


def create_pick_list(order_ids, *, kind: PickListKind = PickListKind.ORDER, user=None,
                     note: str | None = None) -> PickList:
    """Put allocated orders on one pick list (one order, or a batch/wave into totes)."""
    if any(not (str(i).isascii() and str(i).isdecimal() and len(str(i)) <= 9) for i in order_ids):
        raise DomainError(_("Tick the orders to put on the list (the form sent something else)."))
    order_ids = list(dict.fromkeys(int(i) for i in order_ids))
    if not order_ids:
        raise DomainError(_("Choose at least one order for the pick list."))
    if kind is PickListKind.ORDER and len(order_ids) != 1:
        raise DomainError(_("A single-order pick list takes exactly one order; make a batch for "
                            "several."))
    orders = list(db.session.execute(
        select(Order).where(Order.id.in_(order_ids)).order_by(Order.id).with_for_update(of=Order)
    ).scalars())
    found = {o.id for o in orders}
    if missing := [i for i in order_ids if i not in found]:
        raise NotFound(_("Unknown orders: %(value)s.", value=', '.join(f'SO-{i}' for i in missing)))
    free = {o.id for o in pickable_orders()}
    for order in orders:
        if order.id not in free:
            if order.status is OrderStatus.ALLOCATED:
                raise DomainError(_("%(code)s is already on a pick list: only allocated orders "
                                    "not on a list can be picked.", code=order.code))
            raise DomainError(_("%(code)s is %(status)s: only allocated orders not on a list can "
                                "be picked.", code=order.code, status=order.status.label.lower()))
    if len({o.warehouse_id for o in orders}) > 1:
        raise DomainError(_("These orders ship from several sites: make one pick list per site."),
                          code="several_sites")
    pick_list = PickList(kind=kind, note=note, created_by_id=getattr(user, "id", None))
    db.session.add(pick_list)
    for position, order_id in enumerate(order_ids, start=1):
        pick_list.orders.append(PickListOrder(order_id=order_id, position=position))
    db.session.flush()
    allocations = list(db.session.execute(
        select(Allocation).where(Allocation.order_id.in_(order_ids), Allocation.quantity > Allocation.picked)
    ).scalars())
    for allocation in allocations:
        allocation.pick_list_id = pick_list.id
    sequence_allocations(allocations)
    for order in orders:
        record_event(order, "pick_list", _("On pick list %(code)s.", code=pick_list.code), user)
    db.session.flush()
    return pick_list


def release_wave(*, carrier_id: int | None = None, ship_by_before: datetime | None = None,
                 user=None, warehouse_id: int | None = None) -> PickList:
    """Release a wave of one site (``warehouse_id``, else the first site with matching orders)."""
    if warehouse_id is None:
        orders = _wave_orders(carrier_id, ship_by_before)
        warehouse_id = orders[0].warehouse_id if orders else None
    return release_waves(carrier_id=carrier_id, ship_by_before=ship_by_before, user=user,
                         warehouse_id=warehouse_id)[0]


def _wave_orders(carrier_id: int | None, ship_by_before: datetime | None) -> list[Order]:
    return [o for o in pickable_orders()
            if (carrier_id is None or o.carrier_id == carrier_id)
            and (ship_by_before is None or (o.ship_by is not None and o.ship_by <= ship_by_before))]


def release_waves(*, carrier_id: int | None = None, ship_by_before: datetime | None = None,
                  user=None, warehouse_id: int | None = None) -> list[PickList]:
    """Release waves: every allocated order for a carrier and/or due before a time, one list per site.

    A list never mixes sites (it is walked in one building): with ``warehouse_id`` the wave of
    that site, else ("All sites") one list for each site that has matching orders.
    """
    orders = _wave_orders(carrier_id, ship_by_before)
    if warehouse_id is not None:
        orders = [o for o in orders if o.warehouse_id == warehouse_id]
    if not orders:
        raise DomainError(_("No allocated orders match this wave: run allocation or widen the "
                            "filter."))
    parts = []
    if carrier_id is not None:
        parts.append(_("carrier %(carrier)s",
                       carrier=orders[0].carrier.code if orders[0].carrier else carrier_id))
    if ship_by_before is not None:
        # On the clock of the screen that released it (the chosen site's zone, else WMS_TIMEZONE).
        from zoneinfo import ZoneInfo

        from wms.i18n import select_timezone

        local = ship_by_before.astimezone(ZoneInfo(select_timezone()))
        parts.append(_("ship by %(time)s", time=format(local, "%Y-%m-%d %H:%M")))
    note = _("Wave: %(filter)s", filter=", ".join(parts) or _("all allocated orders"))
    by_site: dict[int | None, list[int]] = {}
    for order in sorted(orders, key=lambda o: (o.warehouse_id is None, o.warehouse_id or 0, o.id)):
        by_site.setdefault(order.warehouse_id, []).append(order.id)
    return [create_pick_list(ids, kind=PickListKind.WAVE, user=user, note=note) for ids in by_site.values()]


def get_pick_list(ref, *, lock: bool = False) -> PickList:
    """Return a pick list by id or PL- code, optionally locked for this transaction."""
    text = str(ref).strip().upper()
    raw = text[3:] if text.startswith("PL-") else text
    if as_id(raw) is None:
        raise NotFound(_("%(ref)s is not a pick list: scan the PL- barcode on the list.",
                         ref=str(ref)[:40]))
    query = select(PickList).where(PickList.id == as_id(raw)).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update(of=PickList)
    pick_list = db.session.execute(query).scalar_one_or_none()
    if pick_list is None:
        raise NotFound(_("Pick list PL-%(raw)s does not exist.", raw=raw))
    return pick_list


def pick_list_document(pick_list: PickList) -> dict:
    """The data the printed pick list needs (documents.pick_list_pdf), lines in route order."""
    totes = {plo.order_id: plo.tote for plo in pick_list.orders}
    lines = [a for a in pick_list.allocations if a.open_qty > 0 or a.picked > 0]
    site = list_site(pick_list) if len(all_warehouses()) > 1 else None
    return {
        "code": pick_list.code,
        "operator": pick_list.assigned_user.name if pick_list.assigned_user else None,
        # Several sites: the printed list says which one it is picked in.
        "warehouse": next((plo.order.warehouse.name for plo in pick_list.orders
                           if plo.order.warehouse_id == site), None) if site is not None else None,
        "date": pick_list.created_at,
        "lines": [{"sequence": a.sequence, "location": a.location.code, "sku": a.product.sku,
                   "name": a.product.name, "quantity": a.quantity,
                   "tote": totes.get(a.order_id) or f"SO-{a.order_id}"} for a in lines],
    }


# ------------------------------------------------------------------ picking

# Where picked units go, per database: (location id, when to look again). picked_location()
# finds the first active packing location by code, which reads every location (there is no
# index on kind): 5 ms a pick with 20,000 bins. A scan reloads the kept one by primary key.
_DROP_LOCATION: dict[str, tuple[int, float]] = {}
DROP_LOCATION_TTL_S = 60.0
_HELD = "wms.drop_locations"  # in Session.info: the drop locations this session has used


def drop_location(warehouse_id: int | None = None) -> Location:
    """The packing location picked units go to (picked_location()) in a site, kept for a minute."""
    if warehouse_id is None:
        warehouse_id = current_site_id()
    key = f"{db.engine.url}#{warehouse_id}"
    kept = _DROP_LOCATION.get(key)
    # The session holds the location for the rest of its work: its identity map alone lets
    # an object go once unused, and a pick, the list's end and the screen after each read it.
    held = db.session.info.setdefault(_HELD, {})
    if kept is not None and kept[1] > time.monotonic():
        location = held.get(kept[0]) or db.session.get(Location, kept[0])
        if location is not None and location.active and location.kind is LocationKind.PACKING:
            held[kept[0]] = location
            return location
    location = picked_location(warehouse_id)
    _DROP_LOCATION[key] = (location.id, time.monotonic() + DROP_LOCATION_TTL_S)
    held[location.id] = location
    return location


@event.listens_for(Location, "after_insert")
@event.listens_for(Location, "after_update")
def _forget_drop_location(_mapper, _connection, _target) -> None:
    # A location added or changed in this process may now come first: look again.
    # (Other processes notice within DROP_LOCATION_TTL_S.)
    _DROP_LOCATION.clear()

def list_site(pick_list: PickList) -> int | None:
    """The site a pick list is picked in (its orders' site), or None when unknown."""
    for plo in pick_list.orders:
        if plo.order.warehouse_id is not None:
            return plo.order.warehouse_id
    return None


def remaining_lines(pick_list: PickList) -> list[Allocation]:
    return [a for a in pick_list.allocations if a.open_qty > 0]


def next_tote_needed(pick_list: PickList) -> PickListOrder | None:
    if not pick_list.needs_totes:
        return None
    return next((plo for plo in pick_list.orders if not plo.tote), None)


def start_pick_list(ref, user, state: FlowState | None = None) -> PickList:
    """Take a list to pick (new or paused), by id or PL- code; refuse one another operator is
    picking. `state`: the operator's picking state, when the caller holds it locked already."""
    # Lock order of every writer: the operator's flow state, then the list.
    if state is None:
        state = load_state(user, FLOW)
    pick_list = get_pick_list(ref, lock=True)
    if pick_list.status in (PickListStatus.DONE, PickListStatus.CANCELLED):
        raise DomainError(_("%(code)s is %(status)s: take another list.",
                            code=pick_list.code, status=pick_list.status.label.lower()))
    if pick_list.assigned_user_id not in (None, user.id):
        raise Conflict(_("%(code)s is being picked by %(name)s: ask them (or a supervisor) to "
                         "pause it first.", code=pick_list.code, name=pick_list.assigned_user.name))
    site = list_site(pick_list)
    here = elsewhere(site)
    if here is not None:
        names = {w.id: w.name for w in all_warehouses()}
        raise DomainError(_("%(list)s is picked in %(site)s, not in %(here)s: take a list of %(here)s.",
                            list=pick_list.code, site=names.get(site, "?"), here=names.get(here, "?")),
                          code="other_site")
    # One list at a time per operator: a held list is paused so nobody is locked out by it.
    held = state.data.get("list")
    if held and held != pick_list.id:
        other = get_pick_list(held, lock=True)
        if other.assigned_user_id == user.id and other.status is PickListStatus.PICKING:
            if state.data.get("pending"):
                raise DomainError(_("You hold unpicked units for %(code)s: scan their tote first.",
                                    code=other.code))
            _pause(other, user)
    pick_list.assigned_user_id = user.id
    if pick_list.status is not PickListStatus.PICKING:
        message = taken_message(pick_list.code, user, resumed=pick_list.status is PickListStatus.PAUSED)
        pick_list.status = PickListStatus.PICKING
        pick_list.started_at = pick_list.started_at or utcnow()
        for plo in pick_list.orders:
            if plo.order.status is OrderStatus.ALLOCATED:
                plo.order.status = OrderStatus.PICKING
            record_event(plo.order, "picking", message, user)
    save_state(state, list=pick_list.id)
    return pick_list


def taken_message(code: str, user, *, resumed: bool) -> str:
    """The order's event when its list is taken (start_pick_list, and the scan's fast path)."""
    if resumed:
        return _("%(code)s resumed by %(name)s.", code=code, name=user.name)
    return _("%(code)s started by %(name)s.", code=code, name=user.name)


def _pause(pick_list: PickList, user) -> None:
    pick_list.status = PickListStatus.PAUSED
    pick_list.assigned_user_id = None
    for plo in pick_list.orders:
        record_event(plo.order, "picking", _("%(code)s paused by %(name)s.",
                                             code=pick_list.code, name=user.name), user)


def pause_pick_list(pick_list: PickList, user) -> PickList:
    """Pause a list so another operator can resume it; the operator's scans in progress are dropped."""
    pick_list = get_pick_list(pick_list.id, lock=True)
    if pick_list.status is not PickListStatus.PICKING:
        raise DomainError(_("%(code)s is %(status)s, not being picked.",
                            code=pick_list.code, status=pick_list.status.label.lower()))
    supervisor = user.has_role(Role.SUPERVISOR)
    if pick_list.assigned_user_id != user.id and not supervisor:
        raise Conflict(_("%(code)s is being picked by %(name)s; only they or a supervisor can "
                         "pause it.", code=pick_list.code, name=pick_list.assigned_user.name))
    if pick_list.assigned_user_id == user.id:
        state = load_state(user, FLOW)
        if state.data.get("pending"):
            raise DomainError(_("You hold scanned units: scan their tote before pausing."))
        save_state(state)
    _pause(pick_list, user)
    db.session.flush()
    return pick_list


@dataclass
class PickView:
    """What the picking screen shows."""

    pick_list: PickList | None
    line: Allocation | None
    tote_for: PickListOrder | None  # a batch asks for this order's tote before picking
    at_location: bool
    pending: int
    prompt: str
    done: int
    total: int

    @property
    def tote(self) -> str | None:
        # A single-order list has no totes: do not load its orders to find none.
        if self.line is None or self.pick_list is None or not self.pick_list.needs_totes:
            return None
        return next((p.tote for p in self.pick_list.orders if p.order_id == self.line.order_id), None)


def current(user) -> PickView:
    """The operator's picking screen: the list they hold and its next line."""
    state = load_state(user, FLOW, lock=False)
    return _view(state.data, user)


def _view(data: dict, user) -> PickView:
    pick_list = None
    if data.get("list"):
        pick_list = db.session.get(PickList, data["list"])
        if (pick_list is not None and pick_list.assigned_user_id != user.id
                and pick_list.status is not PickListStatus.DONE):
            pick_list = None  # paused or taken over: the operator must scan a list again
    if pick_list is None:
        return PickView(None, None, None, False, 0, _("Scan a pick list (PL-…) or choose one"), 0, 0)
    allocations = [a for a in pick_list.allocations if a.quantity > 0 or a.short]
    total = len(allocations)
    done = sum(1 for a in allocations if a.open_qty == 0)
    tote_for = next_tote_needed(pick_list)
    lines = remaining_lines(pick_list)
    line = lines[0] if lines else None
    at_location = bool(line and data.get("at") == line.location_id)
    pending = data.get("pending", 0) if line and data.get("line") == line.id else 0
    if tote_for is not None:
        prompt = _("Scan an empty tote for %(code)s", code=tote_for.order.code)
    elif line is None:
        prompt = _("%(code)s is picked: take the totes to %(location)s",
                   code=pick_list.code, location=drop_location(list_site(pick_list)).code)
    elif not at_location:
        prompt = _("Go to %(location)s and scan it", location=line.location.code)
    elif pending:
        prompt = _("Scan the tote, or more of the product")
    else:
        prompt = _("Scan %(sku)s", sku=line.product.sku)
    return PickView(pick_list, line, tote_for, at_location, pending, prompt, done, total)


def _held_list(user, state) -> PickList:
    if not state.data.get("list"):
        raise DomainError(_("Scan a pick list (PL-…) first."))
    pick_list = get_pick_list(state.data["list"], lock=True)
    if pick_list.assigned_user_id != user.id:
        save_state(state)
        raise Conflict(_("%(code)s was paused or taken over: scan it again to resume.",
                         code=pick_list.code))
    return pick_list


def scan(user, code: str, qty: int = 1) -> tuple[PickView, str]:
    """Apply one picking scan (list, tote, location, product); return the view and a sentence."""
    inventory.check_quantity(qty)
    scanned = parse(code)
    state = load_state(user, FLOW)
    if scanned.kind is ScanKind.PICK_LIST:
        pick_list = start_pick_list(scanned.code, user, state)
        return _view(state.data, user), _("Picking %(code)s", code=pick_list.code)
    pick_list = _held_list(user, state)
    data = dict(state.data)
    tote_for = next_tote_needed(pick_list)
    if tote_for is not None:
        if scanned.kind is not ScanKind.TOTE:
            raise DomainError(_("Scan an empty tote (TOTE-…) for %(code)s first.",
                                code=tote_for.order.code))
        _assign_tote(pick_list, tote_for, scanned.code)
        return _view(state.data, user), _("%(tote)s is for %(code)s",
                                          tote=scanned.code, code=tote_for.order.code)
    lines = remaining_lines(pick_list)
    if not lines:
        raise DomainError(_("%(code)s is already picked.", code=pick_list.code))
    line = lines[0]
    stopped = _stopped_line(data, line)
    if stopped is not None:
        # The operator was on a line of an order held or cancelled since: its units stay put.
        if scanned.kind in (ScanKind.PRODUCT, ScanKind.TOTE):
            raise DomainError(_("SO-%(order_id)s is %(status)s: leave its items, go to the next "
                                "line (%(code)s).",
                                order_id=stopped.order_id, status=stopped.order.status.label.lower(), code=line.location.code), code="order_stopped")
        data = {"list": pick_list.id}
    if scanned.kind is ScanKind.LOCATION:
        location = location_by_code(scanned.code)
        if location.id != line.location_id:
            raise DomainError(_("Wrong location: you scanned %(code)s; go to %(location_code)s.",
                                code=location.code, location_code=line.location.code),
                              code="wrong_location")
        if data.get("pending"):
            raise DomainError(_("Scan the tote for the units you hold first."))
        save_state(state, list=pick_list.id, at=location.id, line=line.id)
        return _view(state.data, user), _("At %(location)s: pick %(qty)s × %(sku)s",
                                          location=location.code, qty=line.open_qty,
                                          sku=line.product.sku)
    if scanned.kind is ScanKind.PRODUCT:
        if data.get("at") != line.location_id:
            raise DomainError(_("Scan the location %(code)s first.", code=line.location.code), code="location_first")
        match = product_by_code(scanned.code)
        if match.product.id != line.product_id:
            raise DomainError(_("Wrong product: %(sku)s is not %(product_sku)s. Put it back and "
                                "scan the right one.",
                                sku=match.product.sku, product_sku=line.product.sku), code="wrong_product")
        units = qty * match.pack_qty
        pending = data.get("pending", 0) if data.get("line") == line.id else 0
        if pending + units > line.open_qty:
            raise DomainError(_("Too many: only %(open_qty)s more of %(sku)s needed here; you "
                                "scanned %(units)s.",
                                open_qty=line.open_qty - pending, sku=line.product.sku, units=units), code="too_many")
        if pick_list.needs_totes:
            save_state(state, list=pick_list.id, at=line.location_id, line=line.id, pending=pending + units)
            return _view(state.data, user), _("%(qty)s × %(sku)s: scan the tote",
                                              qty=pending + units, sku=line.product.sku)
        _pick(pick_list, line, units, user)
        save_state(state, list=pick_list.id, at=line.location_id, line=line.id)
        return _view(state.data, user), _("Picked %(qty)s × %(sku)s", qty=units, sku=line.product.sku)
    if scanned.kind is ScanKind.TOTE:
        pending = data.get("pending", 0) if data.get("line") == line.id else 0
        if not pending:
            raise DomainError(_("Scan %(sku)s before the tote.", sku=line.product.sku), code="product_first")
        tote = next(p.tote for p in pick_list.orders if p.order_id == line.order_id)
        if scanned.code != tote:
            raise DomainError(_("Wrong tote: %(sku)s for SO-%(order_id)s goes in %(tote)s, not "
                                "%(code)s.",
                                sku=line.product.sku, order_id=line.order_id, tote=tote, code=scanned.code), code="wrong_tote")
        _pick(pick_list, line, pending, user)
        save_state(state, list=pick_list.id, at=line.location_id, line=line.id)
        return _view(state.data, user), _("Picked %(qty)s × %(sku)s into %(tote)s",
                                          qty=pending, sku=line.product.sku, tote=tote)
    raise DomainError(_("%(code)s is a %(kind)s: scan the location, product or tote.",
                        code=scanned.code, kind=scanned.kind.label))


def _lock_tote(tote: str) -> None:
    # Two pickers may take the same empty tote at once: neither sees the other's row yet, so
    # there is no row to lock. A transaction lock on the tote's name makes the second wait and
    # then see the first one's assignment. (SQLite runs one writer at a time already.)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(TOTE_LOCK_SPACE, func.hashtext(tote))))


def _assign_tote(pick_list: PickList, plo: PickListOrder, tote: str) -> None:
    _lock_tote(tote)
    busy = db.session.execute(
        select(PickListOrder).join(PickList)
        .where(PickListOrder.tote == tote, PickList.status.in_(ACTIVE_LISTS))).scalars().first()
    if busy is not None:
        raise DomainError(_("%(tote)s already holds %(code)s on %(pick_list_code)s: take an "
                            "empty tote.",
                            tote=tote, code=busy.order.code, pick_list_code=busy.pick_list.code),
                          code="tote_in_use")
    plo.tote = tote
    db.session.flush()


def _stopped_line(data: dict, line: Allocation) -> Allocation | None:
    """The line the operator was on, if its order was held or cancelled (and taken off the list)."""
    if not data.get("line") or data["line"] == line.id:
        return None
    previous = db.session.get(Allocation, data["line"])
    if previous is None or previous.order.status not in STOPPED:
        return None
    return previous


def _pick(pick_list: PickList, line: Allocation, units: int, user) -> None:
    """Move picked units from the bin to the packing area, consuming their reservation."""
    # Lock the order (after the list, before the stock: the order every writer takes them in)
    # and re-read it: a hold or a cancellation may have landed since the line was shown.
    db.session.flush()
    order = db.session.get(Order, line.order_id, with_for_update=True, populate_existing=True)
    if order.status in STOPPED:
        raise DomainError(_("%(code)s is %(status)s: leave its items, go to the next line.",
                            code=order.code, status=order.status.label.lower()), code="order_stopped")
    # line.location, not its id: the screen shows the bin next, so load it once, here.
    inventory.move(line.product_id, line.location, drop_location(line.location.warehouse_id), units, user=user,
                   reason=MoveReason.PICKED, reference=pick_list.code, from_reserved=units)
    line.picked += units
    # One UPDATE instead of loading the order line to add to it (objects in the session follow).
    db.session.execute(update(OrderLine).where(OrderLine.id == line.order_line_id)
                       .values(quantity_picked=OrderLine.quantity_picked + units))
    db.session.flush()
    _finish_if_done(pick_list, user)


def finish_list(list_id: int, data: dict, user) -> PickView:
    """After the scan fast path picked a list's last unit (its statements, no objects):
    finish the list and its order as a pick here would, and return the screen after it."""
    # What finishing reads, in four statements: the list, its lines, its orders with their
    # lines (none of it is in this session yet).
    pick_list = db.session.execute(
        select(PickList).where(PickList.id == list_id)
        .options(selectinload(PickList.allocations),
                 selectinload(PickList.orders).joinedload(PickListOrder.order)
                 .selectinload(Order.lines))).scalar_one()
    _finish_if_done(pick_list, user)
    return _view(data, user)  # the list, its lines and its order as loaded above


def _finish_if_done(pick_list: PickList, user) -> None:
    if remaining_lines(pick_list):
        return
    pick_list.status = PickListStatus.DONE
    pick_list.finished_at = utcnow()
    pick_list.assigned_user_id = None
    for plo in pick_list.orders:
        order = plo.order
        if order.status is not OrderStatus.PICKING:
            continue  # held or cancelled meanwhile: release_order decides its status later
        short = [line for line in order.lines if line.quantity_picked < line.quantity]
        if short:
            order.status = OrderStatus.BACKORDERED
            record_event(order, "picked_short", _(
                "%(code)s done; short: %(lines)s. The rest waits for stock.", code=pick_list.code,
                lines="; ".join(_("%(sku)s %(picked)s of %(qty)s", sku=line.sku,
                                  picked=line.quantity_picked, qty=line.quantity)
                                for line in short)), user)
        else:
            order.status = OrderStatus.PICKED
            record_event(order, "picked", _("Picked on %(code)s; in %(location)s.",
                                            code=pick_list.code,
                                             location=plo.tote or drop_location(order.warehouse_id).code), user)
    db.session.flush()


def short_pick(user) -> tuple[PickView, str, bool]:
    """Report that the current bin holds no more: reallocate elsewhere, or mark the line short.

    Returns the view, a sentence, and whether every missing unit was found elsewhere.
    """
    state = load_state(user, FLOW)
    pick_list = _held_list(user, state)
    lines = remaining_lines(pick_list)
    if not lines:
        raise DomainError(_("%(code)s has nothing left to pick.", code=pick_list.code))
    line = lines[0]
    if state.data.get("at") != line.location_id:
        raise DomainError(_("Scan the location %(code)s first, then report it short.",
                            code=line.location.code))
    if state.data.get("pending") and state.data.get("line") == line.id:
        raise DomainError(_("Scan the tote for the units you hold first, then report the rest "
                            "short."))
    missing = line.open_qty
    bin_ = line.location
    inventory.release(line.product_id, line.location_id, missing)
    line.quantity -= missing
    line.short += missing
    line.order_line.quantity_allocated -= missing
    bin_.needs_count = True
    new = allocate_line(line.order_line, missing, exclude_location_ids=[bin_.id], pick_list_id=pick_list.id)
    found = sum(a.quantity for a in new)
    order = line.order
    db.session.expire(pick_list, ["allocations"])  # the new rows joined the list by foreign key
    if found:
        sequence_allocations(remaining_lines(pick_list))
        where = ", ".join(_("%(qty)s from %(location)s", qty=a.quantity, location=a.location.code)
                          for a in new)
        message = _("Short at %(code)s: %(where)s", code=bin_.code, where=where)
        record_event(order, "short_pick", _("%(sku)s: %(missing)s missing at %(code)s "
                                            "(%(pick_list_code)s); reallocated %(where)s. Bin "
                                            "flagged for a count.",
                                            sku=line.product.sku, missing=missing, code=bin_.code, pick_list_code=pick_list.code, where=where), user)
    else:
        message = _("Short at %(code)s: %(qty)s × %(sku)s not available anywhere",
                    code=bin_.code, qty=missing, sku=line.product.sku)
    if found < missing:
        record_event(order, "short_pick", _("%(sku)s: %(missing)s short at %(code)s "
                                            "(%(pick_list_code)s), no other stock. Bin flagged "
                                            "for a count.",
                                            sku=line.product.sku, missing=missing - found, code=bin_.code, pick_list_code=pick_list.code), user)
    save_state(state, list=pick_list.id)
    db.session.flush()
    _finish_if_done(pick_list, user)
    return _view(state.data, user), message, found == missing


def open_pick_lists(warehouse_id: int | None = None) -> list[PickList]:
    """Lists still to pick, being picked, or paused, oldest first (of one site, or all)."""
    query = select(PickList).where(PickList.status.in_(ACTIVE_LISTS))
    if warehouse_id is not None:
        query = query.where(PickList.id.in_(
            select(PickListOrder.pick_list_id).join(Order, Order.id == PickListOrder.order_id)
            .where(or_(Order.warehouse_id == warehouse_id, Order.warehouse_id.is_(None)))))
    return list(db.session.execute(query.order_by(PickList.id)).scalars())


def order_for_tote(code: str) -> Order:
    """Return the picked order a batch tote holds (the last one picked into it)."""
    tote = (code or "").strip().upper()
    order = db.session.execute(
        select(Order).join(PickListOrder, PickListOrder.order_id == Order.id)
        .where(PickListOrder.tote == tote,
               Order.status.in_((OrderStatus.PICKED, OrderStatus.PACKING)))
        .order_by(PickListOrder.id.desc()).limit(1)).scalars().first()
    if order is None:
        raise NotFound(_("No picked order is in %(tote)s: scan the order code (SO-…) on the pick "
                         "slip.", tote=tote),
                       code="unknown_tote")
    return order


def active_pick_lists(order_id: int, *, lock: bool = False) -> list[PickList]:
    """Return the active pick lists an order is on, locked (in id order) when asked."""
    query = (select(PickList).join(PickListOrder, PickListOrder.pick_list_id == PickList.id)
             .where(PickListOrder.order_id == order_id, PickList.status.in_(ACTIVE_LISTS))
             .order_by(PickList.id).execution_options(populate_existing=True))
    if lock:
        query = query.with_for_update(of=PickList)
    return list(db.session.execute(query).scalars())


def detach_order(order: Order, user=None) -> None:
    """Take a held or cancelled order's open lines off its active pick lists; finish a list left empty.

    An order nothing was picked for leaves the list; one with units already in its tote stays
    on it (the tote is its) without lines to pick. Call it after changing the order's status.
    """
    for pick_list in active_pick_lists(order.id, lock=True):
        mine = [a for a in pick_list.allocations if a.order_id == order.id]
        picked = any(a.picked for a in mine)
        for allocation in mine:
            if allocation.open_qty > 0 or not picked:
                allocation.pick_list_id = None
        if not picked:
            pick_list.orders[:] = [plo for plo in pick_list.orders if plo.order_id != order.id]
        record_event(order, "pick_list", _("Taken off %(code)s (%(status)s).",
                                           code=pick_list.code, status=order.status.label.lower()), user)
        db.session.flush()
        db.session.expire(pick_list, ["allocations"])
        if not pick_list.orders:
            pick_list.status = PickListStatus.CANCELLED
            pick_list.finished_at = utcnow()
            pick_list.assigned_user_id = None
        else:
            _finish_if_done(pick_list, user)
    db.session.flush()
