"""Order routing (several warehouses): which site ships an order, and why.

An order gets its site when it is imported (:func:`route_new_orders`, the shop import and the
orders API: one stock read per batch, nothing reserved), so the desk shows it at once. That
site is a forecast: the first allocation (picking.allocation.allocate_orders calls
:func:`route_order`) routes the order again against the stock of that moment, and routes again
an order still waiting for a site; a site a supervisor chose (:func:`reroute`, ``site_pinned``)
is kept. The rules:

1. the sites its carrier collects from (a carrier with no sites listed: every site);
2. among them, those that can ship the whole order now (stock net of reservations, in bins
   allocation may take from), in preference order: the sites named by the routing rules that
   match the order (delivery country, carrier), by rule priority, then the other sites by their
   own priority; the first one wins;
3. when none can ship it whole, the policy of the order's shop (SplitPolicy): WAIT (no site
   yet: it waits and is routed again at the next allocation), BACKORDER (the site with the
   most ships what it has, the rest is backordered there), SPLIT (each site ships its part:
   the parent keeps the largest part, a part order per other site takes the rest; the shop
   hears "shipped" from the parent once the last part left, with every tracking number).

The reason is kept on the order (routing_reason) and shown on its page. A supervisor may
route an order not yet picked to another site (:func:`reroute`): its reservations are released
in one site and made in the other through the allocation services.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import func, select

from wms.db import db
from wms.domain.inventory.models import StockLevel
from wms.domain.locations.models import PICKABLE_KINDS, Location, Warehouse
from wms.domain.orders.models import Order, OrderLine, OrderStatus, RoutingRule, SplitPolicy, record_event
from wms.errors import Conflict, DomainError, NotFound
from wms.i18n import _


@dataclass
class Route:
    """Where an order goes: a site (None: it waits), why, and for a split the other parts."""

    warehouse_id: int | None
    reason: str
    policy: SplitPolicy | None = None  # None: a site ships it whole (or the only site)
    # SPLIT: (site, {order line id: units}) of each part after the parent's.
    parts: list[tuple[int, dict[int, int]]] = field(default_factory=list)


def all_sites() -> list[Warehouse]:
    return list(db.session.execute(select(Warehouse).order_by(Warehouse.priority, Warehouse.id)).scalars())


def active_rules() -> list[RoutingRule]:
    return list(db.session.execute(select(RoutingRule).where(RoutingRule.active.is_(True))
                                   .order_by(RoutingRule.priority, RoutingRule.id)).scalars())


def stock_by_site(product_ids) -> dict[int, dict[int, int]]:
    """Units allocation could take now, per site and product (on hand - reserved, pickable bins)."""
    ids = sorted({p for p in product_ids if p is not None})
    out: dict[int, dict[int, int]] = {}
    if not ids:
        return out
    rows = db.session.execute(
        select(Location.warehouse_id, StockLevel.product_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.product_id.in_(ids), StockLevel.on_hand > StockLevel.reserved,
               Location.kind.in_(PICKABLE_KINDS), Location.active.is_(True), Location.needs_count.is_(False))
        .group_by(Location.warehouse_id, StockLevel.product_id)).all()
    for warehouse_id, product_id, units in rows:
        out.setdefault(warehouse_id, {})[product_id] = int(units or 0)
    return out


def split_policy(order: Order) -> SplitPolicy:
    """The policy of the order's shop (its split_policy setting), else WMS_SPLIT_POLICY."""
    config = current_app.config if has_app_context() else {}
    raw = config.get("SPLIT_POLICY", "backorder")
    if order.shop:
        from wms.integrations.prestashop.shops import shop_settings

        try:
            raw = shop_settings(order.shop, config).split_policy
        except (LookupError, ValueError):
            pass
    try:
        return SplitPolicy(str(raw).strip().lower())
    except ValueError:
        return SplitPolicy.BACKORDER


def _describe(rule: RoutingRule) -> str:
    parts = []
    if rule.country_list:
        parts.append(", ".join(rule.country_list))
    if rule.carrier is not None:
        parts.append(rule.carrier.name)
    return " / ".join(parts) or _("every order")


def preference(order: Order, sites: list[Warehouse], rules: list[RoutingRule] | None = None
               ) -> list[tuple[Warehouse, RoutingRule | None]]:
    """The sites in the order they are preferred for this order, with the rule that put each there."""
    rules = active_rules() if rules is None else rules
    by_id = {w.id: w for w in sites}
    ordered: list[tuple[Warehouse, RoutingRule | None]] = []
    for rule in rules:
        if rule.warehouse_id in by_id and rule.matches(order) and all(w.id != rule.warehouse_id for w, _r in ordered):
            ordered.append((by_id[rule.warehouse_id], rule))
    ordered += [(w, None) for w in sites if all(w.id != o.id for o, _r in ordered)]
    return ordered


def _coverage(order: Order, stock: dict[int, int]) -> dict[int, int]:
    """Units of each line (id) one site could reserve now."""
    left = dict(stock)
    cover = {}
    for line in order.lines:
        want = line.quantity - line.quantity_allocated
        if line.product_id is None or want <= 0:
            continue
        take = min(want, max(left.get(line.product_id, 0), 0))
        cover[line.id] = take
        left[line.product_id] = left.get(line.product_id, 0) - take
    return cover


def _carrier_of(order: Order):
    """The order's carrier (an order not yet flushed does not load its relationships)."""
    if order.carrier is not None or order.carrier_id is None:
        return order.carrier
    from wms.domain.shipping.models import Carrier

    return db.session.get(Carrier, order.carrier_id)


def plan(order: Order, sites: list[Warehouse] | None = None, rules: list[RoutingRule] | None = None,
         stock: dict[int, dict[int, int]] | None = None, policy: SplitPolicy | None = None) -> Route:
    """Decide where an order goes (nothing is changed); ``policy``: instead of the shop's."""
    sites = all_sites() if sites is None else sites
    if not sites:
        return Route(None, "")
    carrier = _carrier_of(order)
    served = [w for w in sites if carrier is None or carrier.serves(w.id)]
    if not served:
        return Route(None, _("%(carrier)s collects from none of the sites: choose another carrier, "
                             "or let it collect from a site.", carrier=carrier.name))
    if len(sites) == 1:
        return Route(served[0].id, _("Shipped from %(site)s, the only site.", site=served[0].name))
    ranked = preference(order, served, rules)
    stock = stock_by_site(line.product_id for line in order.lines) if stock is None else stock
    wanted = {line.id: line.quantity - line.quantity_allocated for line in order.lines
              if line.product_id is not None and line.quantity > line.quantity_allocated}
    total = sum(wanted.values())
    covers = {w.id: _coverage(order, stock.get(w.id, {})) for w, _r in ranked}
    for warehouse, rule in ranked:
        if sum(covers[warehouse.id].values()) >= total:
            if rule is not None:
                reason = _("Routed to %(site)s: it can ship the whole order, and the rule for %(rule)s "
                           "prefers it.", site=warehouse.name, rule=_describe(rule))
            else:
                reason = _("Routed to %(site)s: the first site (by priority) that can ship the whole "
                           "order.", site=warehouse.name)
            return Route(warehouse.id, reason)
    policy = policy or split_policy(order)
    # The site with the most units first (ties: the preference order).
    most = sorted(ranked, key=lambda item: -sum(covers[item[0].id].values()))
    best = most[0][0]
    best_units = sum(covers[best.id].values())
    if policy is SplitPolicy.WAIT or best_units == 0:
        if policy is not SplitPolicy.WAIT:
            # Nothing anywhere: it waits at its preferred site, like a backorder.
            first = ranked[0][0]
            return Route(first.id, _("No site has any of it: it waits for stock at %(site)s.",
                                     site=first.name), SplitPolicy.BACKORDER)
        return Route(None, _("No site can ship the whole order: it waits until one can (the shop's "
                             "policy)."), SplitPolicy.WAIT)
    if policy is SplitPolicy.BACKORDER:
        return Route(best.id, _("No site can ship the whole order: %(site)s has the most (%(units)s of "
                                "%(total)s units) and ships it; the rest is backordered there.",
                                site=best.name, units=best_units, total=total), SplitPolicy.BACKORDER)
    # SPLIT: the largest part stays on the order, each other site with stock gets a part.
    left = dict(wanted)
    for line_id, units in covers[best.id].items():
        left[line_id] -= units
    parts = []
    names = [best.name]
    for warehouse, _rule in most[1:]:
        if not any(left.values()):
            break
        take: dict[int, int] = {}
        site_stock = dict(stock.get(warehouse.id, {}))
        for line in order.lines:
            need = left.get(line.id, 0)
            if need <= 0:
                continue
            got = min(need, max(site_stock.get(line.product_id, 0), 0))
            if got:
                take[line.id] = got
                site_stock[line.product_id] = site_stock.get(line.product_id, 0) - got
                left[line.id] -= got
        if take:
            parts.append((warehouse.id, take))
            names.append(warehouse.name)
    if not parts:
        return Route(best.id, _("No site can ship the whole order: %(site)s has the most (%(units)s of "
                                "%(total)s units) and ships it; the rest is backordered there.",
                                site=best.name, units=best_units, total=total), SplitPolicy.BACKORDER)
    return Route(best.id, _("No site can ship the whole order: split between %(sites)s (the shop's policy); "
                            "the shop hears it shipped when the last part leaves.",
                            sites=", ".join(names)), SplitPolicy.SPLIT, parts)


def route_order(order: Order, user=None, *, sites: list[Warehouse] | None = None,
                policy: SplitPolicy | None = None) -> tuple[Route, list[Order]]:
    """Give a NEW order its site (and for a split, its part orders); return the route and new parts."""
    sites = all_sites() if sites is None else sites
    route = plan(order, sites, policy=policy)
    if not sites:
        return route, []
    order.routing_reason = route.reason[:500] or None
    order.warehouse_id = route.warehouse_id
    made = [_make_part(order, warehouse_id, units, route.reason) for warehouse_id, units in route.parts]
    if len(sites) > 1 and route.reason and route.warehouse_id is not None:
        last = order.events[-1] if order.events else None
        if last is None or last.message != route.reason:
            record_event(order, "routed", route.reason, user)
    db.session.flush()
    return route, made


def route_new_orders(orders) -> int:
    """Give orders just imported (flushed, nothing reserved) their site and reason; return how many.

    One read of the sites, the rules and the stock for the whole batch; an order's forecast
    takes its units from that stock, so the next order of the batch does not count them again.
    A split is only forecast (the site with the most): the parts are made at allocation.
    An order a supervisor routed (``site_pinned``) keeps its site.
    """
    orders = [o for o in orders if not o.site_pinned and o.parent_id is None
              and o.status not in (OrderStatus.CANCELLED, OrderStatus.SHIPPED)]
    if not orders:
        return 0
    sites = all_sites()
    if not sites:
        return 0
    rules = active_rules() if len(sites) > 1 else []
    stock = (stock_by_site(line.product_id for o in orders for line in o.lines)
             if len(sites) > 1 else {})
    for order in orders:
        route = plan(order, sites, rules, stock)
        # The order page shows the site and its reason; the history gets its "routed" line when
        # the first allocation settles it (a line per imported order would be one more INSERT
        # per order on the import's path).
        order.warehouse_id = route.warehouse_id
        order.routing_reason = route.reason[:500] or None
        # What this order will take is no longer there for the next one.
        taken = [(route.warehouse_id, _coverage(order, stock.get(route.warehouse_id, {})))]
        taken += [(site, units) for site, units in route.parts]
        lines = {line.id: line for line in order.lines}
        for site, units in taken:
            if site is None:
                continue
            site_stock = stock.setdefault(site, {})
            for line_id, qty in units.items():
                product = lines[line_id].product_id
                site_stock[product] = site_stock.get(product, 0) - qty
    db.session.flush()
    return len(orders)


_COPIED = ("shop", "channel", "customer_name", "customer_email", "language", "ship_name", "ship_company",
           "ship_address1", "ship_address2", "ship_postcode", "ship_city", "ship_country", "ship_phone",
           "relay_point_id", "carrier_id", "currency", "priority", "is_demo", "ship_by", "ordered_at")


def _make_part(order: Order, warehouse_id: int, units: dict[int, int], reason: str) -> Order:
    """Move ``units`` of the order's lines to a new part order shipped from another site."""
    number = len(order.parts) + 2
    part = Order(reference=f"{order.reference}/{number}"[:64], status=OrderStatus.NEW,
                 warehouse_id=warehouse_id, routing_reason=reason[:500],
                 **{name: getattr(order, name) for name in _COPIED})
    order.parts.append(part)
    lines = {line.id: line for line in order.lines}
    for n, (line_id, qty) in enumerate(sorted(units.items()), start=1):
        line = lines[line_id]
        part.lines.append(OrderLine(
            line_no=n, ps_order_detail_id=line.ps_order_detail_id, product_id=line.product_id, sku=line.sku,
            name=line.name, ean13=line.ean13, ps_product_id=line.ps_product_id,
            ps_combination_id=line.ps_combination_id, quantity=qty, unit_price=line.unit_price))
        line.quantity -= qty
        if line.quantity <= 0 and not line.quantity_allocated:
            order.lines.remove(line)
    db.session.flush()
    site = db.session.get(Warehouse, warehouse_id)
    record_event(order, "split", _("%(part)s ships %(units)s units from %(site)s.", part=part.reference,
                                   units=sum(units.values()), site=site.name if site else "?"))
    record_event(part, "split", _("Part of %(order)s, shipped from %(site)s.", order=order.reference,
                                  site=site.name if site else "?"))
    return part


# ------------------------------------------------------------------ re-routing from the desk

REROUTABLE = (OrderStatus.NEW, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED)


def reroute(order: Order, warehouse_id, user=None):
    """Send an order not yet picked to another site: release its reservations, reserve there."""
    from wms.domain.orders.services import lock_order
    from wms.domain.picking.allocation import allocate_orders, release_order_allocations
    from wms.domain.picking.services import active_pick_lists

    warehouse = db.session.get(Warehouse, int(warehouse_id)) if str(warehouse_id).isdecimal() else None
    if warehouse is None:
        raise NotFound(_("Warehouse %(id)s does not exist: choose one of the list.", id=warehouse_id))
    order = lock_order(order)
    if order.status not in REROUTABLE or any(ln.quantity_picked for ln in order.lines):
        raise Conflict(_("%(order)s is %(status)s: only an order not yet picked can go to another site.",
                         order=order.code, status=order.status.label.lower()), code="not_reroutable")
    if active_pick_lists(order.id):
        raise Conflict(_("%(order)s is on a pick list: take it off the list first.", order=order.code),
                       code="on_pick_list")
    if order.carrier is not None and not order.carrier.serves(warehouse.id):
        raise DomainError(_("%(carrier)s does not collect from %(site)s: choose another carrier first.",
                            carrier=order.carrier.name, site=warehouse.name), code="carrier_not_at_site")
    if order.warehouse_id == warehouse.id:
        raise DomainError(_("%(order)s already ships from %(site)s.", order=order.code, site=warehouse.name),
                          code="same_site")
    release_order_allocations(order, user)
    order.warehouse_id = warehouse.id
    order.site_pinned = True
    name = getattr(user, "name", None) or _("a supervisor")
    order.routing_reason = _("Routed to %(site)s by %(user)s on the desk.", site=warehouse.name, user=name)[:500]
    record_event(order, "routed", order.routing_reason, user)
    order.status = OrderStatus.NEW
    db.session.flush()
    return allocate_orders([order.id], user=user)
