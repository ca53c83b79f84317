"""A transfer shipped like an order: printed pick list, parcels with labels, carrier dispatch.

After picking, the source packs the transfer into parcels (count, weight, optional box) with a
carrier that collects at the source, or with no carrier (the source's own truck). Each parcel
gets a 4x6 label from the source site to the destination site. Carrier parcels are scanned onto
that carrier's open dispatch at the source like order parcels; closing the dispatch ships the
transfer (wms.domain.shipping.services.close_dispatch). Own-truck parcels leave with the desk's
Ship button.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from wms.db import as_id, db
from wms.domain.locations.models import Warehouse
from wms.domain.shipping.models import Carrier, Parcel
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import PARCEL_PREFIX, TransferOrder, TransferParcel, TransferStatus
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _, ngettext

MAX_PARCELS = 99
OWN_TRUCK = "OWN"
PACKABLE = (TransferStatus.RELEASED, TransferStatus.PICKING)


# ---------------------------------------------------------------- printed pick list

def pick_list_document(transfer: TransferOrder) -> dict:
    """The data of the printed pick list (documents.pick_list_pdf): source bins in walking order."""
    rows = [r for r in transfers.pick_list(transfer) if r.quantity > 0]
    if not rows:
        raise DomainError(_("%(code)s has no pick list: release it first (the stock is reserved then).",
                            code=transfer.code), code="no_pick_list")
    return {
        "code": transfer.code,
        "operator": None,
        "warehouse": transfer.source.name,
        "date": transfer.released_at or transfer.created_at,
        # The tote column says where the goods go.
        "lines": [{"sequence": n, "location": r.location.code, "sku": r.line.product.sku,
                   "name": r.line.product.display_name, "quantity": r.quantity,
                   "tote": "\u2192 " + transfer.destination.code}
                  for n, r in enumerate(rows, start=1)],
    }


def pick_list_pdf(transfer: TransferOrder) -> bytes:
    from wms.labels.documents import pick_list_pdf as render

    return render(pick_list_document(transfer))


# ---------------------------------------------------------------- packing

def _count(raw) -> int:
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdecimal()) or not 1 <= int(text) <= MAX_PARCELS:
        raise DomainError(_("How many parcels? Type a number from 1 to %(max)d.", max=MAX_PARCELS),
                          code="bad_count")
    return int(text)


def carrier_for(transfer: TransferOrder, code: str | None) -> Carrier | None:
    """The carrier named by its code, checked for the transfer's source; None: own truck."""
    from wms.domain.shipping.carriers import adapter_for

    text = (code or "").strip().upper()
    if not text or text == OWN_TRUCK:
        return None
    carrier = db.session.execute(select(Carrier).where(Carrier.code == text[:32])).scalar_one_or_none()
    if carrier is None or not carrier.active:
        raise DomainError(_("There is no active carrier %(code)s: choose one of the list, or own truck.",
                            code=text[:32]), code="unknown_carrier")
    if not carrier.serves(transfer.source_warehouse_id):
        raise DomainError(_("%(carrier)s does not collect at %(site)s: choose a carrier of %(site)s, or "
                            "own truck.", carrier=carrier.name, site=transfer.source.name),
                          code="wrong_site_carrier")
    if getattr(adapter_for(carrier), "creates_labels", False):
        raise DomainError(_("%(carrier)s makes its labels through its API, which transfers do not use: "
                            "choose a carrier with a number range or scanned labels, or own truck.",
                            carrier=carrier.name), code="api_carrier")
    return carrier


def _scanned_numbers(raw: str | None) -> list[str]:
    return [n for n in re.split(r"[\s,;]+", (raw or "").strip()) if n]


def _check_free(carrier: Carrier, number: str, parcel: TransferParcel) -> None:
    """Refuse a tracking number already on an order parcel or another transfer parcel."""
    taken = db.session.execute(select(Parcel).where(Parcel.carrier_id == carrier.id,
                                                    Parcel.tracking_number == number)).scalar_one_or_none()
    other = db.session.execute(select(TransferParcel).where(
        TransferParcel.carrier_id == carrier.id, TransferParcel.tracking_number == number,
        TransferParcel.id != parcel.id)).scalar_one_or_none()
    if taken is not None or other is not None:
        where = taken.code if taken is not None else f"{other.code} ({other.transfer.code})"
        raise Conflict(_("Tracking number %(number)s is already on %(where)s: scan the label of this parcel.",
                         number=number, where=where), code="tracking_taken")


def pack(transfer: TransferOrder, count, weight_kg, *, box: str | None = None, carrier: str | None = None,
         tracking: str | None = None, user=None) -> list[TransferParcel]:
    """Pack the picked units into `count` parcels of `weight_kg` each; replaces parcels packed
    before (unless one is on a dispatch). A range carrier numbers them, a manual carrier takes
    the scanned numbers (one per parcel), own truck has none."""
    from wms.domain.shipping.carriers import adapter_for
    from wms.domain.shipping.services import box_by_code, parse_weight_kg

    if transfer.status not in PACKABLE:
        raise DomainError(_("%(code)s is %(status)s: it can no longer be packed.", code=transfer.code,
                            status=transfer.status.label.lower()), code="transfer_status")
    if transfer.picked_total <= 0:
        raise DomainError(_("Nothing of %(code)s has been picked yet: pick it before packing.",
                            code=transfer.code), code="nothing_picked")
    on_dispatch = [p for p in transfer.parcels if p.dispatch_id is not None]
    if on_dispatch:
        raise Conflict(_("%(parcel)s is on %(dispatch)s: take it off the dispatch before packing again.",
                         parcel=on_dispatch[0].code, dispatch=on_dispatch[0].dispatch.code),
                       code="on_dispatch")
    number_of = _count(count)
    weight_g = parse_weight_kg(weight_kg)
    box_row = box_by_code(box) if (box or "").strip() else None
    carrier_row = carrier_for(transfer, carrier)
    adapter = adapter_for(carrier_row) if carrier_row is not None else None
    scanned = _scanned_numbers(tracking)
    if adapter is not None and adapter.needs_scan and len(scanned) != number_of:
        raise DomainError(ngettext("%(carrier)s: scan the tracking barcode of the parcel.",
                                   "%(carrier)s: scan the %(num)d tracking barcodes, one per parcel.",
                                   number_of, carrier=carrier_row.name), code="tracking_needed")
    transfer.parcels.clear()
    db.session.flush()
    made = []
    for number in range(1, number_of + 1):
        parcel = TransferParcel(number=number, box_id=box_row.id if box_row else None, weight_g=weight_g,
                                carrier_id=carrier_row.id if carrier_row else None)
        transfer.parcels.append(parcel)
        made.append(parcel)
    db.session.flush()
    if adapter is not None:
        for parcel in made:
            number = adapter.assign(carrier_row, parcel, scanned[parcel.number - 1] if adapter.needs_scan else None)
            _check_free(carrier_row, number, parcel)
            parcel.tracking_number = number
    if len({p.tracking_number for p in made if p.tracking_number}) != len([p for p in made if p.tracking_number]):
        raise Conflict(_("The same tracking number was scanned twice: scan each parcel's own label."),
                       code="tracking_taken")
    db.session.flush()
    return made


def find_parcel(code: str) -> TransferParcel | None:
    """The transfer parcel of a scanned PCL-T code or tracking number, or None."""
    text = (code or "").strip().upper().replace(" ", "")
    if text.startswith(PARCEL_PREFIX):
        number = as_id(text[len(PARCEL_PREFIX):])
        parcel = db.session.get(TransferParcel, number) if number is not None else None
        if parcel is None:
            raise NotFound(_("Parcel %(code)s does not exist: scan the parcel's label.", code=text[:40]),
                           code="unknown_parcel")
        return parcel
    if not text or len(text) > 64:
        return None
    matches = db.session.execute(select(TransferParcel).where(TransferParcel.tracking_number == text)
                                 .limit(2)).scalars().all()
    return matches[0] if len(matches) == 1 else None


def transfer_for_scan(code: str, *, lock: bool = False) -> TransferOrder:
    """The transfer of a scanned TR- code, PCL-T parcel code or parcel tracking number."""
    text = (code or "").strip().upper()
    if text.startswith(transfers.CODE_PREFIX):
        return transfers.transfer_by_code(text, lock=lock)
    parcel = find_parcel(text)  # a tracking number may be all digits: the parcels first
    if parcel is None and as_id(text) is not None:
        return transfers.transfer_by_code(text, lock=lock)
    if parcel is None:
        raise NotFound(_("%(code)s is neither a transfer nor one of its parcels: scan TR-… or the parcel's label.",
                         code=text[:40]), code="unknown_transfer")
    return transfers.get_transfer(parcel.transfer_id, lock=lock)


# ---------------------------------------------------------------- labels

def _address(warehouse: Warehouse) -> dict:
    return {"name": warehouse.company or warehouse.name, "company": warehouse.name if warehouse.company else "",
            "address1": warehouse.address1 or "", "address2": warehouse.address2 or "",
            "postcode": warehouse.postcode or "", "city": warehouse.city or "",
            "country": warehouse.country or ""}


def label_records(transfer: TransferOrder) -> list[dict]:
    """One 4x6 label record per parcel: from the source site to the destination site."""
    if not transfer.parcels:
        raise DomainError(_("%(code)s has no parcels yet: pack it first.", code=transfer.code),
                          code="no_parcels")
    count = len(transfer.parcels)
    records = []
    for p in transfer.parcels:
        carrier = p.carrier
        sender = _address(transfer.source)
        if sender["company"]:  # the sender's block has one name line: the company and the site
            sender["name"] = f"{sender['name']} – {sender['company']}"
        records.append({
            "sender": sender,
            "recipient": _address(transfer.destination),
            "carrier": {"name": carrier.name if carrier else _("Own truck"),
                        "service": (carrier.service or "") if carrier else ""},
            "order": {"reference": transfer.code, "code": transfer.code},
            # Own truck: the barcode is the parcel's code (the destination scans it to receive).
            "parcel": {"number": p.number, "count": count, "weight_kg": (p.weight_g or 0) / 1000,
                       "tracking_number": p.tracking_number or p.code, "code": p.code},
            "footer": f"{transfer.code} · {p.code} · {transfer.source.code} \u2192 {transfer.destination.code}",
        })
    return records


def labels_pdf(transfer: TransferOrder) -> bytes:
    from wms.domain.shipping.services import SHIPPING_LAYOUT
    from wms.labels.layout import load_layout
    from wms.labels.pdf import render_pdf

    return render_pdf(load_layout(SHIPPING_LAYOUT), label_records(transfer), title=f"Labels {transfer.code}")


def labels_zpl(transfer: TransferOrder) -> str:
    from wms.domain.shipping.services import SHIPPING_LAYOUT
    from wms.labels.layout import load_layout
    from wms.labels.zpl import render_zpl

    return render_zpl(load_layout(SHIPPING_LAYOUT), label_records(transfer))


# ---------------------------------------------------------------- dispatch

def hand_to_dispatch(transfer: TransferOrder, *, user=None):
    """Put every carrier parcel of the transfer on its carrier's open dispatch at the source
    (starting one), as scanning them on the Dispatch page would. Returns the dispatch."""
    from wms.domain.shipping import services as shipping

    carrier = transfer.carrier
    if carrier is None:
        raise DomainError(_("%(code)s has no carrier parcels: pack it with a carrier, or ship it with "
                            "your own truck.", code=transfer.code), code="no_carrier")
    from wms.domain.shipping.models import DispatchStatus

    # Some already scanned onto an open dispatch: the rest join them there.
    dispatch = next((p.dispatch for p in transfer.parcels
                     if p.dispatch is not None and p.dispatch.status is DispatchStatus.OPEN), None)
    dispatch = dispatch or shipping.open_dispatch(carrier, user, transfer.source_warehouse_id)
    for parcel in transfer.parcels:
        if parcel.dispatch_id != dispatch.id:
            shipping.add_parcel(dispatch, parcel.code, user)
    return dispatch


def check_addable(dispatch, parcel: TransferParcel) -> None:
    """Refuse a transfer parcel that cannot go on this open dispatch, with what to do."""
    transfer = parcel.transfer
    if parcel.dispatch_id == dispatch.id:
        raise Conflict(_("%(code)s is already on this dispatch (scanned twice).", code=parcel.code), code="twice")
    if parcel.carrier_id is None:
        raise DomainError(_("%(code)s (%(transfer)s) goes on the own truck, not with a carrier: ship it from "
                            "the transfer's page.", code=parcel.code, transfer=transfer.code), code="own_truck")
    if parcel.carrier_id != dispatch.carrier_id:
        raise DomainError(_("%(code)s goes with %(name)s, not %(carrier_name)s: put it on the "
                            "%(name)s pile.", code=parcel.code, name=parcel.carrier.name,
                            carrier_name=dispatch.carrier.name), code="wrong_carrier")
    if transfer.status not in PACKABLE:
        raise DomainError(_("%(code)s is %(status)s: its parcel %(parcel)s cannot leave; give it to a supervisor.", code=transfer.code,
                            status=transfer.status.label.lower(), parcel=parcel.code), code="already_shipped")
    if parcel.dispatch_id is not None:
        raise Conflict(_("%(code)s is already on %(dispatch_code)s.", code=parcel.code,
                         dispatch_code=parcel.dispatch.code), code="other_dispatch")
    if dispatch.warehouse_id is not None and dispatch.warehouse_id != transfer.source_warehouse_id:
        raise DomainError(_("%(parcel)s leaves from %(site)s, not from %(here)s: it goes on a dispatch "
                            "of %(site)s.", parcel=parcel.code, site=transfer.source.name,
                            here=dispatch.warehouse.name), code="other_site")


def check_dispatch(dispatch) -> list[TransferOrder]:
    """Lock (in id order) and check the transfers whose parcels are on a dispatch being closed:
    each still picking, with every parcel on this dispatch. Refuses before anything moves."""
    ids = sorted({parcel.transfer_id for parcel in dispatch.transfer_parcels})
    locked = [transfers.get_transfer(tid, lock=True) for tid in ids]
    for transfer in locked:
        if transfer.status not in PACKABLE:
            raise DomainError(_("%(code)s is %(status)s: take its parcels off this dispatch and give them to "
                                "a supervisor.", code=transfer.code, status=transfer.status.label.lower()),
                              code="transfer_not_packed")
        left = [p.code for p in transfer.parcels if p.dispatch_id != dispatch.id]
        if left:
            raise DomainError(_("%(reference)s has %(count)s parcels but %(left)s is not scanned: "
                                "scan it, or take the order's other parcels off this dispatch.",
                                reference=transfer.code, count=len(transfer.parcels), left=", ".join(left)),
                              code="parcels_missing")
    return locked


def ship_on_dispatch(dispatch, locked: list[TransferOrder], user=None) -> list[TransferOrder]:
    """Ship the checked transfers of a dispatch being closed (the dispatch locked): each once."""
    for transfer in locked:
        numbers = ", ".join(p.tracking_number for p in transfer.parcels if p.tracking_number)
        transfers.ship(transfer, user=user, tracking=numbers[:64] or None, dispatch=dispatch)
    return locked
