"""Every webhook event the warehouse sends, in one place.

An event is emitted in the transaction of the change it reports (receipt closed, order
shipped), or derived by the worker from what was recorded since its watermark (stock changes
from the ledger, short orders from the order history), so the scan requests that cause them
run no extra statement.
"""
from __future__ import annotations

RECEIPT_CLOSED = "receipt.closed"
ORDER_SHIPPED = "order.shipped"
ORDER_SHORT = "order.short"
STOCK_CHANGED = "stock.changed"
# Defined for the flows still to come (returns, transfers between warehouses): endpoints may
# subscribe to them now; nothing emits them until those flows exist. The hook for them is
# wms.integrations.webhooks.services.emit(), called in the transaction that records the
# return or the arrival, e.g.
#   emit(RETURN_RECEIVED, f"order:{order.id}", f"return.received:return:{ret.id}", data)
# (the object key orders it with the order's other events; the business key makes it unique).
RETURN_RECEIVED = "return.received"
TRANSFER_RECEIVED = "transfer.received"

# event -> what it means (shown on the desk and in the OpenAPI document).
EVENTS: dict[str, str] = {
    RECEIPT_CLOSED: "A receipt was closed: what was expected and received per SKU.",
    ORDER_SHIPPED: "An order (or part of it) left with a carrier: parcels and tracking numbers.",
    ORDER_SHORT: "An order's pick list finished short: the missing units wait for stock.",
    STOCK_CHANGED: "A product's stock changed: totals per warehouse (batched, debounced).",
    RETURN_RECEIVED: "A customer return was received: what came back per SKU, in what condition, what is missing.",
    TRANSFER_RECEIVED: "A transfer between warehouses arrived (not emitted yet: the flow is to come).",
}
EMITTED = (RECEIPT_CLOSED, ORDER_SHIPPED, ORDER_SHORT, STOCK_CHANGED, RETURN_RECEIVED)
