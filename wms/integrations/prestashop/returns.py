"""PrestaShop merchandise returns: read them (webservice or the module's callback), tell the shop.

A customer asks for a return from their account (`order_return`, with its details per order
row). Shops whose webservice exposes `order_returns` are read through it every round; the
`wmscallback` module also sends a signed `order_return.changed` callback carrying the return's
state and rows, so a shop that does not expose the resource works too. When the warehouse has
received a return, the outbox (kind `return_received`) sets the shop's return to its received
state (read first, PUT once: idempotent) and adds a private order message saying what came
back in what condition (read first: a message POST is not idempotent).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select

from wms.db import db, utcnow
from wms.domain.orders.models import Order, record_event
from wms.domain.returns import services as returns
from wms.domain.returns.models import CustomerReturn, ReturnStatus, record_return_event
from wms.errors import DomainError
from wms.integrations.prestashop.client import (
    PrestaShopClient, ShopBadRequest, ShopMethodNotAllowed, ShopNotFound, ShopWriteUncertain, build_xml,
)
from wms.integrations.prestashop.mapping import coerce_int
from wms.integrations.prestashop.shops import ShopSettings
from wms.i18n import _

log = logging.getLogger(__name__)

RESOURCE = "order_returns"
# Errors meaning "this shop's webservice has no order_returns" (older versions, or not allowed).
NOT_EXPOSED = (ShopBadRequest, ShopNotFound, ShopMethodNotAllowed)


def _state(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def received_state() -> int:
    return _state("PS_RETURN_RECEIVED_STATE", 3)


def denied_state() -> int:
    return _state("PS_RETURN_DENIED_STATE", 4)


def completed_state() -> int:
    return _state("PS_RETURN_COMPLETED_STATE", 5)


def details_of(row: dict[str, Any]) -> list[tuple[int, int]]:
    rows = ((row.get("associations") or {}).get("order_return_details")) or []
    return [(coerce_int(r.get("id_order_detail")), coerce_int(r.get("product_quantity"))) for r in rows]


def apply_shop_return(shop: str, ps_order_id: int, ps_return_id: int, state: int,
                      details: list[tuple[int, int]], question: str | None = None) -> CustomerReturn | None:
    """Create or update the warehouse's return for a shop's order_return (idempotent)."""
    ret = db.session.execute(select(CustomerReturn).where(CustomerReturn.shop == shop,
                                                          CustomerReturn.ps_return_id == ps_return_id)
                             ).scalar_one_or_none()
    if ret is not None:
        if ret.ps_state != state:
            ret.ps_state = state
            if state == denied_state() and ret.status is ReturnStatus.EXPECTED:
                returns.cancel(ret, None, "The shop denied the return.")
            elif state == completed_state() and ret.status is ReturnStatus.RECEIVED:
                returns.mark_refunded(ret)
            else:
                record_return_event(ret, "shop_state", _("The shop's return is now in state "
                                                         "%(state)s.", state=state))
            db.session.flush()
        return ret
    if state in (denied_state(), completed_state()):
        return None  # never expected here: nothing to receive
    order = db.session.execute(select(Order).where(Order.shop == shop, Order.ps_order_id == ps_order_id)
                               ).scalar_one_or_none()
    if order is None:
        raise DomainError(_("Return %(ps_return_id)s is for shop order %(ps_order_id)s, which "
                            "the warehouse does not know.",
                            ps_return_id=ps_return_id, ps_order_id=ps_order_id), code="unknown_order")
    by_detail = {ln.ps_order_detail_id: ln for ln in order.lines if ln.ps_order_detail_id}
    quantities: dict[int, int] = {}
    for detail_id, qty in details:
        line = by_detail.get(detail_id)
        if line is None or qty <= 0:
            continue
        quantities[line.id] = min(quantities.get(line.id, 0) + qty, line.quantity_shipped)
    return returns.create_return(order, quantities, source="shop", reason=question or None, shop=shop,
                                 ps_return_id=ps_return_id, ps_state=state)


def import_returns(settings: ShopSettings, client: PrestaShopClient) -> tuple[int, list[str]]:
    """Read the shop's open merchandise returns; (how many are new or changed, errors). 0 if not exposed."""
    try:
        rows = client.list(RESOURCE, {"state": [1, 2, received_state(), denied_state(), completed_state()]},
                           sort=["id_DESC"], limit=(0, 500))
    except NOT_EXPOSED:
        return 0, []  # this version does not expose them: the module's callbacks carry them
    changed, errors = 0, []
    for row in rows:
        ps_return_id = coerce_int(row.get("id"))
        try:
            with db.session.begin_nested():
                before = db.session.execute(select(CustomerReturn.ps_state).where(
                    CustomerReturn.shop == settings.name, CustomerReturn.ps_return_id == ps_return_id)).first()
                ret = apply_shop_return(settings.name, coerce_int(row.get("id_order")), ps_return_id,
                                        coerce_int(row.get("state")), details_of(row), row.get("question"))
                if ret is not None and (before is None or before[0] != ret.ps_state):
                    changed += 1
        except DomainError as exc:
            errors.append(f"shop return {ps_return_id}: {exc.message}")
    return changed, errors


def fetch_return(payload: dict[str, Any], get_client) -> None:
    """A callback said return N changed: read it from the webservice, or take the callback's copy."""
    from wms.integrations.prestashop.outbox import PermanentFailure
    from wms.integrations.prestashop.sync import import_order_ids

    shop = str(payload["shop"])
    settings, client = get_client(shop)
    ps_return_id, ps_order_id = int(payload["ps_return_id"]), int(payload["ps_order_id"])
    state, details, question = int(payload["state"]), [tuple(d) for d in payload.get("details") or []], None
    try:
        rows = client.list(RESOURCE, {"id": ps_return_id})
    except NOT_EXPOSED:
        rows = None
    if rows:
        row = rows[0]
        state, details, question = coerce_int(row.get("state")), details_of(row), row.get("question")
    if not db.session.execute(select(Order.id).where(Order.shop == shop, Order.ps_order_id == ps_order_id)).first():
        import_order_ids(settings, client, [ps_order_id])
    try:
        apply_shop_return(shop, ps_order_id, ps_return_id, state, details, question)
    except DomainError as exc:
        raise PermanentFailure(exc.message) from None


def push_return_received(payload: dict[str, Any], get_client) -> None:
    """Set the shop's return to received (once) and leave a private note on the order."""
    from wms.integrations.prestashop.outbox import PermanentFailure

    ret = db.session.get(CustomerReturn, int(payload["return_id"]))
    if ret is None:
        raise PermanentFailure(f"return {payload['return_id']} does not exist in the warehouse")
    order = ret.order
    if not order.from_shop:
        raise PermanentFailure(f"order {order.code} did not come from a shop: nothing to tell the shop")
    settings, client = get_client(order.shop)
    if ret.ps_return_id:
        try:
            rows = client.list(RESOURCE, {"id": ret.ps_return_id})
        except NOT_EXPOSED:
            rows = None
            record_event(order, "push_warning", _("The shop does not expose order_returns: set "
                                                  "its return %(ps_return_id)s to received in "
                                                  "the back office.", ps_return_id=ret.ps_return_id))
        if rows:
            node = {k: v for k, v in rows[0].items() if k != "associations"}
            if coerce_int(node.get("state")) not in (received_state(), completed_state()):
                node["state"] = received_state()
                client._put_node(RESOURCE, node, {})  # PUT: safe to send again
                ret.ps_state = received_state()
    note = str(payload.get("note") or returns.summary(ret))
    if not _has_message(client, order.ps_order_id, ret.code):
        body = build_xml("messages", {"id_order": order.ps_order_id, "id_cart": 0, "id_customer": 0,
                                      "id_employee": 0, "message": note, "private": 1})
        try:
            client.request("POST", "messages", body=body, idempotent=False)
        except ShopWriteUncertain:
            if not _has_message(client, order.ps_order_id, ret.code):
                raise
    ret.shop_notified_at = utcnow()
    record_return_event(ret, "pushed", _("The shop was told: %(note)s", note=note))
    record_event(order, "pushed", _("Return %(code)s reported to the shop.", code=ret.code))


def _has_message(client: PrestaShopClient, ps_order_id: int, marker: str) -> bool:
    rows = client.list("messages", {"id_order": ps_order_id}, display=["id", "message"])
    return any(f"Return {marker} " in str(r.get("message") or "") for r in rows)
