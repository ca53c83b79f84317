"""The inventory service: the only code that changes stock quantities.

Every function works inside the caller's transaction (it flushes, never commits), locks the
stock rows it changes (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers with
BEGIN IMMEDIATE), and writes one StockMove for every change of on-hand quantity, so the
balance of a (location, product) is always the sum of its movements.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects import postgresql, sqlite

from wms.db import db, utcnow
from wms.domain.catalog.models import Product
from wms.domain.inventory.models import NEEDS_NOTE, MoveReason, StockLevel, StockMove
from wms.domain.locations.models import Location
from wms.errors import DomainError, InsufficientStock, InvalidQuantity, NotFound
from wms.i18n import _

MAX_QUANTITY = 1_000_000


def parse_quantity(raw, *, allow_zero: bool = False) -> int:
    """Turn what an operator typed into a quantity, or refuse it with a sentence."""
    if isinstance(raw, bool):
        raise InvalidQuantity(_("Quantity must be a whole number."))
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        # isdigit() alone accepts "²" and "①", which int() then rejects.
        if not (text.isascii() and text.isdecimal()) or len(text) > 9:
            raise InvalidQuantity(
                _("“%(text)s” is not a quantity: type a whole number, e.g. 6.", text=text[:20])
                if text else _("Type a quantity, e.g. 6.")
            )
        value = int(text)
    check_quantity(value, allow_zero=allow_zero)
    return value


def check_quantity(qty, *, allow_zero: bool = False) -> None:
    """Refuse anything but a whole number above zero (or zero, for counts)."""
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise InvalidQuantity(_("Quantity must be a whole number, not %(qty)s.", qty=repr(qty)))
    if qty < 0 or (qty == 0 and not allow_zero):
        raise InvalidQuantity(_("Quantity must be above zero; %(qty)s was given.", qty=qty))
    if qty > MAX_QUANTITY:
        raise InvalidQuantity(_("Quantity %(qty)s is too large; check the number typed.", qty=qty))


def get_product(ref: Product | int) -> Product:
    """Return the product for an instance or id, or refuse an unknown one."""
    if isinstance(ref, Product):
        return ref
    product = db.session.get(Product, ref) if isinstance(ref, int) else None
    if product is None:
        raise NotFound(_("Unknown product %(ref)s.", ref=repr(ref)), code="unknown_product")
    return product


def get_location(ref: Location | int) -> Location:
    """Return the location for an instance or id, or refuse an unknown one."""
    if isinstance(ref, Location):
        return ref
    location = db.session.get(Location, ref) if isinstance(ref, int) else None
    if location is None:
        raise NotFound(_("Unknown location %(ref)s.", ref=repr(ref)), code="unknown_location")
    return location


def _locked_level(location_id: int, product_id: int) -> StockLevel:
    """Return the stock row for (location, product), created if missing, locked for update."""
    query = (
        select(StockLevel)
        .where(StockLevel.location_id == location_id, StockLevel.product_id == product_id)
        .with_for_update(of=StockLevel)
        .execution_options(populate_existing=True)
    )
    level = db.session.execute(query).scalar_one_or_none()
    if level is not None:  # the usual case: one statement
        return level
    # Insert-if-missing, then lock: when two transactions create the same row at once, the
    # second waits on the first's insert instead of both creating it.
    _insert_level(location_id, product_id)
    return db.session.execute(query).scalar_one()


def _insert_level(location_id: int, product_id: int) -> None:
    """Create the empty stock row of (location, product) unless it exists (one statement)."""
    dialect = db.session.get_bind().dialect.name
    insert_ = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    db.session.execute(
        insert_(StockLevel)
        .values(location_id=location_id, product_id=product_id, on_hand=0, reserved=0)
        .on_conflict_do_nothing(index_elements=["location_id", "product_id"])
    )


def _lock_levels(product_id: int, *location_ids: int) -> dict[int, StockLevel]:
    # Always lock in location-id order so two movers never wait on each other in a circle.
    return {loc: _locked_level(loc, product_id) for loc in sorted(set(location_ids))}


@dataclass
class Posting:
    """The result of a movement: the ledger row and the balances after it."""

    move: StockMove
    source: StockLevel | None
    target: StockLevel | None


def post_movement(
    product: Product | int,
    qty: int,
    *,
    from_location: Location | int | None = None,
    to_location: Location | int | None = None,
    reason: MoveReason,
    user=None,
    reference: str | None = None,
    note: str | None = None,
    from_reserved: int = 0,
) -> Posting:
    """Move qty units between two locations (or in from outside, or out to outside).

    from_reserved says how many of the units leaving the source were promised (reserved)
    and are being consumed by this movement, e.g. a pick.
    """
    check_quantity(qty)
    if from_location is None and to_location is None:
        raise DomainError(_("A movement needs a source, a destination or both."))
    if reason in NEEDS_NOTE and not (note and note.strip()):
        raise DomainError(_("%(label)s: say why (a reason is required).", label=reason.label), code="reason_required")
    if not isinstance(from_reserved, int) or isinstance(from_reserved, bool) or not 0 <= from_reserved <= qty:
        raise InvalidQuantity(_("The reserved part of a movement must be between 0 and its "
                                "quantity."))
    product = get_product(product)
    source = get_location(from_location) if from_location is not None else None
    target = get_location(to_location) if to_location is not None else None
    if source is not None and target is not None and source.id == target.id:
        raise DomainError(_("%(code)s is both the source and the destination: scan another "
                            "location.", code=source.code),
                          code="same_location")
    for loc in (source, target):
        if loc is not None and not loc.active:
            raise DomainError(_("Location %(code)s is not in use.", code=loc.code), code="inactive_location")

    levels = _lock_levels(product.id, *[loc.id for loc in (source, target) if loc is not None])
    now = utcnow()
    src = levels.get(source.id) if source else None
    dst = levels.get(target.id) if target else None
    if src is not None:
        free = src.on_hand - src.reserved
        if from_reserved > src.reserved:
            raise InsufficientStock(
                _("Only %(reserved)s of %(sku)s are reserved in %(code)s.",
                  reserved=src.reserved, sku=product.sku, code=source.code))
        if qty - from_reserved > free:
            raise InsufficientStock(
                _("%(code)s holds %(on_hand)s of %(sku)s (%(reserved)s promised to orders); "
                  "cannot take %(qty)s.", code=source.code, on_hand=src.on_hand, sku=product.sku,
                  reserved=src.reserved, qty=qty) if src.reserved else
                _("%(code)s holds %(on_hand)s of %(sku)s; cannot take %(qty)s.",
                  code=source.code, on_hand=src.on_hand, sku=product.sku, qty=qty),
                available=free,
            )
        src.on_hand -= qty
        src.reserved -= from_reserved
        src.updated_at = now
        if src.on_hand == 0:
            src.first_in_at = None
    if dst is not None:
        if dst.on_hand == 0 or dst.first_in_at is None:
            dst.first_in_at = now
        dst.on_hand += qty
        dst.updated_at = now

    move = StockMove(
        product_id=product.id,
        quantity=qty,
        from_location_id=source.id if source else None,
        to_location_id=target.id if target else None,
        reason=reason,
        reference=reference,
        note=(note or None) and note.strip()[:500],
        user_id=getattr(user, "id", user),
        created_at=now,
    )
    db.session.add(move)
    db.session.flush()
    return Posting(move, src, dst)


_RECEIVE_INTO = None


def _build_receive_into():
    level = StockLevel.__table__
    now = bindparam("now", type_=level.c.updated_at.type)
    units = bindparam("units", type_=Integer)
    return {dialect: ins(level).values(location_id=bindparam("location"), product_id=bindparam("product"),
                                       on_hand=units, reserved=0, first_in_at=now, updated_at=now)
            .on_conflict_do_update(index_elements=["location_id", "product_id"], set_={
                "on_hand": level.c.on_hand + units,
                "first_in_at": case(((level.c.on_hand == 0) | level.c.first_in_at.is_(None), now),
                                    else_=level.c.first_in_at),
                "updated_at": now})
            for dialect, ins in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))}


def receive_into(product_id: int, location_id: int, qty: int, *, reason: MoveReason, user_id: int | None,
                 reference: str | None, note: str | None = None) -> None:
    """Bring qty units into the warehouse at a location in two statements (a scan's hot path).

    The same movement as receive(), without loading or locking rows first: one upsert of the
    balance (INSERT ... ON CONFLICT DO UPDATE, which takes the row lock itself) and one INSERT
    of the movement. The caller has checked the product and the location exist.
    """
    global _RECEIVE_INTO
    check_quantity(qty)
    if _RECEIVE_INTO is None:
        _RECEIVE_INTO = _build_receive_into()
    now = utcnow()
    db.session.execute(_RECEIVE_INTO[db.session.get_bind().dialect.name],
                       {"location": location_id, "product": product_id, "units": qty, "now": now})
    db.session.execute(insert(StockMove.__table__), {
        "product_id": product_id, "quantity": qty, "from_location_id": None, "to_location_id": location_id,
        "reason": reason, "reference": reference, "note": note, "user_id": user_id, "created_at": now})


def receive(product, location, qty, *, user=None, reason=MoveReason.RECEIVED, reference=None,
            note=None) -> Posting:
    """Bring qty units into the warehouse at a location."""
    return post_movement(product, qty, to_location=location, reason=reason, user=user,
                         reference=reference, note=note)


def move(product, from_location, to_location, qty, *, user=None, reason=MoveReason.MOVED,
         reference=None, note=None, from_reserved: int = 0) -> Posting:
    """Move qty units from one location to another."""
    if from_location is None or to_location is None:
        raise DomainError(_("A move needs both a source and a destination location."))
    return post_movement(product, qty, from_location=from_location, to_location=to_location,
                         reason=reason, user=user, reference=reference, note=note,
                         from_reserved=from_reserved)


def remove(product, location, qty, *, reason: MoveReason, user=None, reference=None, note=None,
           from_reserved: int = 0) -> Posting:
    """Take qty units out of the warehouse from a location (shipped, damaged, lost)."""
    return post_movement(product, qty, from_location=location, reason=reason, user=user,
                         reference=reference, note=note, from_reserved=from_reserved)


def adjust(product, location, delta: int, *, note: str, user=None,
           reason: MoveReason = MoveReason.ADJUSTED, reference=None) -> Posting:
    """Correct the quantity at a location by delta (positive or negative), with a reason."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise InvalidQuantity(_("An adjustment must change the quantity by a whole number, not "
                                "zero."))
    if delta > 0:
        return post_movement(product, delta, to_location=location, reason=reason, user=user,
                             reference=reference, note=note)
    return post_movement(product, -delta, from_location=location, reason=reason, user=user,
                         reference=reference, note=note)


def set_counted(product, location, counted: int, *, note: str, user=None,
                reference=None) -> Posting | None:
    """Post a count: bring the balance to what was counted. Returns None when it matched."""
    check_quantity(counted, allow_zero=True)
    if not (note and note.strip()):
        raise DomainError(_("Counted: say why (a reason is required)."), code="reason_required")
    product, location = get_product(product), get_location(location)
    level = _locked_level(location.id, product.id)
    delta = counted - level.on_hand
    if delta == 0:
        return None
    if counted < level.reserved:
        raise InsufficientStock(
            _("%(code)s has %(reserved)s of %(sku)s promised to orders; release or reallocate "
              "them before posting a count of %(counted)s.",
              code=location.code, reserved=level.reserved, sku=product.sku, counted=counted))
    return adjust(product, location, delta, note=note, user=user, reason=MoveReason.COUNTED,
                  reference=reference)


def reserve(product, location, qty: int) -> StockLevel:
    """Promise qty units at a location to an order; refuse more than is free."""
    check_quantity(qty)
    product, location = get_product(product), get_location(location)
    level = _locked_level(location.id, product.id)
    if qty > level.on_hand - level.reserved:
        raise InsufficientStock(
            _("%(code)s has %(on_hand)s of %(sku)s free; cannot reserve %(qty)s.",
              code=location.code, on_hand=level.on_hand - level.reserved, sku=product.sku, qty=qty), available=level.on_hand - level.reserved)
    level.reserved += qty
    db.session.flush()
    return level


def release(product, location, qty: int) -> StockLevel:
    """Give back qty promised units at a location."""
    check_quantity(qty)
    product, location = get_product(product), get_location(location)
    level = _locked_level(location.id, product.id)
    if qty > level.reserved:
        raise InsufficientStock(
            _("Only %(reserved)s of %(sku)s are reserved in %(code)s.",
              reserved=level.reserved, sku=product.sku, code=location.code))
    level.reserved -= qty
    db.session.flush()
    return level


def lock_level(product, location) -> StockLevel:
    """Return the balance row for (location, product), created if missing, locked until commit."""
    return _locked_level(getattr(location, "id", location), getattr(product, "id", product))


def stock_at(product, location) -> StockLevel | None:
    """Return the balance row for (location, product) without locking, or None."""
    return db.session.execute(
        select(StockLevel).where(StockLevel.location_id == getattr(location, "id", location),
                                 StockLevel.product_id == getattr(product, "id", product))
    ).scalar_one_or_none()


def ledger_problems(session=None) -> list[str]:
    """Check the invariants over the whole warehouse; return what is wrong (empty = fine)."""
    session = session or db.session
    problems = []
    incoming = (
        select(StockMove.to_location_id.label("loc"), StockMove.product_id.label("prod"),
               func.sum(StockMove.quantity).label("qty"))
        .where(StockMove.to_location_id.is_not(None))
        .group_by(StockMove.to_location_id, StockMove.product_id)
    )
    outgoing = (
        select(StockMove.from_location_id.label("loc"), StockMove.product_id.label("prod"),
               func.sum(StockMove.quantity).label("qty"))
        .where(StockMove.from_location_id.is_not(None))
        .group_by(StockMove.from_location_id, StockMove.product_id)
    )
    totals: dict[tuple[int, int], int] = {}
    for loc, prod, qty in session.execute(incoming):
        totals[(loc, prod)] = totals.get((loc, prod), 0) + int(qty)
    for loc, prod, qty in session.execute(outgoing):
        totals[(loc, prod)] = totals.get((loc, prod), 0) - int(qty)
    levels = session.execute(
        select(StockLevel.location_id, StockLevel.product_id, StockLevel.on_hand,
               StockLevel.reserved)
    ).all()
    seen = set()
    for loc, prod, on_hand, reserved in levels:
        seen.add((loc, prod))
        if on_hand < 0:
            problems.append(f"location {loc} product {prod}: on hand {on_hand} is negative")
        if reserved < 0 or reserved > on_hand:
            problems.append(f"location {loc} product {prod}: reserved {reserved} vs on hand {on_hand}")
        if totals.get((loc, prod), 0) != on_hand:
            problems.append(f"location {loc} product {prod}: on hand {on_hand} but movements "
                            f"sum to {totals.get((loc, prod), 0)}")
    for key, qty in totals.items():
        if key not in seen and qty != 0:
            problems.append(f"location {key[0]} product {key[1]}: movements sum to {qty} "
                            "but there is no balance")
    return problems


# ------------------------------------------------------------------ the scans' two-bin moves (pick, move)

def _build_two_row_move(*, from_reserved: bool):
    """One UPDATE of a product's stock rows in two bins, locked in location-id order (the order
    _lock_levels takes): the source loses the units, the target gains them. `from_reserved`:
    the units were reserved at the source (a pick: its reserved count drops too); otherwise
    the source row changes only when its free stock covers them (a move)."""
    level = StockLevel.__table__
    is_source = level.c.location_id == bindparam("source")
    units = bindparam("units", type_=Integer)
    now = bindparam("now", type_=level.c.updated_at.type)
    locked = (select(level.c.id)
              .where(level.c.product_id == bindparam("product"),
                     level.c.location_id.in_([bindparam("source"), bindparam("target")]))
              .order_by(level.c.location_id).with_for_update())
    values = dict(
        on_hand=case((is_source, level.c.on_hand - units), else_=level.c.on_hand + units),
        first_in_at=case(
            (is_source, case((level.c.on_hand == units, None), else_=level.c.first_in_at)),
            ((level.c.on_hand == 0) | level.c.first_in_at.is_(None), now),
            else_=level.c.first_in_at),
        updated_at=now)
    change = update(level).where(level.c.id.in_(locked))
    if from_reserved:
        values["reserved"] = case((is_source, level.c.reserved - units), else_=level.c.reserved)
    else:
        change = change.where(~is_source | (level.c.on_hand - level.c.reserved >= units))
    return change.values(**values).returning(level.c.location_id), insert(StockMove.__table__)


_PICK_MOVE = None


def pick_move(product_id: int, source_id: int, target_id: int, qty: int, *, user_id: int | None,
              reference: str) -> None:
    """Pick qty reserved units from a bin to the packing area: the picking scan's movement.

    The same movement as move(..., reason=PICKED, from_reserved=qty), in two statements
    instead of about eight: one UPDATE of both stock rows that locks them in location-id
    order, and one INSERT of the movement. The caller has checked the locations (the bin and
    the active packing location) and the allocation the units are reserved for. A balance it
    would break (fewer reserved than picked) is refused by the database's check constraints,
    and reported as a sentence (the caller's transaction is then rolled back).
    """
    global _PICK_MOVE
    check_quantity(qty)
    if source_id == target_id:
        raise DomainError(_("The bin is the packing location: nothing to move."), code="same_location")
    if _PICK_MOVE is None:
        _PICK_MOVE = _build_two_row_move(from_reserved=True)
    change, add_move = _PICK_MOVE
    now = utcnow()
    params = {"product": product_id, "source": source_id, "target": target_id, "units": qty, "now": now}
    try:
        moved = {row[0] for row in db.session.execute(change, params)}
        if moved == {source_id}:
            # The packing location never held this product: make its row, then add to it.
            _insert_level(target_id, product_id)
            moved |= {row[0] for row in db.session.execute(change, {**params, "source": -1})}
    except IntegrityError:
        raise InsufficientStock(_("The stock of this bin does not match its reservations: ask a "
                                  "supervisor to count it.")) from None
    if moved != {source_id, target_id}:
        raise InsufficientStock(_("This bin holds none of the product any more: report it short."))
    db.session.execute(add_move, {
        "product_id": product_id, "quantity": qty, "from_location_id": source_id,
        "to_location_id": target_id, "reason": MoveReason.PICKED, "reference": reference,
        "note": None, "user_id": user_id, "created_at": now})



_MOVE_UNITS = None


def move_units(product_id: int, source_id: int, target_id: int, qty: int, *, reason: MoveReason,
               user_id: int | None, reference: str | None) -> None:
    """Move qty free units between two bins in two statements (a putaway or move scan).

    The same movement as move(), without loading the rows first: one UPDATE of both stock
    rows that locks them in location-id order and takes the units only from free stock, and
    one INSERT of the movement. The caller has checked the two locations (active, distinct,
    of a kind the units may go to) and the free stock in its read; a source that lost it
    since (another operator took it) is refused with a sentence, and the caller's
    transaction is rolled back.
    """
    global _MOVE_UNITS
    check_quantity(qty)
    if source_id == target_id:
        raise DomainError(_("The two locations are the same: nothing to move."), code="same_location")
    if _MOVE_UNITS is None:
        _MOVE_UNITS = _build_two_row_move(from_reserved=False)
    change, add_move = _MOVE_UNITS
    now = utcnow()
    params = {"product": product_id, "source": source_id, "target": target_id, "units": qty, "now": now}
    moved = {row[0] for row in db.session.execute(change, params)}
    if moved == {source_id}:
        # The target never held this product: make its row, then add to it.
        _insert_level(target_id, product_id)
        moved |= {row[0] for row in db.session.execute(change, {**params, "source": -1})}
    if moved != {source_id, target_id}:
        raise InsufficientStock(_("The stock of this bin changed while you scanned: scan again."))
    db.session.execute(add_move, {
        "product_id": product_id, "quantity": qty, "from_location_id": source_id,
        "to_location_id": target_id, "reason": reason, "reference": reference,
        "note": None, "user_id": user_id, "created_at": now})
