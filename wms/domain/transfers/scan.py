"""Picking a transfer on the handheld, on a fast path from the start.

Scan the transfer code (TR-12), then at each bin of the pick list (walking order) the bin,
then the product (one unit or a pack each, or a quantity typed first). The bin and product
scans read everything they need in ONE statement (the operator's state and the transfer,
both locked, the current open reservation with its bin code and SKU, what the scanned code
is, the source site's packing location, whether the scan id was applied already), then a
product scan writes only the two stock rows and the movement (inventory.pick_move), the
reservation, the line and the scan record. No ORM object is loaded on that path.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import aliased

from wms.db import db, execute
from wms.domain.catalog.models import Barcode, Product
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.sites import check_site, current_site_id, site_names
from wms.domain.scans.models import FlowState, ScanRecord
from wms.domain.scans.services import ScanAlreadyApplied, load_state, save_state, write_state
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import (CODE_PREFIX, TransferLine, TransferOrder, TransferReservation,
                                         TransferStatus)
from wms.errors import DomainError
from wms.i18n import _, ngettext

FLOW = "transfer_pick"
PICKABLE = (TransferStatus.RELEASED, TransferStatus.PICKING)


@dataclass
class TransferPickView:
    """What the screen shows: the transfer, the bin to go to and what to take there."""

    transfer_code: str | None = None
    bin_code: str | None = None
    sku: str | None = None
    name: str | None = None
    open_qty: int = 0
    at_bin: bool = False
    left: int = 0  # bins still to visit, this one included
    reservation: int | None = None  # the bin's reservation: what the screen shows (its task)
    # Set by a scan that left the picker at the same bin: what changed ("bin": the prompt;
    # "qty": the prompt and the quantity left), so the answer carries only that.
    update: str | None = None

    @property
    def done(self) -> bool:
        return self.transfer_code is not None and self.bin_code is None


def _first_open(transfer_id, offset: int = 0):
    return (select(TransferReservation.id)
            .join(TransferLine, TransferLine.id == TransferReservation.line_id)
            .where(TransferLine.transfer_id == transfer_id, TransferReservation.quantity > TransferReservation.picked)
            .order_by(TransferReservation.sequence, TransferReservation.id).limit(1).offset(offset)
            .scalar_subquery())


def _build_read():
    res, bin_, product = aliased(TransferReservation), aliased(Location), aliased(Product)
    code = bindparam("code")
    open_left = (select(func.count()).select_from(TransferReservation)
                 .join(TransferLine, TransferLine.id == TransferReservation.line_id)
                 .where(TransferLine.transfer_id == TransferOrder.id,
                        TransferReservation.quantity > TransferReservation.picked).scalar_subquery())
    packing = (select(Location.id).where(Location.kind == LocationKind.PACKING, Location.active.is_(True),
                                         Location.warehouse_id == TransferOrder.source_warehouse_id)
               .order_by(Location.code).limit(1).scalar_subquery())
    return (select(FlowState.id, FlowState.data, TransferOrder.id, TransferOrder.status,
                   TransferOrder.source_warehouse_id, res.id, res.quantity, res.picked, res.location_id, res.product_id, res.line_id,
                   bin_.code, product.sku, product.name, open_left,
                   select(Barcode.product_id).where(Barcode.code == code).scalar_subquery(),
                   select(Barcode.pack_qty).where(Barcode.code == code).scalar_subquery(),
                   select(Location.id).where(Location.code == func.upper(code)).scalar_subquery(),
                   select(Location.warehouse_id).where(Location.code == func.upper(code)).scalar_subquery(),
                   packing,
                   select(ScanRecord.id).where(ScanRecord.scan_id == bindparam("scan_id")).scalar_subquery())
            .select_from(FlowState)
            .join(TransferOrder, TransferOrder.id == FlowState.data["transfer"].as_integer())
            .outerjoin(res, res.id == _first_open(TransferOrder.id))
            .outerjoin(bin_, bin_.id == res.location_id)
            .outerjoin(product, product.id == res.product_id)
            .where(FlowState.user_id == bindparam("user"), FlowState.flow == FLOW)
            # The lock order of every writer: the flow state, then the transfer.
            .with_for_update(of=[FlowState, TransferOrder]))


_READ = _build_read()
_ADVANCE = (update(TransferReservation.__table__)
            .where(TransferReservation.__table__.c.id == bindparam("res"),
                   TransferReservation.__table__.c.quantity - TransferReservation.__table__.c.picked
                   >= bindparam("units"))
            .values(picked=TransferReservation.__table__.c.picked + bindparam("units")))
_LINE = (update(TransferLine.__table__).where(TransferLine.__table__.c.id == bindparam("line"))
         .values(picked=TransferLine.__table__.c.picked + bindparam("units")))
_PICKING = (update(TransferOrder.__table__)
            .where(TransferOrder.__table__.c.id == bindparam("transfer"))
            .values(status=TransferStatus.PICKING.name))


def current(user) -> TransferPickView:
    """The screen of the operator's transfer pick (not the hot path)."""
    state = db.session.execute(select(FlowState).where(FlowState.user_id == user.id, FlowState.flow == FLOW)
                               ).scalar_one_or_none()
    transfer_id = (state.data or {}).get("transfer") if state is not None else None
    if not transfer_id:
        return TransferPickView()
    transfer = db.session.get(TransferOrder, transfer_id)
    if transfer is None or transfer.status not in PICKABLE:
        return TransferPickView()
    open_rows = [r for r in transfers.pick_list(transfer) if r.open_qty > 0]
    if not open_rows:
        return TransferPickView(transfer_code=transfer.code)
    first = open_rows[0]
    return TransferPickView(transfer.code, first.location.code, first.line.product.sku,
                            first.line.product.display_name, first.open_qty,
                            at_bin=state.data.get("at") == first.id, left=len(open_rows),
                            reservation=first.id)


def prompt(view: TransferPickView) -> str:
    if view.transfer_code is None:
        return _("Scan the transfer code (TR-…).")
    if view.done:
        return _("%(code)s is picked: take it to the shipping area.", code=view.transfer_code)
    if not view.at_bin:
        return _("Go to %(bin)s and scan the location.", bin=view.bin_code)
    return _("Take %(qty)d × %(sku)s and scan it.", qty=view.open_qty, sku=view.sku)


def _site_refusal(code: str, warehouse_id: int | None, *, receive: bool) -> None:
    """Refuse a transfer picked by a handheld of another site than its source, or received
    by one of another site than its destination (no site chosen: any handheld)."""
    here = current_site_id()
    if here is None or warehouse_id is None or warehouse_id == here:
        return
    site, here_name = site_names(warehouse_id, here)
    if receive:
        raise DomainError(_("%(code)s goes to %(site)s, not to %(here)s: it is received at %(site)s.",
                            code=code, site=site, here=here_name), code="other_site")
    raise DomainError(_("%(code)s leaves from %(site)s, not from %(here)s: it is picked at %(site)s.",
                        code=code, site=site, here=here_name), code="other_site")


def _start(user, code: str) -> tuple[TransferPickView, str]:
    transfer = transfers.transfer_by_code(code, lock=True)
    _site_refusal(transfer.code, transfer.source_warehouse_id, receive=False)
    if transfer.status not in PICKABLE:
        raise DomainError(_("%(code)s is %(status)s: there is nothing to pick on it.", code=transfer.code,
                            status=transfer.status.label.lower()), code="transfer_status")
    save_state(load_state(user, FLOW), transfer=transfer.id)
    view = current(user)
    return view, _("Picking %(code)s for %(site)s.", code=transfer.code, site=transfer.destination.name)


def scan(user, code: str, qty: int = 1, *, scan_id: str | None = None) -> tuple[TransferPickView, str]:
    """Apply one scan; return the new view and a status sentence, or refuse with a sentence."""
    inventory.check_quantity(qty)
    text = (code or "").strip()
    if not text or len(text) > 64:
        raise DomainError(_("Scan a transfer code, a location or a product."))
    if text.upper().startswith(CODE_PREFIX):
        return _start(user, text)
    row = execute(_READ, {"user": user.id, "code": text, "scan_id": scan_id or ""}).first()
    if row is None:
        raise DomainError(_("Scan the transfer code (TR-…) first."), code="no_transfer")
    (state_id, data, transfer_id, status, source_id, res_id, res_qty, res_picked, bin_id, product_id, line_id,
     bin_code, sku, name, left, barcode_product, pack_qty, scanned_location, scanned_site, packing_id, applied) = row
    if applied is not None:
        raise ScanAlreadyApplied()
    status = status if isinstance(status, TransferStatus) else TransferStatus[status]
    tcode = f"{CODE_PREFIX}{transfer_id}"
    _site_refusal(tcode, source_id, receive=False)  # the station changed since the transfer's code
    if status not in PICKABLE:
        raise DomainError(_("%(code)s is %(status)s: there is nothing to pick on it.", code=tcode,
                            status=status.label.lower()), code="transfer_status")
    if res_id is None:
        raise DomainError(_("%(code)s is picked: take it to the shipping area.", code=tcode), code="all_picked")
    open_qty = res_qty - res_picked
    view = TransferPickView(tcode, bin_code, sku, name, open_qty, at_bin=data.get("at") == res_id, left=left,
                            reservation=res_id)
    if scanned_location is not None:
        check_site(scanned_site, text.upper())  # a bin of another site: refused by name
        if scanned_location != bin_id:
            raise DomainError(_("Wrong location: go to %(bin)s.", bin=bin_code), code="wrong_location")
        if not view.at_bin:
            write_state(state_id, {"transfer": transfer_id, "at": res_id})
            view.at_bin = True
        view.update = "bin"
        return view, _("At %(bin)s: take %(qty)d × %(sku)s.", bin=bin_code, qty=open_qty, sku=sku)
    if barcode_product is None:
        raise DomainError(_("%(code)s is neither a location nor a product barcode.", code=text[:40]),
                          code="unknown_barcode")
    if not view.at_bin:
        raise DomainError(_("Scan the location %(bin)s first.", bin=bin_code), code="scan_bin_first")
    if barcode_product != product_id:
        raise DomainError(_("Wrong product: take %(sku)s here.", sku=sku), code="wrong_product")
    units = qty * (pack_qty or 1)
    if units > open_qty:
        raise DomainError(_("Too many: only %(open)d more of %(sku)s to take from %(code)s.", open=open_qty,
                            sku=sku, code=bin_code), code="too_many")
    if packing_id is None:
        raise DomainError(_("This site has no packing location: ask a supervisor to create one."))
    inventory.pick_move(product_id, bin_id, packing_id, units, user_id=user.id, reference=tcode)
    execute(_ADVANCE, {"res": res_id, "units": units})
    execute(_LINE, {"line": line_id, "units": units})
    if status is TransferStatus.RELEASED:
        execute(_PICKING, {"transfer": transfer_id})
    message = _("+%(units)d %(sku)s from %(bin)s.", units=units, sku=sku, bin=bin_code)
    if units < open_qty:
        view.open_qty = open_qty - units
        view.update = "qty"
        return view, message
    # The bin is done: the next one (a read only at the end of a bin).
    write_state(state_id, {"transfer": transfer_id})
    db.session.expire_all()
    return current(user), message


# ---------------------------------------------------------------- receiving at the destination

RECEIVE_FLOW = "transfer_receive"


@dataclass
class TransferReceiveView:
    """The transfer being received: per SKU, shipped and received so far."""

    transfer: TransferOrder | None = None

    @property
    def lines(self):
        return [ln for ln in self.transfer.lines if ln.shipped] if self.transfer is not None else []


def receive_current(user) -> TransferReceiveView:
    state = db.session.execute(select(FlowState).where(FlowState.user_id == user.id,
                                                       FlowState.flow == RECEIVE_FLOW)).scalar_one_or_none()
    transfer_id = (state.data or {}).get("transfer") if state is not None else None
    transfer = db.session.get(TransferOrder, transfer_id) if transfer_id else None
    if transfer is None or transfer.status is not TransferStatus.SHIPPED:
        return TransferReceiveView()
    return TransferReceiveView(transfer)


def receive_prompt(view: TransferReceiveView) -> str:
    if view.transfer is None:
        return _("Scan the code of the transfer that arrived (TR-…) or a parcel's label (PCL-T…).")
    return _("Scan each item of %(code)s; what never arrived is closed on the desk.", code=view.transfer.code)


def receive_scan(user, code: str, qty: int = 1) -> tuple[TransferReceiveView, str]:
    """Scan a transfer code to start, then items: each moves from in transit to the dock."""
    from wms.domain.catalog.services import product_by_code

    inventory.check_quantity(qty)
    text = (code or "").strip()
    if not text or len(text) > 64:
        raise DomainError(_("Scan a transfer code or a product."))
    from wms.domain.transfers.parcels import find_parcel, transfer_for_scan

    state = None
    opening = text.upper().startswith((CODE_PREFIX, "PCL-T"))
    if not opening:
        state = load_state(user, RECEIVE_FLOW)
        # No transfer open yet: a parcel's tracking barcode opens its transfer too (read only
        # here, so an item scan costs nothing more).
        opening = not state.data.get("transfer") and find_parcel(text) is not None
    if opening:
        # TR-…, one of its parcels' labels (PCL-T…) or tracking number: each opens the transfer.
        transfer = transfer_for_scan(text, lock=True)
        _site_refusal(transfer.code, transfer.destination_warehouse_id, receive=True)
        if transfer.status is not TransferStatus.SHIPPED:
            raise DomainError(_("%(code)s is %(status)s: nothing more can be received on it.", code=transfer.code,
                                status=transfer.status.label.lower()), code="transfer_status")
        save_state(load_state(user, RECEIVE_FLOW), transfer=transfer.id)
        return TransferReceiveView(transfer), _("Receiving %(code)s from %(site)s: %(units)s in transit.",
                                                code=transfer.code, site=transfer.source.name,
                                                units=ngettext("%(num)d unit", "%(num)d units",
                                                               transfer.in_transit_total))
    if not state.data.get("transfer"):
        raise DomainError(_("Scan the code of the transfer that arrived (TR-…) first."), code="no_transfer")
    transfer = transfers.get_transfer(state.data["transfer"], lock=True)
    _site_refusal(transfer.code, transfer.destination_warehouse_id, receive=True)
    match = product_by_code(text)
    units = qty * match.pack_qty
    line = transfers.receive(transfer, match.product, units, user=user)
    message = _("+%(units)d %(sku)s: %(received)d of %(shipped)d received.", units=units, sku=line.product.sku,
                received=line.received, shipped=line.shipped)
    if transfer.status is TransferStatus.RECEIVED:
        save_state(state)
        return TransferReceiveView(), _("%(code)s is fully received: put the goods away.", code=transfer.code)
    return TransferReceiveView(transfer), message
