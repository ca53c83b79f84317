"""Receive goods: create and import receipts, count scanned units in, approve, close."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from wms.barcodes import ScanKind
from wms.db import as_id, db, utcnow
from wms.domain.catalog.models import Product
from wms.domain.catalog.services import add_barcode, product_by_code
from wms.domain.importing import ImportRefused, ImportResult, RowError, read_csv
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.services import default_location
from wms.domain.receiving.models import CODE_PREFIX, Receipt, ReceiptLine, ReceiptStatus
from wms.domain.scans.services import load_state, parse, save_state
from wms.domain.users.models import Role, User
from wms.errors import DomainError, NotFound, PermissionDenied
from wms.i18n import _, ngettext

FLOW = "receiving"
RECEIPT_COLUMNS = ["reference", "supplier", "expected_date", "sku", "quantity"]
RECEIPT_REQUIRED = ["sku", "quantity"]


# ---------------------------------------------------------------- receipts

def receipt_site(raw=None, *, by_code: bool = False) -> int | None:
    """The site a new receipt is expected at: the one named (its id, or its code with by_code),
    else the first site; refuse a site that does not exist with what to send instead."""
    from wms.domain.locations.models import Warehouse
    from wms.domain.locations.sites import first_warehouse

    text = str(raw).strip() if raw is not None else ""
    if not text:
        first = first_warehouse()
        return first.id if first is not None else None
    if by_code:
        found = db.session.execute(select(Warehouse.id).where(
            func.upper(Warehouse.code) == text.upper())).scalar_one_or_none()
    else:
        found = db.session.execute(select(Warehouse.id).where(
            Warehouse.id == as_id(text))).scalar_one_or_none() if as_id(text) is not None else None
    if found is None:
        codes = ", ".join(db.session.execute(select(Warehouse.code).order_by(Warehouse.id)).scalars())
        raise DomainError(_("There is no site %(site)s: give one of %(codes)s (or none for the first "
                            "site).", site=text[:40], codes=codes), code="unknown_site")
    return found


def check_receipt_site(receipt) -> None:
    """Refuse a receipt expected at another site than the handheld's (no site on either: fine).

    ``receipt`` is a Receipt or the fast path's read of it (``warehouse_id`` already read)."""
    from wms.domain.locations.sites import elsewhere, site_names

    site = elsewhere(receipt.warehouse_id)
    if site is None:
        return
    there, here = site_names(receipt.warehouse_id, site)
    raise DomainError(_("%(code)s is expected at %(site)s, not at %(here)s: leave it for %(site)s.",
                        code=receipt.code, site=there, here=here), code="other_site")


def create_receipt(lines, *, supplier: str | None = None, expected_date: date | None = None,
                   reference: str | None = None, user=None, warehouse_id: int | None = None) -> Receipt:
    """Create an expected receipt from (product or SKU, quantity) pairs, at a site (None: the first)."""
    if not lines:
        raise DomainError(_("A receipt needs at least one line (a SKU and a quantity)."))
    receipt = Receipt(supplier=(supplier or "").strip() or None,
                      reference=(reference or "").strip() or None,
                      expected_date=expected_date, status=ReceiptStatus.EXPECTED,
                      created_by_id=getattr(user, "id", None),
                      warehouse_id=warehouse_id if warehouse_id is not None else receipt_site())
    by_product: dict[int, ReceiptLine] = {}
    for ref, qty in lines:
        product = ref if isinstance(ref, Product) else product_for_sku(ref)
        inventory.check_quantity(qty)
        if product.id in by_product:
            # The same SKU twice on a purchase order is one line with the sum.
            by_product[product.id].expected += qty
            continue
        line = ReceiptLine(product_id=product.id, expected=qty, received=0)
        by_product[product.id] = line
        receipt.lines.append(line)
    db.session.add(receipt)
    db.session.flush()
    return receipt


def parse_lines(text: str) -> list[tuple[str, int]]:
    """Read "SKU quantity" lines typed on the desk; refuse a bad line with its number."""
    result = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace(";", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise DomainError(_("Line %(number)s (“%(text)s”): write a SKU and a quantity, e.g. "
                                "TSH-BLACK-S 12.", number=number, text=raw.strip()))
        try:
            qty = inventory.parse_quantity(parts[1])
        except DomainError as exc:
            raise DomainError(_("Line %(number)s: %(message)s", number=number, message=exc.message)) from None
        result.append((parts[0], qty))
    return result


def import_receipts(text, *, user=None, dry_run: bool = False, warehouse_id: int | None = None) -> ImportResult:
    """Create expected receipts from CSV, one per reference; one bad row imports nothing.

    `text`: the CSV's text or a source (wms.domain.importing.open_source). The rows are
    grouped by reference before any receipt is created, so they are held together: receipt
    files are small (the desk bounds requests to 6 MB)."""
    rows, errors = read_csv(text, RECEIPT_COLUMNS, RECEIPT_REQUIRED)
    result = ImportResult(errors=errors, rows=len(rows))
    if errors:
        raise ImportRefused(result)
    products = {p.sku: p for p in db.session.execute(select(Product)).scalars()}
    groups: dict[str, dict] = {}
    for line, row in rows:
        key = row.get("reference", "")
        sku, raw_qty = row.get("sku", ""), row.get("quantity", "")
        product = products.get(sku)
        if product is None:
            result.errors.append(RowError(line, _("sku %(value)s is not a known product",
                                                  value=sku or _('(empty)'))))
        if not _small_int(raw_qty) or int(raw_qty) <= 0:
            result.errors.append(RowError(line, _("quantity must be a whole number above 0, not "
                                                  "“%(value)s”", value=raw_qty)))
        when = None
        if row.get("expected_date"):
            try:
                when = date.fromisoformat(row["expected_date"])
            except ValueError:
                result.errors.append(RowError(line, _("expected_date “%(expected_date)s” is not "
                                                      "a date like 2026-12-01",
                                                      expected_date=row['expected_date'])))
        group = groups.setdefault(key, {"supplier": row.get("supplier", ""), "date": when,
                                        "lines": [], "first": line})
        if row.get("supplier") and group["supplier"] and row["supplier"] != group["supplier"]:
            result.errors.append(RowError(line, _("reference %(key)s has supplier %(supplier)s "
                                                  "on row %(first)s, not %(other)s",
                                                  key=key, supplier=group['supplier'], first=group['first'], other=row['supplier'])))
        group["supplier"] = group["supplier"] or row.get("supplier", "")
        group["date"] = group["date"] or when
        if product is not None and _small_int(raw_qty) and int(raw_qty) > 0:
            group["lines"].append((product, int(raw_qty)))
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    site = warehouse_id if warehouse_id is not None else receipt_site()
    for key, group in groups.items():
        create_receipt(group["lines"], supplier=group["supplier"], expected_date=group["date"],
                       reference=key or None, user=user, warehouse_id=site)
        result.created += 1
    return result


def product_for_sku(sku: str) -> Product:
    """Return the product with this SKU (any case), or refuse with what to check."""
    product = db.session.execute(
        select(Product).where(func.upper(Product.sku) == (sku or "").strip().upper())
    ).scalar_one_or_none()
    if product is None:
        raise DomainError(_("No product has the SKU %(sku)s: check the spelling or import it "
                            "first.", sku=sku),
                          code="unknown_sku")
    return product


def _small_int(text: str) -> bool:
    return text.isascii() and text.isdecimal() and len(text) <= 9


def receipt_by_code(code: str, *, lock: bool = False) -> Receipt:
    """Return the receipt for a scanned RCV- code (or its id), or refuse it."""
    text = (code or "").strip().upper()
    number = text[len(CODE_PREFIX):] if text.startswith(CODE_PREFIX) else text
    if as_id(number) is None:
        raise DomainError(_("%(code)s is not a receipt code: scan the RCV-… code on the "
                            "paperwork.", code=code[:40]))
    return get_receipt(as_id(number), lock=lock)


def get_receipt(receipt_id: int, *, lock: bool = False) -> Receipt:
    """Return a receipt by id, locked for this transaction when asked; refuse an unknown one."""
    query = select(Receipt).where(Receipt.id == receipt_id)
    if lock:
        # Two operators on one delivery: the second waits, so no scan is counted twice or lost.
        query = query.with_for_update(of=Receipt)
    receipt = db.session.execute(query.execution_options(populate_existing=lock)).scalar_one_or_none()
    if receipt is None:
        raise NotFound(_("Receipt %(code)s does not exist: check the paperwork.",
                         code=CODE_PREFIX + str(receipt_id)))
    return receipt


def start_blind_receipt(*, user=None, supplier: str | None = None) -> Receipt:
    """Open a receipt with no expectation, for goods that arrive without a purchase order, at the
    handheld's site (none chosen: the first site)."""
    from wms.domain.locations.sites import current_site_id

    receipt = Receipt(blind=True, status=ReceiptStatus.RECEIVING, supplier=supplier or None,
                      created_by_id=getattr(user, "id", None),
                      warehouse_id=current_site_id() or receipt_site())
    db.session.add(receipt)
    db.session.flush()
    return receipt


def allowed_max(line: ReceiptLine, tolerance_pct: float) -> int | None:
    """How many units the line may reach without a supervisor (None = no limit: blind)."""
    if line.receipt.blind:
        return None
    tolerated = line.expected + int(line.expected * float(tolerance_pct) / 100)
    return max(tolerated, line.approved_max or 0)


def _line_for(receipt: Receipt, product: Product) -> ReceiptLine:
    for line in receipt.lines:
        if line.product_id == product.id:
            return line
    line = ReceiptLine(product_id=product.id, expected=0, received=0)
    receipt.lines.append(line)
    db.session.flush()
    return line


def _check_open(receipt: Receipt) -> None:
    if not receipt.is_open:
        raise DomainError(_("%(code)s is %(status)s: nothing more can be received on it. Start a "
                            "blind receipt for extra goods.",
                            code=receipt.code, status=receipt.status.label.lower()),
                          code="receipt_closed")


def dock_location(receipt: Receipt | None = None) -> Location:
    """Return the receiving dock where received goods are put down."""
    return default_location(LocationKind.RECEIVING)


@dataclass
class Received:
    """What one receiving scan did."""

    line: ReceiptLine
    units: int
    approved_by: User | None = None


def receive_units(receipt: Receipt, product: Product, units: int, *, user, tolerance_pct: float,
                  approver: User | None = None, note: str | None = None) -> Received:
    """Count units of a product in on a receipt and put them on the dock through the ledger.

    Refuses units beyond the expected quantity plus the tolerance unless a supervisor
    approved them before, or the approver (a supervisor) approves them now.
    """
    inventory.check_quantity(units)
    _check_open(receipt)
    line = _line_for(receipt, product)
    limit = allowed_max(line, tolerance_pct)
    total = line.received + units
    if limit is not None and total > limit:
        if approver is None:
            expected = (_("%(qty)s expected", qty=line.expected) if line.expected
                        else _("%(sku)s is not on %(code)s", sku=product.sku, code=receipt.code))
            allowed = ", " + _("%(qty)s allowed", qty=limit) if limit != line.expected else ""
            raise DomainError(
                _("Over-receipt: %(sku)s would reach %(total)s (%(expected)s%(allowed)s). Not "
                  "received: a supervisor must approve it (badge and PIN here, or the desk).",
                  sku=product.sku, total=total, expected=expected, allowed=allowed),
                code="over_receipt", product_id=product.id, total=total)
        _require_supervisor(approver)
        line.approved_max = total
        line.approved_by_id = approver.id
    approval = (_("over-receipt approved by %(user)s", user=approver.username)
                if approver is not None and limit is not None and total > limit else None)
    # A GS1 scan's lot, expiry and serial travel with the movement.
    inventory.receive(product, dock_location(receipt), units, user=user,
                      reason=MoveReason.RECEIVED, reference=receipt.code,
                      note="; ".join(n for n in (note, approval) if n) or None)
    line.received = total
    if receipt.status is ReceiptStatus.EXPECTED:
        receipt.status = ReceiptStatus.RECEIVING
    db.session.flush()
    return Received(line, units, approver if limit is not None and total > limit else None)


def approve_over_receipt(receipt: Receipt, product: Product, up_to: int, *, approver: User) -> ReceiptLine:
    """Let a line be received up to a total quantity; a supervisor's decision."""
    _require_supervisor(approver)
    _check_open(receipt)
    inventory.check_quantity(up_to)
    line = _line_for(receipt, product)
    if up_to < line.received:
        raise DomainError(_("%(received)s of %(sku)s are already received; approve a total of at "
                            "least that.", received=line.received, sku=product.sku))
    line.approved_max = up_to
    line.approved_by_id = approver.id
    db.session.flush()
    return line


def receive_approved(receipt: Receipt, product: Product, total: int, *, user, approver: User,
                     tolerance_pct: float) -> Received | None:
    """Approve and receive a refused over-receipt in one step, bringing the line to total.

    Idempotent: sent twice (a double tap, a retry) it receives nothing the second time.
    """
    _require_supervisor(approver)
    line = _line_for(receipt, product)
    if total <= line.received:
        return None
    return receive_units(receipt, product, total - line.received, user=user,
                         tolerance_pct=tolerance_pct, approver=approver)


def close_receipt(receipt: Receipt, *, user) -> Receipt:
    """Close a receipt: received in full, or closed with the missing units recorded."""
    _check_open(receipt)
    if not receipt.lines or receipt.received_total == 0:
        raise DomainError(_("Nothing was received on %(code)s: scan the goods first, or ask a "
                            "supervisor to cancel the receipt.", code=receipt.code))
    missing = [line for line in receipt.lines if line.missing]
    if missing:
        receipt.status = ReceiptStatus.CLOSED_SHORT
        receipt.discrepancy = "; ".join(
            _("%(sku)s: %(missing)s missing (%(received)s of %(expected)s)", sku=line.product.sku,
              missing=line.missing, received=line.received, expected=line.expected)
            for line in missing)[:2000]
    else:
        receipt.status = ReceiptStatus.RECEIVED
    receipt.closed_at = utcnow()
    receipt.closed_by_id = getattr(user, "id", None)
    db.session.flush()
    from wms.integrations.webhooks.services import emit_receipt_closed

    emit_receipt_closed(receipt)
    return receipt


def _require_supervisor(user) -> None:
    if user is None or not user.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor can approve an over-receipt or link a barcode."),
                               code="supervisor_required")


def supervisor_by_badge(badge: str, pin: str) -> User:
    """Return the supervisor whose badge and PIN these are, or refuse (wrong tries count
    towards the badge's lock, as at sign-in)."""
    from wms.domain.users import services as users

    try:
        user = users.check_badge(badge, (pin or "").strip())
    except users.SignInRefused as exc:
        if exc.wrong_secret:
            exc.reword(_("Badge or PIN not recognised: the supervisor scans their badge and "
                         "types their PIN again."))
        raise
    _require_supervisor(user)
    return user


def link_barcode(code: str, sku: str, *, pack_qty: int = 1, user) -> Product:
    """Attach an unknown barcode to a product (a supervisor's decision)."""
    _require_supervisor(user)
    product = product_for_sku(sku)
    add_barcode(product, (code or "").strip(), pack_qty)
    return product


# ---------------------------------------------------------------- the handheld flow

@dataclass
class ReceivingView:
    """What the receiving screen shows."""

    receipt: Receipt | None
    prompt: str
    last_line: ReceiptLine | None = None


def current(user) -> ReceivingView:
    """Return the operator's receiving screen as it stands."""
    return _view(load_state(user, FLOW, lock=False).data)


def _view(data: dict, last_line: ReceiptLine | None = None) -> ReceivingView:
    receipt = db.session.get(Receipt, data["receipt"]) if data.get("receipt") else None
    if receipt is None:
        return ReceivingView(None, _("Scan the receipt code (RCV-…) or start a blind receipt"))
    if not receipt.is_open:
        return ReceivingView(receipt, _("%(code)s is %(status)s. Scan the next receipt.",
                                        code=receipt.code, status=receipt.status.label.lower()))
    return ReceivingView(receipt, _("Scan each item (or type a quantity for a carton)"), last_line)


def scan(user, code: str, qty: int = 1, *, tolerance_pct: float,
         approver: User | None = None) -> tuple[ReceivingView, str]:
    """Apply one receiving scan (a receipt code or a product); return the view and a sentence."""
    inventory.check_quantity(qty)
    state = load_state(user, FLOW)
    scanned = parse(code)
    if scanned.kind is ScanKind.RECEIPT:
        receipt = receipt_by_code(scanned.code)
        _check_open(receipt)
        check_receipt_site(receipt)
        save_state(state, receipt=receipt.id)
        return _view(state.data), (_("Receiving %(code)s from %(supplier)s", code=receipt.code,
                                     supplier=receipt.supplier) if receipt.supplier
                                   else _("Receiving %(code)s", code=receipt.code))
    if scanned.kind is ScanKind.BADGE and state.data.get("pending") \
            and not state.data["pending"].get("approved"):
        # An over-receipt waits for a supervisor: their badge scanned here is the approval's
        # badge (the PIN follows on the approval form). Nothing changes until the PIN.
        pending = state.data["pending"]
        raise DomainError(_("Badge %(code)s read: type the PIN to approve.", code=scanned.code),
                          code="approval_badge", badge=scanned.code,
                          product_id=int(pending["product"]), total=int(pending["total"]))
    if scanned.kind is not ScanKind.PRODUCT:
        raise DomainError(_("%(code)s is a %(kind)s: scan a product or a receipt code.",
                            code=scanned.code, kind=scanned.kind.label))
    if not state.data.get("receipt"):
        raise DomainError(_("Scan the receipt code first (RCV-… on the delivery paperwork), or "
                            "start a blind receipt."))
    try:
        match = product_by_code(scanned.code)
    except NotFound:
        raise DomainError(_("Barcode %(code)s is not known: not received. Put the item aside; a "
                            "supervisor can link the barcode to its product.", code=scanned.code),
                          code="unknown_barcode", barcode=scanned.code) from None
    receipt = get_receipt(state.data["receipt"], lock=True)
    check_receipt_site(receipt)
    if approver is None and user.has_role(Role.SUPERVISOR):
        approver = user  # a supervisor receiving decides for themselves
    done = receive_units(receipt, match.product, qty * match.pack_qty, user=user,
                         tolerance_pct=tolerance_pct, approver=approver,
                         note=match.gs1.note() if match.gs1 else None)
    if "pending" in state.data:
        # The screen moved on: an approval form left on it must not approve an old refusal.
        save_state(state, receipt=receipt.id)
    return _view(state.data, done.line), _received_sentence(done)


def _received_sentence(done: Received) -> str:
    line = done.line
    values = dict(units=done.units, sku=line.product.sku, received=line.received,
                  expected=line.expected, left=line.missing, over=line.over)
    if line.receipt.blind:
        text = _("+%(units)s %(sku)s: %(received)s", **values)
    elif line.missing:
        text = _("+%(units)s %(sku)s: %(received)s of %(expected)s, %(left)s left", **values)
    elif line.over:
        text = _("+%(units)s %(sku)s: %(received)s of %(expected)s, %(over)s over", **values)
    else:
        text = _("+%(units)s %(sku)s: %(received)s of %(expected)s", **values)
    if done.approved_by is not None:
        text += " " + _("(approved by %(user)s)", user=done.approved_by.name)
    return text


def start_blind(user) -> tuple[ReceivingView, str]:
    """Start a blind receipt for the operator and make it theirs."""
    state = load_state(user, FLOW)
    receipt = start_blind_receipt(user=user)
    save_state(state, receipt=receipt.id)
    return _view(state.data), _("Blind receipt %(code)s started: scan the items.", code=receipt.code)


def hold_over_receipt(user, product_id: int, total: int) -> None:
    """Remember the over-receipt just refused, so only that one can be approved on this handheld."""
    state = load_state(user, FLOW)
    if not state.data.get("receipt"):
        return
    save_state(state, receipt=state.data["receipt"], pending={"product": product_id, "total": total})


def pending_approval(user) -> dict | None:
    """The over-receipt waiting for a supervisor on this handheld ({"product", "total"}), if any."""
    pending = load_state(user, FLOW, lock=False).data.get("pending")
    return pending if pending and not pending.get("approved") else None


def approve_and_receive(user, badge: str, pin: str, *,
                        tolerance_pct: float) -> tuple[ReceivingView, str]:
    """Receive the over-receipt refused on this handheld once a supervisor's badge and PIN approve it.

    What is received comes from the refusal kept server-side, never from the form: a changed
    page must not decide how many units enter the stock.
    """
    state = load_state(user, FLOW)
    if not state.data.get("receipt"):
        raise DomainError(_("No receipt is open on this handheld: scan the receipt code first."))
    pending = state.data.get("pending")
    if not pending:
        raise DomainError(_("No over-receipt is waiting for approval here: scan the item again."))
    approver = user if user.has_role(Role.SUPERVISOR) and not badge else supervisor_by_badge(badge, pin)
    receipt = get_receipt(state.data["receipt"], lock=True)
    check_receipt_site(receipt)
    product = inventory.get_product(int(pending["product"]))
    done = receive_approved(receipt, product, int(pending["total"]), user=user, approver=approver,
                            tolerance_pct=tolerance_pct)
    # Approved: a later badge scan is a badge again (a double tap still answers "nothing more").
    save_state(state, receipt=receipt.id, pending={**pending, "approved": True})
    if done is None:
        line = _line_for(receipt, product)
        return _view(state.data, line), _("%(sku)s: already %(qty)s, nothing more received.",
                                          sku=product.sku, qty=line.received)
    return _view(state.data, done.line), _received_sentence(done)


def close_current(user) -> tuple[ReceivingView, str]:
    """Close the operator's receipt and say how it ended."""
    state = load_state(user, FLOW)
    if not state.data.get("receipt"):
        raise DomainError(_("No receipt is open on this handheld."))
    receipt = close_receipt(get_receipt(state.data["receipt"], lock=True), user=user)
    save_state(state)
    if receipt.status is ReceiptStatus.CLOSED_SHORT:
        return _view({}), _("%(code)s closed with discrepancies: %(missing)s missing.",
                            code=receipt.code, missing=receipt.missing_total)
    return _view({}), ngettext("%(code)s received in full: %(num)d unit.",
                               "%(code)s received in full: %(num)d units.",
                               receipt.received_total, code=receipt.code)


def leave(user) -> ReceivingView:
    """Put the receipt down without closing it (another operator may carry on)."""
    save_state(load_state(user, FLOW))
    return _view({})
