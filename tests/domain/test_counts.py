"""Cycle counts: blind counting, differences, supervisor approval through the ledger."""
import threading
import time

import pytest

from wms.db import db
from wms.domain.counts import services as counts
from wms.domain.counts.models import CountLine, CountStatus, LineStatus
from wms.domain.inventory import services as inventory
from wms.domain.inventory.models import MoveReason, StockMove
from wms.domain.locations.models import LocationKind
from wms.errors import Conflict, DomainError, PermissionDenied


@pytest.fixture
def bin_with_stock(make_location, make_product, make_user):
    loc = make_location("A-01-01-1")
    a, b = make_product("SKU-A"), make_product("SKU-B")
    inventory.receive(a, loc, 10)
    inventory.receive(b, loc, 4)
    loc.needs_count = True
    return loc, a, b


def test_location_count_with_difference_posts_only_after_approval(bin_with_stock, make_user):
    loc, a, b = bin_with_stock
    operator, supervisor = make_user("operator"), make_user("supervisor")
    task = counts.create_count(user=supervisor, location=loc)
    assert task.code == f"CNT-{task.id}"
    assert {line.product.sku for line in task.lines} == {"SKU-A", "SKU-B"}
    counts.record_count(task, loc, a, 6)
    counts.record_count(task, loc, a, 2)
    counts.submit_count(task, operator)  # SKU-B not scanned: counted as 0
    assert task.status is CountStatus.REVIEW
    by_sku = {line.product.sku: line for line in task.lines}
    assert (by_sku["SKU-A"].expected, by_sku["SKU-A"].counted, by_sku["SKU-A"].difference) == (10, 8, -2)
    assert by_sku["SKU-B"].difference == -4
    assert inventory.stock_at(a, loc).on_hand == 10  # nothing posted before approval
    with pytest.raises(PermissionDenied):
        counts.approve_count(task, operator)
    counts.approve_count(task, supervisor, "found damaged")
    assert task.status is CountStatus.DONE
    assert inventory.stock_at(a, loc).on_hand == 8
    assert inventory.stock_at(b, loc).on_hand == 0
    moves = db.session.query(StockMove).filter_by(reference=task.code).all()
    assert sorted(m.quantity for m in moves) == [2, 4]
    assert all(m.reason is MoveReason.COUNTED and m.user_id == supervisor.id for m in moves)
    assert loc.needs_count is False
    assert inventory.ledger_problems() == []


def test_matching_count_closes_without_posting(bin_with_stock, make_user):
    loc, a, b = bin_with_stock
    task = counts.create_count(user=make_user("supervisor"), location=loc)
    counts.record_count(task, loc, a, 10)
    counts.record_count(task, loc, b, 4)
    counts.submit_count(task, make_user("operator"))
    assert task.status is CountStatus.DONE
    assert all(line.status is LineStatus.MATCHED for line in task.lines)
    assert db.session.query(StockMove).filter_by(reason=MoveReason.COUNTED).count() == 0
    assert loc.needs_count is False


def test_found_product_adds_a_line_and_stock(bin_with_stock, make_product, make_user):
    loc, a, b = bin_with_stock
    c = make_product("SKU-C")
    sup = make_user("supervisor")
    task = counts.create_count(user=sup, location=loc)
    for product, qty in ((a, 10), (b, 4), (c, 3)):
        counts.record_count(task, loc, product, qty)
    counts.submit_count(task, sup)
    assert [line.product.sku for line in task.differences] == ["SKU-C"]
    counts.approve_count(task, sup)
    assert inventory.stock_at(c, loc).on_hand == 3


def test_product_count_refuses_other_products_and_wrong_state(bin_with_stock, make_user):
    loc, a, b = bin_with_stock
    sup = make_user("supervisor")
    task = counts.create_count(user=sup, product=a)
    with pytest.raises(DomainError, match="counts SKU-A only"):
        counts.record_count(task, loc, b, 1)
    with pytest.raises(Conflict, match="already counts"):
        counts.create_count(user=sup, product=a)
    with pytest.raises(Conflict):
        counts.approve_count(task, sup)  # still open
    with pytest.raises(DomainError, match="exactly one"):
        counts.create_count(user=sup, product=a, location=loc)


def test_approval_refused_when_stock_moved_since_count(bin_with_stock, make_location, make_user):
    loc, a, b = bin_with_stock
    other = make_location("A-01-02-1")
    sup = make_user("supervisor")
    task = counts.create_count(user=sup, location=loc)
    counts.record_count(task, loc, a, 9)
    counts.record_count(task, loc, b, 4)
    counts.submit_count(task, sup)
    inventory.move(a, loc, other, 1)
    with pytest.raises(Conflict, match="changed since the count"):
        counts.approve_count(task, sup)
    counts.reject_count(task, sup)
    assert task.status is CountStatus.OPEN
    assert all(line.counted is None for line in task.lines)


def test_handheld_flow_is_blind_and_checks_the_location(bin_with_stock, make_location, make_user):
    loc, a, b = bin_with_stock
    wrong = make_location("A-01-03-1")
    op, sup = make_user("operator"), make_user("supervisor")
    task = counts.create_count(user=sup, location=loc)
    view, message = counts.scan(op, task.code)
    assert view.task.id == task.id and "Counting" in message
    with pytest.raises(DomainError, match="Scan the location first"):
        counts.scan(op, a.main_barcode)
    with pytest.raises(DomainError, match="not A-01-03-1"):
        counts.scan(op, wrong.code)
    counts.scan(op, loc.code)
    view, message = counts.scan(op, a.main_barcode, 3)
    assert message == "SKU-A: 3 counted in A-01-01-1"
    view, message = counts.finish(op)
    assert view.task is None and "supervisor" in message
    assert task.status is CountStatus.REVIEW


def test_packing_areas_are_not_counted(make_location, make_user):
    pack = make_location("PACK-01", kind=LocationKind.PACKING)
    with pytest.raises(DomainError, match="packing area"):
        counts.create_count(user=make_user("supervisor"), location=pack)


def test_stock_moved_out_after_counting_is_not_turned_into_a_surplus(bin_with_stock, make_location,
                                                                      make_user):
    loc, a, b = bin_with_stock
    other = make_location("A-01-02-1")
    sup = make_user("supervisor")
    task = counts.create_count(user=sup, location=loc)
    counts.record_count(task, loc, a, 10)
    counts.record_count(task, loc, b, 4)
    inventory.move(a, loc, other, 2)  # after the count, before Finish: the bin really holds 8
    counts.submit_count(task, sup)
    by_sku = {line.product.sku: line for line in task.lines}
    assert (by_sku["SKU-A"].expected, by_sku["SKU-A"].counted) == (10, 10)
    assert task.status is CountStatus.DONE  # matched at the time of counting: nothing to post
    assert inventory.stock_at(a, loc).on_hand == 8
    assert db.session.query(StockMove).filter_by(reason=MoveReason.COUNTED).count() == 0


def test_handheld_takes_the_book_when_the_location_is_scanned(bin_with_stock, make_location, make_user):
    loc, a, b = bin_with_stock
    other = make_location("A-01-02-1")
    op, sup = make_user("operator"), make_user("supervisor")
    task = counts.create_count(user=sup, location=loc)
    counts.scan(op, task.code)
    counts.scan(op, loc.code)
    assert {line.product.sku: line.expected for line in task.lines} == {"SKU-A": 10, "SKU-B": 4}
    counts.scan(op, a.main_barcode, 10)
    counts.scan(op, b.main_barcode, 3)
    inventory.move(a, loc, other, 2)
    counts.finish(op)
    by_sku = {line.product.sku: line for line in task.lines}
    assert by_sku["SKU-A"].status is LineStatus.MATCHED and by_sku["SKU-A"].expected == 10
    assert by_sku["SKU-B"].difference == -1
    counts.approve_count(task, sup, "one missing")
    assert inventory.stock_at(a, loc).on_hand == 8  # the 2 moved out are not booked back
    assert inventory.stock_at(b, loc).on_hand == 3
    assert inventory.ledger_problems() == []


def test_approval_refused_when_stock_moved_after_submit(bin_with_stock, make_location, make_user):
    loc, a, b = bin_with_stock
    other = make_location("A-01-02-1")
    sup = make_user("supervisor")
    task = counts.create_count(user=sup, location=loc)
    counts.record_count(task, loc, a, 12)
    counts.record_count(task, loc, b, 4)
    counts.submit_count(task, sup)
    inventory.move(a, loc, other, 2)
    with pytest.raises(Conflict, match=r"books 10 then, 8 now"):
        counts.approve_count(task, sup)


@pytest.mark.postgresql
def test_approval_waits_for_a_concurrent_pick_and_refuses(app, bin_with_stock, make_location, make_user):
    loc, a, b = bin_with_stock
    other = make_location("A-01-02-1")
    sup = make_user("supervisor")
    task = counts.create_count(user=sup, location=loc)
    counts.record_count(task, loc, a, 12)
    counts.record_count(task, loc, b, 4)
    counts.submit_count(task, sup)
    db.session.commit()
    ids = {"a": a.id, "loc": loc.id, "other": other.id}
    locked, errors = threading.Event(), []

    def picker():
        with app.app_context():
            try:
                inventory.move(ids["a"], ids["loc"], ids["other"], 2)  # holds the bin's row lock
                locked.set()
                time.sleep(0.7)  # the approval reaches the lock meanwhile
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(repr(exc))
                locked.set()
            finally:
                db.session.remove()

    thread = threading.Thread(target=picker)
    thread.start()
    assert locked.wait(10)
    with pytest.raises(Conflict, match="changed since the count"):
        counts.approve_count(task, sup)  # blocks until the pick commits, then sees 8
    db.session.rollback()
    thread.join(10)
    assert errors == []
    assert inventory.stock_at(ids["a"], ids["loc"]).on_hand == 8
    assert inventory.ledger_problems() == []


@pytest.mark.postgresql
def test_operators_counting_one_task_at_once_lose_no_units(app, bin_with_stock, make_product, make_user):
    loc, a, b = bin_with_stock
    found = make_product("SKU-FOUND")  # no line yet: every counter creates it at once
    task = counts.create_count(user=make_user("supervisor"), location=loc)
    counters = [make_user("operator") for _ in range(4)]
    db.session.commit()
    task_id, loc_code = task.id, loc.code
    codes = [a.main_barcode, found.main_barcode]
    user_ids = [u.id for u in counters]
    barrier, errors = threading.Barrier(len(user_ids)), []
    scans = 12

    def counter(user_id):
        from wms.domain.users.models import User

        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                counts.scan(user, f"CNT-{task_id}")
                counts.scan(user, loc_code)
                db.session.commit()
                barrier.wait()
                for i in range(scans):
                    counts.scan(user, codes[i % 2])
                    db.session.commit()
            except Exception as exc:  # lost locks or duplicate lines land here
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=counter, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.expire_all()
    rows = db.session.query(CountLine).filter_by(task_id=task_id).all()
    by_sku = {}
    for line in rows:
        by_sku.setdefault(line.product.sku, []).append(line.counted)
    assert by_sku == {"SKU-A": [len(user_ids) * scans // 2], "SKU-B": [None],
                      "SKU-FOUND": [len(user_ids) * scans // 2]}
