"""Returns in the domain: announce, find by scan, grade each unit into the ledger, close."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from wms.db import db, utcnow
from wms.domain.inventory.models import MoveReason, StockLevel, StockMove
from wms.domain.inventory.services import ledger_problems, remove, receive
from wms.domain.locations.models import Location
from wms.domain.returns import services as returns
from wms.domain.returns.models import ReturnStatus
from wms.errors import DomainError
from tests.returns_helpers import shipped_order


def _stock(code, product):
    loc = db.session.execute(select(Location).where(Location.code == code)).scalar_one()
    level = db.session.execute(select(StockLevel).where(StockLevel.location_id == loc.id,
                                                        StockLevel.product_id == product.id)).scalar_one_or_none()
    return level.on_hand if level else 0


def test_an_announced_return_is_received_graded_and_closed_short(app, make_product, make_location, make_user):
    order, (shirt, cap) = shipped_order(make_product, make_location)
    user = make_user("operator")
    ret = returns.create_return(order, {order.lines[0].id: 2, order.lines[1].id: 1}, source="desk", user=user)
    assert ret.status is ReturnStatus.EXPECTED and ret.announced_total == 3

    view, message = returns.scan(user, ret.code)
    assert view.code == ret.code and "scan each item" in message
    view, message = returns.scan(user, shirt.main_barcode)
    assert view.pending_sku == shirt.sku and "scanned: press 1-4" in message
    # A second item before the first has its condition is refused.
    with pytest.raises(DomainError, match="condition of"):
        returns.scan(user, cap.main_barcode)
    view, message = returns.scan(user, "1")
    assert "sellable: to RETN-01" in message and view.lines[0].received == 1
    returns.scan(user, shirt.main_barcode)
    view, message = returns.scan(user, "2")
    assert "damaged: to QUAR-01" in message
    assert _stock("RETN-01", shirt) == 1 and _stock("QUAR-01", shirt) == 1

    view, message = returns.close(user)
    assert "discrepancy" in message and f"{cap.sku} × 1" in message
    assert ret.status is ReturnStatus.RECEIVED and ret.discrepancy == f"{cap.sku} × 1"
    moves = db.session.execute(select(StockMove).where(StockMove.reason == MoveReason.RETURNED)).scalars().all()
    assert [(m.quantity, m.reference) for m in moves] == [(1, ret.code), (1, ret.code)]
    assert all(order.reference in m.note for m in moves)
    assert ledger_problems() == []
    assert ret.waiting_for_refund and returns.waiting_for_refund() == [ret]
    assert [e.kind for e in ret.events] == ["created", "started", "received"]
    # `wms check-ledger` agrees, as an operator would run it.
    from wms.cli import check_ledger

    db.session.commit()
    result = app.test_cli_runner().invoke(check_ledger)
    assert result.exit_code == 0 and "ledger ok" in result.output, result.output


def test_an_unexpected_parcel_is_found_by_tracking_number_reference_or_order_code(app, make_product, make_location,
                                                                                make_user):
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    user = make_user("operator")
    for code in ("TRK000123", "RETREF001", f"SO-{order.id}"):
        view, message = returns.scan(user, code)
        assert view.order_reference == "RETREF001" and "unexpected parcel" in message
        returns.leave(user)
    # One return was made for the order, and found again each time.
    assert len(db.session.execute(select(returns.CustomerReturn)).scalars().all()) == 1


def test_items_not_in_the_order_are_refused_and_can_be_set_aside(app, make_product, make_location, make_user):
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    stranger = make_product("NOT-OURS-1")
    user = make_user("operator")
    returns.scan(user, "RETREF001")
    with pytest.raises(DomainError, match="was not in order RETREF001") as refused:
        returns.scan(user, stranger.main_barcode)
    assert refused.value.view.set_aside == stranger.main_barcode
    with pytest.raises(DomainError, match="not a product of order"):
        returns.scan(user, "ZZ-UNKNOWN-9")
    view, message = returns.set_aside(user, stranger.main_barcode)
    assert view.exceptions == 1 and "exception" in message
    # More units than shipped are refused too.
    returns.scan(user, shirt.main_barcode)
    returns.scan(user, "1")
    returns.scan(user, shirt.main_barcode)
    returns.scan(user, "1")
    with pytest.raises(DomainError, match="Only 2"):
        returns.scan(user, shirt.main_barcode)
    # "Not ours" for an item that looks like one of ours: no stock, an exception.
    view, _ = returns.close(user)
    assert db.session.scalar(select(func.sum(StockMove.quantity)).where(StockMove.reason == MoveReason.RETURNED)) == 2
    assert ledger_problems() == []


def test_wrong_item_key_books_nothing(app, make_product, make_location, make_user):
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    user = make_user("operator")
    returns.scan(user, "RETREF001")
    returns.scan(user, shirt.main_barcode)
    view, message = returns.scan(user, "4")
    assert "not ours" in message and view.exceptions == 1 and view.lines[0].received == 0
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == 0


def test_bad_inputs_are_refused_with_a_sentence(app, make_product, make_location, make_user):
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    user = make_user("operator")
    with pytest.raises(DomainError, match="first"):
        returns.scan(user, "1")
    with pytest.raises(DomainError, match="no return, order, or tracking number"):
        returns.scan(user, "NOPE-REF")
    with pytest.raises(DomainError, match="only 2 shipped"):
        returns.create_return(order, {order.lines[0].id: 3})
    with pytest.raises(DomainError, match="at least one unit"):
        returns.create_return(order, {})
    returns.scan(user, "RETREF001")
    with pytest.raises(DomainError, match="Scan an item first"):
        returns.scan(user, "2")
    with pytest.raises(DomainError, match="Nothing was scanned"):
        returns.close(user)


def test_no_returns_location_is_said(app, make_product, make_location, make_user):
    order, (shirt, _cap) = shipped_order(make_product, make_location, locations=False)
    user = make_user("operator")
    returns.scan(user, "RETREF001")
    returns.scan(user, shirt.main_barcode)
    with pytest.raises(DomainError, match="no returns location"):
        returns.scan(user, "1")


def test_returns_rate_per_product(app, make_product, make_location, make_user):
    order, (shirt, cap) = shipped_order(make_product, make_location)
    dock = make_location("DOCK-09")
    receive(shirt, dock, 4)
    remove(shirt, dock, 4, reason=MoveReason.SHIPPED)
    user = make_user("operator")
    returns.scan(user, "RETREF001")
    returns.scan(user, shirt.main_barcode)
    returns.scan(user, "1")
    rows = returns.returns_rate(utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1))
    assert [(r.sku, r.shipped, r.returned, r.rate) for r in rows] == [(shirt.sku, 4, 1, 0.25)]


def test_closing_emits_return_received_for_subscribed_endpoints(app, make_product, make_location, make_user):
    import json

    from wms.integrations.prestashop.models import OutboxMessage
    from wms.integrations.webhooks.services import register_endpoint

    register_endpoint("https://erp.example/hooks", ["return.received"])
    order, (shirt, _cap) = shipped_order(make_product, make_location)
    user = make_user("operator")
    returns.scan(user, "RETREF001")
    returns.scan(user, shirt.main_barcode)
    returns.scan(user, "1")
    returns.close(user)
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).scalar_one()
    body = json.loads(json.loads(message.payload_json)["body"])
    assert body["event"] == "return.received"
    data = body["data"]
    assert data["order_reference"] == "RETREF001" and data["source"] == "parcel"
    assert data["items"] == [{"code": shirt.main_barcode, "sku": shirt.sku, "quantity": 1, "condition": "SELLABLE",
                              "exception": False, "location": "RETN-01"}]
    # Not a shop order: nothing for the shop.
    assert db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "return_received")).first() is None


def test_sellable_returns_are_put_away_from_the_returns_location(app, make_product, make_location, make_user):
    from wms.domain.receiving import putaway

    order, (shirt, _cap) = shipped_order(make_product, make_location)
    bin_ = make_location("A-01-01-1")
    user = make_user("operator")
    returns.scan(user, "RETREF001")
    for _ in range(2):
        returns.scan(user, shirt.main_barcode)
        returns.scan(user, "1")
    returns.close(user)
    view, message = putaway.scan(user, "RETN-01")
    assert "Putting away from RETN-01" in message
    view, message = putaway.scan(user, shirt.main_barcode, 2)
    assert "2 to put away" in message
    view, message = putaway.scan(user, bin_.code)
    assert f"Put away 2 × {shirt.sku} in {bin_.code}" in message
    assert _stock("RETN-01", shirt) == 0 and _stock(bin_.code, shirt) == 2
    assert ledger_problems() == []
