"""Picking: walking order, scans refused with reasons, short picks, pause and resume."""
import pytest

from wms.db import db
from wms.domain.inventory import services as inventory
from wms.domain.locations.models import LocationKind
from wms.domain.orders.models import Order, OrderLine, OrderStatus
from wms.domain.picking import services as picking
from wms.domain.picking.allocation import allocate_orders
from wms.domain.picking.models import PickListKind, PickListStatus
from wms.errors import DomainError


@pytest.fixture
def floor(app, make_location, make_product, make_user):
    """Two products, three bins, a packing bench and two operators."""
    f = type("Floor", (), {})()
    f.pack = make_location("PACK-01", kind=LocationKind.PACKING)
    f.far = make_location("A-05-19-1", kind=LocationKind.PICK_FACE)
    f.near = make_location("A-01-02-1", kind=LocationKind.PICK_FACE)
    f.store = make_location("B-07-01-2", kind=LocationKind.STORAGE)
    f.p1, f.p2 = make_product("P-1"), make_product("P-2")
    inventory.receive(f.p1, f.far, 5)
    inventory.receive(f.p1, f.store, 5)
    inventory.receive(f.p2, f.near, 1)
    f.olga, f.omar = make_user("operator"), make_user("operator")
    return f


def order(*lines):
    o = Order(reference="T")
    for n, (p, q) in enumerate(lines, start=1):
        o.lines.append(OrderLine(line_no=n, product_id=p.id, sku=p.sku, name=p.name, quantity=q))
    db.session.add(o)
    db.session.flush()
    return o


def test_single_order_picked_in_walking_order(floor):
    o = order((floor.p1, 2), (floor.p2, 1))
    allocate_orders()
    pl = picking.create_pick_list([o.id])
    assert [a.location.code for a in pl.allocations] == ["A-01-02-1", "A-05-19-1"]
    with pytest.raises(DomainError, match="not on a pick list|already on a pick list"):
        picking.create_pick_list([o.id])
    u = floor.olga
    picking.scan(u, pl.code)
    with pytest.raises(DomainError, match="Scan the location A-01-02-1 first"):
        picking.scan(u, floor.p2.main_barcode)
    with pytest.raises(DomainError, match="Wrong location"):
        picking.scan(u, "A-05-19-1")
    picking.scan(u, "A-01-02-1")
    with pytest.raises(DomainError, match="Wrong product"):
        picking.scan(u, floor.p1.main_barcode)
    with pytest.raises(DomainError, match="Too many"):
        picking.scan(u, floor.p2.main_barcode, 2)
    picking.scan(u, floor.p2.main_barcode)
    picking.scan(u, "A-05-19-1")
    view, message = picking.scan(u, floor.p1.main_barcode, 2)
    assert view.line is None and pl.status is PickListStatus.DONE and o.status is OrderStatus.PICKED
    assert inventory.stock_at(floor.p1, floor.pack).on_hand == 2
    assert inventory.stock_at(floor.p1, floor.far).reserved == 0
    with pytest.raises(DomainError):
        picking.scan(u, floor.p1.main_barcode)  # twice: the list is done
    assert inventory.ledger_problems() == []


def test_batch_totes_wrong_tote_and_short_picks(floor):
    a, b = order((floor.p1, 3)), order((floor.p2, 1))
    allocate_orders()
    pl = picking.create_pick_list([a.id, b.id], kind=PickListKind.BATCH)
    u = floor.olga
    picking.scan(u, pl.code)
    with pytest.raises(DomainError, match="empty tote"):
        picking.scan(u, "A-01-02-1")
    picking.scan(u, "TOTE-001")
    with pytest.raises(DomainError, match="already holds"):
        picking.scan(u, "TOTE-001")
    picking.scan(u, "TOTE-002")
    picking.scan(u, "A-01-02-1")
    # The bin for P-2 is empty: nothing else holds P-2, so the line is short.
    view, message, resolved = picking.short_pick(u)
    assert "not available anywhere" in message and floor.near.needs_count
    assert any(e.kind == "short_pick" for e in b.events)
    assert view.line.location.code == "A-05-19-1"
    picking.scan(u, "A-05-19-1")
    picking.scan(u, floor.p1.main_barcode)
    with pytest.raises(DomainError, match="Wrong tote"):
        picking.scan(u, "TOTE-002")
    picking.scan(u, "TOTE-001")
    # Short at A-05-19-1: the other 2 come from storage.
    view, message, resolved = picking.short_pick(u)
    assert "2 from B-07-01-2" in message and view.line.location.code == "B-07-01-2"
    picking.scan(u, "B-07-01-2")
    picking.scan(u, floor.p1.main_barcode, 2)
    picking.scan(u, "TOTE-001")
    assert pl.status is PickListStatus.DONE
    assert a.status is OrderStatus.PICKED and b.status is OrderStatus.BACKORDERED
    assert a.lines[0].quantity_picked == 3 and inventory.ledger_problems() == []


def test_pause_resume_and_one_operator_at_a_time(floor):
    o = order((floor.p1, 2))
    allocate_orders()
    pl = picking.create_pick_list([o.id])
    picking.scan(floor.olga, pl.code)
    with pytest.raises(DomainError, match="being picked by"):
        picking.scan(floor.omar, pl.code)
    with pytest.raises(DomainError, match="only they"):
        picking.pause_pick_list(pl, floor.omar)
    picking.scan(floor.olga, "A-05-19-1")
    picking.pause_pick_list(pl, floor.olga)
    with pytest.raises(DomainError, match="paused or taken over|Scan a pick list"):
        picking.scan(floor.olga, floor.p1.main_barcode)
    picking.scan(floor.omar, pl.code)
    with pytest.raises(DomainError, match="Scan the location"):
        picking.scan(floor.omar, floor.p1.main_barcode)
    picking.scan(floor.omar, "A-05-19-1")
    picking.scan(floor.omar, floor.p1.main_barcode, 2)
    assert pl.status is PickListStatus.DONE


def test_wave_by_carrier_and_pdf_data(floor):
    from wms.domain.shipping.models import Carrier
    from wms.labels.documents import pick_list_pdf
    c = Carrier(code="C1", name="C one")
    db.session.add(c)
    db.session.flush()
    a, b = order((floor.p1, 1)), order((floor.p1, 1))
    a.carrier_id = c.id
    allocate_orders()
    with pytest.raises(DomainError, match="No allocated orders"):
        picking.release_wave(carrier_id=c.id + 99)
    wave = picking.release_wave(carrier_id=c.id)
    assert [plo.order_id for plo in wave.orders] == [a.id] and wave.kind is PickListKind.WAVE
    data = picking.pick_list_document(wave)
    assert data["lines"][0]["location"] == "A-05-19-1"
    assert pick_list_pdf(data).startswith(b"%PDF")


def test_a_cancelled_order_leaves_its_pick_list_and_is_not_allocated_again(floor):
    from wms.domain.orders.services import cancel_order

    a, b = order((floor.p1, 1)), order((floor.p2, 1))
    allocate_orders()
    pl = picking.create_pick_list([a.id, b.id], kind=PickListKind.BATCH)
    u = floor.olga
    picking.scan(u, pl.code)
    picking.scan(u, "TOTE-001")
    picking.scan(u, "TOTE-002")
    cancel_order(b, "customer changed their mind")
    assert [plo.order_id for plo in pl.orders] == [a.id]
    view = picking.current(u)
    assert view.line.order_id == a.id
    picking.scan(u, "A-05-19-1")
    picking.scan(u, floor.p1.main_barcode)
    picking.scan(u, "TOTE-001")
    assert pl.status is PickListStatus.DONE
    assert a.status is OrderStatus.PICKED and b.status is OrderStatus.CANCELLED
    allocate_orders()
    assert b.status is OrderStatus.CANCELLED and b.lines[0].quantity_allocated == 0
    assert inventory.ledger_problems() == []


def test_cancelling_the_only_order_of_a_list_ends_the_list(floor):
    from wms.domain.orders.services import cancel_order

    o = order((floor.p1, 2))
    allocate_orders()
    pl = picking.create_pick_list([o.id])
    picking.scan(floor.olga, pl.code)
    cancel_order(o, "fraud")
    assert pl.status is PickListStatus.CANCELLED and pl not in picking.open_pick_lists()
    assert inventory.stock_at(floor.p1, floor.far).reserved == 0


def test_a_hold_during_picking_is_kept_and_its_lines_are_skipped(floor):
    from wms.domain.orders.services import hold_order, release_order

    a, b = order((floor.p2, 1)), order((floor.p1, 2))
    allocate_orders()
    pl = picking.create_pick_list([a.id, b.id], kind=PickListKind.BATCH)
    u = floor.olga
    picking.scan(u, pl.code)
    picking.scan(u, "TOTE-001")
    picking.scan(u, "TOTE-002")
    picking.scan(u, "A-01-02-1")  # a's line
    hold_order(a, "address check")
    with pytest.raises(DomainError, match=rf"SO-{a.id} is on hold: leave its items, go to the next "
                                          r"line \(A-05-19-1\)") as refused:
        picking.scan(u, floor.p2.main_barcode)
    assert refused.value.code == "order_stopped"
    picking.scan(u, "A-05-19-1")
    picking.scan(u, floor.p1.main_barcode, 2)
    picking.scan(u, "TOTE-002")
    assert pl.status is PickListStatus.DONE and b.status is OrderStatus.PICKED
    assert a.status is OrderStatus.ON_HOLD and a.hold_reason == "address check"
    assert a.lines[0].quantity_picked == 0
    release_order(a)
    # Still reserved in its bin: it goes on a new list.
    assert a.status is OrderStatus.ALLOCATED and a in picking.pickable_orders()
    assert inventory.stock_at(floor.p2, floor.near).reserved == 1


@pytest.mark.postgresql
def test_two_pickers_cannot_take_the_same_tote_at_once(app, floor):
    import threading
    import time

    from wms.domain.users.models import User

    lists = []
    for _ in range(2):
        a, b = order((floor.p1, 1)), order((floor.p1, 1))
        allocate_orders([a.id, b.id])
        lists.append(picking.create_pick_list([a.id, b.id], kind=PickListKind.BATCH))
    picking.scan(floor.olga, lists[0].code)
    picking.scan(floor.omar, lists[1].code)
    db.session.commit()
    user_ids = [floor.olga.id, floor.omar.id]
    first_took_it = threading.Event()
    results = {}

    def take(n):
        with app.app_context():
            try:
                if n == 1:
                    first_took_it.wait(10)
                picking.scan(db.session.get(User, user_ids[n]), "TOTE-001")
                if n == 0:
                    first_took_it.set()
                    time.sleep(0.5)  # the other picker scans the same tote meanwhile
                db.session.commit()
                results[n] = "took it"
            except DomainError as exc:
                db.session.rollback()
                results[n] = exc.code
            finally:
                first_took_it.set()
                db.session.remove()

    threads = [threading.Thread(target=take, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {0: "took it", 1: "tote_in_use"}
