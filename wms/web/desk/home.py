"""The desk's start page."""
from flask import render_template
from sqlalchemy import func, select

from wms.db import db
from wms.domain.catalog.models import Product
from wms.domain.inventory.models import StockLevel, StockMove
from wms.domain.locations.models import Location
from wms.domain.orders.models import Order
from wms.web.desk import bp
from wms.web.menu import DESK_MENU


@bp.route("/")
def home():
    counts = {
        "products": db.session.scalar(select(func.count()).select_from(Product)),
        "locations": db.session.scalar(select(func.count()).select_from(Location)),
        "units": db.session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0))),
        "movements": db.session.scalar(select(func.count()).select_from(StockMove)),
        "orders": db.session.scalar(select(func.count()).select_from(Order)),
    }
    return render_template("desk/home/page.html", counts=counts, menu=DESK_MENU)
