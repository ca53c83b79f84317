"""Cycle counts: create a task, count it blind on the handheld, approve the differences."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from wms.barcodes import ScanKind
from wms.db import as_id, db, utcnow
from wms.domain.catalog.models import Product
from wms.domain.catalog.services import product_by_code
from wms.domain.counts.models import CountLine, CountScope, CountStatus, CountTask, LineStatus
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import Location, LocationKind
from wms.domain.locations.services import location_by_code
from wms.domain.scans.services import load_state, parse, save_state
from wms.domain.users.models import Role
from wms.errors import Conflict, DomainError, NotFound, PermissionDenied
from wms.i18n import _

FLOW = "count"
# Stock on these is owned by orders in progress; a count there would fight the packers.
NOT_COUNTABLE = (LocationKind.PACKING, LocationKind.STAGING, LocationKind.TRANSIT)


def create_count(*, user, location: Location | None = None, product: Product | None = None,
                 note: str | None = None) -> CountTask:
    """Open a count task for one location or one product (not both)."""
    if (location is None) == (product is None):
        raise DomainError(_("A count is for one location or for one product: give exactly one."))
    if location is not None and location.kind in NOT_COUNTABLE:
        raise DomainError(_("%(code)s is a %(kind)s area: its stock belongs to orders in "
                            "progress. Count storage, pick-face or dock locations.",
                            code=location.code, kind=location.kind.label.lower()))
    scope = CountScope.LOCATION if location is not None else CountScope.PRODUCT
    pending = select(CountTask).where(CountTask.status.in_((CountStatus.OPEN, CountStatus.REVIEW)))
    pending = (pending.where(CountTask.location_id == location.id) if location is not None
               else pending.where(CountTask.product_id == product.id))
    existing = db.session.execute(pending).scalars().first()
    if existing is not None:
        raise Conflict(_("%(code)s already counts %(subject)s (%(status)s): finish or cancel it "
                         "first.",
                         code=existing.code, subject=existing.subject, status=existing.status.label.lower()))
    task = CountTask(scope=scope, location_id=getattr(location, "id", None),
                     product_id=getattr(product, "id", None), note=note or None,
                     created_by_id=getattr(user, "id", None))
    db.session.add(task)
    levels = select(StockLevel).where(StockLevel.on_hand > 0)
    levels = (levels.where(StockLevel.location_id == location.id) if location is not None
              else levels.where(StockLevel.product_id == product.id))
    for level in db.session.execute(levels).scalars():
        if level.location.kind in NOT_COUNTABLE:
            continue
        task.lines.append(CountLine(location_id=level.location_id, product_id=level.product_id))
    db.session.flush()
    return task


def task_by_code(code: str) -> CountTask:
    """Find a count task by its code (CNT-12) or number."""
    raw = (code or "").strip().upper()
    number = raw[4:] if raw.startswith("CNT-") else raw
    task = db.session.get(CountTask, as_id(number)) if as_id(number) is not None else None
    if task is None:
        raise NotFound(_("There is no count task %(value)s: check the sheet's code.",
                         value=raw or _('(empty)')))
    return task


def lock_task(task: CountTask) -> CountTask:
    """Lock a task's row until commit and reload it, so two counters never lose each other's units."""
    db.session.flush()
    db.session.refresh(task, with_for_update=True)
    # Lines another counter added before our lock was granted must be seen, not duplicated.
    db.session.expire(task, ["lines"])
    return task


def _locked_task(task_id: int | None) -> CountTask | None:
    task = db.session.get(CountTask, task_id) if task_id else None
    return lock_task(task) if task is not None else None


def _require_status(task: CountTask, *allowed: CountStatus) -> None:
    if task.status not in allowed:
        raise Conflict(_("%(code)s is %(status)s; this needs it to be %(value)s.",
                         code=task.code, status=task.status.label.lower(), value=' / '.join(s.label.lower() for s in allowed)))


def record_count(task: CountTask, location: Location, product: Product, qty: int) -> CountLine:
    """Add counted units of a product in a location to an open task."""
    inventory.check_quantity(qty)
    lock_task(task)
    _require_status(task, CountStatus.OPEN)
    if task.scope is CountScope.LOCATION and location.id != task.location_id:
        raise DomainError(_("%(code)s counts %(location_code)s, not %(location_code2)s: go to "
                            "%(location_code)s.",
                            code=task.code, location_code=task.location.code, location_code2=location.code))
    if task.scope is CountScope.PRODUCT and product.id != task.product_id:
        raise DomainError(_("%(code)s counts %(sku)s only; you scanned %(product_sku)s. Leave "
                            "other products for their own count.",
                            code=task.code, sku=task.product.sku, product_sku=product.sku))
    if location.kind in NOT_COUNTABLE:
        raise DomainError(_("%(code)s is a %(kind)s area: not counted.",
                            code=location.code, kind=location.kind.label.lower()))
    line = next((ln for ln in task.lines
                 if ln.location_id == location.id and ln.product_id == product.id), None)
    if line is None:
        line = CountLine(location_id=location.id, product_id=product.id)
        task.lines.append(line)
    _take_book(line)
    line.counted = (line.counted or 0) + qty
    db.session.flush()
    return line


def submit_count(task: CountTask, user) -> CountTask:
    """Close the counting: uncounted lines count as 0; matching tasks close at once."""
    lock_task(task)
    _require_status(task, CountStatus.OPEN)
    for line in task.lines:
        # The book was taken when the bin was counted; a line never reached takes it now.
        _take_book(line)
        if line.counted is None:
            line.counted = 0
        line.status = LineStatus.MATCHED if line.counted == line.expected else LineStatus.DIFFERENCE
    task.counted_by_id = getattr(user, "id", None)
    task.counted_at = utcnow()
    if task.differences:
        task.status = CountStatus.REVIEW
    else:
        _close(task)
    db.session.flush()
    return task


def approve_count(task: CountTask, user, note: str | None = None) -> CountTask:
    """Post every difference of a task to the ledger as a count; supervisors only."""
    if not user.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor can approve count differences."))
    lock_task(task)
    _require_status(task, CountStatus.REVIEW)
    why = (_("Cycle count %(code)s: %(note)s", code=task.code, note=note.strip())
           if note and note.strip() else _("Cycle count %(code)s", code=task.code))
    # Lock every balance first (in one order, so two approvals never wait on each other in a
    # circle): a pick between the check and the posting would be overwritten by the count.
    differences = sorted(task.differences, key=lambda ln: (ln.location_id, ln.product_id))
    for line in differences:
        on_hand = inventory.lock_level(line.product_id, line.location_id).on_hand
        if on_hand != line.expected:
            # Stock moved since the count: the counted figure no longer says what to post.
            raise Conflict(_("%(sku)s in %(code)s changed since the count (books %(expected)s "
                             "then, %(on_hand)s now): reject the count and recount.",
                             sku=line.product.sku, code=line.location.code, expected=line.expected, on_hand=on_hand))
    for line in differences:
        inventory.set_counted(line.product_id, line.location_id, line.counted, note=why,
                              user=user, reference=task.code)
        line.status = LineStatus.POSTED
    task.approved_by_id = user.id
    _close(task)
    db.session.flush()
    return task


def reject_count(task: CountTask, user) -> CountTask:
    """Send a task back to be counted again; nothing is posted."""
    if not user.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor can reject a count."))
    lock_task(task)
    _require_status(task, CountStatus.REVIEW)
    for line in task.lines:
        line.counted = None
        line.expected = None
        line.status = LineStatus.PENDING
    task.status = CountStatus.OPEN
    task.counted_at = None
    db.session.flush()
    return task


def cancel_count(task: CountTask, user) -> CountTask:
    """Drop a task that is not done; nothing is posted."""
    lock_task(task)
    _require_status(task, CountStatus.OPEN, CountStatus.REVIEW)
    task.status = CountStatus.CANCELLED
    task.closed_at = utcnow()
    db.session.flush()
    return task


def _take_book(line: CountLine) -> None:
    # The book quantity is what the bin held when the counter was there: stock moved out
    # after the count must not turn counted units into a surplus.
    if line.expected is None:
        level = inventory.stock_at(line.product_id, line.location_id)
        line.expected = level.on_hand if level else 0


def _close(task: CountTask) -> None:
    task.status = CountStatus.DONE
    task.closed_at = utcnow()
    for line in task.lines:
        if line.status is LineStatus.DIFFERENCE:
            line.status = LineStatus.REJECTED
    for location in {line.location for line in task.lines} | ({task.location} if task.location else set()):
        location.needs_count = False


def open_tasks() -> list[CountTask]:
    """Tasks waiting to be counted, oldest first."""
    return list(db.session.execute(select(CountTask).where(CountTask.status == CountStatus.OPEN)
                                   .order_by(CountTask.id)).scalars())


# ------------------------------------------------------------------ handheld flow

@dataclass
class CountView:
    """What the blind counting screen shows: never the book quantity."""

    task: CountTask | None
    location: Location | None
    counted: list[CountLine]
    prompt: str
    changed: CountLine | None = None  # the line a unit scan just counted into


def current(user) -> CountView:
    state = load_state(user, FLOW, lock=False)
    return _view(state.data)


def _view(data: dict) -> CountView:
    task = db.session.get(CountTask, data["task"]) if data.get("task") else None
    if task is not None and task.status is not CountStatus.OPEN:
        task = None
    location = db.session.get(Location, data["location"]) if task and data.get("location") else None
    counted = [ln for ln in task.lines if ln.counted] if task else []
    if task is None:
        prompt = _("Scan a count sheet (CNT-…) or choose a task")
    elif location is None:
        prompt = (_("Scan location %(location)s", location=task.location.code)
                  if task.scope is CountScope.LOCATION
                  else _("Scan a location holding %(sku)s", sku=task.product.sku))
    else:
        prompt = _("Scan each product in %(location)s, then Finish", location=location.code)
    return CountView(task, location, counted, prompt)


def start(user, task: CountTask) -> CountView:
    """Begin (or resume) counting a task on the handheld."""
    _require_status(task, CountStatus.OPEN)
    state = load_state(user, FLOW)
    save_state(state, task=task.id)
    return _view(state.data)


def scan(user, code: str, qty: int = 1) -> tuple[CountView, str]:
    """Apply one scan to the operator's count; return the new view and a status sentence."""
    inventory.check_quantity(qty)
    state = load_state(user, FLOW)
    data = dict(state.data)
    scanned = parse(code)
    if scanned.kind is ScanKind.COUNT:
        task = task_by_code(scanned.code)
        view = start(user, task)
        return view, _("Counting %(code)s: %(subject)s", code=task.code, subject=task.subject)
    task = _locked_task(data.get("task"))
    if task is None or task.status is not CountStatus.OPEN:
        raise DomainError(_("Scan a count sheet (CNT-…) first."))
    if scanned.kind is ScanKind.LOCATION:
        location = location_by_code(scanned.code)
        if task.scope is CountScope.LOCATION and location.id != task.location_id:
            raise DomainError(_("%(code)s counts %(location)s, not %(scanned)s.",
                                code=task.code, location=task.location.code, scanned=location.code))
        if location.kind in NOT_COUNTABLE:
            raise DomainError(_("%(code)s is a %(kind)s area: not counted.",
                                code=location.code, kind=location.kind.label.lower()))
        for line in task.lines:
            if line.location_id == location.id:
                _take_book(line)
        db.session.flush()
        save_state(state, task=task.id, location=location.id)
        return _view(state.data), _("Counting in %(location)s", location=location.code)
    if scanned.kind is not ScanKind.PRODUCT:
        raise DomainError(_("%(code)s is a %(kind)s: scan a location or a product.",
                            code=scanned.code, kind=scanned.kind.label))
    if not data.get("location"):
        raise DomainError(_("Scan the location first, then the products in it."))
    location = db.session.get(Location, data["location"])
    match = product_by_code(scanned.code)
    line = record_count(task, location, match.product, qty * match.pack_qty)
    return _view(state.data), _("%(sku)s: %(qty)s counted in %(location)s",
                                sku=match.product.sku, qty=line.counted, location=location.code)


def take_back(user, line_id: int, qty: int = 1) -> tuple[CountView, str]:
    """Take back units counted by mistake (an item scanned twice) from one line of the
    operator's open count; never below zero."""
    inventory.check_quantity(qty)
    state = load_state(user, FLOW)
    task = _locked_task(state.data.get("task"))
    if task is None or task.status is not CountStatus.OPEN:
        raise DomainError(_("There is no count in progress: scan a count sheet."))
    line = next((ln for ln in task.lines if ln.id == line_id), None)
    if line is None or not line.counted:
        raise DomainError(_("Nothing counted on that line to take back."))
    taken = min(qty, line.counted)
    line.counted -= taken
    db.session.flush()
    return _view(state.data), _("%(sku)s: %(taken)s taken back, %(qty)s counted in %(location)s",
                                sku=line.product.sku, taken=taken, qty=line.counted,
                                location=line.location.code)


def finish(user) -> tuple[CountView, str]:
    """Submit the operator's task; differences go to a supervisor."""
    state = load_state(user, FLOW)
    task = _locked_task(state.data.get("task"))
    if task is None:
        raise DomainError(_("There is no count in progress: scan a count sheet."))
    submit_count(task, user)
    save_state(state)
    if task.status is CountStatus.DONE:
        return _view({}), _("%(code)s done: everything matched.", code=task.code)
    return _view({}), _("%(code)s sent to a supervisor for approval.", code=task.code)
