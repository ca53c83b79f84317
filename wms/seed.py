"""Load the demo warehouse from seed_data/: layout, locations, products, stock, users, carriers."""
from __future__ import annotations

import json
import math
from datetime import time
from pathlib import Path

from sqlalchemy import func, select

from wms.db import db
from wms.i18n import _
from wms.domain.importing import import_products, import_stock
from wms.domain.locations.models import Location, LocationKind, Warehouse
from wms.domain.shipping.models import Carrier
from wms.domain.users.models import Role, User
from wms.resources import resource_dir


def seed_dir(app_config) -> Path:
    configured = app_config.get("SEED_DIR")
    return Path(configured) if configured else resource_dir("seed_data")


def location_rows(spec: dict) -> list[dict]:
    """Expand the layout of warehouse.json into one dict per location, in walking order."""
    layout = spec["layout"]
    rows = []
    for zone in spec["zones"]:
        for aisle in zone["aisles"]:
            for bay in range(1, layout["bays_per_aisle"] + 1):
                for level, kind in zone["levels"].items():
                    rows.append({
                        "code": f"{zone['zone']}-{aisle:02d}-{bay:02d}-{level}",
                        "kind": LocationKind[kind], "zone": zone["zone"], "aisle": aisle,
                        "bay": bay, "level": int(level),
                        "pos_x": aisle * layout["aisle_spacing_m"],
                        "pos_y": round(math.ceil(bay / 2) * layout["bay_depth_m"], 3),
                    })
    # Serpentine walking sequence: up odd aisles, down even ones.
    rows.sort(key=lambda r: (r["aisle"], r["pos_y"] if r["aisle"] % 2 else -r["pos_y"], r["bay"], r["level"]))
    for special in spec.get("special_locations", []):
        rows.insert(0, {"code": special["code"], "kind": LocationKind[special["kind"]],
                        "zone": special.get("zone"), "aisle": None, "bay": None, "level": None,
                        "pos_x": special.get("x"), "pos_y": special.get("y")})
    for seq, row in enumerate(rows, start=1):
        row["walk_sequence"] = seq * 10
    return rows


def load_warehouse(path: Path) -> Warehouse:
    """Create the warehouse and its locations from warehouse.json (skipping existing codes)."""
    spec = json.loads(path.read_text())
    info = spec["warehouse"]
    warehouse = db.session.execute(select(Warehouse).where(Warehouse.code == info["code"])).scalar_one_or_none()
    if warehouse is None:
        warehouse = Warehouse(**info)
        db.session.add(warehouse)
        db.session.flush()
    existing = set(db.session.execute(select(Location.code)).scalars())
    for row in location_rows(spec):
        if row["code"] not in existing:
            db.session.add(Location(warehouse_id=warehouse.id, **row))
    db.session.flush()
    return warehouse


def load_users(path: Path) -> list[dict]:
    users = json.loads(path.read_text())
    for spec in users:
        user = db.session.execute(select(User).where(User.username == spec["username"])).scalar_one_or_none()
        if user is None:
            user = User(username=spec["username"], name=spec["name"], role=Role[spec["role"]],
                        badge_code=spec.get("badge"))
            user.set_password(spec["password"])
            user.set_pin(spec["pin"])
            db.session.add(user)
    db.session.flush()
    return users


def load_carriers(path: Path) -> None:
    for spec in json.loads(path.read_text()):
        if db.session.execute(select(Carrier).where(Carrier.code == spec["code"])).scalar_one_or_none():
            continue
        spec = dict(spec)
        if spec.get("cutoff"):
            spec["cutoff"] = time.fromisoformat(spec["cutoff"])
        db.session.add(Carrier(**spec))
    db.session.flush()


def seed_master(app_config) -> list[dict]:
    """Load the master data of seed_data/: layout and locations, carriers, boxes, users.

    Nothing here talks to a shop or could be mistaken for a shop's data; return the users."""
    folder = seed_dir(app_config)
    load_warehouse(folder / "warehouse.json")
    load_carriers(folder / "carriers.json")
    from wms.domain.shipping.services import load_boxes

    load_boxes(folder / "boxes.json")
    return load_users(folder / "users.json")


def seed_demo_stock(app_config) -> None:
    """Load the demo catalog (marked is_demo: never pushed to or matched with a shop) and its stock."""
    from wms.domain.catalog.models import Product
    from wms.domain.inventory.models import StockMove

    folder = seed_dir(app_config)
    text = (folder / "products.csv").read_text()
    existing = set(db.session.execute(select(Product.sku)).scalars())
    import_products(text)
    new_skus = {p.sku for p in db.session.execute(select(Product)).scalars()} - existing
    if new_skus:
        db.session.execute(Product.__table__.update().where(Product.sku.in_(new_skus)).values(is_demo=True))
    # Stock is an initial load: only into a warehouse that has no movements yet.
    if not db.session.scalar(select(func.count()).select_from(StockMove)):
        admin = db.session.execute(select(User).where(User.role == Role.ADMIN)).scalars().first()
        import_stock((folder / "stock.csv").read_text(), user=admin)


def seed_demo(app_config) -> list[dict]:
    """Load everything in seed_data/ (master data, demo catalog and stock); return the demo users."""
    users = seed_master(app_config)
    seed_demo_stock(app_config)
    return users


def demo_refusal(app_config) -> str | None:
    """Why demo orders and stock must not go into this database (a shop is configured or was
    synced), or None. Demo data in a shop's database could be pushed to, or mixed with, the shop."""
    from wms.domain.orders.models import Order
    from wms.integrations.prestashop.models import SyncCursor
    from wms.integrations.prestashop.shops import configured_shops

    try:
        shops = configured_shops(app_config)
    except ValueError:
        shops = [None]  # a half-configured shop is still a shop
    if shops:
        return ("A shop is configured (WMS_PRESTASHOP_URL / WMS_PRESTASHOP_SHOPS): demo orders and stock "
                "are refused, so that nothing made up can reach the shop. Use a separate database "
                "(WMS_DATABASE_URL) without shop settings to try the demo.")
    if db.session.scalar(select(func.count()).select_from(SyncCursor)) or db.session.scalar(
            select(func.count()).select_from(Order).where(Order.shop.is_not(None), Order.is_demo.is_(False))):
        return ("This database holds orders imported from a shop: demo orders and stock are refused. "
                "Try the demo in a separate database (WMS_DATABASE_URL).")
    return None


DEMO_CUSTOMERS = [
    ("Camille Martin", "18 rue des Lilas", "69003", "Lyon", "FR"),
    ("Lucas Bernard", "4 avenue Foch", "33000", "Bordeaux", "FR"),
    ("Zoë Müller", "Hauptstraße 12", "10115", "Berlin", "DE"),
    ("Inès Dubois", "27 quai de la Loire", "44000", "Nantes", "FR"),
    ("Marco Rossi", "Via Roma 8", "20121", "Milano", "IT"),
    ("Emma Petit", "3 place du Marché", "59000", "Lille", "FR"),
    ("Noah Janssens", "Kerkstraat 44", "2000", "Antwerpen", "BE"),
    ("Léa Moreau", "11 boulevard Victor Hugo", "06000", "Nice", "FR"),
]


def seed_demo_orders(count: int = 24) -> int:
    """Create demo shop orders (deterministic) and allocate them, so the demo has work to do."""
    import random
    from datetime import timedelta
    from decimal import Decimal

    from wms.db import utcnow
    from wms.domain.catalog.models import Product
    from wms.domain.orders.models import Order, OrderLine, record_event
    from wms.domain.picking.allocation import allocate_orders

    if db.session.scalar(select(func.count()).select_from(Order)):
        return 0
    rng = random.Random(2026)
    products = db.session.execute(select(Product).order_by(Product.id)).scalars().all()
    carriers = db.session.execute(select(Carrier).order_by(Carrier.id)).scalars().all()
    now = utcnow()
    for n in range(1, count + 1):
        name, street, postcode, city, country = DEMO_CUSTOMERS[n % len(DEMO_CUSTOMERS)]
        carrier = carriers[0] if rng.random() < 0.75 or len(carriers) < 2 else carriers[1]
        ordered = now - timedelta(minutes=rng.randint(5, 600))
        # No shop and no shop order id: a demo order can never be taken for a shop's order.
        order = Order(shop=None, ps_order_id=None, is_demo=True, reference=f"DEMO{n:05d}",
                      customer_name=name, customer_email=f"customer{n}@example.com", ship_name=name,
                      ship_address1=street, ship_postcode=postcode, ship_city=city, ship_country=country,
                      carrier_id=carrier.id, currency="EUR", ordered_at=ordered,
                      priority=1 if carrier.express else 0)
        total = Decimal("0")
        for line_no, product in enumerate(rng.sample(products, rng.choice([1, 1, 2, 2, 3, 4])), start=1):
            qty = rng.choice([1, 1, 1, 2, 3])
            price = Decimal(rng.randint(800, 4900)) / 100
            total += price * qty
            order.lines.append(OrderLine(line_no=line_no, product_id=product.id, sku=product.sku,
                                         name=product.display_name, quantity=qty, unit_price=price,
                                         ps_product_id=product.ps_product_id,
                                         ps_combination_id=product.ps_combination_id))
        order.total_paid = total + Decimal("4.90")
        order.total_shipping = Decimal("4.90")
        db.session.add(order)
        db.session.flush()
        record_event(order, "imported", _("Demo order %(reference)s (made up by `wms demo`; never "
                                          "sent to a shop).", reference=order.reference))
    db.session.flush()
    allocate_orders()
    return count
