"""Transfer orders between sites: create, release (reserve), pick, ship, receive, close, cancel.

Every quantity change goes through the inventory service (a ledger movement each); the
transfer row is locked (FOR UPDATE on PostgreSQL) by every step, so a double click or two
supervisors never ship or receive the same units twice.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from wms.db import as_id, db, utcnow
from wms.domain.catalog.models import Product
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockLevel
from wms.domain.locations.models import PICKABLE_KINDS, Location, LocationKind, Warehouse
from wms.domain.locations.services import default_location
from wms.domain.receiving.services import product_for_sku
from wms.domain.transfers.models import (CODE_PREFIX, TransferLine, TransferOrder,
                                         TransferReservation, TransferStatus)
from wms.errors import DomainError, InsufficientStock, NotFound
from wms.i18n import _

OPEN_STATUSES = (TransferStatus.DRAFT, TransferStatus.RELEASED, TransferStatus.PICKING,
                 TransferStatus.SHIPPED)


# ---------------------------------------------------------------- finding

def get_warehouse(ref) -> Warehouse:
    """A warehouse by instance, id or code; refuse an unknown one with a sentence."""
    if isinstance(ref, Warehouse):
        return ref
    warehouse = None
    if isinstance(ref, int) or as_id(str(ref or "")) is not None:
        warehouse = db.session.get(Warehouse, int(ref))
    if warehouse is None and isinstance(ref, str) and ref.strip():
        warehouse = db.session.execute(
            select(Warehouse).where(Warehouse.code == ref.strip().upper())).scalar_one_or_none()
    if warehouse is None:
        raise NotFound(_("There is no warehouse %(ref)s: choose one of the list.", ref=str(ref or "")[:40]),
                       code="unknown_warehouse")
    return warehouse


def get_transfer(transfer_id: int, *, lock: bool = False) -> TransferOrder:
    """A transfer by id, locked for this transaction when asked; refuse an unknown one."""
    query = select(TransferOrder).where(TransferOrder.id == transfer_id)
    if lock:
        query = query.with_for_update(of=TransferOrder)
    transfer = db.session.execute(query.execution_options(populate_existing=lock)).unique().scalar_one_or_none()
    if transfer is None:
        raise NotFound(_("Transfer %(code)s does not exist.", code=CODE_PREFIX + str(transfer_id)),
                       code="unknown_transfer")
    return transfer


def transfer_by_code(code: str, *, lock: bool = False) -> TransferOrder:
    text = (code or "").strip().upper()
    number = text[len(CODE_PREFIX):] if text.startswith(CODE_PREFIX) else text
    if as_id(number) is None:
        raise DomainError(_("%(code)s is not a transfer code: it looks like TR-12.", code=(code or "")[:40]))
    return get_transfer(as_id(number), lock=lock)


def _refuse_status(transfer: TransferOrder, action: str):
    sentences = {
        "release": _("%(code)s is %(status)s: only a draft can be released.", code=transfer.code,
                     status=transfer.status.label.lower()),
        "pick": _("%(code)s is %(status)s: there is nothing to pick on it.", code=transfer.code,
                  status=transfer.status.label.lower()),
        "ship": _("%(code)s is %(status)s: it cannot be shipped (again).", code=transfer.code,
                  status=transfer.status.label.lower()),
        "receive": _("%(code)s is %(status)s: nothing more can be received on it.", code=transfer.code,
                     status=transfer.status.label.lower()),
        "close": _("%(code)s is %(status)s: only a transfer in transit can be closed short.",
                   code=transfer.code, status=transfer.status.label.lower()),
        "cancel": _("%(code)s is %(status)s: it can no longer be cancelled.", code=transfer.code,
                    status=transfer.status.label.lower()),
    }
    raise DomainError(sentences[action], code="transfer_status")


# ---------------------------------------------------------------- locations

def transit_location(destination: Warehouse) -> Location:
    """The virtual in-transit location of a destination site, created the first time."""
    code = f"TRANSIT-{destination.code}"[:32]
    query = select(Location).where(Location.code == code)
    location = db.session.execute(query).scalar_one_or_none()
    if location is None:
        # Two first shipments at once: the second waits on the first's insert, then reads it.
        insert_ = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
        db.session.execute(insert_(Location).values(
            warehouse_id=destination.id, code=code, kind=LocationKind.TRANSIT, walk_sequence=0,
            active=True, needs_count=False).on_conflict_do_nothing(index_elements=["code"]))
        location = db.session.execute(query).scalar_one()
    if location.kind is not LocationKind.TRANSIT or location.warehouse_id != destination.id:
        raise DomainError(_("Location %(code)s exists and is not the in-transit location of %(site)s: "
                            "rename it.", code=code, site=destination.name))
    return location


def packing_location(warehouse: Warehouse) -> Location:
    try:
        return default_location(LocationKind.PACKING, warehouse.id)
    except NotFound:
        raise NotFound(_("%(site)s has no packing location: ask a supervisor to create one.",
                         site=warehouse.name)) from None


def dock_location(warehouse: Warehouse) -> Location:
    try:
        return default_location(LocationKind.RECEIVING, warehouse.id)
    except NotFound:
        raise NotFound(_("%(site)s has no receiving dock: ask a supervisor to create one.",
                         site=warehouse.name)) from None


# ---------------------------------------------------------------- create

def parse_lines(text: str) -> list[tuple[str, int]]:
    """Read "SKU quantity" lines typed on the desk; refuse a bad line with its number."""
    result = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace(";", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise DomainError(_("Line %(number)d (“%(text)s”): write a SKU and a quantity, e.g. TSH-BLACK-S 12.",
                                number=number, text=raw.strip()[:60]))
        try:
            qty = inventory.parse_quantity(parts[1])
        except DomainError as exc:
            raise DomainError(_("Line %(number)d: %(problem)s", number=number, problem=exc.message)) from None
        result.append((parts[0], qty))
    return result


def create_transfer(source, destination, lines, *, user=None, note: str | None = None) -> TransferOrder:
    """A draft transfer from (product or SKU, quantity) pairs; the same SKU twice is summed."""
    source, destination = get_warehouse(source), get_warehouse(destination)
    if source.id == destination.id:
        raise DomainError(_("%(site)s is both the source and the destination: choose two sites.",
                            site=source.name), code="same_site")
    if not lines:
        raise DomainError(_("A transfer needs at least one line (a SKU and a quantity)."))
    transfer = TransferOrder(source_warehouse_id=source.id, destination_warehouse_id=destination.id,
                             status=TransferStatus.DRAFT, note=(note or "").strip()[:500] or None,
                             created_by_id=getattr(user, "id", None))
    by_product: dict[int, TransferLine] = {}
    for ref, qty in lines:
        product = ref if isinstance(ref, Product) else product_for_sku(str(ref))
        inventory.check_quantity(qty)
        if product.id in by_product:
            by_product[product.id].requested += qty
            inventory.check_quantity(by_product[product.id].requested)
            continue
        line = TransferLine(product_id=product.id, requested=qty)
        by_product[product.id] = line
        transfer.lines.append(line)
    db.session.add(transfer)
    db.session.flush()
    return transfer


# ---------------------------------------------------------------- release: reserve at the source

def _candidates(product_id: int, warehouse_id: int) -> list[StockLevel]:
    """Source bins a transfer line may take from: sellable bins of the site, storage first
    (a transfer moves bulk; pick faces stay for orders), then oldest, then walking order."""
    query = (select(StockLevel).join(Location, StockLevel.location_id == Location.id)
             .where(StockLevel.product_id == product_id, Location.warehouse_id == warehouse_id,
                    StockLevel.on_hand > StockLevel.reserved, Location.kind.in_(PICKABLE_KINDS),
                    Location.active.is_(True), Location.needs_count.is_(False))
             .order_by(Location.id)
             .execution_options(populate_existing=True))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=StockLevel)
    rows = db.session.execute(query).scalars().all()
    return sorted(rows, key=lambda lvl: (0 if lvl.location.kind is LocationKind.STORAGE else 1,
                                         lvl.first_in_at is None,
                                         lvl.first_in_at.timestamp() if lvl.first_in_at else 0,
                                         lvl.location.walk_sequence, lvl.location.code))


def release(transfer: TransferOrder, *, user=None) -> int:
    """Reserve every line in source bins; all or nothing. Returns the units reserved."""
    if transfer.status is not TransferStatus.DRAFT:
        _refuse_status(transfer, "release")
    # Plan first (the candidate rows are locked on PostgreSQL), reserve only when every line
    # can be served: a refusal changes nothing, even before the caller rolls back.
    short, plan = [], []
    for line in sorted(transfer.lines, key=lambda ln: ln.product_id):
        want = line.requested
        for level in _candidates(line.product_id, transfer.source_warehouse_id):
            if want <= 0:
                break
            take = min(want, level.on_hand - level.reserved)
            if take > 0:
                plan.append((line, level, take))
                want -= take
        if want > 0:
            short.append(_("%(sku)s: %(missing)d of %(requested)d missing", sku=line.product.sku,
                           missing=want, requested=line.requested))
    if short:
        raise InsufficientStock(_("%(site)s cannot send it all (%(what)s): lower the quantities or "
                                  "wait for stock.", site=transfer.source.name, what="; ".join(short)),
                                code="transfer_short")
    units = 0
    for line, level, take in plan:
        inventory.reserve(line.product_id, level.location_id, take)
        line.reservations.append(TransferReservation(
            location_id=level.location_id, product_id=line.product_id, quantity=take,
            sequence=level.location.walk_sequence))
        units += take
    transfer.status = TransferStatus.RELEASED
    transfer.released_at = utcnow()
    db.session.flush()
    return units


def pick_list(transfer: TransferOrder) -> list[TransferReservation]:
    """The transfer's source bins to visit, in walking order."""
    rows = [r for line in transfer.lines for r in line.reservations]
    return sorted(rows, key=lambda r: (r.sequence, r.location.code, r.id))


# ---------------------------------------------------------------- pick

def pick(transfer: TransferOrder, location_code: str, sku: str, qty: int, *, user=None) -> TransferReservation:
    """Take qty reserved units of a product from a source bin to the source packing area."""
    if transfer.status not in (TransferStatus.RELEASED, TransferStatus.PICKING):
        _refuse_status(transfer, "pick")
    inventory.check_quantity(qty)
    product = product_for_sku(sku)
    code = (location_code or "").strip().upper()
    reservation = next((r for r in pick_list(transfer)
                        if r.product_id == product.id and r.location.code == code and r.open_qty > 0), None)
    if reservation is None:
        raise DomainError(_("%(code)s holds nothing of %(sku)s for %(transfer)s: follow the pick list.",
                            code=code[:32], sku=product.sku, transfer=transfer.code), code="not_on_list")
    if qty > reservation.open_qty:
        raise DomainError(_("Too many: only %(open)d more of %(sku)s to take from %(code)s.",
                            open=reservation.open_qty, sku=product.sku, code=code), code="too_many")
    inventory.move(product, reservation.location_id, packing_location(transfer.source), qty, user=user,
                   reason=MoveReason.PICKED, reference=transfer.code, from_reserved=qty)
    reservation.picked += qty
    reservation.line.picked += qty
    transfer.status = TransferStatus.PICKING
    db.session.flush()
    return reservation


def pick_all(transfer: TransferOrder, *, user=None) -> int:
    """Confirm the whole pick list as taken (a paper pick list done); returns the units."""
    if transfer.status not in (TransferStatus.RELEASED, TransferStatus.PICKING):
        _refuse_status(transfer, "pick")
    units = 0
    for reservation in pick_list(transfer):
        if reservation.open_qty > 0:
            qty = reservation.open_qty
            pick(transfer, reservation.location.code, reservation.line.product.sku, qty, user=user)
            units += qty
    return units


def _release_open(transfer: TransferOrder) -> int:
    units = 0
    for reservation in pick_list(transfer):
        if reservation.open_qty > 0:
            inventory.release(reservation.product_id, reservation.location_id, reservation.open_qty)
            units += reservation.open_qty
            reservation.quantity = reservation.picked
    return units


# ---------------------------------------------------------------- ship

def ship(transfer: TransferOrder, *, user=None, tracking: str | None = None, dispatch=None) -> int:
    """Send the picked units: source packing area -> the destination's in-transit location.

    Units reserved but not picked are released (the transfer leaves with what was picked).
    A transfer packed with a carrier ships when that carrier's dispatch is closed (`dispatch`),
    never by hand.
    """
    if transfer.status not in (TransferStatus.RELEASED, TransferStatus.PICKING):
        _refuse_status(transfer, "ship")
    if transfer.picked_total <= 0:
        raise DomainError(_("Nothing of %(code)s has been picked yet: pick it before shipping.",
                            code=transfer.code), code="nothing_picked")
    if dispatch is None and transfer.carrier is not None:
        raise DomainError(_("%(code)s is packed for %(carrier)s: it ships when the %(carrier)s dispatch of "
                            "%(site)s is closed.", code=transfer.code, carrier=transfer.carrier.name,
                            site=transfer.source.name), code="ships_with_carrier")
    _release_open(transfer)
    pack = packing_location(transfer.source)
    transit = transit_location(transfer.destination)
    units = 0
    for line in sorted(transfer.lines, key=lambda ln: ln.product_id):
        qty = line.picked - line.shipped
        if qty > 0:
            inventory.move(line.product_id, pack, transit, qty, user=user, reason=MoveReason.TRANSFER_OUT,
                           reference=transfer.code)
            line.shipped += qty
            units += qty
    transfer.tracking = (tracking or "").strip()[:64] or transfer.tracking
    transfer.status = TransferStatus.SHIPPED
    transfer.shipped_at = utcnow()
    db.session.flush()
    return units


# ---------------------------------------------------------------- receive at the destination

def receive(transfer: TransferOrder, sku: str | Product, qty: int, *, user=None) -> TransferLine:
    """Count qty units of a product in at the destination: in transit -> the receiving dock.

    More than is still in transit for the line is refused (count again; goods not on the
    transfer go on a blind receipt). When every shipped unit is in, the transfer is received.
    """
    if transfer.status is not TransferStatus.SHIPPED:
        _refuse_status(transfer, "receive")
    inventory.check_quantity(qty)
    product = sku if isinstance(sku, Product) else product_for_sku(sku)
    line = next((ln for ln in transfer.lines if ln.product_id == product.id), None)
    if line is None or line.shipped == 0:
        raise DomainError(_("%(sku)s was not shipped on %(code)s: count it on a blind receipt.",
                            sku=product.sku, code=transfer.code), code="not_on_transfer")
    if qty > line.in_transit:
        raise DomainError(_("Only %(open)d of %(sku)s are still in transit on %(code)s (%(shipped)d shipped, "
                            "%(received)d received): count again; extra goods go on a blind receipt.",
                            open=line.in_transit, sku=product.sku, code=transfer.code, shipped=line.shipped,
                            received=line.received), code="over_receipt")
    inventory.move(product, transit_location(transfer.destination), dock_location(transfer.destination), qty,
                   user=user, reason=MoveReason.TRANSFER_IN, reference=transfer.code)
    line.received += qty
    if transfer.in_transit_total == 0:
        transfer.status = TransferStatus.RECEIVED
        transfer.received_at = utcnow()
    db.session.flush()
    return line


def close_short(transfer: TransferOrder, *, note: str, user=None) -> int:
    """Close a transfer whose goods did not all arrive: the missing units leave in-transit
    stock (TRANSFER_LOSS, with the note). Returns the units written off."""
    if transfer.status is not TransferStatus.SHIPPED:
        _refuse_status(transfer, "close")
    if not (note and note.strip()):
        raise DomainError(_("Say why the missing units did not arrive (a note is required)."),
                          code="reason_required")
    transit = transit_location(transfer.destination)
    missing = []
    units = 0
    for line in sorted(transfer.lines, key=lambda ln: ln.product_id):
        qty = line.in_transit
        if qty > 0:
            inventory.remove(line.product_id, transit, qty, user=user, reason=MoveReason.TRANSFER_LOSS,
                             reference=transfer.code, note=note)
            line.lost += qty
            units += qty
            missing.append(_("%(sku)s: %(missing)d of %(shipped)d missing", sku=line.product.sku,
                             missing=qty, shipped=line.shipped))
    transfer.discrepancy = ("; ".join(missing) + " — " + note.strip())[:2000]
    transfer.status = TransferStatus.CLOSED
    transfer.closed_at = utcnow()
    db.session.flush()
    return units


# ---------------------------------------------------------------- cancel

def cancel(transfer: TransferOrder, *, user=None) -> int:
    """Cancel a transfer not shipped yet: reservations released, picked units put back."""
    if transfer.status not in (TransferStatus.DRAFT, TransferStatus.RELEASED, TransferStatus.PICKING):
        _refuse_status(transfer, "cancel")
    units = _release_open(transfer)
    transfer.parcels.clear()  # unpacked: off any open dispatch, labels void
    if transfer.picked_total:
        pack = packing_location(transfer.source)
        for reservation in pick_list(transfer):
            if reservation.picked > 0:
                inventory.move(reservation.product_id, pack, reservation.location_id, reservation.picked,
                               user=user, reason=MoveReason.PUT_BACK, reference=transfer.code)
                reservation.line.picked -= reservation.picked
                units += reservation.picked
                reservation.quantity = reservation.picked = 0
    transfer.status = TransferStatus.CANCELLED
    transfer.closed_at = utcnow()
    db.session.flush()
    return units


# ---------------------------------------------------------------- ledger check

def transit_problems(session=None) -> list[str]:
    """In-transit stock per (destination, product) must equal what transfers shipped and
    neither received nor wrote off."""
    session = session or db.session
    from sqlalchemy import func

    expected: dict[tuple[int, int], int] = {}
    rows = session.execute(
        select(TransferOrder.destination_warehouse_id, TransferLine.product_id,
               func.sum(TransferLine.shipped - TransferLine.received - TransferLine.lost))
        .join(TransferLine, TransferLine.transfer_id == TransferOrder.id)
        .group_by(TransferOrder.destination_warehouse_id, TransferLine.product_id)).all()
    for site, prod, qty in rows:
        if qty:
            expected[(site, prod)] = int(qty)
    held: dict[tuple[int, int], int] = {}
    for site, prod, qty in session.execute(
            select(Location.warehouse_id, StockLevel.product_id, func.sum(StockLevel.on_hand))
            .join(Location, Location.id == StockLevel.location_id)
            .where(Location.kind == LocationKind.TRANSIT)
            .group_by(Location.warehouse_id, StockLevel.product_id)).all():
        if qty:
            held[(site, prod)] = int(qty)
    return [f"warehouse {site} product {prod}: {held.get((site, prod), 0)} in transit but transfers "
            f"say {expected.get((site, prod), 0)}"
            for site, prod in sorted(set(expected) | set(held))
            if expected.get((site, prod), 0) != held.get((site, prod), 0)]
