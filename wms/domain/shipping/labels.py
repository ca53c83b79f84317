"""Labels from the carrier itself: create each parcel's shipment at the carrier's API, keep
its tracking number and label, void it at the carrier when the parcel is unpacked.

The database transaction is never open while a carrier is called (a carrier may take
seconds): the attempt is recorded and committed first (so a crash or a timeout leaves a
trace, and the retry looks the shipment up before creating another), the calls run with
plain data, and the answers are written in a second short transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select, update

from wms.db import db, utcnow
from wms.domain.locations.models import Warehouse
from wms.domain.shipping.carriers import (
    Address, CarrierError, LabelRequest, adapter_for, carrier_account, redact,
)
from wms.domain.shipping.models import (
    CarrierLabel, CarrierLabelStatus, Parcel, Shipment, ShipmentStatus,
)
from wms.errors import Conflict, DomainError
from wms.i18n import _, ngettext

# Statuses whose shipment may exist at the carrier (a void must reach it).
AT_CARRIER = (CarrierLabelStatus.CREATED, CarrierLabelStatus.PENDING)


def creates_labels(carrier) -> bool:
    """True when the carrier's API creates the shipment and gives the label."""
    return bool(getattr(adapter_for(carrier), "creates_labels", False))


def prepare(shipment: Shipment) -> None:
    """Record one label to ask for per parcel (in the caller's transaction, before any call)."""
    carrier_account(shipment.carrier)  # refuse now when the account is missing from settings
    have = {row.parcel_id for row in db.session.execute(
        select(CarrierLabel).join(Parcel).where(Parcel.shipment_id == shipment.id)).scalars()}
    for parcel in shipment.parcels:
        if parcel.id not in have:
            db.session.add(CarrierLabel(parcel_id=parcel.id, carrier_id=shipment.carrier_id,
                                        reference=f"WMS-{parcel.code}", attempts=0,
                                        status=CarrierLabelStatus.PENDING))
    db.session.flush()


def labels_of(shipment: Shipment) -> list[CarrierLabel]:
    return list(db.session.execute(
        select(CarrierLabel).join(Parcel).where(Parcel.shipment_id == shipment.id)
        .order_by(Parcel.number)).scalars())


def sender_address(shipment: Shipment) -> Address:
    """The sender: the warehouse the parcel leaves from (its packing location's warehouse)."""
    warehouse = shipment.location.warehouse if shipment.location is not None else None
    if warehouse is None:
        warehouse = db.session.execute(select(Warehouse).order_by(Warehouse.id).limit(1)).scalar_one_or_none()
    if warehouse is None or not (warehouse.address1 and warehouse.postcode and warehouse.city):
        raise DomainError(_("The warehouse has no full sender address (street, postcode, city): "
                            "a supervisor completes it before carrier labels can be made."),
                          code="sender_address")
    return Address(name=warehouse.company or warehouse.name, company=warehouse.company or "",
                   address1=warehouse.address1 or "", address2=warehouse.address2 or "",
                   postcode=warehouse.postcode or "", city=warehouse.city or "",
                   country=warehouse.country or "FR", phone=warehouse.phone or "")


def _request(shipment: Shipment, parcel: Parcel, row: CarrierLabel, label_format: str) -> LabelRequest:
    order, carrier = shipment.order, shipment.carrier
    if carrier.relay and not order.relay_point_id:
        raise CarrierError(_("%(carrier)s delivers to a relay point but %(reference)s has none: set "
                             "the relay point on the order page (desk), then retry.",
                             carrier=carrier.name, reference=order.reference), "relay")
    recipient = Address(name=order.ship_name or order.customer_name or "", company=order.ship_company or "",
                        address1=order.ship_address1 or "", address2=order.ship_address2 or "",
                        postcode=order.ship_postcode or "", city=order.ship_city or "",
                        country=order.ship_country or "", phone=order.ship_phone or "",
                        email=order.customer_email or "")
    return LabelRequest(reference=row.reference, order_reference=order.reference,
                        sender=sender_address(shipment), recipient=recipient,
                        weight_g=parcel.weight_g or 0, service_code=carrier.service_code,
                        relay_point_id=order.relay_point_id if carrier.relay else None,
                        label_format=label_format, parcel_number=parcel.number,
                        parcel_count=len(shipment.parcels))


def _in_flight(row: CarrierLabel, now, window: float) -> bool:
    return (row.status is CarrierLabelStatus.PENDING and row.attempts > 0 and row.error is None
            and row.updated_at is not None and (now - row.updated_at).total_seconds() < window)


@dataclass
class LabelOutcome:
    ok: bool
    message: str
    created: list[str] = field(default_factory=list)  # tracking numbers


def fetch(shipment_id: int, label_format: str = "pdf") -> LabelOutcome:
    """Get every parcel's label of a shipment from its carrier. Commits; see the module doc."""
    # 1. Read and record the attempts (short transaction).
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None or shipment.status is ShipmentStatus.CANCELLED:
        db.session.rollback()
        raise DomainError(_("This shipment was unpacked: scan the order again."), code="no_shipment")
    carrier = shipment.carrier
    adapter = adapter_for(carrier)
    account = carrier_account(carrier)
    name = carrier.name
    rows = [row for row in labels_of(shipment) if row.status is not CarrierLabelStatus.CREATED]
    now = utcnow()
    # A call still under way (another tab, a double press): never a second one beside it.
    # A call that ended wrote its error; one that died holds the row for the timeout + 10 s.
    window = float(account.get("timeout") or 20) + 10
    if any(_in_flight(row, now, window) for row in rows):
        db.session.rollback()
        return LabelOutcome(False, _("The WMS is already asking %(name)s for this label: wait a "
                                     "few seconds, then press the button again.", name=name))
    requests = []
    for row in rows:
        try:
            requests.append((row, _request(shipment, row.parcel, row, label_format)))
        except CarrierError as exc:  # e.g. no relay point: nothing to ask the carrier yet
            row.status, row.error, row.updated_at = CarrierLabelStatus.FAILED, exc.message, now
            db.session.commit()
            return LabelOutcome(False, exc.message)
    work = []
    for row, request in requests:
        # An attempt whose outcome is unknown (timeout, 5xx, crash): look it up first, under
        # its reference. After a refusal, a new reference (the carrier may keep the refused
        # one, and Sendcloud's external_reference must be unique).
        look_first = row.attempts > 0 and row.status is CarrierLabelStatus.PENDING
        reference = row.reference if look_first or row.attempts == 0 else \
            f"WMS-{row.parcel.code}-{row.attempts + 1}"
        request = replace(request, reference=reference)
        # Claim the row: only one request gets past this UPDATE for a given attempt count.
        claimed = db.session.execute(
            update(CarrierLabel).where(CarrierLabel.id == row.id, CarrierLabel.attempts == row.attempts)
            .values(attempts=row.attempts + 1, status=CarrierLabelStatus.PENDING, error=None,
                    reference=reference, updated_at=now)).rowcount
        if not claimed:
            db.session.rollback()
            return LabelOutcome(False, _("The WMS is already asking %(name)s for this label: "
                                         "wait a few seconds, then press the button again.",
                                         name=name))
        work.append((row.id, request, look_first))
    db.session.commit()

    # 2. Call the carrier with no transaction open (plain data only from here).
    results = []
    for row_id, request, look_first in work:
        try:
            created = adapter.find(account, request) if look_first else None
        except CarrierError as exc:
            exc.unknown = True  # the earlier attempt's outcome is still unknown: look again
            results.append((row_id, None, exc))
            break
        try:
            results.append((row_id, created or adapter.create(account, request), None))
        except CarrierError as exc:
            results.append((row_id, None, exc))
            break  # one sentence for the packer; the other parcels wait for the retry

    # 3. Write the answers (short transaction).
    numbers, failure = [], None
    for row_id, _request_, _look in work[len(results):]:  # claimed, not asked (an earlier one failed)
        db.session.get(CarrierLabel, row_id).error = _("Not asked yet: another parcel's label failed "
                                                       "first.")
    for row_id, created, exc in results:
        row = db.session.get(CarrierLabel, row_id)
        row.updated_at = utcnow()
        if exc is not None:
            row.status = CarrierLabelStatus.PENDING if exc.unknown else CarrierLabelStatus.FAILED
            if exc.unknown and row.parcel.voided_at is not None:
                row.status = CarrierLabelStatus.VOID_PENDING  # unpacked meanwhile: look, then void
            row.error = failure = redact(exc.message, account)
            continue
        taken = db.session.execute(select(Parcel).where(
            Parcel.carrier_id == row.carrier_id, Parcel.tracking_number == created.tracking_number,
            Parcel.id != row.parcel_id)).scalar_one_or_none()
        if taken is not None:
            row.status = CarrierLabelStatus.FAILED
            row.external_id, row.tracking_number = created.external_id, created.tracking_number
            row.error = failure = _("%(carrier)s gave tracking number %(tracking)s, already on "
                                    "%(code)s: ask a supervisor.", carrier=name,
                                    tracking=created.tracking_number, code=taken.code)
            continue
        row.status, row.error = CarrierLabelStatus.CREATED, None
        row.external_id, row.tracking_number = created.external_id, created.tracking_number
        row.tracking_url = (created.tracking_url or adapter.tracking_url(account, created.tracking_number))
        row.label, row.label_format = created.label, created.label_format
        if row.parcel.voided_at is not None:
            # Unpacked while the carrier was answering: void it there too.
            row.status = CarrierLabelStatus.VOID_PENDING
            failure = _("%(code)s was unpacked meanwhile: its %(carrier)s shipment will be voided.",
                        code=row.parcel.code, carrier=name)
            continue
        row.parcel.tracking_number = created.tracking_number
        numbers.append(created.tracking_number)
    db.session.commit()
    if failure:
        return LabelOutcome(False, failure, numbers)
    shipment = db.session.get(Shipment, shipment_id)
    left = [row for row in labels_of(shipment) if row.status is not CarrierLabelStatus.CREATED]
    if left:
        return LabelOutcome(False, ngettext("%(num)d parcel still waits for its %(name)s label: "
                                            "retry.", "%(num)d parcels still wait for their "
                                            "%(name)s label: retry.", len(left), name=name),
                            numbers)
    return LabelOutcome(True, ngettext("%(name)s label created: %(numbers)s",
                                       "%(name)s labels created: %(numbers)s", max(len(numbers), 1),
                                       name=name, numbers=', '.join(numbers) or _('already there')),
                        numbers)


def carrier_document(shipment: Shipment) -> tuple[bytes, str] | None:
    """Return the carrier's labels of a shipment as one document and its format, or None when
    the shipment has none (it prints the WMS's own 4x6 label)."""
    rows = labels_of(shipment)
    created = [row for row in rows if row.status is CarrierLabelStatus.CREATED and row.label]
    if not rows or not created:
        return None
    if len(created) < len(rows):
        raise DomainError(_("Not every parcel has its carrier label yet: get the labels at the "
                            "packing station first."), code="tracking_needed")
    formats = {row.label_format for row in created}
    if formats == {"zpl"}:
        return b"\n".join(row.label for row in created), "zpl"
    if len(created) == 1:
        return created[0].label, created[0].label_format
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for row in created:
        for page in PdfReader(BytesIO(row.label)).pages:
            writer.add_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue(), "pdf"


# ---------------------------------------------------------------- voiding

def mark_void(parcels: list[Parcel]) -> int:
    """Mark the carrier shipments of unpacked parcels to be voided (in the unpack transaction)."""
    count = 0
    for row in db.session.execute(select(CarrierLabel).where(
            CarrierLabel.parcel_id.in_([p.id for p in parcels]))).scalars():
        if row.status in AT_CARRIER and row.attempts > 0:
            row.status, row.updated_at = CarrierLabelStatus.VOID_PENDING, utcnow()
            count += 1
        elif row.status is not CarrierLabelStatus.VOIDED:
            row.status = CarrierLabelStatus.VOIDED  # never reached the carrier
    db.session.flush()
    return count


def void_pending(limit: int = 50) -> list[str]:
    """Void at the carrier every shipment marked to void; return one sentence per parcel.
    Commits; the carrier is called with no transaction open. Failures stay to void (retried)."""
    rows = db.session.execute(select(CarrierLabel).where(
        CarrierLabel.status == CarrierLabelStatus.VOID_PENDING).order_by(CarrierLabel.id)
        .limit(limit)).scalars().all()
    work = []
    for row in rows:
        try:
            account = carrier_account(row.carrier)
        except DomainError as exc:
            row.error = exc.message
            continue
        work.append((row.id, adapter_for(row.carrier), account, row.carrier.name, row.external_id,
                     row.tracking_number, LabelRequest(reference=row.reference, order_reference="",
                                                       sender=Address(), recipient=Address(),
                                                       weight_g=0)))
    db.session.commit()
    done = []
    for row_id, adapter, account, name, external_id, number, request in work:
        try:
            if external_id is None:  # the outcome was unknown: is it there after all?
                found = adapter.find(account, request)
                external_id, number = (found.external_id, found.tracking_number) if found else (None, None)
            said = adapter.cancel(account, external_id, number) if (external_id or number) else \
                _("nothing was created at %(carrier)s", carrier=name)
            result = (row_id, CarrierLabelStatus.VOIDED, redact(said, account))
        except CarrierError as exc:
            result = (row_id, CarrierLabelStatus.VOID_PENDING, redact(exc.message, account))
        row = db.session.get(CarrierLabel, result[0])
        row.status, row.error, row.updated_at = result[1], result[2], utcnow()
        db.session.commit()
        done.append(f"{row.parcel.code}: {result[2]}")
    return done


# ---------------------------------------------------------------- the carrier's manifest

class CarrierUnavailable(DomainError):
    """The carrier did not give its document; the message says why (nothing changed here)."""

    status = 503
    code = "carrier_unavailable"


def has_carrier_manifest(carrier) -> bool:
    return creates_labels(carrier) and hasattr(adapter_for(carrier), "close_manifest")


def carrier_manifest(dispatch) -> tuple[bytes, str]:
    """Ask the carrier for its own manifest of a closed dispatch (Colissimo's deposit slip).
    Reads, ends the read transaction, then calls the carrier with no transaction open."""
    from wms.domain.shipping.models import DispatchStatus

    carrier = dispatch.carrier
    if not has_carrier_manifest(carrier):
        raise DomainError(_("%(name)s has no manifest of its own: print the WMS manifest.",
                            name=carrier.name))
    if dispatch.status is not DispatchStatus.CLOSED:
        raise DomainError(_("%(code)s is still open: close it first.", code=dispatch.code), code="open_dispatch")
    numbers = [p.tracking_number for p in dispatch.parcels if p.tracking_number]
    adapter, account, name = adapter_for(carrier), carrier_account(carrier), carrier.name
    db.session.rollback()
    try:
        return adapter.close_manifest(account, numbers)
    except CarrierError as exc:
        raise CarrierUnavailable(_("%(carrier)s did not give its deposit slip: %(reason)s",
                                   carrier=name, reason=redact(exc.message, account))) from None
