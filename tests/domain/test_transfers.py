"""Transfers between sites (issue 14 item 3): each step a ledger movement, the ledger balanced
at every step, in-transit stock neither sellable nor allocatable, short and over receipts."""
import threading

import pytest
from sqlalchemy import select

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.inventory.snapshot import stock_by_warehouse
from wms.domain.locations.models import Location, LocationKind
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.picking.allocation import allocate_orders
from wms.domain.transfers import services as transfers
from wms.domain.transfers.models import TransferStatus
from wms.errors import DomainError


def _ledger_ok(app):
    db.session.flush()
    assert inventory.ledger_problems() == []
    assert transfers.transit_problems() == []


@pytest.fixture
def sites(app, make_warehouse, make_location, make_product):
    paris = make_warehouse("PAR", "Paris")
    lyon = make_warehouse("LYO", "Lyon")
    bins = [Location(warehouse_id=paris.id, code="A-01-01-1", kind=LocationKind.STORAGE, walk_sequence=2),
            Location(warehouse_id=paris.id, code="A-01-02-1", kind=LocationKind.PICK_FACE, walk_sequence=1)]
    pack = Location(warehouse_id=paris.id, code="PACK-PAR", kind=LocationKind.PACKING)
    db.session.add_all([*bins, pack])
    for code, kind in (("DOCK-LYO", LocationKind.RECEIVING), ("PACK-LYO", LocationKind.PACKING),
                       ("L-01-01-1", LocationKind.STORAGE)):
        db.session.add(Location(warehouse_id=lyon.id, code=code, kind=kind))
    tee, mug = make_product("TEE-1"), make_product("MUG-1")
    inventory.receive(tee, bins[0], 8)
    inventory.receive(tee, bins[1], 4)
    inventory.receive(mug, bins[0], 5)
    db.session.commit()
    return {"paris": paris, "lyon": lyon, "bins": bins, "pack": pack, "tee": tee, "mug": mug}


def _on_hand(code, product):
    level = inventory.stock_at(product, db.session.execute(select(Location).where(Location.code == code)).scalar_one())
    return (level.on_hand, level.reserved) if level else (0, 0)


def test_transfer_end_to_end_keeps_the_ledger_balanced(app, sites):
    s = sites
    tr = transfers.create_transfer("PAR", "LYO", transfers.parse_lines("TEE-1 10\nmug-1 3\nTEE-1 1"))
    assert tr.code.startswith("TR-") and tr.status is TransferStatus.DRAFT
    assert {ln.product.sku: ln.requested for ln in tr.lines} == {"TEE-1": 11, "MUG-1": 3}
    _ledger_ok(app)

    transfers.release(tr)
    assert tr.status is TransferStatus.RELEASED
    # Storage first (bulk), then the pick face; the pick list in walking order.
    assert _on_hand("A-01-01-1", s["tee"]) == (8, 8) and _on_hand("A-01-02-1", s["tee"]) == (4, 3)
    assert [r.location.code for r in transfers.pick_list(tr)][0] == "A-01-02-1"
    _ledger_ok(app)

    transfers.pick(tr, "a-01-01-1", "TEE-1", 8)
    assert tr.status is TransferStatus.PICKING and _on_hand("PACK-PAR", s["tee"]) == (8, 0)
    transfers.pick_all(tr)
    assert tr.picked_total == 14
    _ledger_ok(app)

    assert transfers.ship(tr, tracking="TRUCK-7") == 14
    assert tr.status is TransferStatus.SHIPPED and tr.in_transit_total == 14
    assert _on_hand("TRANSIT-LYO", s["tee"]) == (11, 0) and _on_hand("PACK-PAR", s["tee"]) == (0, 0)
    _ledger_ok(app)
    db.session.commit()

    transfers.receive(tr, "TEE-1", 11)
    transfers.receive(tr, "MUG-1", 3)
    assert tr.status is TransferStatus.RECEIVED and tr.received_total == 14
    assert _on_hand("DOCK-LYO", s["tee"]) == (11, 0) and _on_hand("TRANSIT-LYO", s["tee"]) == (0, 0)
    _ledger_ok(app)
    reasons = [m.reason for m in db.session.execute(
        select(StockMove).where(StockMove.reference == tr.code).order_by(StockMove.id)).scalars()]
    assert reasons.count(MoveReason.PICKED) == 3
    assert reasons.count(MoveReason.TRANSFER_OUT) == 2 and reasons.count(MoveReason.TRANSFER_IN) == 2
    db.session.commit()
    from wms.cli import check_ledger

    result = app.test_cli_runner().invoke(check_ledger, [])
    assert result.exit_code == 0 and "ledger ok" in result.output


def test_in_transit_is_neither_sellable_nor_allocatable(app, sites):
    s = sites
    tr = transfers.create_transfer(s["paris"], s["lyon"], [("TEE-1", 12)])
    transfers.release(tr)
    transfers.pick_all(tr)
    transfers.ship(tr)
    # The stock pushed to the shop does not count it either.
    from wms.integrations.prestashop.sync import available_quantities

    assert available_quantities([s["tee"]], {}) == {s["tee"].id: 0}
    order = Order(reference="O-1")
    order.lines.append(OrderLine(line_no=1, product_id=s["tee"].id, sku="TEE-1", name="Tee", quantity=1))
    db.session.add(order)
    db.session.flush()
    allocate_orders()
    assert order.status is OrderStatus.BACKORDERED
    rows = {r.warehouse: r for r in db.session.execute(stock_by_warehouse([s["tee"].id]))}
    assert rows["LYO"].on_hand == 12 and rows["LYO"].available == 0
    from wms.integrations.prestashop.sync import UNSELLABLE_KINDS

    assert LocationKind.TRANSIT in UNSELLABLE_KINDS
    # Nor moved by hand: the in-transit location is no scannable bin.
    from wms.domain.inventory import moving

    moves = db.session.query(StockMove).count()
    with pytest.raises(DomainError):
        moving.scan(_user(), "TRANSIT-LYO")
    assert db.session.query(StockMove).count() == moves


def _user():
    from wms.domain.users.models import Role, User

    user = User(username="mover", name="Mover", role=Role.OPERATOR, badge_code="BADGE-MOVER")
    user.set_password("password-123")
    user.set_pin("1234")
    db.session.add(user)
    db.session.flush()
    return user


def test_short_receipt_is_written_off_with_a_note(app, sites):
    s = sites
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 10)])
    transfers.release(tr)
    transfers.pick_all(tr)
    transfers.ship(tr)
    transfers.receive(tr, "TEE-1", 7)
    assert tr.status is TransferStatus.SHIPPED and tr.in_transit_total == 3
    with pytest.raises(DomainError, match="note is required"):
        transfers.close_short(tr, note="  ")
    assert transfers.close_short(tr, note="pallet crushed") == 3
    assert tr.status is TransferStatus.CLOSED and tr.lost_total == 3
    assert "TEE-1: 3 of 10 missing" in tr.discrepancy
    loss = db.session.execute(select(StockMove).where(StockMove.reason == MoveReason.TRANSFER_LOSS)).scalar_one()
    assert loss.quantity == 3 and loss.note == "pallet crushed" and loss.to_location_id is None
    assert _on_hand("TRANSIT-LYO", s["tee"]) == (0, 0)
    _ledger_ok(app)


def test_over_receipt_and_second_ship_or_receive_are_refused(app, sites):
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 5)])
    transfers.release(tr)
    transfers.pick_all(tr)
    transfers.ship(tr)
    moves = db.session.query(StockMove).count()
    with pytest.raises(DomainError, match="Only 5 of TEE-1 are still in transit"):
        transfers.receive(tr, "TEE-1", 6)
    with pytest.raises(DomainError, match="was not shipped"):
        transfers.receive(tr, "MUG-1", 1)
    with pytest.raises(DomainError, match="cannot be shipped"):
        transfers.ship(tr)
    transfers.receive(tr, "TEE-1", 5)
    with pytest.raises(DomainError, match="nothing more can be received"):
        transfers.receive(tr, "TEE-1", 1)
    with pytest.raises(DomainError, match="only a draft"):
        transfers.release(tr)
    with pytest.raises(DomainError, match="no longer be cancelled"):
        transfers.cancel(tr)
    assert db.session.query(StockMove).count() == moves + 1
    _ledger_ok(app)


def test_release_short_changes_nothing_and_cancel_puts_back(app, sites):
    s = sites
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 13)])
    with pytest.raises(DomainError, match=r"TEE-1: 1 of 13 missing"):
        transfers.release(tr)
    # Nothing was reserved, even before the caller rolls back.
    assert _on_hand("A-01-01-1", s["tee"]) == (8, 0) and tr.status is TransferStatus.DRAFT
    db.session.rollback()
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 9)])
    transfers.release(tr)
    transfers.pick(tr, "A-01-01-1", "TEE-1", 5)
    with pytest.raises(DomainError, match="Too many"):
        transfers.pick(tr, "A-01-01-1", "TEE-1", 4)
    with pytest.raises(DomainError, match="follow the pick list"):
        transfers.pick(tr, "A-01-01-1", "MUG-1", 1)
    transfers.cancel(tr)
    assert tr.status is TransferStatus.CANCELLED
    assert _on_hand("A-01-01-1", s["tee"]) == (8, 0) and _on_hand("A-01-02-1", s["tee"]) == (4, 0)
    assert _on_hand("PACK-PAR", s["tee"]) == (0, 0)
    _ledger_ok(app)


@pytest.mark.parametrize("lines, pattern", [
    ([("NOPE", 1)], "No product has the SKU NOPE"),
    ([("TEE-1", 0)], "above zero"),
    ([("TEE-1", -3)], "above zero"),
    ([("TEE-1", 10**9)], "too large"),
    ([], "at least one line"),
])
def test_bad_lines_are_refused(app, sites, lines, pattern):
    with pytest.raises(DomainError, match=pattern):
        transfers.create_transfer("PAR", "LYO", lines)


def test_same_site_and_unknown_site_are_refused(app, sites):
    with pytest.raises(DomainError, match="both the source and the destination"):
        transfers.create_transfer("PAR", "par", [("TEE-1", 1)])
    with pytest.raises(DomainError, match="no warehouse NOWHERE"):
        transfers.create_transfer("PAR", "NOWHERE", [("TEE-1", 1)])
    with pytest.raises(DomainError, match="Line 1"):
        transfers.parse_lines("TEE-1 two")


@pytest.mark.postgresql
def test_release_and_order_allocation_never_over_reserve(app, sites):
    """A transfer released while an order allocates the same stock: together they never
    reserve more than is on hand, and one of them waits for stock."""
    s = sites
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 10)])
    order = Order(reference="O-RACE")
    order.lines.append(OrderLine(line_no=1, product_id=s["tee"].id, sku="TEE-1", name="Tee", quantity=10))
    db.session.add(order)
    db.session.commit()
    tr_id, order_id = tr.id, order.id
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def run(which):
        with app.app_context():
            barrier.wait()
            try:
                if which == "transfer":
                    transfers.release(transfers.get_transfer(tr_id, lock=True))
                    results[which] = "released"
                else:
                    report = allocate_orders([order_id])
                    results[which] = "allocated" if report.allocated else "backordered"
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                results[which] = exc.code
            except Exception as exc:  # a deadlock or a broken constraint would land here
                db.session.rollback()
                errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=run, args=(w,)) for w in ("transfer", "order")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    # 12 on hand: both cannot get 10.
    assert sorted(results.values()) in (["backordered", "released"], ["allocated", "transfer_short"])
    db.session.expire_all()
    assert inventory.ledger_problems() == []
    total_reserved = sum(lvl.reserved for lvl in db.session.query(inventory.StockLevel))
    assert total_reserved <= 12


@pytest.mark.postgresql
def test_two_ships_at_once_ship_once(app, sites):
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 6)])
    transfers.release(tr)
    transfers.pick_all(tr)
    db.session.commit()
    tr_id = tr.id
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                transfers.ship(transfers.get_transfer(tr_id, lock=True))
                db.session.commit()
                outcomes.append("shipped")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            except Exception as exc:
                db.session.rollback()
                errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and sorted(outcomes) == ["shipped", "transfer_status"]
    db.session.expire_all()
    assert db.session.query(StockMove).filter_by(reason=MoveReason.TRANSFER_OUT).count() == 1
    _ledger_ok(app)


@pytest.mark.postgresql
def test_shipping_while_an_order_allocates_the_same_stock(app, sites):
    """Shipping releases the units reserved and not picked while an order allocates from the
    same bin: whichever goes first, the reservations on the stock rows are exactly the open
    parts of the order's allocations and of the transfer's reservations."""
    from wms.domain.picking.models import Allocation
    from wms.domain.transfers.models import TransferReservation

    s = sites
    tr = transfers.create_transfer("PAR", "LYO", [("TEE-1", 10)])
    transfers.release(tr)  # 8 in storage, 2 of the 4 on the pick face
    transfers.pick(tr, "A-01-01-1", "TEE-1", 8)
    order = Order(reference="O-SHIP-RACE")
    order.lines.append(OrderLine(line_no=1, product_id=s["tee"].id, sku="TEE-1", name="Tee", quantity=4))
    db.session.add(order)
    db.session.commit()
    tr_id, order_id = tr.id, order.id
    barrier = threading.Barrier(2)
    errors = []

    def run(which):
        with app.app_context():
            barrier.wait()
            try:
                if which == "ship":
                    transfers.ship(transfers.get_transfer(tr_id, lock=True))
                else:
                    allocate_orders([order_id])
                db.session.commit()
            except Exception as exc:  # neither may fail: a deadlock or a constraint would land here
                db.session.rollback()
                errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=run, args=(w,)) for w in ("ship", "order")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.expire_all()
    face = db.session.execute(select(Location).where(Location.code == "A-01-02-1")).scalar_one()
    level = inventory.stock_at(s["tee"], face)
    allocated = sum(a.quantity - a.picked for a in db.session.query(Allocation).filter_by(location_id=face.id))
    held = sum(r.quantity - r.picked for r in db.session.query(TransferReservation).filter_by(location_id=face.id))
    assert held == 0 and level.reserved == allocated and allocated in (2, 4)
    assert transfers.get_transfer(tr_id).status is TransferStatus.SHIPPED
    _ledger_ok(app)
