"""Carrier adapters: where a parcel's tracking number comes from.

An adapter is chosen by `Carrier.adapter`. `ManualCarrier` takes the number the operator
scans from a label printed elsewhere (the carrier's own software); `RangeCarrier` numbers
parcels from a range the carrier handed out, with the counter kept on the carrier row. A
carrier API adapter implements the same two members.
"""
from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy import select

from wms.barcodes import PREFIXES, clean
from wms.db import db
from wms.domain.shipping.models import Carrier, Parcel
from wms.errors import DomainError

TRACKING = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")


class CarrierAdapter(Protocol):
    """What the packing station needs from a carrier integration."""

    # True when the operator must scan the tracking number (nothing to ask an API for).
    needs_scan: bool

    def assign(self, carrier: Carrier, parcel: Parcel, scanned: str | None = None) -> str:
        """Return the tracking number for this parcel (refusing with DomainError)."""


def check_tracking(raw: str) -> str:
    """Clean a scanned tracking number and refuse anything that cannot be one."""
    code = clean(raw or "").upper().replace(" ", "")
    if not code:
        raise DomainError("Scan the tracking barcode on the carrier's label.", code="bad_tracking")
    if any(code.startswith(prefix) for prefix in PREFIXES):
        raise DomainError(f"{code} is a warehouse code, not a tracking number: scan the barcode "
                          "on the carrier's label.", code="bad_tracking")
    if code.isdecimal() and len(code) in (8, 12, 13):
        raise DomainError(f"{code} looks like a product barcode: scan the tracking barcode on the "
                          "carrier's label.", code="bad_tracking")
    if not TRACKING.match(code):
        raise DomainError(f"{code} is not a tracking number (6 to 40 letters and digits): scan "
                          "the carrier's label again.", code="bad_tracking")
    return code


class ManualCarrier:
    """The label comes from elsewhere; the operator scans its tracking barcode."""

    needs_scan = True

    def assign(self, carrier: Carrier, parcel: Parcel, scanned: str | None = None) -> str:
        """Return the scanned tracking number once checked."""
        if scanned is None:
            raise DomainError(f"{carrier.name}: scan the tracking barcode of parcel {parcel.number}.",
                              code="tracking_needed")
        return check_tracking(scanned)


class RangeCarrier:
    """Number parcels from the carrier's range; refuse when the range is used up."""

    needs_scan = False

    def assign(self, carrier: Carrier, parcel: Parcel, scanned: str | None = None) -> str:
        """Hand out the next number of the range and advance the persisted counter."""
        # Lock the carrier row: two packing stations must never get the same number.
        row = db.session.execute(
            select(Carrier).where(Carrier.id == carrier.id).with_for_update()
            .execution_options(populate_existing=True)).scalar_one()
        if row.range_start is None or row.range_end is None:
            raise DomainError(f"{row.name} has no tracking number range: a supervisor enters the "
                              "range the carrier gave you under Desk › Dispatch.", code="no_range")
        number = row.range_next if row.range_next is not None else row.range_start
        if number > row.range_end:
            raise DomainError(f"The tracking range of {row.name} is used up (last number "
                              f"{row.range_end}): ask the carrier for a new range and enter it "
                              "under Desk › Dispatch.", code="range_exhausted")
        row.range_next = number + 1
        db.session.flush()
        width = len(str(row.range_end))
        return f"{row.range_prefix or ''}{number:0{width}d}"


ADAPTERS: dict[str, CarrierAdapter] = {"manual": ManualCarrier(), "range": RangeCarrier()}


def adapter_for(carrier: Carrier) -> CarrierAdapter:
    """Return the adapter configured on a carrier, or refuse an unknown one."""
    adapter = ADAPTERS.get(carrier.adapter or "manual")
    if adapter is None:
        raise DomainError(f"Carrier {carrier.name} uses the adapter “{carrier.adapter}”, which this "
                          f"WMS does not know (known: {', '.join(sorted(ADAPTERS))}).")
    return adapter
