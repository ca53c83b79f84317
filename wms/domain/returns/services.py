"""Returns: announce them, receive them scan by scan with a condition per unit, close them.

Sellable units go into a returns location (then through putaway to a bin), damaged and opened
ones to quarantine; every unit is one ledger movement with reason RETURNED and the return's
code as reference. The handheld's item scans and condition keys take the fast path in
wms/domain/returns/scan.py; this module serves everything else, and the desk and the API.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select

from wms.barcodes import ScanKind
from wms.db import db, utcnow
from wms.domain.catalog.services import product_by_code
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.locations.models import LocationKind
from wms.domain.locations.services import default_location
from wms.domain.orders.models import Order, OrderLine, record_event
from wms.domain.returns.models import (
    CONDITION_KEYS, OPEN_RETURN_STATUSES, CustomerReturn, ReturnCondition, ReturnItem, ReturnLine,
    ReturnStatus, record_return_event,
)
from wms.domain.scans.services import parse
from wms.domain.shipping.models import Parcel, Shipment
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _, _l

KEYS_HINT = _l("1 sellable · 2 damaged · 3 opened · 4 not ours")
# Where a graded unit goes (None: nowhere, it is not ours and is set aside).
DESTINATION = {ReturnCondition.SELLABLE: LocationKind.RETURNS,
               ReturnCondition.DAMAGED: LocationKind.QUARANTINE,
               ReturnCondition.OPENED: LocationKind.QUARANTINE,
               ReturnCondition.WRONG_ITEM: None}


@dataclass
class LineView:
    id: int
    sku: str
    name: str
    shipped: int
    announced: int
    received: int

    @property
    def missing(self) -> int:
        return max(self.announced - self.received, 0)


@dataclass
class ReturnView:
    """What the handheld returns screen shows."""

    return_id: int | None = None
    code: str = ""
    order_reference: str = ""
    expected: bool = False
    lines: list[LineView] = field(default_factory=list)
    pending_sku: str | None = None
    pending_qty: int = 0
    set_aside: str | None = None  # a refused code the operator may set aside as an exception
    exceptions: int = 0
    prompt: str = _l("Scan the return, the order or the parcel's tracking number")
    open_returns: list = field(default_factory=list)

    @property
    def announced_total(self) -> int:
        return sum(ln.announced for ln in self.lines)

    @property
    def received_total(self) -> int:
        return sum(ln.received for ln in self.lines)

    @property
    def missing_total(self) -> int:
        return sum(ln.missing for ln in self.lines)


# ------------------------------------------------------------------------------ announcing


def _shipped_lines(order: Order) -> list[OrderLine]:
    return [ln for ln in order.lines if ln.quantity_shipped > 0]


def create_return(order: Order, quantities: dict[int, int] | None = None, *, source: str = "desk",
                  user=None, reason: str | None = None, shop: str | None = None,
                  ps_return_id: int | None = None, ps_state: int | None = None,
                  external_ref: str | None = None,
                  status: ReturnStatus = ReturnStatus.EXPECTED) -> CustomerReturn:
    """Announce a return of an order: {order_line_id: units} (None: nothing announced yet).

    Every shipped line is listed, so an item the customer sent without announcing it is still
    recognised; announced units cannot exceed what was shipped.
    """
    shipped = _shipped_lines(order)
    if not shipped:
        raise DomainError(_("Order %(reference)s has not shipped anything: there is nothing to "
                            "return.", reference=order.reference),
                          code="not_shipped")
    quantities = dict(quantities or {})
    by_id = {ln.id: ln for ln in order.lines}
    for line_id, qty in quantities.items():
        line = by_id.get(line_id)
        if line is None:
            raise DomainError(_("Line %(line_id)s is not a line of order %(reference)s.",
                                line_id=line_id, reference=order.reference), code="unknown_line")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
            raise DomainError(_("The quantity of %(sku)s must be a whole number, 0 or more.",
                                sku=line.sku),
                              code="invalid_quantity")
        if qty > line.quantity_shipped:
            raise DomainError(_("%(sku)s: %(qty)s announced but only %(quantity_shipped)s "
                                "shipped.",
                                sku=line.sku, qty=qty, quantity_shipped=line.quantity_shipped),
                              code="over_shipped")
    if source != "parcel" and not any(quantities.values()):
        raise DomainError(_("Announce at least one unit to return."), code="empty_return")
    ret = CustomerReturn(order_id=order.id, source=source, status=status, reason=(reason or None),
                         shop=shop, ps_return_id=ps_return_id, ps_state=ps_state,
                         external_ref=external_ref, created_by_id=getattr(user, "id", None))
    ret.order = order
    for line in shipped:
        ret.lines.append(ReturnLine(order_line_id=line.id, product_id=line.product_id, sku=line.sku,
                                    name=line.name, shipped=line.quantity_shipped,
                                    announced=quantities.get(line.id, 0),
                                    ps_order_detail_id=line.ps_order_detail_id))
    db.session.add(ret)
    db.session.flush()
    what = ", ".join(_("%(sku)s × %(qty)s", sku=ln.sku, qty=ln.announced)
                     for ln in ret.lines if ln.announced) or _("nothing announced")
    who = {"shop": _("the shop"), "desk": _("the desk"), "api": _("the API"),
           "parcel": _("an unexpected parcel")}
    record_return_event(ret, "created", _("Return %(code)s created by %(source)s: %(what)s.",
                                          code=ret.code, source=who.get(source, source), what=what), user)
    record_event(order, "return", _("Return %(code)s (%(what)s).", code=ret.code, what=what), user)
    db.session.flush()
    return ret


def returns_query():
    return select(CustomerReturn).order_by(CustomerReturn.id.desc())


def get_return(return_id: int) -> CustomerReturn:
    ret = db.session.get(CustomerReturn, return_id)
    if ret is None:
        raise NotFound(_("Return %(return_id)s does not exist.", return_id=return_id), code="unknown_return")
    return ret


# ------------------------------------------------------------------------------ finding


def order_for_code(code: str) -> Order | None:
    """The order a parcel belongs to: its SO- code, reference, sender's reference or tracking number."""
    scanned = parse(code)
    text = scanned.code
    if scanned.kind is ScanKind.ORDER:
        try:
            return db.session.get(Order, int(text[3:]))
        except ValueError:
            return None
    if scanned.kind is ScanKind.PARCEL:
        try:
            parcel = db.session.get(Parcel, int(text[4:]))
        except ValueError:
            return None
        return parcel.shipment.order if parcel is not None else None
    order = db.session.execute(
        select(Order).where(or_(Order.reference == text, Order.reference == text.upper(),
                                Order.external_ref == text))
        .order_by(Order.id.desc()).limit(1)).scalar_one_or_none()
    if order is not None:
        return order
    return db.session.execute(
        select(Order).join(Shipment, Shipment.order_id == Order.id).join(Parcel, Parcel.shipment_id == Shipment.id)
        .where(Parcel.tracking_number == text).order_by(Parcel.id.desc()).limit(1)).scalar_one_or_none()


def return_for_code(code: str, user=None) -> CustomerReturn:
    """The open return a scanned code names, or a new unexpected one for the order it names."""
    scanned = parse(code)
    if scanned.kind is ScanKind.RETURN:
        try:
            ret = db.session.get(CustomerReturn, int(scanned.code[4:]))
        except ValueError:
            ret = None
        if ret is None:
            raise NotFound(_("Return %(code)s does not exist.", code=scanned.code), code="unknown_return")
        if not ret.is_open:
            raise DomainError(_("Return %(code)s is %(status)s already.",
                                code=ret.code, status=ret.status.label.lower()), code="return_closed")
        return ret
    order = order_for_code(code)
    if order is None:
        raise NotFound(_("%(code)s is no return, order, or tracking number we know. Scan the "
                         "order reference on the packing slip or the tracking number on the "
                         "label.", code=scanned.code),
                       code="unknown_return")
    ret = db.session.execute(
        select(CustomerReturn).where(CustomerReturn.order_id == order.id,
                                     CustomerReturn.status.in_(OPEN_RETURN_STATUSES))
        .order_by(CustomerReturn.id).limit(1)).scalar_one_or_none()
    if ret is not None:
        return ret
    return create_return(order, None, source="parcel", user=user)


# ------------------------------------------------------------------------------ the handheld


def held_return(user, *, lock: bool = True) -> CustomerReturn | None:
    query = select(CustomerReturn).where(CustomerReturn.holder_id == user.id,
                                         CustomerReturn.status == ReturnStatus.IN_PROGRESS)
    if lock:
        query = query.with_for_update()
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def _pending(ret: CustomerReturn) -> ReturnItem | None:
    return next((i for i in ret.items if i.condition is None), None)


def line_received(ret: CustomerReturn, line_id: int) -> int:
    return sum(i.quantity for i in ret.items if i.return_line_id == line_id and i.condition is not None
               and i.condition is not ReturnCondition.WRONG_ITEM)


def view_of(ret: CustomerReturn | None, set_aside: str | None = None) -> ReturnView:
    if ret is None:
        open_returns = db.session.execute(
            select(CustomerReturn).where(CustomerReturn.status == ReturnStatus.EXPECTED,
                                         CustomerReturn.holder_id.is_(None))
            .order_by(CustomerReturn.id).limit(6)).scalars().all()
        return ReturnView(open_returns=list(open_returns))
    lines = [LineView(ln.id, ln.sku or "", ln.name, ln.shipped, ln.announced, line_received(ret, ln.id))
             for ln in ret.lines]
    pending = _pending(ret)
    view = ReturnView(ret.id, ret.code, ret.order.reference, ret.source != "parcel", lines,
                      exceptions=sum(1 for i in ret.items if i.exception), set_aside=set_aside)
    if pending is not None:
        sku = next((ln.sku for ln in ret.lines if ln.id == pending.return_line_id), pending.code)
        view.pending_sku, view.pending_qty = sku, pending.quantity
        view.prompt = _("%(sku)s: press its condition: %(keys)s", sku=sku, keys=KEYS_HINT)
    else:
        view.prompt = _("Scan the next item, or close the return")
    return view


def current(user) -> ReturnView:
    return view_of(held_return(user, lock=False))


def start(user, code: str) -> tuple[ReturnView, str]:
    """Open a return on the operator's handheld (one at a time)."""
    ret = return_for_code(code, user)
    if ret.holder_id not in (None, user.id):
        raise Conflict(_("Return %(code)s is being received on another handheld.", code=ret.code), code="return_held")
    for other in db.session.execute(select(CustomerReturn).where(CustomerReturn.holder_id == user.id,
                                                                 CustomerReturn.id != ret.id)).scalars():
        other.holder_id = None
    if ret.status is ReturnStatus.EXPECTED:
        ret.status = ReturnStatus.IN_PROGRESS
        ret.started_at = utcnow()
        record_return_event(ret, "started", _("Receiving started on a handheld."), user)
    ret.holder_id = user.id
    db.session.flush()
    if ret.source != "parcel":
        return view_of(ret), _("%(code)s for order %(reference)s (expected return): scan each item",
                               code=ret.code, reference=ret.order.reference)
    return view_of(ret), _("%(code)s for order %(reference)s (unexpected parcel): scan each item",
                           code=ret.code, reference=ret.order.reference)


def scan(user, code: str, qty: int = 1) -> tuple[ReturnView, str]:
    """A scan on the returns screen: a return/order/tracking code, an item, or a condition key."""
    text = (code or "").strip()
    ret = held_return(user)
    if text in CONDITION_KEYS:
        if ret is None:
            raise DomainError(_("Scan the return, the order or the tracking number first."), code="no_return")
        return grade(user, ret, CONDITION_KEYS[text])
    scanned = parse(text)
    if ret is None or scanned.kind in (ScanKind.RETURN, ScanKind.ORDER, ScanKind.PARCEL):
        if ret is not None and _pending(ret) is not None:
            raise _refusal(ret, _("Choose the condition of %(sku)s first: %(keys)s.",
                                  sku=view_of(ret).pending_sku, keys=KEYS_HINT),
                           "condition_first")
        return start(user, text)
    return scan_item(user, ret, text, qty)


def _refusal(ret: CustomerReturn | None, message: str, code: str, set_aside: str | None = None) -> DomainError:
    exc = DomainError(message, code=code)
    exc.view = view_of(ret, set_aside=set_aside)
    return exc


def scan_item(user, ret: CustomerReturn, code: str, qty: int = 1) -> tuple[ReturnView, str]:
    """One item (or a pack) back in the parcel: it waits for its condition key."""
    pending = _pending(ret)
    if pending is not None:
        raise _refusal(ret, _("Choose the condition of %(sku)s first: %(keys)s.",
                              sku=view_of(ret).pending_sku, keys=KEYS_HINT),
                       "condition_first")
    try:
        match = product_by_code(code)
    except DomainError as exc:
        if ret.lines and exc.code == "unknown_barcode":
            # Perhaps the order reference or tracking number of another return.
            try:
                order = order_for_code(code)
            except DomainError:
                order = None
            if order is not None:
                raise _refusal(ret, _("%(code)s is another order: close or leave %(ret_code)s "
                                      "first.", code=code, ret_code=ret.code),
                               "other_order") from None
        raise _refusal(ret, _("%(code)s is not a product of order %(reference)s: it is not ours. "
                              "Set it aside as an exception.",
                              code=code, reference=ret.order.reference), "not_in_order", set_aside=code) from None
    product = match.product
    units = qty * match.pack_qty
    line = next((ln for ln in ret.lines if ln.product_id == product.id), None)
    if line is None:
        raise _refusal(ret, _("%(sku)s was not in order %(reference)s: refused. Set it aside as "
                              "an exception.", sku=product.sku, reference=ret.order.reference), "not_in_order", set_aside=code)
    back = line_received(ret, line.id)
    if back + units > line.shipped:
        raise _refusal(ret, _("Only %(shipped)s × %(sku)s were shipped and %(back)s came back "
                              "already: set this one aside as an exception.",
                              shipped=line.shipped, sku=product.sku, back=back), "over_shipped", set_aside=code)
    ret.items.append(ReturnItem(return_line_id=line.id, product_id=product.id, code=code, quantity=units,
                                user_id=user.id))
    db.session.flush()
    return view_of(ret), _("%(sku)s × %(qty)s scanned: press 1-4", sku=product.sku, qty=units)


def grade(user, ret: CustomerReturn, condition: ReturnCondition) -> tuple[ReturnView, str]:
    """Give the waiting item its condition: into the returns location, quarantine, or set aside."""
    item = _pending(ret)
    if item is None:
        raise _refusal(ret, _("Scan an item first, then press its condition."), "no_item")
    line = next(ln for ln in ret.lines if ln.id == item.return_line_id)
    kind = DESTINATION[condition]
    item.condition = condition
    if kind is None:
        item.exception = True
        db.session.flush()
        record_return_event(ret, "exception", _("%(sku)s × %(quantity)s is not ours: set aside.",
                                                sku=line.sku, quantity=item.quantity), user)
        return view_of(ret), _("%(sku)s is not ours: set it aside on the exceptions shelf", sku=line.sku)
    location = default_location(kind)
    item.location_id = location.id
    db.session.flush()
    inventory.receive_into(item.product_id, location.id, item.quantity, reason=MoveReason.RETURNED,
                           user_id=user.id, reference=ret.code,
                           note=_("Order %(reference)s: %(condition)s", reference=ret.order.reference,
                                  condition=condition.label.lower()))
    return view_of(ret), _("%(sku)s × %(qty)s %(condition)s: to %(location)s", sku=line.sku,
                           qty=item.quantity, condition=condition.label.lower(), location=location.code)


def set_aside(user, code: str, qty: int = 1) -> tuple[ReturnView, str]:
    """Record a refused item (not in the order, unknown, or one too many) as an exception."""
    ret = held_return(user)
    if ret is None:
        raise DomainError(_("Scan the return, the order or the tracking number first."), code="no_return")
    code = (code or "").strip()[:128]
    if not code:
        raise _refusal(ret, _("Nothing to set aside: scan the item."), "bad_scan")
    try:
        product_id = product_by_code(code).product.id
    except DomainError:
        product_id = None
    ret.items.append(ReturnItem(return_line_id=None, product_id=product_id, code=code, quantity=qty,
                                condition=ReturnCondition.WRONG_ITEM, exception=True, user_id=user.id))
    record_return_event(ret, "exception", _("%(code)s × %(qty)s set aside: not in order "
                                            "%(reference)s.",
                                            code=code, qty=qty, reference=ret.order.reference), user)
    db.session.flush()
    return view_of(ret), _("%(code)s set aside as an exception: put it on the exceptions shelf",
                           code=code)


def close(user) -> tuple[ReturnView, str]:
    """Finish the operator's return: record what is missing, tell the shop and the webhooks."""
    ret = held_return(user)
    if ret is None:
        raise DomainError(_("No return is open on this handheld."), code="no_return")
    if _pending(ret) is not None:
        raise _refusal(ret, _("Choose the condition of %(sku)s first: %(keys)s.",
                              sku=view_of(ret).pending_sku, keys=KEYS_HINT),
                       "condition_first")
    if not ret.items:
        raise _refusal(ret, _("Nothing was scanned: scan the items, or leave the return open."), "empty")
    finish(ret, user)
    message = (_("%(code)s received with a discrepancy: %(discrepancy)s", code=ret.code,
                 discrepancy=ret.discrepancy) if ret.discrepancy
               else _("%(code)s received", code=ret.code))
    return view_of(None), message


def summary(ret: CustomerReturn) -> str:
    """What came back in what condition, in one sentence (the shop's order note)."""
    parts = []
    for ln in ret.lines:
        by_condition: dict[ReturnCondition, int] = {}
        for i in ret.items:
            if i.return_line_id == ln.id and i.condition is not None:
                by_condition[i.condition] = by_condition.get(i.condition, 0) + i.quantity
        for condition, qty in by_condition.items():
            parts.append(_("%(sku)s × %(qty)s %(condition)s", sku=ln.sku, qty=qty,
                           condition=condition.label.lower()))
    aside = [_("%(sku)s × %(qty)s", sku=i.code, qty=i.quantity)
             for i in ret.items if i.exception and i.return_line_id is None]
    text = _("Return %(code)s received: %(items)s", code=ret.code,
             items=", ".join(parts) or _("no item of the order"))
    if aside:
        text += "; " + _("set aside (not in the order): %(items)s", items=', '.join(aside))
    if ret.discrepancy:
        text += "; " + _("missing: %(discrepancy)s", discrepancy=ret.discrepancy)
    return text + "."


def finish(ret: CustomerReturn, user) -> None:
    missing = [f"{ln.sku} × {ln.announced - line_received(ret, ln.id)}"
               for ln in ret.lines if ln.announced > line_received(ret, ln.id)]
    ret.discrepancy = ", ".join(missing) or None
    ret.status = ReturnStatus.RECEIVED
    ret.received_at = utcnow()
    ret.received_by_id = user.id if user is not None else None
    ret.holder_id = None
    text = summary(ret)
    record_return_event(ret, "received", text, user)
    record_event(ret.order, "return", text, user)
    db.session.flush()
    _notify(ret, text)


def _notify(ret: CustomerReturn, text: str) -> None:
    from wms.integrations.webhooks import events as ev
    from wms.integrations.webhooks.services import emit, order_data

    order = ret.order
    emit(ev.RETURN_RECEIVED, f"order:{order.id}", f"{ev.RETURN_RECEIVED}:return:{ret.id}",
         {**order_data(order), **return_data(ret)}, occurred_at=ret.received_at)
    if order.from_shop:
        from wms.integrations.prestashop.outbox import enqueue

        enqueue("return_received", {"return_id": ret.id, "note": text},
                dedupe_key=f"return_received:{ret.id}", ordering_key=f"order:{order.id}")


def return_data(ret: CustomerReturn) -> dict:
    """A return as the API and the webhooks show it."""
    return {
        "return_id": ret.id, "return_code": ret.code, "order_id": ret.order_id,
        "order_reference": ret.order.reference, "return_status": ret.status.name, "source": ret.source,
        "external_ref": ret.external_ref, "ps_return_id": ret.ps_return_id, "reason": ret.reason,
        "discrepancy": ret.discrepancy, "created_at": ret.created_at, "received_at": ret.received_at,
        "waiting_for_refund": ret.waiting_for_refund,
        "lines": [{"sku": ln.sku, "name": ln.name, "shipped": ln.shipped, "announced": ln.announced,
                   "received": line_received(ret, ln.id)} for ln in ret.lines],
        "items": [{"code": i.code, "sku": i.product.sku if i.product is not None else None,
                   "quantity": i.quantity, "condition": i.condition.name if i.condition else None,
                   "exception": i.exception, "location": i.location.code if i.location else None}
                  for i in ret.items],
    }


def leave(user) -> ReturnView:
    ret = held_return(user)
    if ret is not None:
        if _pending(ret) is not None:
            raise _refusal(ret, _("Choose the condition of %(sku)s first: %(keys)s.",
                                  sku=view_of(ret).pending_sku, keys=KEYS_HINT),
                           "condition_first")
        ret.holder_id = None
        db.session.flush()
    return view_of(None)


def mark_refunded(ret: CustomerReturn, user=None) -> None:
    if ret.status is not ReturnStatus.RECEIVED:
        raise DomainError(_("Return %(code)s is not received yet.", code=ret.code), code="not_received")
    if ret.refunded_at is None:
        ret.refunded_at = utcnow()
        record_return_event(ret, "refunded", _("Refund done in the shop."), user)
        db.session.flush()


def cancel(ret: CustomerReturn, user=None, why: str = _l("Cancelled on the desk.")) -> None:
    if ret.status is not ReturnStatus.EXPECTED:
        raise DomainError(_("Only an expected return can be cancelled; %(code)s is %(status)s.",
                            code=ret.code, status=ret.status.label.lower()), code="not_expected")
    ret.status = ReturnStatus.CANCELLED
    ret.holder_id = None
    record_return_event(ret, "cancelled", str(why), user)
    db.session.flush()


# ------------------------------------------------------------------------------ the desk


def waiting_for_refund(*where) -> list[CustomerReturn]:
    """Received returns whose refund is not seen done yet (``where``: more conditions, e.g. a site)."""
    rows = db.session.execute(
        select(CustomerReturn).where(CustomerReturn.status == ReturnStatus.RECEIVED,
                                     CustomerReturn.refunded_at.is_(None), *where)
        .order_by(CustomerReturn.received_at)).scalars().all()
    return [r for r in rows if r.received_total > 0]


@dataclass
class RateRow:
    product_id: int
    sku: str
    name: str
    shipped: int
    returned: int

    @property
    def rate(self) -> float:
        return self.returned / self.shipped if self.shipped else 0.0


def returns_rate(start: datetime, end: datetime, site: int | None = None) -> list[RateRow]:
    """Units shipped and units returned per product in [start, end), the highest rate first;
    for one site (None: all): shipped from its bins, returned on returns of its orders."""
    from wms.domain.catalog.models import Product
    from wms.domain.locations.models import Location

    shipped_query = (select(StockMove.product_id, func.sum(StockMove.quantity))
                     .where(StockMove.reason == MoveReason.SHIPPED, StockMove.created_at >= start,
                            StockMove.created_at < end)
                     .group_by(StockMove.product_id))
    returned_query = (select(ReturnItem.product_id, func.sum(ReturnItem.quantity))
                      .where(ReturnItem.return_line_id.is_not(None), ReturnItem.condition.is_not(None),
                             ReturnItem.condition != ReturnCondition.WRONG_ITEM,
                             ReturnItem.created_at >= start, ReturnItem.created_at < end)
                      .group_by(ReturnItem.product_id))
    if site is not None:
        shipped_query = shipped_query.where(StockMove.from_location_id.in_(
            select(Location.id).where(Location.warehouse_id == site)))
        returned_query = returned_query.where(ReturnItem.return_id.in_(
            select(CustomerReturn.id).join(Order, Order.id == CustomerReturn.order_id)
            .where(or_(Order.warehouse_id == site, Order.warehouse_id.is_(None)))))
    shipped = dict(db.session.execute(shipped_query).all())
    returned = dict(db.session.execute(returned_query).all())
    ids = set(shipped) | set(returned)
    if not ids:
        return []
    products = {p.id: p for p in db.session.execute(select(Product).where(Product.id.in_(ids))).scalars()}
    rows = [RateRow(pid, products[pid].sku, products[pid].name, int(shipped.get(pid, 0) or 0),
                    int(returned.get(pid, 0) or 0)) for pid in ids if pid in products]
    return sorted(rows, key=lambda r: (-r.rate, -r.returned, r.sku))


def parse_announced(order: Order, text: str) -> dict[int, int]:
    """Turn "SKU quantity" lines (the desk's form) into {order_line_id: units} for create_return."""
    quantities: dict[int, int] = {}
    by_sku = {(ln.sku or "").upper(): ln for ln in order.lines}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) > 2:
            raise DomainError(_("Line %(number)s: write “SKU quantity”, e.g. “TSH-BLACK-M 1”.",
                                number=number), code="bad_line")
        line = by_sku.get(parts[0].upper())
        if line is None:
            raise DomainError(_("Line %(number)s: %(parts)s is not in order %(reference)s.",
                                number=number, parts=parts[0], reference=order.reference), code="unknown_sku")
        qty = inventory.parse_quantity(parts[1] if len(parts) == 2 else "1")
        quantities[line.id] = quantities.get(line.id, 0) + qty
    return quantities


def order_by_reference(text: str) -> Order:
    order = order_for_code(text) if (text or "").strip() else None
    if order is None:
        raise NotFound(_("No order has the reference, code or tracking number %(value)s.",
                         value=(text or '').strip() or _('(empty)')),
                       code="unknown_order")
    return order
