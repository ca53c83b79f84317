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
    from wms.web.desk.dashboard import dashboard_page

    return dashboard_page()
