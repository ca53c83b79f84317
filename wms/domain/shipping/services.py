"""Shipping: box sizes, tracking numbers, labels and slips, carrier dispatches and manifests."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from wms.barcodes import ScanKind, clean, parse_scan
from wms.db import as_id, db, utcnow
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason
from wms.domain.locations.models import Warehouse
from wms.domain.orders.models import Order, OrderStatus, record_event
from wms.domain.shipping.carriers import adapter_for
from wms.domain.shipping.models import (
    BoxSize, Carrier, Dispatch, DispatchStatus, Parcel, Shipment, ShipmentStatus,
)
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _, ngettext

SHIPPING_LAYOUT = "shipping_4x6"


# ---------------------------------------------------------------- boxes and carriers

def load_boxes(path: Path) -> None:
    """Create the box sizes listed in a JSON file (skipping codes that exist)."""
    existing = set(db.session.execute(select(BoxSize.code)).scalars())
    for spec in json.loads(Path(path).read_text()):
        if spec["code"] not in existing:
            db.session.add(BoxSize(**spec))
    db.session.flush()


def active_boxes() -> list[BoxSize]:
    """Return the boxes the packing station offers, smallest first."""
    return list(db.session.execute(
        select(BoxSize).where(BoxSize.active.is_(True))
        .order_by(BoxSize.length_mm * BoxSize.width_mm * BoxSize.height_mm, BoxSize.code)).scalars())


def box_by_code(code: str) -> BoxSize:
    """Return an active box size by its code, or refuse with the choices."""
    box = db.session.execute(
        select(BoxSize).where(BoxSize.code == (code or "").strip().upper(),
                              BoxSize.active.is_(True))).scalar_one_or_none()
    if box is None:
        choices = ", ".join(b.code for b in active_boxes()) or _("none are configured")
        raise DomainError(_("Choose a box size (%(choices)s).", choices=choices), code="box_needed")
    return box


def active_carriers() -> list[Carrier]:
    return list(db.session.execute(
        select(Carrier).where(Carrier.active.is_(True)).order_by(Carrier.code)).scalars())


def carrier_for_order(order: Order) -> Carrier:
    """Return the order's carrier, or the first active one when the shop sent none."""
    if order.carrier is not None and order.carrier.active:
        return order.carrier
    carriers = active_carriers()
    if not carriers:
        raise DomainError(_("No carrier is configured: a supervisor adds one before packing."))
    return carriers[0]


def set_tracking_range(carrier: Carrier, start: int, end: int, prefix: str | None = None) -> Carrier:
    """Give a range carrier a block of tracking numbers; the counter starts after any already used."""
    if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end < start:
        raise DomainError(_("A tracking range needs a first number and a last number not below it."))
    if end > 2**31 - 1:
        raise DomainError(_("Tracking numbers of a range go up to 2147483647: use the prefix for "
                            "the leading digits."))
    prefix = (prefix or "").strip().upper() or None
    # Lock the carrier so no packing station hands out a number while the counter is reset.
    db.session.refresh(carrier, with_for_update=True)
    last_used = _last_used_in_range(carrier, start, end, prefix)
    if last_used is not None and last_used >= end:
        raise DomainError(
            _("Every tracking number of %(name)s from %(start)s to %(end)s is already on a "
              "parcel: enter the new range the carrier gave you.",
              name=carrier.name, start=start, end=end), code="range_used")
    carrier.range_start, carrier.range_end = start, end
    # Re-entering a range (a typo fixed, the same block typed twice) must not hand out numbers
    # already on parcels: every later finish would be refused as "taken".
    carrier.range_next = start if last_used is None else last_used + 1
    carrier.range_prefix = prefix
    db.session.flush()
    return carrier


COLISSIMO_CODE = re.compile(r"^[A-Z0-9]{2,4}$")


def set_carrier_service(carrier: Carrier, adapter: str, account: str | None = None,
                        service_code: str | None = None, relay: bool = False,
                        ps_id_reference=None) -> Carrier:
    """Map a carrier (a PrestaShop carrier by id_reference) to its adapter and service;
    refuse, changing nothing, an unknown adapter, a missing account or a malformed code."""
    from wms.domain.shipping.carriers import ADAPTERS, adapter_for, carrier_account

    adapter = (adapter or "").strip().lower()
    adapter_for(carrier)  # loads the API adapters into ADAPTERS
    if adapter not in ADAPTERS:
        raise DomainError(_("Choose the adapter: %(adapters)s.",
                            adapters=', '.join(sorted(ADAPTERS))), code="bad_carrier")
    reference = str(ps_id_reference if ps_id_reference is not None else "").strip()
    if reference and not reference.isdecimal():
        raise DomainError(_("The PrestaShop carrier reference (id_reference) is a number."), code="bad_carrier")
    reference_id = int(reference) if reference else None
    if reference_id is not None:
        other = db.session.execute(select(Carrier).where(Carrier.ps_id_reference == reference_id,
                                                         Carrier.id != carrier.id)).scalar_one_or_none()
        if other is not None:
            raise Conflict(_("PrestaShop carrier %(reference_id)s is already mapped to %(name)s.",
                             reference_id=reference_id, name=other.name),
                           code="bad_carrier")
    account = (account or "").strip() or None
    code = (service_code or "").strip().upper() or None
    if getattr(ADAPTERS[adapter], "creates_labels", False):
        if not account:
            raise DomainError(_("Give the carrier account's name (from WMS_CARRIER_ACCOUNTS)."),
                              code="bad_carrier")
        if adapter == "sendcloud" and not (code and code.isdecimal()):
            raise DomainError(_("Sendcloud's service is its shipping method id, a number."), code="bad_carrier")
        if adapter == "colissimo" and not (code and COLISSIMO_CODE.match(code)):
            raise DomainError(_("Colissimo's service is its product code, e.g. DOM, DOS or A2P."),
                              code="bad_carrier")
        probe = Carrier(name=carrier.name, adapter=adapter, account=account)
        carrier_account(probe)  # the account exists in the settings, for this adapter
    else:
        account, code, relay = None, None, False
    carrier.adapter, carrier.account, carrier.service_code = adapter, account, code
    carrier.relay, carrier.ps_id_reference = bool(relay), reference_id
    db.session.flush()
    return carrier


def _last_used_in_range(carrier: Carrier, start: int, end: int, prefix: str | None) -> int | None:
    # Numbers are printed as prefix + the counter padded to the width of the last number.
    from wms.domain.transfers.models import TransferParcel

    width = len(str(end))
    numbers = [*db.session.execute(
        select(Parcel.tracking_number).where(
            Parcel.carrier_id == carrier.id,
            Parcel.tracking_number.startswith(prefix or "", autoescape=True))).scalars(),
        *db.session.execute(
        select(TransferParcel.tracking_number).where(
            TransferParcel.carrier_id == carrier.id,
            TransferParcel.tracking_number.startswith(prefix or "", autoescape=True))).scalars()]
    last = None
    for number in numbers:
        digits = number[len(prefix or ""):]
        if digits.isdecimal() and start <= int(digits) <= end and f"{int(digits):0{width}d}" == digits:
            last = int(digits) if last is None else max(last, int(digits))
    return last


def parse_weight_kg(raw) -> int:
    """Turn a weight typed or read from a scale in kg ("1.25" or "1,25") into grams."""
    text = str(raw if raw is not None else "").strip().lower().removesuffix("kg").strip()
    text = text.replace(",", ".")
    try:
        kg = float(text)
    except ValueError:
        raise DomainError(_("“%(text)s” is not a weight: type the weight in kg, e.g. 1.25.", text=text)
                          if text else _("Enter the parcel's weight in kg, e.g. 1.25."),
                          code="bad_weight") from None
    if not 0 < kg <= 70:
        raise DomainError(_("%(kg)s kg is not a parcel weight: weigh it again (0.01 to 70 kg).",
                            kg=format(kg, 'g')),
                          code="bad_weight")
    return max(1, round(kg * 1000))


# ---------------------------------------------------------------- tracking numbers

def assign_tracking(parcel: Parcel, scanned: str | None = None) -> str:
    """Give a parcel its tracking number from its carrier's adapter; refuse a number in use."""
    carrier = parcel.shipment.carrier
    number = adapter_for(carrier).assign(carrier, parcel, scanned)
    taken = db.session.execute(
        select(Parcel).where(Parcel.carrier_id == carrier.id, Parcel.tracking_number == number,
                             Parcel.id != parcel.id)).scalar_one_or_none()
    if taken is not None:
        raise Conflict(_("Tracking number %(number)s is already on %(code)s (%(reference)s): "
                         "scan the label of this parcel.",
                         number=number, code=taken.code, reference=taken.shipment.order.reference),
                       code="tracking_taken")
    from wms.domain.transfers.models import TransferParcel

    on_transfer = db.session.execute(
        select(TransferParcel).where(TransferParcel.carrier_id == carrier.id,
                                     TransferParcel.tracking_number == number).limit(1)).scalar_one_or_none()
    if on_transfer is not None:
        raise Conflict(_("Tracking number %(number)s is already on %(code)s (%(reference)s): "
                         "scan the label of this parcel.",
                         number=number, code=on_transfer.code, reference=on_transfer.transfer.code),
                       code="tracking_taken")
    parcel.tracking_number = number
    db.session.flush()
    return number


def tracking_link(carrier: Carrier, number: str | None) -> str | None:
    if not (carrier.tracking_url and number):
        return None
    return carrier.tracking_url.replace("@", number)


# ---------------------------------------------------------------- labels and slips

def _sender(order: Order, shipment: Shipment | None = None) -> dict:
    # The warehouse the parcel leaves from (its packing location's), else the order's site,
    # else the first one.
    warehouse = (shipment.location.warehouse if shipment is not None and shipment.location is not None
                 else None)
    warehouse = warehouse or order.warehouse or db.session.execute(
        select(Warehouse).order_by(Warehouse.id).limit(1)).scalar_one_or_none()
    return _warehouse_sender(warehouse)


def _warehouse_sender(warehouse: Warehouse | None) -> dict:
    if warehouse is None:
        raise DomainError(_("No warehouse is configured: the sender address is missing."))
    return {"name": warehouse.company or warehouse.name, "address1": warehouse.address1 or "",
            "address2": warehouse.address2 or "", "postcode": warehouse.postcode or "",
            "city": warehouse.city or "", "country": warehouse.country or "",
            "phone": getattr(warehouse, "phone", None) or "", "email": getattr(warehouse, "email", None) or ""}


def _recipient(order: Order) -> dict:
    return {"name": order.ship_name or order.customer_name or "", "company": order.ship_company or "",
            "address1": order.ship_address1 or "", "address2": order.ship_address2 or "",
            "postcode": order.ship_postcode or "", "city": order.ship_city or "",
            "country": order.ship_country or ""}


def label_records(shipment: Shipment) -> list[dict]:
    """Return one shipping-label record per parcel (the shipping_4x6 layout's fields)."""
    missing = [p.number for p in shipment.parcels if not p.tracking_number]
    if missing:
        raise DomainError(ngettext("Parcel %(parcels)s has no tracking number yet: finish packing first.",
                                   "Parcels %(parcels)s have no tracking number yet: finish "
                                   "packing first.", len(missing),
                                   parcels=', '.join(map(str, missing))), code="tracking_needed")
    order, carrier = shipment.order, shipment.carrier
    count = len(shipment.parcels)
    return [{
        "sender": _sender(order, shipment),
        "recipient": _recipient(order),
        "carrier": {"name": carrier.name, "service": shipment.service or carrier.service or ""},
        "order": {"reference": order.reference, "code": order.code},
        "parcel": {"number": p.number, "count": count, "weight_kg": (p.weight_g or 0) / 1000,
                   "tracking_number": p.tracking_number, "code": p.code},
        "footer": f"{order.code} · {p.code}",
    } for p in shipment.parcels]


def shipping_labels_pdf(shipment: Shipment) -> bytes:
    """Render the shipment's 4x6 shipping labels, one page per parcel (the carrier's own
    labels when its API made them)."""
    from wms.domain.shipping.labels import carrier_document
    from wms.labels.layout import load_layout
    from wms.labels.pdf import render_pdf
    from wms.labels.locale import customer_locale

    document = carrier_document(shipment)
    if document is not None:
        if document[1] != "pdf":
            raise DomainError(_("%(name)s gave its labels in ZPL for the label printer: print "
                                "them there, or download the ZPL.", name=shipment.carrier.name), code="zpl_only")
        return document[0]
    records = label_records(shipment)
    with customer_locale(shipment.order.language):  # the captions in the customer's language
        return render_pdf(load_layout(SHIPPING_LAYOUT), records,
                          title=f"Labels {shipment.order.reference}")


def shipping_labels_zpl(shipment: Shipment) -> str | bytes:
    """Render the shipment's shipping labels as ZPL II, one ^XA…^XZ per parcel (the
    carrier's own ZPL, as bytes, when its API made them)."""
    from wms.domain.shipping.labels import carrier_document
    from wms.labels.layout import load_layout
    from wms.labels.zpl import render_zpl
    from wms.labels.locale import customer_locale

    document = carrier_document(shipment)
    if document is not None:
        if document[1] != "zpl":
            raise DomainError(_("%(name)s gave its labels as a PDF: open the PDF to print them.",
                                name=shipment.carrier.name), code="pdf_only")
        return document[0]
    records = label_records(shipment)
    with customer_locale(shipment.order.language):  # the captions in the customer's language
        return render_zpl(load_layout(SHIPPING_LAYOUT), records)


def packing_slip_data(shipment: Shipment) -> dict:
    """Return the packing slip's data: the units packed in this shipment."""
    order = shipment.order
    quantities = shipment.units_by_line()
    lines = {line.id: line for line in order.lines}
    items = [{"sku": lines[i].sku or "", "name": lines[i].name, "quantity": q}
             for i, q in sorted(quantities.items(), key=lambda kv: lines[kv[0]].line_no)]
    # Once shipped, this shipment's units are already counted in quantity_shipped.
    here = {} if shipment.status is ShipmentStatus.SHIPPED else quantities
    backordered = [_("%(sku)s × %(qty)s", sku=line.sku,
                     qty=line.quantity - line.quantity_shipped - here.get(line.id, 0))
                   for line in order.lines
                   if line.quantity - line.quantity_shipped - here.get(line.id, 0) > 0]
    note = (_("Still to come (backordered): %(lines)s", lines=", ".join(backordered))
            if backordered else None)
    return {"shop": _sender(order),
            "order": {"reference": order.reference, "date": order.ordered_at or order.created_at,
                      **({"note": note} if note else {})},
            "recipient": _recipient(order), "items": items, "parcel_count": len(shipment.parcels)}


def packing_slip(shipment: Shipment) -> bytes:
    """Render the A4 packing slip of a shipment, in the order's language (else the warehouse's)."""
    from wms.labels.documents import packing_slip_pdf
    from wms.labels.locale import customer_locale

    with customer_locale(shipment.order.language):
        return packing_slip_pdf(packing_slip_data(shipment))


# ---------------------------------------------------------------- dispatch

def get_dispatch(dispatch_id: int) -> Dispatch:
    dispatch = db.session.get(Dispatch, dispatch_id)
    if dispatch is None:
        raise NotFound(_("Dispatch %(dispatch_id)s does not exist.", dispatch_id=dispatch_id))
    return dispatch


def _open_query(carrier: Carrier, warehouse_id: int | None):
    query = select(Dispatch).where(Dispatch.carrier_id == carrier.id, Dispatch.status == DispatchStatus.OPEN)
    if warehouse_id is not None:
        # One open dispatch per carrier and site: each site hands its own parcels over.
        query = query.where(Dispatch.warehouse_id == warehouse_id)
    return query.order_by(Dispatch.id).limit(1)


def find_open_dispatch(carrier: Carrier, warehouse_id: int | None = None) -> Dispatch | None:
    """Return the carrier's open dispatch (at a site), or None; never starts one."""
    return db.session.execute(_open_query(carrier, warehouse_id)).scalar_one_or_none()


def open_dispatch(carrier: Carrier, user=None, warehouse_id: int | None = None) -> Dispatch:
    """Return the carrier's open dispatch (at a site), starting one if there is none."""
    # Lock the carrier so two screens do not both open a dispatch for it.
    db.session.execute(select(Carrier.id).where(Carrier.id == carrier.id).with_for_update())
    dispatch = db.session.execute(_open_query(carrier, warehouse_id)).scalar_one_or_none()
    if dispatch is None:
        dispatch = Dispatch(carrier_id=carrier.id, created_by_id=getattr(user, "id", user),
                            warehouse_id=warehouse_id)
        db.session.add(dispatch)
        db.session.flush()
    return dispatch


def find_parcel(code: str):
    """Return the parcel for a scanned PCL- code or tracking number (an order's Parcel, or a
    transfer's TransferParcel: PCL-T… or its tracking number)."""
    from wms.domain.transfers import parcels as transfer_parcels

    scan = parse_scan(code)
    if scan.kind is ScanKind.PARCEL and scan.code.startswith("PCL-T"):
        return transfer_parcels.find_parcel(scan.code)
    if scan.kind is ScanKind.PARCEL:
        number = scan.code.removeprefix("PCL-")
        parcel = db.session.get(Parcel, as_id(number)) if as_id(number) is not None else None
        if parcel is None:
            raise NotFound(_("Parcel %(code)s does not exist: scan the parcel's label.",
                             code=scan.code))
        return parcel
    text = clean(code).upper().replace(" ", "")
    matches = db.session.execute(select(Parcel).where(Parcel.tracking_number == text)).scalars().all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise DomainError(_("Tracking number %(text)s is used by several carriers: scan the PCL- "
                            "code on the parcel's packing label.", text=text))
    transfer_parcel = transfer_parcels.find_parcel(text)
    if transfer_parcel is not None:
        return transfer_parcel
    raise NotFound(_("%(text)s is not a parcel packed here: scan the PCL- code or the tracking "
                     "barcode on the shipping label.", text=text), code="unknown_parcel")


def add_parcel(dispatch: Dispatch, code: str, user=None) -> Parcel:
    """Put a scanned parcel on a carrier's open dispatch, refusing the wrong carrier or a repeat."""
    if dispatch.status is not DispatchStatus.OPEN:
        raise DomainError(_("%(code)s is closed: start a new dispatch for %(name)s.",
                            code=dispatch.code, name=dispatch.carrier.name))
    parcel = find_parcel(code)
    if not isinstance(parcel, Parcel):  # a transfer's parcel
        from wms.domain.transfers.parcels import check_addable

        check_addable(dispatch, parcel)
        parcel.dispatch = dispatch
        parcel.dispatched_at = utcnow()
        db.session.flush()
        return parcel
    shipment = parcel.shipment
    if parcel.dispatch_id == dispatch.id:
        raise Conflict(_("%(code)s is already on this dispatch (scanned twice).", code=parcel.code), code="twice")
    if parcel.voided_at is not None or shipment.status is ShipmentStatus.CANCELLED:
        raise DomainError(_("%(code)s (%(value)s) was unpacked and is void: tear its label off "
                            "and give it to a supervisor.",
                            code=parcel.code, value=parcel.tracking_number or 'no tracking'),
                          code="void_parcel")
    if shipment.carrier_id != dispatch.carrier_id:
        raise DomainError(_("%(code)s goes with %(name)s, not %(carrier_name)s: put it on the "
                            "%(name)s pile.",
                            code=parcel.code, name=shipment.carrier.name, carrier_name=dispatch.carrier.name),
                          code="wrong_carrier")
    if shipment.status is ShipmentStatus.SHIPPED:
        raise DomainError(_("%(code)s has already shipped (%(reference)s).",
                            code=parcel.code, reference=shipment.order.reference),
                          code="already_shipped")
    if shipment.status is not ShipmentStatus.PACKED:
        raise DomainError(_("%(code)s is still being packed (%(reference)s): finish packing it "
                            "first.", code=parcel.code, reference=shipment.order.reference), code="not_packed")
    if parcel.dispatch_id is not None:
        raise Conflict(_("%(code)s is already on %(dispatch_code)s.",
                         code=parcel.code, dispatch_code=parcel.dispatch.code), code="other_dispatch")
    site = shipment.order.warehouse_id
    if dispatch.warehouse_id is not None and site is not None and site != dispatch.warehouse_id:
        raise DomainError(_("%(parcel)s leaves from %(site)s, not from %(here)s: it goes on a dispatch "
                            "of %(site)s.", parcel=parcel.code, site=shipment.order.warehouse.name,
                            here=dispatch.warehouse.name), code="other_site")
    _check_shippable(shipment.order, parcel.code)
    parcel.dispatch_id = dispatch.id
    parcel.dispatched_at = utcnow()
    db.session.flush()
    return parcel


def remove_parcel(dispatch: Dispatch, code: str) -> Parcel:
    """Take a parcel off an open dispatch (it stays packed)."""
    parcel = find_parcel(code)
    if dispatch.status is not DispatchStatus.OPEN or parcel.dispatch_id != dispatch.id:
        raise DomainError(_("%(code)s is not on the open dispatch %(dispatch_code)s.",
                            code=parcel.code, dispatch_code=dispatch.code))
    if isinstance(parcel, Parcel):
        parcel.dispatch_id = None
    else:
        parcel.dispatch = None
    parcel.dispatched_at = None
    db.session.flush()
    return parcel


def _shipping_location(shipment: Shipment):
    if shipment.location is not None:
        return shipment.location
    from wms.domain.picking.allocation import picked_location

    return picked_location(shipment.order.warehouse_id)


def close_dispatch(dispatch: Dispatch, user=None) -> list[Shipment]:
    """Hand a dispatch to the carrier: ship its orders, take the stock out, queue the shop push."""
    dispatch = db.session.execute(
        select(Dispatch).where(Dispatch.id == dispatch.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if dispatch.status is not DispatchStatus.OPEN:
        raise Conflict(_("%(code)s is already closed.", code=dispatch.code), code="closed")
    if not dispatch.parcels and not dispatch.transfer_parcels:
        raise DomainError(_("%(code)s has no parcels: scan the parcels handed to %(name)s first.",
                            code=dispatch.code, name=dispatch.carrier.name), code="empty_dispatch")
    shipments: dict[int, Shipment] = {}
    for parcel in dispatch.parcels:
        shipments.setdefault(parcel.shipment_id, parcel.shipment)
    # Lock the orders (in id order) so a hold or a shop cancellation cannot land between the
    # check and the shipping.
    order_ids = sorted({s.order_id for s in shipments.values()})
    db.session.flush()
    db.session.execute(select(Order).where(Order.id.in_(order_ids)).order_by(Order.id)
                       .with_for_update().execution_options(populate_existing=True)).all()
    for shipment in shipments.values():
        _check_shippable(shipment.order, ", ".join(p.code for p in shipment.parcels),
                         " off this dispatch")
    for shipment in shipments.values():
        left = [p.code for p in shipment.parcels if p.dispatch_id != dispatch.id]
        if left:
            raise DomainError(_("%(reference)s has %(count)s parcels but %(left)s is not scanned: "
                                "scan it, or take the order's other parcels off this dispatch.",
                                reference=shipment.order.reference, count=len(shipment.parcels), left=', '.join(left)), code="parcels_missing")
    # Transfers on the dispatch (issue 14): locked and checked before anything ships.
    from wms.domain.transfers import parcels as transfer_parcels

    moved = transfer_parcels.check_dispatch(dispatch) if dispatch.transfer_parcels else []
    now = utcnow()
    for shipment in shipments.values():
        _ship(shipment, dispatch, user, now)
    transfer_parcels.ship_on_dispatch(dispatch, moved, user)
    dispatch.status = DispatchStatus.CLOSED
    dispatch.closed_at = now
    dispatch.closed_by_id = getattr(user, "id", user)
    db.session.flush()
    return list(shipments.values())


def _check_shippable(order: Order, parcels: str, where: str = " aside") -> None:
    # Only a packed order leaves: one held (e.g. cancelled in the shop) or cancelled must not.
    if order.status is OrderStatus.PACKED:
        return
    why = f" ({order.hold_reason})" if order.status is OrderStatus.ON_HOLD and order.hold_reason else ""
    values = dict(reference=order.reference, status=order.status.label.lower(), why=why,
                  parcels=parcels)
    raise DomainError(_("%(reference)s is %(status)s%(why)s, not packed: take %(parcels)s aside and "
                        "give them to a supervisor.", **values) if where == " aside" else
                      _("%(reference)s is %(status)s%(why)s, not packed: take %(parcels)s off this "
                        "dispatch and give them to a supervisor.", **values),
                      code="order_not_packed")


def _ship(shipment: Shipment, dispatch: Dispatch, user, now: datetime) -> None:
    order = shipment.order
    location = _shipping_location(shipment)
    lines = {line.id: line for line in order.lines}
    for line_id, qty in shipment.units_by_line().items():
        line = lines[line_id]
        inventory.remove(line.product_id, location, qty, reason=MoveReason.SHIPPED, user=user,
                         reference=order.code, note=f"{dispatch.code} {shipment.carrier.name}")
        line.quantity_shipped += qty
    shipment.status = ShipmentStatus.SHIPPED
    shipment.shipped_at = now
    complete = all(line.quantity_shipped >= line.quantity for line in order.lines)
    order.status = OrderStatus.SHIPPED if complete else OrderStatus.BACKORDERED
    order.shipped_at = now
    numbers = [p.tracking_number for p in shipment.parcels]
    record_event(order, "shipped",
                 (ngettext("Shipped with %(name)s (%(code)s), %(num)d parcel: %(numbers)s",
                           "Shipped with %(name)s (%(code)s), %(num)d parcels: %(numbers)s",
                           len(numbers), name=shipment.carrier.name, code=dispatch.code,
                           numbers=', '.join(numbers)) if complete else
                  ngettext("Partly shipped with %(name)s (%(code)s), %(num)d parcel: %(numbers)s",
                           "Partly shipped with %(name)s (%(code)s), %(num)d parcels: %(numbers)s",
                           len(numbers), name=shipment.carrier.name, code=dispatch.code,
                           numbers=', '.join(numbers))), user)
    _push_shipped(order, shipment, numbers)


def _push_shipped(order: Order, shipment: Shipment, numbers: list[str]) -> None:
    # Written in the dispatch's transaction: the shop hears of it if and only if it shipped;
    # the webhook endpoints subscribed to order.shipped too. Orders of other channels (B2B,
    # marketplaces, sent through the API) are never pushed to a shop.
    from wms.integrations.prestashop.outbox import enqueue
    from wms.integrations.webhooks.services import emit_order_shipped

    emit_order_shipped(order, shipment)
    root = order.parent if order.parent_id is not None else order
    if root.parts:
        # A split order: the shop hears once, when the last part left, with every number.
        family = [root, *root.parts]
        numbers = split_tracking_numbers(family)
        if any(o.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED) for o in family):
            record_event(order, "part_shipped", _("This part left; the shop is told when every part "
                                                  "of %(order)s has.", order=root.reference))
            if root.from_shop and _partial_state(root) is not None:
                # The shop has a "partially shipped" state: it hears this part's numbers now.
                enqueue("order_shipped", {"order_id": root.id, "tracking_number": _joined(numbers),
                                          "tracking_numbers": numbers, "carrier_id": shipment.carrier_id,
                                          "partial": True},
                        dedupe_key=f"order_partly_shipped:{shipment.id}")
            return
        if not root.from_shop:
            return
        enqueue("order_shipped", {"order_id": root.id, "tracking_number": _joined(numbers),
                                  "tracking_numbers": numbers, "carrier_id": shipment.carrier_id},
                dedupe_key=f"order_shipped:{shipment.id}")
        return
    if not order.from_shop:
        return
    enqueue("order_shipped", {"order_id": order.id, "tracking_number": numbers[0],
                              "tracking_numbers": numbers, "carrier_id": shipment.carrier_id},
            dedupe_key=f"order_shipped:{shipment.id}")


def _partial_state(order: Order) -> int | None:
    from flask import current_app

    from wms.integrations.prestashop.shops import shop_settings

    try:
        return shop_settings(order.shop, current_app.config).partial_shipped_state
    except (LookupError, ValueError):
        return None


# PrestaShop keeps one tracking number per order carrier row, 64 characters at most.
TRACKING_FIELD_MAX = 64


def split_tracking_numbers(family) -> list[str]:
    """Every tracking number of the shipped parts of a split order (parent first, parcel order)."""
    numbers: list[str] = []
    for member in family:
        for shipment in db.session.execute(
                select(Shipment).where(Shipment.order_id == member.id, Shipment.status == ShipmentStatus.SHIPPED)
                .order_by(Shipment.id)).scalars():
            numbers += [p.tracking_number for p in shipment.parcels if p.tracking_number]
    return list(dict.fromkeys(numbers))


def _joined(numbers: list[str]) -> str:
    """The numbers as one tracking field ("N1, N2"), as many as fit in the shop's field."""
    out = ""
    for number in numbers:
        candidate = f"{out}, {number}" if out else number
        if len(candidate) > TRACKING_FIELD_MAX:
            break
        out = candidate
    return out


def open_dispatches() -> list[Dispatch]:
    return list(db.session.execute(
        select(Dispatch).where(Dispatch.status == DispatchStatus.OPEN).order_by(Dispatch.id)).scalars())


def packed_waiting(carrier: Carrier | None = None, warehouse_id: int | None = None) -> list[Parcel]:
    """Return packed parcels not yet on any dispatch (for one carrier, or all; in one site, or all)."""
    query = (select(Parcel).join(Shipment).where(Shipment.status == ShipmentStatus.PACKED,
                                                 Parcel.dispatch_id.is_(None)))
    if carrier is not None:
        query = query.where(Shipment.carrier_id == carrier.id)
    if warehouse_id is not None:
        query = query.where(Shipment.order_id.in_(select(Order.id).where(Order.warehouse_id == warehouse_id)))
    return list(db.session.execute(query.order_by(Parcel.id)).scalars())


def transfer_parcels_waiting(carrier: Carrier, warehouse_id: int | None = None) -> list:
    """Transfer parcels packed for a carrier (at a site) and on no dispatch yet."""
    from wms.domain.transfers.models import TransferOrder, TransferParcel, TransferStatus

    query = (select(TransferParcel).join(TransferOrder, TransferOrder.id == TransferParcel.transfer_id)
             .where(TransferParcel.carrier_id == carrier.id, TransferParcel.dispatch_id.is_(None),
                    TransferOrder.status.in_((TransferStatus.RELEASED, TransferStatus.PICKING))))
    if warehouse_id is not None:
        query = query.where(TransferOrder.source_warehouse_id == warehouse_id)
    return list(db.session.execute(query.order_by(TransferParcel.id)).scalars())


def manifest_data(carrier: Carrier, day: date, warehouse_id: int | None = None) -> dict:
    """Return the manifest of the dispatches a carrier collected on one (UTC) day (at one site)."""
    start = datetime.combine(day, time.min).replace(tzinfo=utcnow().tzinfo)
    query = select(Dispatch).where(Dispatch.carrier_id == carrier.id,
                                   Dispatch.status == DispatchStatus.CLOSED,
                                   Dispatch.closed_at >= start,
                                   Dispatch.closed_at < start + timedelta(days=1))
    if warehouse_id is not None:
        query = query.where(Dispatch.warehouse_id == warehouse_id)
    dispatches = db.session.execute(query.order_by(Dispatch.id)).scalars().all()
    if not dispatches:
        raise NotFound(_("%(name)s collected nothing on %(day)s: close a dispatch first.",
                         name=carrier.name, day=day.isoformat()))
    parcels = [p for d in dispatches for p in d.parcels]
    moved = [p for d in dispatches for p in d.transfer_parcels]
    shipper = (_sender(parcels[0].shipment.order) if parcels else
               _warehouse_sender(dispatches[0].warehouse or moved[0].transfer.source))
    return {
        "carrier": carrier.name, "service": carrier.service or "", "date": day,
        "reference": ", ".join(d.code for d in dispatches),
        "shipper": shipper,
        "parcels": [{"tracking_number": p.tracking_number,
                     "order_reference": p.shipment.order.reference,
                     "recipient": p.shipment.order.ship_name or "",
                     "destination": " ".join(filter(None, [p.shipment.order.ship_postcode,
                                                           p.shipment.order.ship_city,
                                                           p.shipment.order.ship_country])),
                     "weight_kg": (p.weight_g or 0) / 1000} for p in parcels]
                   # Transfers: the reference TR-n, to the destination site.
                   + [{"tracking_number": p.tracking_number or p.code,
                       "order_reference": p.transfer.code,
                       "recipient": p.transfer.destination.name,
                       "destination": " ".join(filter(None, [p.transfer.destination.postcode,
                                                             p.transfer.destination.city,
                                                             p.transfer.destination.country])),
                       "weight_kg": (p.weight_g or 0) / 1000} for p in moved],
    }


def manifest(carrier: Carrier, day: date, warehouse_id: int | None = None) -> bytes:
    """Render the A4 manifest of a carrier's collections on one day (at one site)."""
    from wms.labels.documents import manifest_pdf

    return manifest_pdf(manifest_data(carrier, day, warehouse_id))


def carrier_by_code(code: str) -> Carrier:
    carrier = db.session.execute(select(Carrier).where(Carrier.code == code.upper())).scalar_one_or_none()
    if carrier is None:
        raise NotFound(_("Carrier %(code)s does not exist.", code=code))
    return carrier
