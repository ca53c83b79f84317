"""Products through the JSON API: list and read (imports are on the desk)."""
from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, fields
from sqlalchemy import or_, select

from wms.domain.catalog.models import Product
from wms.domain.catalog.services import product_by_sku
from wms.web.api import bp
from wms.web.api.stock import paginate


class BarcodeSchema(Schema):
    code = fields.String()
    symbology = fields.Function(lambda b: b.symbology.name)
    pack_qty = fields.Integer()


class ProductSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    variant = fields.String(allow_none=True)
    barcodes = fields.List(fields.Nested(BarcodeSchema))
    weight_g = fields.Integer(allow_none=True)
    length_mm = fields.Integer(allow_none=True)
    width_mm = fields.Integer(allow_none=True)
    height_mm = fields.Integer(allow_none=True)
    zone = fields.String(allow_none=True)
    ps_product_id = fields.Integer(allow_none=True)
    ps_combination_id = fields.Integer(allow_none=True)
    active = fields.Boolean()


@bp.get("/products")
def list_products():
    query = select(Product).order_by(Product.sku)
    if request.args.get("q"):
        like = f"%{request.args['q'].strip()}%"
        query = query.where(or_(Product.sku.ilike(like), Product.name.ilike(like)))
    return paginate(query, ProductSchema())


@bp.get("/products/<sku>")
def get_product(sku: str):
    return jsonify(ProductSchema().dump(product_by_sku(sku)))
