"""The dashboard: real numbers, the polled fragment, and the exceptions inbox."""
from datetime import timedelta

from wms.db import db, utcnow
from wms.domain.orders.models import Order, OrderLine, OrderStatus


def _metric(html: str, name: str) -> str:
    start = html.index(f'data-metric="{name}"')
    num = html.index('class="num', start)
    return html[html.index(">", num) + 1:html.index("</span>", num)]


def test_dashboard_counts_orders_and_polls(client, login_as, make_location):
    login_as("supervisor")
    db.session.add_all([
        Order(reference="A", status=OrderStatus.ON_HOLD, hold_reason="check address"),
        Order(reference="B", status=OrderStatus.NEW, ship_by=utcnow() - timedelta(hours=1)),
        Order(reference="C", status=OrderStatus.BACKORDERED,
              lines=[OrderLine(sku="X", name="x", quantity=3, quantity_allocated=1)]),
        Order(reference="D", status=OrderStatus.SHIPPED, shipped_at=utcnow()),
    ])
    make_location("A-01-01-1", needs_count=True)
    db.session.commit()
    html = client.get("/desk/").get_data(as_text=True)
    assert 'hx-trigger="every 10s"' in html
    assert _metric(html, "orders-on_hold") == "1"
    assert _metric(html, "orders-new") == "1"
    assert _metric(html, "late") == "1"
    assert _metric(html, "lines-short") == "1"
    assert _metric(html, "shipped-today") == "1"
    assert _metric(html, "bins-to-count") == "1"
    db.session.add(Order(reference="E", status=OrderStatus.ON_HOLD, hold_reason="fraud check"))
    db.session.commit()
    fragment = client.get("/desk/dashboard/numbers", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
    assert _metric(fragment, "orders-on_hold") == "2"


def test_exceptions_inbox_lists_held_orders_and_unknown_skus(client, login_as):
    login_as("supervisor")
    order = Order(reference="W-7", status=OrderStatus.ON_HOLD, hold_reason="unknown product GHOST-1",
                  lines=[OrderLine(sku="GHOST-1", name="Ghost", quantity=1)])
    db.session.add(order)
    db.session.commit()
    html = client.get("/desk/exceptions").get_data(as_text=True)
    assert "GHOST-1" in html and "Create product" in html and "unknown product GHOST-1" in html
