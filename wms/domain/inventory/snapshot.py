"""Stock per product and warehouse, read from the balances (for snapshots and stock events)."""
from __future__ import annotations

from sqlalchemy import case, func, select

from wms.domain.catalog.models import Product
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import Location, LocationKind, Warehouse

# Goods there are promised (being packed, staged for a carrier) or blocked: not available.
UNAVAILABLE_KINDS = (LocationKind.PACKING, LocationKind.STAGING, LocationKind.QUARANTINE,
                     LocationKind.TRANSIT)

SNAPSHOT_COLUMNS = ("sku", "warehouse", "on_hand", "reserved", "available")


def stock_by_warehouse(product_ids=None):
    """The query of (product_id, sku, warehouse, on_hand, reserved, available), one row per product
    and warehouse holding or reserving stock, by SKU then warehouse code.

    ``available`` is on hand minus reserved in the locations goods can be sold from (not the
    packing, staging or quarantine areas).
    """
    sellable = Location.kind.not_in(UNAVAILABLE_KINDS)
    query = (select(Product.id.label("product_id"), Product.sku.label("sku"), Warehouse.code.label("warehouse"),
                    func.sum(StockLevel.on_hand).label("on_hand"),
                    func.sum(StockLevel.reserved).label("reserved"),
                    func.sum(case((sellable, StockLevel.on_hand - StockLevel.reserved), else_=0)).label("available"))
             .select_from(StockLevel)
             .join(Product, Product.id == StockLevel.product_id)
             .join(Location, Location.id == StockLevel.location_id)
             .join(Warehouse, Warehouse.id == Location.warehouse_id)
             .where((StockLevel.on_hand != 0) | (StockLevel.reserved != 0))
             .group_by(Product.id, Product.sku, Warehouse.code)
             .order_by(Product.sku, Warehouse.code))
    if product_ids is not None:
        query = query.where(Product.id.in_(list(product_ids)))
    return query
