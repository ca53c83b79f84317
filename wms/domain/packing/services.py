"""The packing station: verify each item of a picked order into parcels, weigh, get tracking.

Flow state (per operator, server side): the shipment being packed and the step:
"items" (scan items, close parcels), "tracking" (scan the carrier's labels), "label" (the
carrier's API makes the labels: wms/domain/shipping/labels.py), "done".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from wms.barcodes import ScanKind
from wms.db import db, utcnow
from wms.domain.catalog.services import product_by_code
from wms.domain.inventory.services import check_quantity
from wms.domain.orders.models import Order, OrderLine, OrderStatus, record_event
from wms.domain.orders.services import order_by_code
from wms.domain.scans.services import load_state, parse, save_state
from wms.domain.shipping import labels as carrier_labels
from wms.domain.shipping import services as shipping
from wms.domain.shipping.carriers import adapter_for
from wms.domain.shipping.models import BoxSize, Parcel, ParcelItem, Shipment, ShipmentStatus
from wms.domain.users.models import Role
from wms.errors import Conflict, DomainError, PermissionDenied
from wms.i18n import _, format_decimal, ngettext

FLOW = "packing"
PACKABLE = (OrderStatus.PICKED, OrderStatus.PACKING)


@dataclass
class LineView:
    """One order line on the packing screen."""

    line: OrderLine
    in_shipment: int  # units of this line packed into this shipment
    to_pack: int  # picked units still to verify
    missing: int  # ordered units that will not be in this shipment if it closes now


@dataclass
class PackView:
    """What the packing screen shows."""

    step: str  # "start", "items", "tracking", "done"
    prompt: str
    shipment: Shipment | None = None
    lines: list[LineView] = field(default_factory=list)
    parcel: Parcel | None = None  # the open parcel items go into
    boxes: list[BoxSize] = field(default_factory=list)
    estimate_kg: float | None = None
    proposed_box: BoxSize | None = None  # the smallest box the parcel's items fit (weight, size)
    box_notes: dict[str, str] = field(default_factory=dict)  # box code -> why it does not fit
    closed_now: bool = False  # this scan was the last item and closed the order (print its labels)
    label_error: str | None = None  # step "label": the carrier's reason of the last refusal
    changed: LineView | None = None  # the line an item scan just packed (its answer shows it)

    @property
    def order(self) -> Order | None:
        return self.shipment.order if self.shipment else None

    @property
    def missing_units(self) -> int:
        return sum(lv.missing for lv in self.lines)


def current(user) -> PackView:
    """Return the operator's packing screen as it stands."""
    return _view(load_state(user, FLOW, lock=False).data)


def _shipment(data: dict) -> Shipment | None:
    return db.session.get(Shipment, data["shipment"]) if data.get("shipment") else None


def open_parcel(shipment: Shipment) -> Parcel | None:
    """Return the parcel still being filled (the last one not closed)."""
    return next((p for p in reversed(shipment.parcels) if p.closed_at is None), None)


def _lines(shipment: Shipment) -> list[LineView]:
    here = shipment.units_by_line()
    return [LineView(line, here.get(line.id, 0), max(0, line.quantity_picked - line.quantity_packed),
                     max(0, line.quantity - line.quantity_packed))
            for line in shipment.order.lines]


def _estimate_kg(parcel: Parcel | None, box: BoxSize | None = None) -> float | None:
    if parcel is None or not parcel.items:
        return None
    grams = sum((item.line.product.weight_g or 0) * item.quantity
                for item in parcel.items if item.line.product is not None)
    grams += (box or parcel.box).tare_g if (box or parcel.box) else 0
    return round(grams / 1000, 2) if grams else None


def box_misfit(box: BoxSize, parcel: Parcel | None) -> str | None:
    """Say why the parcel's items do not go in this box (too heavy for it, or too big), or None.

    The weight is the items' weight plus the box's own (what the scale will show), judged by the
    same limit closing the parcel checks; the size compares each item's sides, sorted, with the
    box's, and the items' volume with the box's. Products without weight or size are left out.
    """
    if parcel is None or not parcel.items:
        return None
    grams = box.tare_g or 0
    volume = 0
    sides = sorted((box.length_mm, box.width_mm, box.height_mm))
    too_big = False
    for item in parcel.items:
        product = item.line.product
        if product is None:
            continue
        grams += (product.weight_g or 0) * item.quantity
        dims = (product.length_mm, product.width_mm, product.height_mm)
        if all(dims):
            volume += dims[0] * dims[1] * dims[2] * item.quantity
            too_big = too_big or any(a > b for a, b in zip(sorted(dims), sides))
    if box.max_weight_g and grams > box.max_weight_g:
        return _("too heavy (%(kg)s kg max)", kg=format_decimal(box.max_weight_g / 1000))
    if too_big or volume > box.length_mm * box.width_mm * box.height_mm:
        return _("too small")
    return None


def propose_box(parcel: Parcel | None, boxes: list[BoxSize]) -> tuple[BoxSize | None, dict[str, str]]:
    """The smallest box (boxes come smallest first) the parcel fits, and why the others do not."""
    notes = {box.code: why for box in boxes if (why := box_misfit(box, parcel))}
    proposed = next((box for box in boxes if box.code not in notes), None)
    return proposed, notes


def _view(data: dict) -> PackView:
    shipment = _shipment(data)
    if shipment is None:
        return PackView("start", _("Scan the tote or the order (SO-…) to pack"))
    step = data.get("step", "items")
    lines = _lines(shipment)
    parcel = open_parcel(shipment)
    boxes = shipping.active_boxes()
    proposed, notes = propose_box(parcel, boxes)
    view = PackView(step, "", shipment, lines, parcel, boxes, _estimate_kg(parcel, proposed),
                    proposed, notes)
    if step == "items":
        left = sum(lv.to_pack for lv in lines)
        view.prompt = (_("Scan each item into parcel %(number)s", number=parcel.number if parcel else 1)
                       if left else _("All items verified: choose a box, enter the weight, finish"))
    elif step == "label":
        rows = carrier_labels.labels_of(shipment)
        view.label_error = next((r.error for r in rows if r.error and r.status.name != "CREATED"), None)
        view.prompt = (_("%(carrier)s refused the label: fix it, then retry", carrier=shipment.carrier.name)
                       if view.label_error else _("Getting the %(carrier)s label…", carrier=shipment.carrier.name))
    elif step == "tracking":
        waiting = next(p for p in shipment.parcels if not p.tracking_number)
        view.prompt = _("Scan the %(carrier)s tracking barcode of parcel %(number)s/%(count)s",
                        carrier=shipment.carrier.name, number=waiting.number, count=len(shipment.parcels))
    else:
        view.prompt = _("%(reference)s is packed: print the labels, then scan the next order",
                        reference=shipment.order.reference)
    return view


# ---------------------------------------------------------------- scanning

def scan(user, code: str, qty: int = 1, *, close_on_last: bool = False) -> tuple[PackView, str]:
    """Apply one scan at the packing station; return the new view and a status sentence.

    With `close_on_last` (the station's setting) the scan of the order's last item closes the
    parcel with the default box and the estimated weight, as the screen pre-fills them.
    """
    check_quantity(qty)
    state = load_state(user, FLOW)
    data = dict(state.data)
    shipment = _shipment(data)
    step = data.get("step", "items") if shipment else "start"
    if step == "tracking":
        return _scan_tracking(state, shipment, code, user)
    if step == "label":
        raise DomainError(_("%(reference)s waits for its %(name)s label: press “Get the label” "
                            "(after fixing the address on the desk if it was refused).",
                            reference=shipment.order.reference, name=shipment.carrier.name), code="label_waiting")
    scanned = parse(code)
    if scanned.kind in (ScanKind.ORDER, ScanKind.TOTE):
        if shipment is not None and step == "items":
            if scanned.code in (shipment.order.code, *_totes_of(shipment.order)):
                return _view(data), _("Packing %(reference)s", reference=shipment.order.reference)
            raise DomainError(_("You are packing %(reference)s: finish it (or park it) before "
                                "starting %(code)s.",
                                reference=shipment.order.reference, code=scanned.code), code="busy")
        order = order_for_scan(scanned)
        shipment = start_shipment(order, user)
        # Parcels closed but the carrier's label not yet made (a refusal, the station left).
        waiting = (shipment.parcels and all(p.closed_at for p in shipment.parcels)
                   and carrier_labels.creates_labels(shipment.carrier))
        save_state(state, shipment=shipment.id, step="label" if waiting else "items")
        return _view(state.data), _("Packing %(reference)s (%(code)s) for %(carrier)s",
                                    reference=order.reference, code=order.code, carrier=shipment.carrier.name)
    if scanned.kind is not ScanKind.PRODUCT:
        raise DomainError(_("%(code)s is a %(kind)s: scan an item of the order",
                            code=scanned.code, kind=scanned.kind.label)
                          if shipment else _("%(code)s is a %(kind)s: scan the tote or the order to "
                                             "pack.", code=scanned.code, kind=scanned.kind.label),
                          code="bad_scan")
    if shipment is None:
        raise DomainError(_("Scan the tote or the order first, then its items."), code="no_order")
    if step != "items":
        raise DomainError(_("%(reference)s is packed: scan the next tote or order.",
                            reference=shipment.order.reference),
                          code="packed")
    match = product_by_code(scanned.code)
    _lock_order(shipment.order_id)  # two packers on one tote: the second waits, then re-reads
    line = pack_item(shipment, match.product, qty * match.pack_qty)
    message = _("OK %(sku)s: %(packed)s of %(picked)s packed", sku=line.sku,
                packed=line.quantity_packed, picked=line.quantity_picked)
    if close_on_last:
        closed, sentence = _close_on_last_scan(user, shipment)
        if closed is not None:
            return closed, f"{message}. {sentence}"
        if sentence:
            message = f"{message}. {sentence}"
    return _view(state.data), message


def _close_on_last_scan(user, shipment: Shipment) -> tuple[PackView | None, str | None]:
    """Finish a complete order with the default box and estimated weight; else say why not."""
    # Only a complete order closes by itself: missing items need a person's decision.
    if any(lv.to_pack or lv.missing for lv in _lines(shipment)):
        return None, None
    parcel = open_parcel(shipment)
    box, _notes = propose_box(parcel, shipping.active_boxes())
    estimate = _estimate_kg(parcel, box)
    if parcel is None or not estimate or box is None:
        return None, _("Not closed automatically (no weight estimate or box): choose the box, weigh, finish")
    try:
        # A savepoint: if closing fails (e.g. the carrier's tracking range is used up), the
        # scan still counts and the operator finishes by hand, as without the setting.
        with db.session.begin_nested():
            view, message = finish(user, box.code, estimate)
    except DomainError as exc:
        return None, _("Not closed automatically: %(reason)s", reason=exc.message)
    view.closed_now = True
    return view, _("%(message)s (%(box)s, %(kg)s kg estimated)", message=message, box=box.code,
                   kg=format_decimal(estimate))


def _totes_of(order: Order) -> list[str]:
    from wms.domain.picking.models import PickListOrder

    return [t for t in db.session.execute(
        select(PickListOrder.tote).where(PickListOrder.order_id == order.id,
                                         PickListOrder.tote.is_not(None))).scalars()]


def order_for_scan(scanned) -> Order:
    """Return the order of a scanned SO- code or batch-picking tote."""
    if scanned.kind is ScanKind.ORDER:
        order = order_by_code(scanned.code)
    else:
        from wms.domain.picking.services import order_for_tote

        order = order_for_tote(scanned.code)
    db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    db.session.refresh(order)
    if order.status in (OrderStatus.PACKED, OrderStatus.SHIPPED):
        raise DomainError(_("%(reference)s is already %(status)s: put it on the carrier's "
                            "dispatch.",
                            reference=order.reference, status=order.status.label.lower()), code="already_packed")
    if order.status not in PACKABLE:
        raise DomainError(_("%(reference)s is “%(label)s”, not picked: it cannot be packed yet.",
                            reference=order.reference, label=order.status.label), code="not_picked")
    return order


def start_shipment(order: Order, user) -> Shipment:
    """Return the order's shipment being packed, starting one (with parcel 1) if there is none."""
    shipment = db.session.execute(
        select(Shipment).where(Shipment.order_id == order.id,
                               Shipment.status == ShipmentStatus.PACKING)).scalar_one_or_none()
    if shipment is not None:
        return shipment
    if not any(line.quantity_picked > line.quantity_packed for line in order.lines):
        raise DomainError(_("%(reference)s has nothing picked left to pack.",
                            reference=order.reference), code="nothing_to_pack")
    from wms.domain.locations.sites import check_order_site

    check_order_site(order)  # a bench of another site does not pack it
    carrier = shipping.carrier_for_order(order)
    from wms.domain.picking.allocation import picked_location

    location = picked_location(order.warehouse_id)
    shipment = Shipment(order_id=order.id, carrier_id=carrier.id, service=carrier.service,
                        location_id=location.id, packed_by_id=user.id)
    shipment.parcels.append(Parcel(carrier_id=carrier.id, number=1))
    db.session.add(shipment)
    order.status = OrderStatus.PACKING
    record_event(order, "packing", _("Packing started (%(name)s)", name=carrier.name), user)
    db.session.flush()
    return shipment


def pack_item(shipment: Shipment, product, units: int) -> OrderLine:
    """Verify units of a product into the open parcel; refuse a wrong item or too many."""
    order = shipment.order
    _check_packing(order)
    lines = [line for line in order.lines if line.product_id == product.id]
    if not lines:
        raise DomainError(_("WRONG ITEM: %(sku)s (%(name)s) is not in %(reference)s. Put it "
                            "aside for the returns shelf.",
                            sku=product.sku, name=product.name, reference=order.reference), code="wrong_item")
    line = next((ln for ln in lines if ln.quantity_picked - ln.quantity_packed > 0), lines[-1])
    left = line.quantity_picked - line.quantity_packed
    if units > left:
        values = dict(sku=product.sku, picked=line.quantity_picked, packed=line.quantity_packed,
                      left=left)
        raise DomainError(_("TOO MANY %(sku)s: %(picked)s were picked and %(packed)s are packed "
                            "already, only %(left)s more fit the order.", **values) if left else
                          _("TOO MANY %(sku)s: %(picked)s were picked and %(packed)s are packed "
                            "already. Put the extra aside.", **values),
                          code="too_many")
    parcel = open_parcel(shipment)
    if parcel is None:
        parcel = Parcel(carrier_id=shipment.carrier_id, number=len(shipment.parcels) + 1)
        shipment.parcels.append(parcel)
    item = next((i for i in parcel.items if i.order_line_id == line.id), None)
    if item is None:
        item = ParcelItem(order_line_id=line.id, quantity=0, line=line)
        parcel.items.append(item)
    item.quantity += units
    line.quantity_packed += units
    db.session.flush()
    return line


# ---------------------------------------------------------------- parcels

def _close(parcel: Parcel, box_code: str, weight_raw) -> None:
    if not parcel.items:
        raise DomainError(_("Parcel %(number)s is empty: scan items into it first.",
                            number=parcel.number),
                          code="empty_parcel")
    box = shipping.box_by_code(box_code)
    grams = shipping.parse_weight_kg(weight_raw)
    if box.max_weight_g and grams > box.max_weight_g:
        raise DomainError(_("%(grams)s kg is over the %(max_weight_g)s kg limit of the "
                            "%(box)s box: use a bigger box or split the parcel.",
                            grams=format(grams / 1000, 'g'), max_weight_g=format(box.max_weight_g / 1000, 'g'), box=box.name),
                          code="too_heavy")
    parcel.box, parcel.weight_g, parcel.closed_at = box, grams, utcnow()


def _lock_order(order_id: int) -> Order:
    # The same lock the desk's hold and cancel take; re-read the order and its lines under it.
    db.session.flush()
    order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    db.session.execute(select(OrderLine).where(OrderLine.order_id == order_id)
                       .execution_options(populate_existing=True)).all()
    return order


def _packing(user) -> tuple:
    state = load_state(user, FLOW)
    shipment = _shipment(state.data)
    if shipment is None or state.data.get("step", "items") != "items":
        raise DomainError(_("Scan the tote or the order to pack first."), code="no_order")
    _lock_order(shipment.order_id)
    _check_packing(shipment.order)
    return state, shipment


def split_parcel(user, box_code: str, weight_raw) -> tuple[PackView, str]:
    """Close the open parcel with its box and weight, and open the next one."""
    state, shipment = _packing(user)
    parcel = open_parcel(shipment)
    if parcel is None:
        raise DomainError(_("There is no open parcel."), code="no_parcel")
    _close(parcel, box_code, weight_raw)
    shipment.parcels.append(Parcel(carrier_id=shipment.carrier_id, number=len(shipment.parcels) + 1))
    db.session.flush()
    return _view(state.data), _("Parcel %(number)s closed (%(kg)s kg): scan the items of parcel "
                                "%(next)s", number=parcel.number,
                                kg=format_decimal(parcel.weight_g / 1000), next=parcel.number + 1)


def finish(user, box_code: str, weight_raw, accept_partial: bool = False) -> tuple[PackView, str]:
    """Close the last parcel; refuse missing items unless a supervisor accepts a partial shipment."""
    state, shipment = _packing(user)
    order = shipment.order
    parcel = open_parcel(shipment)
    if parcel is not None and parcel.items:
        _close(parcel, box_code, weight_raw)
    elif parcel is not None:
        if len(shipment.parcels) == 1:
            raise DomainError(_("Nothing is packed yet: scan the items first."), code="empty_parcel")
        shipment.parcels.remove(parcel)  # the empty parcel opened by the last split
    missing = [lv for lv in _lines(shipment) if lv.missing]
    if missing:
        listing = ", ".join(_("%(sku)s × %(qty)s", sku=lv.line.sku, qty=lv.missing) for lv in missing)
        if not accept_partial:
            raise DomainError(_("Items missing: %(listing)s. Scan them, or ask a supervisor to "
                                "accept a partial shipment.", listing=listing), code="items_missing")
        if not user.has_role(Role.SUPERVISOR):
            raise PermissionDenied(_("Items missing: %(listing)s. Only a supervisor can accept a "
                                     "partial shipment.", listing=listing), code="supervisor_needed")
        shipment.partial = True
        record_event(order, "partial", _("Partial shipment accepted by %(name)s; backordered: "
                                         "%(listing)s", name=user.name, listing=listing), user)
    for n, p in enumerate(shipment.parcels, start=1):
        p.number = n
    db.session.flush()
    if carrier_labels.creates_labels(shipment.carrier):
        # The carrier's API makes the labels: recorded now, asked for after this commit.
        carrier_labels.prepare(shipment)
        save_state(state, shipment=shipment.id, step="label")
        return _view(state.data), ngettext("%(num)d parcel closed: getting the %(carrier)s label",
                                           "%(num)d parcels closed: getting the %(carrier)s labels",
                                           len(shipment.parcels), carrier=shipment.carrier.name)
    if adapter_for(shipment.carrier).needs_scan:
        save_state(state, shipment=shipment.id, step="tracking")
        return _view(state.data), ngettext(
            "%(num)d parcel closed: scan the %(carrier)s tracking barcode of each",
            "%(num)d parcels closed: scan the %(carrier)s tracking barcode of each",
            len(shipment.parcels), carrier=shipment.carrier.name)
    for p in shipment.parcels:
        shipping.assign_tracking(p)
    _packed(shipment, user)
    save_state(state, shipment=shipment.id, step="done")
    return _view(state.data), ngettext("%(reference)s packed in %(num)d parcel",
                                       "%(reference)s packed in %(num)d parcels",
                                       len(shipment.parcels), reference=order.reference)


def get_carrier_labels(user, label_format: str = "pdf") -> tuple[PackView, str, bool]:
    """Ask the carrier for the labels of the operator's closed parcels; on success the order
    is packed. Commits: no transaction is open while the carrier answers."""
    state = load_state(user, FLOW, lock=False)
    shipment = _shipment(state.data)
    if shipment is None or state.data.get("step") != "label":
        raise DomainError(_("No parcel waits for a carrier label: scan the tote or the order."),
                          code="no_label_waiting")
    shipment_id = shipment.id
    outcome = carrier_labels.fetch(shipment_id, label_format)
    state = load_state(user, FLOW)
    shipment = db.session.get(Shipment, shipment_id)
    if outcome.ok and shipment.status is ShipmentStatus.PACKING:
        _lock_order(shipment.order_id)
        _packed(shipment, user)
        save_state(state, shipment=shipment.id, step="done")
    db.session.commit()
    message = outcome.message if outcome.ok else _("NO LABEL: %(reason)s", reason=outcome.message)
    if outcome.ok:
        message = _("%(message)s. %(reference)s is packed", message=message,
                    reference=shipment.order.reference)
    return _view(state.data), message, outcome.ok


def _scan_tracking(state, shipment: Shipment, code: str, user) -> tuple[PackView, str]:
    parcel = next(p for p in shipment.parcels if not p.tracking_number)
    number = shipping.assign_tracking(parcel, code)
    if all(p.tracking_number for p in shipment.parcels):
        _packed(shipment, user)
        save_state(state, shipment=shipment.id, step="done")
        return _view(state.data), _("Parcel %(number)s: %(tracking)s. %(reference)s is packed",
                                    number=parcel.number, tracking=number,
                                    reference=shipment.order.reference)
    return _view(state.data), _("Parcel %(number)s: %(tracking)s", number=parcel.number, tracking=number)


def _check_packing(order: Order) -> None:
    # A hold or a cancellation may land while the order is on the bench: stop packing it.
    if order.status is OrderStatus.PACKING:
        return
    why = f" ({order.hold_reason})" if order.status is OrderStatus.ON_HOLD and order.hold_reason else ""
    raise DomainError(_("%(reference)s is %(status)s%(why)s: stop packing it, put its items aside "
                        "and ask a supervisor.",
                        reference=order.reference, status=order.status.label.lower(), why=why), code="not_packing")


def _packed(shipment: Shipment, user) -> None:
    _check_packing(shipment.order)
    shipment.status = ShipmentStatus.PACKED
    shipment.packed_at = utcnow()
    shipment.order.status = OrderStatus.PACKED
    record_event(shipment.order, "packed",
                 ngettext("Packed in %(num)d parcel: %(parcels)s", "Packed in %(num)d parcels: %(parcels)s",
                          len(shipment.parcels), parcels=", ".join(
                              _("%(code)s %(box)s %(kg)s kg %(tracking)s", code=p.code,
                                box=p.box.code if p.box else '', kg=format_decimal(p.weight_g / 1000),
                                tracking=p.tracking_number) for p in shipment.parcels)), user)
    db.session.flush()


def next_order(user) -> PackView:
    """Clear the station for the next order (a packed one stays packed, an open one waits)."""
    save_state(load_state(user, FLOW))
    return _view({})


# ---------------------------------------------------------------- unpacking

# A packer is not at work on these: their parcels can be opened again. (A PACKING order is on
# a bench; the packer stops it by putting it on hold, or finishes it first.)
UNPACKABLE = (OrderStatus.PACKED, OrderStatus.ON_HOLD)


def unpackable(order: Order) -> bool:
    """Say whether a supervisor may unpack the order now (packed units, not shipped)."""
    return order.status in UNPACKABLE and any(
        line.quantity_packed > line.quantity_shipped for line in order.lines)


def unpack_order(order: Order, user) -> Order:
    """Take an order's units out of its parcels: void the parcels, cancel the shipment.

    The goods stay where packing left them (stock leaves only at dispatch), so no stock moves;
    the units are picked but not packed again, ready to be packed anew or put back by a cancel.
    The void parcels keep their tracking numbers so no other parcel is ever given one of them.
    """
    from wms.domain.orders.services import lock_order
    from wms.domain.shipping.models import DispatchStatus

    # The order lock first, as a dispatch close does: it then sees the order no longer packed.
    order = lock_order(order)
    if order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        raise Conflict(_("%(code)s is %(status)s: there is nothing to unpack.",
                         code=order.code, status=order.status.label.lower()),
                       code="not_unpackable")
    if order.status not in UNPACKABLE:
        raise Conflict(_("%(code)s is %(status)s: finish packing it (or put it on hold) before "
                         "unpacking.", code=order.code, status=order.status.label.lower()), code="not_unpackable")
    shipments = db.session.execute(
        select(Shipment).where(Shipment.order_id == order.id,
                               Shipment.status.in_((ShipmentStatus.PACKING, ShipmentStatus.PACKED)))
        .order_by(Shipment.id).with_for_update().execution_options(populate_existing=True)).scalars().all()
    parcels = [p for s in shipments for p in s.parcels]
    units = sum(item.quantity for p in parcels for item in p.items)
    if not units:
        raise Conflict(_("%(code)s has no packed units to unpack.", code=order.code), code="nothing_packed")
    gone = [p for p in parcels if p.dispatch is not None and p.dispatch.status is not DispatchStatus.OPEN]
    if gone:
        raise Conflict(_("%(value)s left with %(code)s: they cannot be unpacked here.",
                         value=', '.join(p.code for p in gone), code=gone[0].dispatch.code), code="already_dispatched")
    now = utcnow()
    dispatches = sorted({p.dispatch.code for p in parcels if p.dispatch is not None})
    for parcel in parcels:
        for item in parcel.items:
            item.line.quantity_packed = max(item.line.quantity_shipped,
                                            item.line.quantity_packed - item.quantity)
        parcel.dispatch_id = None
        parcel.dispatched_at = None
        parcel.voided_at = now
    # A carrier's shipment of these parcels is voided at the carrier after this commit.
    carrier_labels.mark_void(parcels)
    for shipment in shipments:
        shipment.status = ShipmentStatus.CANCELLED
    if order.status is OrderStatus.PACKED:
        order.status = OrderStatus.PICKED  # to pack again
    where = shipments[0].location.code if shipments[0].location is not None else _("the packing area")
    numbers = [p.tracking_number for p in parcels if p.tracking_number]
    record_event(order, "unpacked",
                 ngettext("Unpacked %(num)d unit from %(parcels)s", "Unpacked %(num)d units from %(parcels)s",
                          units, parcels=', '.join(p.code for p in parcels))
                 + (" " + _("(tracking %(numbers)s void)", numbers=', '.join(numbers)) if numbers else "")
                 + (", " + _("taken off %(dispatches)s", dispatches=', '.join(dispatches)) if dispatches else "")
                 + "; " + _("the goods wait at %(location)s.", location=where), user)
    db.session.flush()
    return order
