"""Advance shipping notices from other systems (ERP, OMS): expected receipts, idempotent on the
sender's reference, changed or cancelled while nothing has been received.

A notice is all-or-nothing: if any line is wrong (unknown SKU, SKU twice) nothing is stored and
every wrong line is listed with its index. Posting the same notice again changes nothing.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.receiving.models import Receipt, ReceiptLine, ReceiptStatus
from wms.errors import Conflict, DomainError
from wms.i18n import _, ngettext

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def resolve_skus(lines: list[dict], *, what: str = "line") -> dict[str, Product]:
    """Map each line's SKU to its product in one query; raise DomainError listing every bad line."""
    skus = {str(line["sku"]).strip() for line in lines}
    products = {p.sku: p for p in db.session.execute(select(Product).where(Product.sku.in_(skus))).scalars()}
    errors, seen = [], {}
    for index, line in enumerate(lines):
        sku = str(line["sku"]).strip()
        if sku not in products:
            errors.append({"index": index, "sku": sku, "message": _("line %(index)s: unknown SKU %(sku)s.",
                                                                   index=index, sku=sku)})
        elif not products[sku].active:
            errors.append({"index": index, "sku": sku, "message": _("line %(index)s: %(sku)s is not active.",
                                                                   index=index, sku=sku)})
        elif sku in seen:
            errors.append({"index": index, "sku": sku,
                           "message": _("line %(index)s: %(sku)s is already on line %(other)s; "
                                        "send one line per SKU.",
                                        index=index, sku=sku, other=seen[sku])})
        else:
            seen[sku] = index
    if errors:
        listed = "; ".join(e["message"] for e in errors[:5])
        if len(errors) > 5:
            listed += " " + _("(and %(count)s more)", count=len(errors) - 5)
        raise DomainError(ngettext("%(num)d line refused, nothing was stored: %(listed)s",
                                   "%(num)d lines refused, nothing was stored: %(listed)s",
                                   len(errors), listed=listed),
                          code="invalid_lines", lines=errors)
    return products


def asn_by_reference(source: str, external_ref: str, *, lock: bool = False) -> Receipt | None:
    query = select(Receipt).where(Receipt.source == source, Receipt.external_ref == external_ref)
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def _not_started(receipt: Receipt) -> bool:
    return receipt.status is ReceiptStatus.EXPECTED and receipt.received_total == 0


def _same(receipt: Receipt, data: dict, wanted: dict[int, int], site: int | None) -> bool:
    have = {line.product_id: line.expected for line in receipt.lines}
    return (receipt.supplier == data.get("supplier") and receipt.expected_date == data.get("expected_date")
            and have == wanted and (site is None or receipt.warehouse_id == site))


def upsert_asn(data: dict, *, user=None) -> tuple[Receipt, str]:
    """Create the expected receipt of an ASN, or update it while not started; return it and what happened.

    ``data``: source, reference (the sender's), supplier, expected_date, lines [{sku, quantity}],
    warehouse (the code of the site it is expected at; absent: the first site, or unchanged).
    """
    from wms.domain.receiving.services import receipt_site

    source, ref = data["source"], data["reference"]
    site = receipt_site(data["warehouse"], by_code=True) if data.get("warehouse") else None
    products = resolve_skus(data["lines"])
    wanted: dict[int, int] = {products[str(ln["sku"]).strip()].id: int(ln["quantity"]) for ln in data["lines"]}
    receipt = asn_by_reference(source, ref, lock=True)
    if receipt is None:
        receipt = Receipt(source=source, external_ref=ref, reference=ref, supplier=data.get("supplier"),
                          expected_date=data.get("expected_date"), status=ReceiptStatus.EXPECTED,
                          created_by_id=getattr(user, "id", None),
                          warehouse_id=site if site is not None else receipt_site(),
                          lines=[ReceiptLine(product_id=pid, expected=qty) for pid, qty in wanted.items()])
        try:
            # Two senders' retries racing: the unique key keeps one; the loser reads it.
            with db.session.begin_nested():
                db.session.add(receipt)
            return receipt, CREATED
        except IntegrityError:
            receipt = asn_by_reference(source, ref, lock=True)
            if receipt is None:
                raise
    if _same(receipt, data, wanted, site):
        return receipt, UNCHANGED
    if receipt.status is ReceiptStatus.CANCELLED:
        raise Conflict(_("%(code)s (%(source)s %(ref)s) was cancelled: send the delivery under a "
                         "new reference.", code=receipt.code, source=source, ref=ref))
    if not _not_started(receipt):
        raise Conflict(_("%(code)s (%(source)s %(ref)s) is %(status)s: it can no longer be "
                         "changed. Send the rest of the delivery under a new reference.",
                         code=receipt.code, source=source, ref=ref, status=receipt.status.label.lower()))
    receipt.supplier = data.get("supplier")
    receipt.expected_date = data.get("expected_date")
    if site is not None:
        receipt.warehouse_id = site
    by_product = {line.product_id: line for line in receipt.lines}
    for pid, line in by_product.items():
        if pid not in wanted:
            receipt.lines.remove(line)
    for pid, qty in wanted.items():
        if pid in by_product:
            by_product[pid].expected = qty
        else:
            receipt.lines.append(ReceiptLine(product_id=pid, expected=qty))
    db.session.flush()
    return receipt, UPDATED


def cancel_asn(receipt: Receipt, *, user=None) -> Receipt:
    """Cancel an expected receipt nobody has started receiving (flush only)."""
    receipt = db.session.get(Receipt, receipt.id, with_for_update=True, populate_existing=True)
    if receipt.status is ReceiptStatus.CANCELLED:
        return receipt
    if not _not_started(receipt):
        raise Conflict(_("%(code)s is %(status)s: goods were received, it can no longer be "
                         "cancelled (close it short on the desk instead).",
                         code=receipt.code, status=receipt.status.label.lower()))
    receipt.status = ReceiptStatus.CANCELLED
    receipt.discrepancy = None
    db.session.flush()
    return receipt

