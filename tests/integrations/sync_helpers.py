"""Helpers for the sync tests: mirror the fake shop's catalog into the WMS, build shop settings."""
from __future__ import annotations

import dataclasses

from wms.db import db
from wms.domain.catalog.models import Barcode, Product, Symbology
from wms.domain.shipping.models import Carrier
from wms.integrations.prestashop.client import PrestaShopClient
from wms.integrations.prestashop.shops import ShopSettings, shop_settings

CALLBACK_SECRET = "s" * 40


def configure_shop(app, shop_url: str, key: str, **extra) -> ShopSettings:
    """Point the app at the fake shop as shop "default" with tiny backoffs; return its settings."""
    app.config.update(PRESTASHOP_URL=shop_url, PRESTASHOP_KEY=key, PRESTASHOP_BACKOFF_BASE=0.001,
                      PRESTASHOP_CALLBACK_SECRET=CALLBACK_SECRET, **extra)
    return shop_settings("default", app.config)


def client_for(settings: ShopSettings, **overrides) -> PrestaShopClient:
    """Return a client that never sleeps between retries."""
    config = dataclasses.replace(settings.client_config, **overrides) if overrides else settings.client_config
    return PrestaShopClient(config, sleep=lambda s: None)


def mirror_catalog(shop, skip_references=(), with_ps_ids: bool = True) -> dict[str, Product]:
    """Create a WMS product (SKU = reference, EAN barcode, shop ids) for every shop product/combination."""
    made = {}
    products = shop.tables["products"]
    combos_of = {}
    for combo in shop.tables["combinations"].values():
        combos_of.setdefault(combo["id_product"], []).append(combo)
    rows = []
    for pid, product in products.items():
        if combos_of.get(pid):
            rows += [(pid, c["id"], c["reference"], c["ean13"]) for c in combos_of[pid]]
        else:
            rows.append((pid, 0, product["reference"], product["ean13"]))
    for pid, cid, ref, ean in rows:
        if not ref or ref in skip_references:
            continue
        item = Product(sku=ref, name=f"Product {ref}", ps_product_id=pid if with_ps_ids else None,
                       ps_combination_id=cid if with_ps_ids else None)
        if ean:
            item.barcodes.append(Barcode(code=ean, symbology=Symbology.EAN13))
        db.session.add(item)
        made[ref] = item
    if db.session.query(Carrier).filter_by(ps_id_reference=2).first() is None:
        db.session.add(Carrier(code="MYC", name="My carrier", ps_id_reference=2,
                               tracking_url="https://track.example/?n=@"))
    db.session.commit()
    return made
