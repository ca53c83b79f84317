"""Read the configured shops: WMS_PRESTASHOP_URL/KEY for the first, WMS_PRESTASHOP_SHOPS (JSON) for more."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wms.integrations.prestashop.client import PrestaShopClient, ShopConfig

DEFAULT_SHOP = "default"


@dataclass(frozen=True)
class ShopSettings:
    """One shop: how to reach it and which of its order states mean what."""

    name: str
    client_config: ShopConfig
    import_states: frozenset[int] = frozenset({2, 3, 11})
    cancel_states: frozenset[int] = frozenset({6, 7})
    shipped_state: int = 4
    # States that already count as shipped: never post Shipped again on top of them.
    shipped_states: frozenset[int] = frozenset({4, 5})
    # States where the shop took the stock but the order is not imported (awaiting payment).
    awaiting_states: frozenset[int] = frozenset({1, 10, 12, 13})
    callback_secret: str = ""
    # The PrestaShop store ids (id_shop) whose callbacks this shop may send: a signed callback
    # naming another store is refused. One store: 1; a multistore lists its ids ("1,2").
    ps_shop_ids: frozenset[int] = frozenset({1})
    page_size: int = 100
    overlap_s: int = 120
    # The first import ignores orders last changed before this (shop local time); None = all.
    import_since: datetime | None = None
    # Several sites: what to do with an order no single site can ship whole
    # ("wait", "backorder" or "split"; see wms.domain.orders.routing).
    split_policy: str = "backorder"
    # A state meaning "partially shipped", where the shop has one: set when a part of a split
    # order left before the others (None: the shop hears only the final "Shipped").
    partial_shipped_state: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)


def parse_states(raw: Any, setting: str) -> frozenset[int]:
    """Return a set of state ids from "2,3,11", 2, [2, 3] or "[2,3]"; raise ValueError naming ``setting``."""
    if raw is None or raw == "":
        return frozenset()
    if isinstance(raw, bool):
        raise ValueError(f"{setting} must list order state ids such as 2,3,11, got {raw!r}")
    if isinstance(raw, int):
        return frozenset({raw})
    items = raw if isinstance(raw, (list, tuple, set, frozenset)) else str(raw).strip("[] ").split(",")
    try:
        states = frozenset(int(str(item).strip()) for item in items if str(item).strip())
    except ValueError:
        raise ValueError(f"{setting} must list order state ids such as 2,3,11, got {raw!r}") from None
    if any(s <= 0 for s in states):
        raise ValueError(f"{setting}: order state ids are positive, got {raw!r}")
    return states


def _settings(name: str, spec: Mapping[str, Any], config: Mapping[str, Any]) -> ShopSettings:
    def pick(key: str, default: Any = None) -> Any:
        # Per-shop value, else the global WMS_PRESTASHOP_<KEY>, else the default.
        if key in spec:
            return spec[key]
        return config.get(f"PRESTASHOP_{key.upper()}", default)

    url = str(spec.get("url") or "")
    key = str(spec.get("key") or "")
    if not url:
        raise ValueError(f"shop {name!r}: no webservice URL; set \"url\" (e.g. https://shop.example/api)")
    client_config = ShopConfig(
        base_url=url, key=key, name=name,
        auth_mode=str(spec.get("auth_mode", "basic")),
        max_retries=int(pick("max_retries", 3)),
        backoff_base=float(pick("backoff_base", 0.5)),
    )
    shipped_state = int(pick("shipped_state", 4))
    return ShopSettings(
        name=name,
        client_config=client_config,
        import_states=parse_states(pick("import_states", "2,3,11"), "PRESTASHOP_IMPORT_STATES"),
        cancel_states=parse_states(pick("cancel_states", "6,7"), "PRESTASHOP_CANCEL_STATES"),
        shipped_state=shipped_state,
        shipped_states=parse_states(pick("shipped_states", "4,5"), "PRESTASHOP_SHIPPED_STATES") | {shipped_state},
        awaiting_states=parse_states(pick("awaiting_states", "1,10,12,13"), "PRESTASHOP_AWAITING_STATES"),
        # Only the first shop ("default") may use the global WMS_PRESTASHOP_CALLBACK_SECRET:
        # every other shop has its own, so one shop's module cannot sign for another.
        callback_secret=str((pick("callback_secret", "") if name == DEFAULT_SHOP
                             else spec.get("callback_secret", "")) or ""),
        ps_shop_ids=parse_states(pick("shop_ids", "1"), "PRESTASHOP_SHOP_IDS") or frozenset({1}),
        page_size=int(pick("page_size", 100)),
        overlap_s=int(pick("overlap_s", 120)),
        import_since=_parse_since(pick("import_since")),
        split_policy=parse_split_policy(pick("split_policy", config.get("SPLIT_POLICY", "backorder"))),
        partial_shipped_state=min(parse_states(pick("partial_shipped_state"), "PRESTASHOP_PARTIAL_SHIPPED_STATE"),
                                  default=None),
        extra=dict(spec),
    )


SPLIT_POLICIES = ("wait", "backorder", "split")


def parse_split_policy(raw: Any) -> str:
    """Return "wait", "backorder" or "split"; raise ValueError for anything else."""
    value = str(raw or "backorder").strip().lower()
    if value not in SPLIT_POLICIES:
        raise ValueError(f"PRESTASHOP_SPLIT_POLICY must be wait, backorder or split, got {raw!r}")
    return value


def _parse_since(raw: Any) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(
            f"PRESTASHOP_IMPORT_SINCE must be a shop-local date like 2026-05-01 or 2026-05-01 08:00:00, got {raw!r}"
        ) from None


def configured_shops(config: Mapping[str, Any]) -> list[ShopSettings]:
    """Return every configured shop, the first one (WMS_PRESTASHOP_URL/KEY) named "default"."""
    shops: list[ShopSettings] = []
    if config.get("PRESTASHOP_URL"):
        shops.append(_settings(DEFAULT_SHOP, {"url": config["PRESTASHOP_URL"],
                                              "key": config.get("PRESTASHOP_KEY", "")}, config))
    raw = config.get("PRESTASHOP_SHOPS") or []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValueError(
                "WMS_PRESTASHOP_SHOPS must be JSON: a list of {\"name\", \"url\", \"key\", ...} "
                "or an object {name: {\"url\", \"key\", ...}}"
            ) from None
    if isinstance(raw, Mapping):
        raw = [{"name": name, **spec} for name, spec in raw.items()]
    if not isinstance(raw, list):
        raise ValueError("WMS_PRESTASHOP_SHOPS must be a JSON list or object of shops")
    for spec in raw:
        if not isinstance(spec, Mapping) or not spec.get("name"):
            raise ValueError(f"each entry of WMS_PRESTASHOP_SHOPS needs a \"name\": got {spec!r:.100}")
        name = str(spec["name"])
        if len(name) > 32 or any(s.name == name for s in shops):
            raise ValueError(f"shop name {name!r} is a duplicate or longer than 32 characters")
        shops.append(_settings(name, spec, config))
    return shops


def shop_settings(name: str, config: Mapping[str, Any]) -> ShopSettings:
    """Return the settings of shop ``name``; raise LookupError when it is not configured."""
    for shop in configured_shops(config):
        if shop.name == name:
            return shop
    raise LookupError(
        f"shop {name!r} is not configured: set WMS_PRESTASHOP_URL/KEY (shop \"default\") "
        "or add it to WMS_PRESTASHOP_SHOPS"
    )


def make_client(settings: ShopSettings) -> PrestaShopClient:
    """Return a new webservice client for one shop (close it when done)."""
    return PrestaShopClient(settings.client_config)
