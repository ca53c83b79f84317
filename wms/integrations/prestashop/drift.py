"""Stock drift: per product (and combination) mapped to a shop, what the shop shows (the
quantity the last stock push set), what the warehouse can sell now, the difference, when it
was pushed and why they differ. Read from the database only: the desk never waits for a shop."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.inventory.models import StockMove
from wms.domain.orders.models import OPEN_STATUSES, Order, OrderLine
from wms.i18n import _
from wms.integrations.prestashop.models import StockPushState
from wms.integrations.prestashop.sync import _mapped_products, available_quantities


@dataclass
class DriftRow:
    """One product in one shop."""

    shop: str
    product: Product
    shop_qty: int | None  # last pushed (None: never pushed)
    pushed_at: datetime | None
    sellable: int
    reasons: list[str] = field(default_factory=list)

    @property
    def difference(self) -> int | None:
        return None if self.shop_qty is None else self.sellable - self.shop_qty


def _after(moment: datetime | None, reference: datetime | None) -> bool:
    if moment is None or reference is None:
        return False
    if (moment.tzinfo is None) != (reference.tzinfo is None):
        moment, reference = moment.replace(tzinfo=None), reference.replace(tzinfo=None)
    return moment > reference


def drift(shops: list[str], only_different: bool = False) -> list[DriftRow]:
    """Every mapped product per shop, the drifting ones first (largest difference first);
    `only_different` keeps those whose shop quantity is known and differs."""
    products = _mapped_products()
    if not products:
        return []
    ids = [p.id for p in products]
    # What the shop may sell now, before the shop's own orders that are not imported yet
    # (those are known only by asking the shop: the sync subtracts them when it pushes).
    sellable = available_quantities(products, {})
    states = {(s.shop, s.product_id): s for s in db.session.execute(
        select(StockPushState).where(StockPushState.product_id.in_(ids))).scalars()}
    last_move = dict(db.session.execute(
        select(StockMove.product_id, func.max(StockMove.created_at))
        .where(StockMove.product_id.in_(ids)).group_by(StockMove.product_id)).all())
    last_order = dict(db.session.execute(
        select(OrderLine.product_id, func.max(Order.created_at)).join(Order)
        .where(OrderLine.product_id.in_(ids), Order.status.in_(OPEN_STATUSES))
        .group_by(OrderLine.product_id)).all())
    rows = []
    for shop in shops or sorted({s for s, _ in states}) or ["default"]:
        for product in products:
            state = states.get((shop, product.id))
            row = DriftRow(shop, product, state.quantity if state else None,
                           state.pushed_at if state else None, sellable.get(product.id, 0))
            if state is None:
                row.reasons.append(_("Never pushed: no push has run for it yet, or the shop lacks it."))
            elif row.difference == 0:
                row.reasons.append(_("In step."))
            else:
                if _after(last_move.get(product.id), state.pushed_at):
                    row.reasons.append(_("Stock moved since the last push: the next push sends it."))
                if _after(last_order.get(product.id), state.pushed_at):
                    row.reasons.append(_("Orders arrived since the last push and hold units."))
                if not row.reasons:
                    row.reasons.append(_("At the last push some shop orders were not imported yet "
                                         "(the push holds their units back); the next push settles "
                                         "it."))
            if not only_different or row.difference:
                rows.append(row)
    rows.sort(key=lambda r: (r.difference == 0, -(abs(r.difference) if r.difference is not None else 0),
                             r.shop, r.product.sku))
    return rows
