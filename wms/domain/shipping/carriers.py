"""Carrier adapters: where a parcel's tracking number (and label) comes from.

An adapter is chosen by `Carrier.adapter`. `ManualCarrier` takes the number the operator
scans from a label printed elsewhere (the carrier's own software); `RangeCarrier` numbers
parcels from a range the carrier handed out, with the counter kept on the carrier row.
Carrier API adapters (`creates_labels = True`, in wms/integrations/carriers/) create the
shipment at the carrier, which answers with the tracking number and its own label; they are
called by wms/domain/shipping/labels.py outside any database transaction.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from wms.barcodes import PREFIXES, clean
from wms.db import db
from wms.domain.shipping.models import Carrier, Parcel
from wms.errors import DomainError
from wms.i18n import _

TRACKING = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")


class CarrierAdapter(Protocol):
    """What the packing station needs from a carrier integration."""

    # True when the operator must scan the tracking number (nothing to ask an API for).
    needs_scan: bool
    # True when the carrier's API creates the shipment and gives its label (see LabelAdapter).
    creates_labels: bool

    def assign(self, carrier: Carrier, parcel: Parcel, scanned: str | None = None) -> str:
        """Return the tracking number for this parcel (refusing with DomainError)."""


@dataclass
class Address:
    """A postal address as carriers want it (plain data: no database object)."""

    name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""  # ISO 3166 alpha-2
    phone: str = ""
    email: str = ""


@dataclass
class LabelRequest:
    """One parcel to create at a carrier: everything the call needs, read before the call."""

    reference: str  # ours, unique per parcel (idempotency: Sendcloud's external_reference)
    order_reference: str
    sender: Address
    recipient: Address
    weight_g: int
    service_code: str | None = None
    relay_point_id: str | None = None
    label_format: str = "pdf"  # "pdf" or "zpl": what the station's printer takes
    parcel_number: int = 1
    parcel_count: int = 1


@dataclass
class CreatedLabel:
    """The carrier's answer: its id of the shipment, the tracking number, its own label."""

    tracking_number: str
    label: bytes
    label_format: str  # "pdf" or "zpl"
    external_id: str | None = None
    tracking_url: str | None = None


class CarrierError(Exception):
    """The carrier refused or could not be reached; `message` is one sentence for the packer.

    `kind`: "address", "postcode", "weight", "relay", "auth", "refused", "down", "timeout".
    `unknown` is True when the carrier may have created the shipment anyway (a timeout): the
    retry must look it up before creating again.
    """

    def __init__(self, message: str, kind: str = "refused", *, unknown: bool = False):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.unknown = unknown


class LabelAdapter(Protocol):
    """A carrier API: create the shipment with its label, look it up, void it."""

    needs_scan: bool  # False
    creates_labels: bool  # True
    formats: tuple[str, ...]  # label formats it can give, e.g. ("pdf", "zpl")

    def create(self, account: dict, request: LabelRequest) -> CreatedLabel:
        """Create the shipment at the carrier; raise CarrierError with the carrier's reason."""

    def find(self, account: dict, request: LabelRequest) -> CreatedLabel | None:
        """Return the shipment created earlier under request.reference, or None (also when
        the carrier offers no look-up)."""

    def cancel(self, account: dict, external_id: str | None, tracking_number: str | None) -> str:
        """Void the shipment at the carrier; return the carrier's word; raise CarrierError."""

    def tracking_url(self, account: dict, tracking_number: str) -> str | None:
        """Return the public tracking page of a number, when the carrier has one."""

    # Optional: `close_manifest(account, tracking_numbers) -> (pdf, number)`, the carrier's
    # own manifest (Colissimo's deposit slip) of a dispatch; adapters without it have none.


def check_tracking(raw: str) -> str:
    """Clean a scanned tracking number and refuse anything that cannot be one."""
    code = clean(raw or "").upper().replace(" ", "")
    if not code:
        raise DomainError(_("Scan the tracking barcode on the carrier's label."), code="bad_tracking")
    if any(code.startswith(prefix) for prefix in PREFIXES):
        raise DomainError(_("%(code)s is a warehouse code, not a tracking number: scan the "
                            "barcode on the carrier's label.", code=code), code="bad_tracking")
    if code.isdecimal() and len(code) in (8, 12, 13):
        raise DomainError(_("%(code)s looks like a product barcode: scan the tracking barcode on "
                            "the carrier's label.", code=code), code="bad_tracking")
    if not TRACKING.match(code):
        raise DomainError(_("%(code)s is not a tracking number (6 to 40 letters and digits): "
                            "scan the carrier's label again.", code=code), code="bad_tracking")
    return code


class ManualCarrier:
    """The label comes from elsewhere; the operator scans its tracking barcode."""

    needs_scan = True
    creates_labels = False

    def assign(self, carrier: Carrier, parcel: Parcel, scanned: str | None = None) -> str:
        """Return the scanned tracking number once checked."""
        if scanned is None:
            raise DomainError(_("%(name)s: scan the tracking barcode of parcel %(number)s.",
                                name=carrier.name, number=parcel.number),
                              code="tracking_needed")
        return check_tracking(scanned)


class RangeCarrier:
    """Number parcels from the carrier's range; refuse when the range is used up."""

    needs_scan = False
    creates_labels = False

    def assign(self, carrier: Carrier, parcel: Parcel, scanned: str | None = None) -> str:
        """Hand out the next number of the range and advance the persisted counter."""
        # Lock the carrier row: two packing stations must never get the same number.
        row = db.session.execute(
            select(Carrier).where(Carrier.id == carrier.id).with_for_update()
            .execution_options(populate_existing=True)).scalar_one()
        if row.range_start is None or row.range_end is None:
            raise DomainError(_("%(name)s has no tracking number range: a supervisor enters the "
                                "range the carrier gave you under Desk › Dispatch.", name=row.name), code="no_range")
        number = row.range_next if row.range_next is not None else row.range_start
        if number > row.range_end:
            raise DomainError(_("The tracking range of %(name)s is used up (last number "
                                "%(range_end)s): ask the carrier for a new range and enter it "
                                "under Desk › Dispatch.", name=row.name, range_end=row.range_end), code="range_exhausted")
        row.range_next = number + 1
        db.session.flush()
        width = len(str(row.range_end))
        return f"{row.range_prefix or ''}{number:0{width}d}"


def _api_adapters() -> dict:
    from wms.integrations.carriers.colissimo import ColissimoAdapter
    from wms.integrations.carriers.sendcloud import SendcloudAdapter

    return {"sendcloud": SendcloudAdapter(), "colissimo": ColissimoAdapter()}


ADAPTERS: dict[str, CarrierAdapter] = {"manual": ManualCarrier(), "range": RangeCarrier()}


def adapter_for(carrier: Carrier) -> CarrierAdapter:
    """Return the adapter configured on a carrier, or refuse an unknown one."""
    if "sendcloud" not in ADAPTERS:  # imported late: the API adapters import this module
        ADAPTERS.update(_api_adapters())
    adapter = ADAPTERS.get(carrier.adapter or "manual")
    if adapter is None:
        raise DomainError(_("Carrier %(name)s uses the adapter “%(adapter)s”, which this WMS "
                            "does not know (known: %(adapters)s).",
                            name=carrier.name, adapter=carrier.adapter, adapters=', '.join(sorted(ADAPTERS))))
    return adapter


# ---------------------------------------------------------------- accounts (settings)

SECRET_KEYS = ("password", "secret_key", "public_key", "api_key", "key", "token", "contract_number")


def carrier_account(carrier: Carrier) -> dict:
    """Return the carrier's account from the WMS_CARRIER_ACCOUNTS setting, or refuse.

    The setting is a JSON object: {"<account>": {"adapter": "sendcloud", "url": ...,
    credentials...}}. Credentials live only there: never in the database, never in a log.
    """
    from flask import current_app

    accounts = current_app.config.get("CARRIER_ACCOUNTS") or {}
    if isinstance(accounts, str):
        try:
            accounts = json.loads(accounts)
        except ValueError:
            raise DomainError(_("The WMS_CARRIER_ACCOUNTS setting is not valid JSON: an "
                                "administrator fixes it (see docs/carriers.md)."), code="carrier_account") from None
    account = accounts.get(carrier.account or "") if isinstance(accounts, dict) else None
    if not isinstance(account, dict):
        raise DomainError(_("%(name)s has no carrier account “%(value)s” in the "
                            "WMS_CARRIER_ACCOUNTS setting: an administrator adds it (see "
                            "docs/carriers.md).", name=carrier.name, value=carrier.account or ''), code="carrier_account")
    if account.get("adapter", carrier.adapter) != carrier.adapter:
        raise DomainError(_("The carrier account “%(account)s” is a %(value)s account, but "
                            "%(name)s uses %(adapter)s.",
                            account=carrier.account, value=account.get('adapter'), name=carrier.name, adapter=carrier.adapter), code="carrier_account")
    return account


def redact(text: str | None, account: dict | None) -> str | None:
    """Remove every credential of the account from a text (an error kept or shown)."""
    if not text or not account:
        return text
    import base64

    secrets = [str(v) for k, v in account.items() if k in SECRET_KEYS and v]
    if account.get("public_key") and account.get("secret_key"):
        pair = f"{account['public_key']}:{account['secret_key']}".encode()
        secrets.append(base64.b64encode(pair).decode())
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
