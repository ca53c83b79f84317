"""The inventory service: movements, reservations, invariants, and refusals that change nothing."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from wms.db import db
from wms.domain.inventory import services as inv
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove
from wms.errors import DomainError, InsufficientStock, InvalidQuantity, NotFound


@pytest.fixture
def bins(make_location, make_product):
    return make_location("A-01-01-1"), make_location("A-01-02-1"), make_product("TSH-1")


def moves_count():
    return db.session.query(StockMove).count()


def test_receive_move_remove_keep_balances_and_ledger(bins, make_user):
    a, b, product = bins
    user = make_user("operator")
    inv.receive(product, a, 10, user=user, reference="RCV-1")
    inv.move(product, a, b, 4, user=user, reason=MoveReason.PUTAWAY)
    inv.remove(product, b, 1, reason=MoveReason.SHIPPED, user=user, reference="SO-1")
    assert inv.stock_at(product, a).on_hand == 6
    assert inv.stock_at(product, b).on_hand == 3
    moves = db.session.query(StockMove).order_by(StockMove.id).all()
    assert [(m.reason, m.quantity, m.from_location_id, m.to_location_id) for m in moves] == [
        (MoveReason.RECEIVED, 10, None, a.id), (MoveReason.PUTAWAY, 4, a.id, b.id),
        (MoveReason.SHIPPED, 1, b.id, None)]
    assert all(m.user_id == user.id for m in moves)
    assert inv.ledger_problems() == []


def test_reserve_release_and_pick_consume_reservation(bins, make_location):
    a, _, product = bins
    pack = make_location("PACK-01")
    inv.receive(product, a, 5)
    inv.reserve(product, a, 3)
    with pytest.raises(InsufficientStock):
        inv.reserve(product, a, 3)  # only 2 free
    with pytest.raises(InsufficientStock, match="promised to orders"):
        inv.move(product, a, pack, 3)  # 3 of the 5 are promised: a plain move may take 2
    inv.move(product, a, pack, 2, from_reserved=2, reason=MoveReason.PICKED)
    level = inv.stock_at(product, a)
    assert (level.on_hand, level.reserved) == (3, 1)
    inv.release(product, a, 1)
    with pytest.raises(InsufficientStock):
        inv.release(product, a, 1)
    assert inv.stock_at(product, a).reserved == 0
    assert inv.ledger_problems() == []


@pytest.mark.parametrize("qty", [0, -1, 1.5, "3", None, True, 10**7])
def test_bad_quantities_are_refused_and_change_nothing(bins, qty):
    a, b, product = bins
    inv.receive(product, a, 5)
    before = moves_count()
    with pytest.raises(InvalidQuantity):
        inv.move(product, a, b, qty)
    with pytest.raises(InvalidQuantity):
        inv.receive(product, a, qty)
    with pytest.raises(InvalidQuantity):
        inv.reserve(product, a, qty)
    assert moves_count() == before
    assert inv.stock_at(product, a).on_hand == 5


def test_unknown_product_or_location_is_refused(bins):
    a, b, product = bins
    with pytest.raises(NotFound, match="Unknown product"):
        inv.receive(999_999, a, 1)
    with pytest.raises(NotFound, match="Unknown location"):
        inv.receive(product, 999_999, 1)
    with pytest.raises(NotFound):
        inv.move(product, a, "A-09-09-9", 1)  # codes are looked up by the web layer, not here
    assert moves_count() == 0


def test_moving_more_than_is_there_is_refused(bins):
    a, b, product = bins
    inv.receive(product, a, 2)
    with pytest.raises(InsufficientStock, match="holds 2"):
        inv.move(product, a, b, 3)
    with pytest.raises(InsufficientStock):
        inv.remove(product, b, 1, reason=MoveReason.SHIPPED)
    assert inv.stock_at(product, a).on_hand == 2
    assert moves_count() == 1


def test_same_source_and_destination_is_refused(bins):
    a, _, product = bins
    inv.receive(product, a, 2)
    with pytest.raises(DomainError, match="both the source and the destination"):
        inv.move(product, a, a, 1)


def test_adjustments_and_counts_need_a_reason(bins):
    a, _, product = bins
    inv.receive(product, a, 5)
    for note in ("", "   ", None):
        with pytest.raises(DomainError, match="reason is required"):
            inv.adjust(product, a, -1, note=note)
        with pytest.raises(DomainError, match="reason is required"):
            inv.set_counted(product, a, 4, note=note)
    with pytest.raises(InvalidQuantity):
        inv.adjust(product, a, 0, note="nothing")
    inv.adjust(product, a, -2, note="crushed by a forklift")
    assert inv.set_counted(product, a, 3, note="cycle count") is None  # matched
    posting = inv.set_counted(product, a, 7, note="cycle count")
    assert posting.move.reason is MoveReason.COUNTED and posting.move.quantity == 4
    assert inv.stock_at(product, a).on_hand == 7
    assert inv.ledger_problems() == []


def test_count_below_reserved_is_refused(bins):
    a, _, product = bins
    inv.receive(product, a, 5)
    inv.reserve(product, a, 4)
    with pytest.raises(InsufficientStock, match="promised to orders"):
        inv.set_counted(product, a, 2, note="count")


def test_parse_quantity_from_the_web():
    assert inv.parse_quantity(" 12 ") == 12
    for raw in ("", "abc", "-3", "1.5", "0", "1e3", None, "²", "①", "１２"):
        with pytest.raises(InvalidQuantity):
            inv.parse_quantity(raw)
    assert inv.parse_quantity("0", allow_zero=True) == 0


def test_the_ledger_is_append_only_in_the_database(bins):
    a, _, product = bins
    inv.receive(product, a, 1)
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE stock_move SET quantity = 5"))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM stock_move"))
    db.session.rollback()
    assert db.session.query(StockMove).one().quantity == 1


def test_the_database_refuses_broken_balances(bins):
    """Even code that bypasses the service cannot store a negative or over-reserved balance."""
    a, _, product = bins
    inv.receive(product, a, 1)
    db.session.commit()
    for sql in ("UPDATE stock_level SET on_hand = -1, reserved = 0",
                "UPDATE stock_level SET reserved = 2"):
        with pytest.raises(IntegrityError):
            db.session.execute(text(sql))
            db.session.flush()
        db.session.rollback()
    assert db.session.query(StockLevel).one().on_hand == 1


def test_ledger_problems_reports_a_balance_that_disagrees(bins):
    a, _, product = bins
    inv.receive(product, a, 3)
    db.session.execute(text("UPDATE stock_level SET on_hand = 4"))
    problems = inv.ledger_problems()
    assert len(problems) == 1 and "movements sum to 3" in problems[0]
