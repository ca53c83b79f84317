"""Load the demo warehouse from seed_data/: layout, locations, products, stock, users, carriers."""
from __future__ import annotations

import json
import math
from datetime import time
from pathlib import Path

from sqlalchemy import func, select

from wms.db import db
from wms.domain.importing import import_products, import_stock
from wms.domain.locations.models import Location, LocationKind, Warehouse
from wms.domain.shipping.models import Carrier
from wms.domain.users.models import Role, User


def seed_dir(app_config) -> Path:
    configured = app_config.get("SEED_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "seed_data"


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


def seed_demo(app_config) -> list[dict]:
    """Load everything in seed_data/ into an empty database; return the demo users."""
    folder = seed_dir(app_config)
    load_warehouse(folder / "warehouse.json")
    load_carriers(folder / "carriers.json")
    from wms.domain.shipping.services import load_boxes

    load_boxes(folder / "boxes.json")
    users = load_users(folder / "users.json")
    import_products((folder / "products.csv").read_text())
    from wms.domain.inventory.models import StockMove

    # Stock is an initial load: only into a warehouse that has no movements yet.
    if not db.session.scalar(select(func.count()).select_from(StockMove)):
        admin = db.session.execute(select(User).where(User.role == Role.ADMIN)).scalars().first()
        import_stock((folder / "stock.csv").read_text(), user=admin)
    return users
