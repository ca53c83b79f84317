"""Order pick stops into short walking routes through a warehouse of one or more blocks.

The floor is one block of parallel aisles joined by a front cross aisle (y = 0) and a
back cross aisle (y = aisle length). A picker walks along aisles and cross aisles only,
and picks from either side of an aisle without a lateral step, so a stop is an
(aisle, y) point on the aisle's centre line. The depot (dock/packing, where every
route starts and ends) sits on one of the two cross aisles.

`optimal_order` is the exact Ratliff & Rosenthal (1983) dynamic programme: it sweeps
the aisles left to right keeping, for the partial tour built so far, the degree parity
of the two cross-aisle points of the current aisle and whether they are connected.
It runs in time linear in the number of aisles, whatever the number of picks, so the
WMS uses it directly (`walking_order`) instead of a heuristic.

Multi-block layouts. `Layout(middle_cross_aisles=(y1, ...))` (warehouse.json:
`layout.middle_cross_aisles_m`) adds cross aisles spanning every aisle at those y, so
each aisle is split into blocks; the depot may stand on any cross aisle. Distances are
exact shortest paths on that graph: along one aisle straight, otherwise
|x1 - x2| + min over cross aisles c of |y1 - c| + |y2 - c| (a detour through a third
aisle never helps). Ratliff-Rosenthal no longer applies, so `walking_order` uses a
heuristic: it builds tours from the single-block optimum (ignoring the middle cross
aisles), the multi-block S-shape and largest gap (Roodbergen & de Koster 2001) and
nearest neighbour, improves each by 2-opt and Or-opt over the shortest-path distances,
and keeps the shortest. `optimal_order` / `optimal_length` are exact there by
Held-Karp over the distinct positions, limited to EXACT_LIMIT of them (for tests and
bench/route.py). A layout without middle cross aisles behaves exactly as before.

Pure module: no Flask, no database.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from wms.i18n import _

__all__ = [
    "Layout",
    "RoutingError",
    "Stop",
    "EXACT_LIMIT",
    "largest_gap_length",
    "largest_gap_order",
    "make_stop",
    "optimal_length",
    "optimal_order",
    "order_by_walk",
    "parse_location_code",
    "route_length",
    "sshape_length",
    "sshape_order",
    "stop_distance",
    "stop_from_code",
    "walking_order",
]

T = TypeVar("T")

# Positions closer than this (metres) are the same point: y values come from floats
# such as ceil(b/2) * 1.2 and from database columns.
EPS = 1e-9

_CODE_RE = re.compile(r"^(?P<zone>[A-Z]+)-(?P<aisle>\d{1,3})-(?P<bay>\d{1,3})(?:-(?P<level>\d{1,2}))?$")


class RoutingError(ValueError):
    """A layout or a stop that routing cannot work with; the message says what to fix."""


@dataclass(frozen=True)
class Layout:
    """Geometry of a single-block warehouse: aisle positions, aisle length, depot."""

    aisle_x: dict[int, float]
    aisle_length: float
    depot: tuple[float, float] = (0.0, 0.0)
    cross_aisles: tuple[float, float] | None = None
    bay_depth: float = 1.2
    bays_per_aisle: int = 20
    zones: dict[str, tuple[int, ...]] = field(default_factory=dict)
    middle_cross_aisles: tuple[float, ...] = ()

    @property
    def cross_aisle_ys(self) -> tuple[float, ...]:
        """Every cross aisle's y, front (0) to back (aisle length), middle ones between."""
        return (0.0, *self.middle_cross_aisles, float(self.aisle_length))

    @property
    def multi_block(self) -> bool:
        """True when middle cross aisles split every aisle into several blocks."""
        return bool(self.middle_cross_aisles)

    def __post_init__(self) -> None:
        length = self.aisle_length
        if not _finite(length) or length <= 0:
            raise RoutingError(_("aisle length must be a positive number of metres, got "
                                 "%(length)s", length=repr(length)))
        if self.cross_aisles is None:
            object.__setattr__(self, "cross_aisles", (0.0, float(length)))
        front, back = self.cross_aisles  # type: ignore[misc]
        if abs(front) > EPS or abs(back - length) > EPS:
            raise RoutingError(
                _("only a single block is supported: cross aisles must be at y=0 and "
                  "y=%(length)s (the aisle length), got %(cross_aisles)s",
                  length=length, cross_aisles=repr(self.cross_aisles))
            )
        if not self.aisle_x:
            raise RoutingError(_("the layout has no aisles"))
        xs = sorted(self.aisle_x.values())
        if not all(_finite(x) for x in xs):
            raise RoutingError(_("aisle positions must be finite numbers, got %(aisle_x)s",
                                 aisle_x=repr(self.aisle_x)))
        if any(b - a <= EPS for a, b in zip(xs, xs[1:])):
            raise RoutingError(_("two aisles share the same x position: %(aisle_x)s",
                                 aisle_x=repr(self.aisle_x)))
        middles = tuple(self.middle_cross_aisles or ())
        if not all(_finite(m) for m in middles):
            raise RoutingError(_("middle cross aisle positions must be finite numbers, got "
                                 "%(middles)s", middles=repr(middles)))
        middles = tuple(sorted(float(m) for m in middles))
        if any(m <= EPS or m >= length - EPS for m in middles):
            raise RoutingError(
                _("middle cross aisles must lie strictly between y=0 and y=%(length)s, got "
                  "%(middles)s", length=length, middles=repr(middles))
            )
        if any(b - a <= EPS for a, b in zip(middles, middles[1:])):
            raise RoutingError(_("two middle cross aisles share the same y position: %(middles)s",
                                 middles=repr(middles)))
        object.__setattr__(self, "middle_cross_aisles", middles)
        dx, dy = self.depot
        if not (_finite(dx) and _finite(dy)):
            raise RoutingError(_("depot position must be finite numbers, got %(depot)s",
                                 depot=repr(self.depot)))
        if middles and all(abs(dy - c) > EPS for c in self.cross_aisle_ys):
            raise RoutingError(
                _("the depot must stand on a cross aisle (y in %(cross_aisle_ys)s), got y=%(dy)s",
                  cross_aisle_ys=list(self.cross_aisle_ys), dy=dy)
            )
        if not middles and abs(dy) > EPS and abs(dy - length) > EPS:
            raise RoutingError(
                _("the depot must stand on the front (y=0) or back (y=%(length)s) cross aisle, "
                  "got y=%(dy)s", length=length, dy=dy)
            )
        if self.bay_depth <= 0 or self.bays_per_aisle <= 0:
            raise RoutingError(_("bay depth and bays per aisle must be positive"))
        for zone, aisles in self.zones.items():
            unknown = [a for a in aisles if a not in self.aisle_x]
            if unknown:
                raise RoutingError(_("zone %(zone)s lists aisles %(unknown)s that the layout "
                                     "does not have", zone=zone, unknown=unknown))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Layout:
        """Build a layout from the `layout` and `zones` sections of warehouse.json."""
        try:
            spec = data["layout"]
            zone_list = data["zones"]
            spacing = float(spec["aisle_spacing_m"])
            length = float(spec["aisle_length_m"])
            depot = (float(spec["depot"]["x"]), float(spec["depot"]["y"]))
            bay_depth = float(spec.get("bay_depth_m", 1.2))
            bays = int(spec.get("bays_per_aisle", 20))
            middles = tuple(float(m) for m in spec.get("middle_cross_aisles_m", ()))
            zones: dict[str, tuple[int, ...]] = {}
            for zone in zone_list:
                zones[str(zone["zone"])] = tuple(int(a) for a in zone["aisles"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RoutingError(_("warehouse layout is missing or has a bad field: %(exc)s",
                                 exc=repr(exc))) from exc
        seen: dict[int, str] = {}
        for zone, aisles in zones.items():
            for aisle in aisles:
                if aisle in seen:
                    raise RoutingError(_("aisle %(aisle)s is listed in both zone %(seen)s and "
                                         "zone %(zone)s", aisle=aisle, seen=seen[aisle], zone=zone))
                seen[aisle] = zone
        if spacing <= 0:
            raise RoutingError(_("aisle_spacing_m must be positive, got %(spacing)s",
                                 spacing=spacing))
        return cls(
            aisle_x={aisle: aisle * spacing for aisle in sorted(seen)},
            aisle_length=length,
            depot=depot,
            bay_depth=bay_depth,
            bays_per_aisle=bays,
            zones=zones,
            middle_cross_aisles=middles,
        )

    @classmethod
    def from_json(cls, path: str | Path) -> Layout:
        """Read a layout from a warehouse.json file."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))


@dataclass(frozen=True, order=True)
class Stop:
    """One place to pick from: a key (the location code), its aisle and its y in metres."""

    key: str
    aisle: int
    y: float


def make_stop(layout: Layout, key: str, aisle: int, y: float) -> Stop:
    """Build a stop from explicit coordinates (a Location row's aisle and pos_y), checked."""
    stop = Stop(str(key), int(aisle), float(y))
    _check_stop(layout, stop)
    return stop


def parse_location_code(code: str) -> tuple[str, int, int, int | None]:
    """Split a location code such as `A-03-07-1` into (zone, aisle, bay, level)."""
    match = _CODE_RE.match(code.strip().upper()) if isinstance(code, str) else None
    if not match:
        raise RoutingError(
            _("location code %(code)s is not of the form ZONE-AISLE-BAY-LEVEL, e.g. A-03-07-1",
              code=repr(code))
        )
    level = match["level"]
    return match["zone"], int(match["aisle"]), int(match["bay"]), int(level) if level else None


def stop_from_code(layout: Layout, code: str) -> Stop:
    """Build a stop from a location code: bay b is at y = ceil(b/2) * bay depth."""
    zone, aisle, bay, _level = parse_location_code(code)
    if layout.zones:
        if zone not in layout.zones:
            raise RoutingError(_("location %(code)s: zone %(zone)s is not in the layout "
                                 "(%(zones)s)", code=code, zone=zone, zones=', '.join(layout.zones)))
        if aisle not in layout.zones[zone]:
            raise RoutingError(_("location %(code)s: aisle %(aisle)s is not in zone %(zone)s "
                                 "%(zones)s",
                                 code=code, aisle=aisle, zone=zone, zones=list(layout.zones[zone])))
    if not 1 <= bay <= layout.bays_per_aisle:
        raise RoutingError(_("location %(code)s: bay %(bay)s is outside 1..%(bays_per_aisle)s",
                             code=code, bay=bay, bays_per_aisle=layout.bays_per_aisle))
    return make_stop(layout, code, aisle, round(math.ceil(bay / 2) * layout.bay_depth, 6))


# --------------------------------------------------------------------------- distances

def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check_stop(layout: Layout, stop: Stop) -> None:
    if not isinstance(stop, Stop):
        raise RoutingError(_("expected a Stop, got %(stop)s", stop=repr(stop)))
    if stop.aisle not in layout.aisle_x:
        raise RoutingError(
            _("stop %(key)s: aisle %(aisle)s does not exist in this layout (aisles "
              "%(aisle_x)s..%(aisle_x_2)s)",
              key=stop.key, aisle=stop.aisle, aisle_x=min(layout.aisle_x), aisle_x_2=max(layout.aisle_x))
        )
    if not _finite(stop.y) or stop.y < -EPS or stop.y > layout.aisle_length + EPS:
        raise RoutingError(_("stop %(key)s: y=%(y)s is outside the aisle (0..%(aisle_length)s m)",
                             key=stop.key, y=repr(stop.y), aisle_length=layout.aisle_length))


def _point_distance(length: float, x1: float, y1: float, a1: int | None,
                    x2: float, y2: float, a2: int | None) -> float:
    # Same aisle: walk straight along it. Otherwise leave by the front or the back
    # cross aisle, whichever is shorter for this pair; an intermediate aisle never helps.
    if a1 is not None and a1 == a2:
        return abs(y1 - y2)
    return abs(x1 - x2) + min(y1 + y2, 2 * length - y1 - y2)


def _multi_distance(cross_ys: Sequence[float], x1: float, y1: float, a1: int | None,
                    x2: float, y2: float, a2: int | None) -> float:
    # Same aisle: straight along it. Otherwise walk to one cross aisle c, along it, and
    # from it to the other point: changing cross aisle on the way through a third aisle
    # costs at least as much (triangle inequality), so one cross aisle is enough.
    if a1 is not None and a1 == a2:
        return abs(y1 - y2)
    return abs(x1 - x2) + min(abs(y1 - c) + abs(y2 - c) for c in cross_ys)


def _depot_aisle(layout: Layout) -> int | None:
    dx = layout.depot[0]
    for aisle, x in layout.aisle_x.items():
        if abs(x - dx) <= EPS:
            return aisle
    return None


def stop_distance(layout: Layout, a: Stop | None, b: Stop | None) -> float:
    """Return the shortest walking distance in metres between two stops (None is the depot)."""
    def coords(s: Stop | None) -> tuple[float, float, int | None]:
        if s is None:
            return layout.depot[0], layout.depot[1], _depot_aisle(layout)
        return layout.aisle_x[s.aisle], s.y, s.aisle
    if layout.middle_cross_aisles:
        return _multi_distance(layout.cross_aisle_ys, *coords(a), *coords(b))
    return _point_distance(layout.aisle_length, *coords(a), *coords(b))


def route_length(layout: Layout, stops_in_order: Sequence[Stop]) -> float:
    """Return the metres walked from the depot through the stops in order and back."""
    for stop in stops_in_order:
        _check_stop(layout, stop)
    total = 0.0
    previous: Stop | None = None
    for stop in stops_in_order:
        total += stop_distance(layout, previous, stop)
        previous = stop
    return total + stop_distance(layout, previous, None)


# --------------------------------------------------------------------------- S-shape

def _by_aisle(layout: Layout, stops: Iterable[Stop]) -> dict[int, list[Stop]]:
    aisles: dict[int, list[Stop]] = {}
    for stop in stops:
        _check_stop(layout, stop)
        aisles.setdefault(stop.aisle, []).append(stop)
    return aisles


def _sshape_plan(layout: Layout, stops: Iterable[Stop]) -> tuple[list[Stop], list[tuple[float, float, int | None]]]:
    aisles = _by_aisle(layout, stops)
    length = layout.aisle_length
    ordered = sorted(aisles, key=lambda a: layout.aisle_x[a])
    order: list[Stop] = []
    depot = (layout.depot[0], layout.depot[1], _depot_aisle(layout))
    path = [depot]
    for i, aisle in enumerate(ordered):
        x = layout.aisle_x[aisle]
        up = sorted(aisles[aisle], key=lambda s: (s.y, s.key))
        if i == len(ordered) - 1 and len(ordered) % 2 == 1:
            # An odd count would leave the picker at the back: go in to the farthest
            # pick of the last aisle and come back out to the front instead.
            order += up
            path += [(x, 0.0, aisle), (x, up[-1].y, aisle), (x, 0.0, aisle)]
        elif i % 2 == 0:
            order += up
            path += [(x, 0.0, aisle), (x, length, aisle)]
        else:
            order += sorted(aisles[aisle], key=lambda s: (-s.y, s.key))
            path += [(x, length, aisle), (x, 0.0, aisle)]
    path.append(depot)
    return order, path


def sshape_order(layout: Layout, stops: Iterable[Stop]) -> list[Stop]:
    """Order stops by the S-shape heuristic: traverse each aisle with picks, left to right.

    On a multi-block layout this is the multi-block S-shape of Roodbergen & de Koster
    (2001): up the left-most pick aisle to the farthest block with picks, then block by
    block towards the front, each block's pick aisles traversed in an S.
    """
    if layout.middle_cross_aisles:
        return _multi_sshape_order(layout, list(stops))
    return _sshape_plan(layout, stops)[0]


def sshape_length(layout: Layout, stops: Iterable[Stop]) -> float:
    """Return the metres walked under the S-shape policy (every visited aisle fully traversed).

    Multi-block: the shortest walk through the multi-block S-shape order.
    """
    if layout.middle_cross_aisles:
        return route_length(layout, _multi_sshape_order(layout, list(stops)))
    _order, path = _sshape_plan(layout, stops)
    length = layout.aisle_length
    return sum(_point_distance(length, *p, *q) for p, q in zip(path, path[1:]))


# --------------------------------------------------------------------------- exact DP
#
# Graph: for every column (an aisle, plus a column without vertical edges for a depot
# standing between aisles) a front vertex A, a back vertex B and one vertex per distinct
# pick y; cross-aisle edges join A_j-A_j+1 and B_j-B_j+1. A tour is a connected
# multigraph with even degrees containing the depot and every pick; each edge is used
# at most twice. Frontier state after column j: the status of A_j and B_j (absent,
# present with even degree, present with odd degree) and whether they are connected.

_ABSENT, _EVEN, _ODD = 0, 1, 2
_NONE, _PASS, _DOUBLE, _FRONT, _BACK, _GAP = range(6)
# Degrees the aisle's vertical edges add to A and B, and whether they join A to B.
_VERTICAL = {
    _NONE: (0, 0, False),
    _PASS: (1, 1, True),      # walk the aisle once, end to end
    _DOUBLE: (2, 2, True),    # walk it end to end twice
    _FRONT: (2, 0, False),    # in from the front to the farthest pick and back
    _BACK: (0, 2, False),     # in from the back to the nearest-to-front pick and back
    _GAP: (2, 2, False),      # in from both ends, leaving the largest gap between picks unwalked
}
_H_CHOICES = [(ha, hb) for ha in (0, 1, 2) for hb in (0, 1, 2)]
_ALL_STATES = [(sa, sb, c) for sa in range(3) for sb in range(3) for c in (0, 1) if c == 0 or (sa and sb)]


def _horizontal(state: tuple[int, int, int], ha: int, hb: int,
                a_req: bool, b_req: bool) -> tuple[int, int, int] | None:
    sa, sb, conn = state
    for status, h in ((sa, ha), (sb, hb)):
        if status == _ABSENT and h:
            return None  # a spur to an empty point covers nothing
        if status and (status == _ODD) != (h == 1):
            return None  # the vertex left behind must end with an even degree
    # Every component on the frontier must reach the next column.
    if sa and not ha and not (conn and hb):
        return None
    if sb and not hb and not (conn and ha):
        return None
    na = _ODD if ha == 1 else _EVEN if (ha == 2 or a_req) else _ABSENT
    nb = _ODD if hb == 1 else _EVEN if (hb == 2 or b_req) else _ABSENT
    return na, nb, int(bool(ha and hb and conn))


def _vertical(state: tuple[int, int, int], kind: int) -> tuple[int, int, int]:
    sa, sb, conn = state
    da, db, through = _VERTICAL[kind]

    def add(status: int, d: int) -> int:
        if status == _ABSENT and d == 0:
            return _ABSENT
        odd = (status == _ODD) ^ (d % 2 == 1)
        return _ODD if odd else _EVEN

    return add(sa, da), add(sb, db), 1 if through else conn


def _build_table(a_req: bool, b_req: bool) -> dict[tuple[int, int, int], list[tuple[tuple[int, int, int], int, int, int]]]:
    table = {}
    for state in _ALL_STATES:
        moves = []
        for ha, hb in _H_CHOICES:
            entering = _horizontal(state, ha, hb, a_req, b_req)
            if entering is None:
                continue
            for kind in _VERTICAL:
                moves.append((_vertical(entering, kind), ha, hb, kind))
        table[state] = moves
    return table


_TABLES = {(a, b): _build_table(a, b) for a in (False, True) for b in (False, True)}


def _closed(state: tuple[int, int, int]) -> bool:
    sa, sb, conn = state
    if sa == _ODD or sb == _ODD or not (sa or sb):
        return False
    return not (sa and sb) or bool(conn)


@dataclass
class _Column:
    x: float
    aisle: int | None         # None for the depot's column between aisles
    ys: list[float]           # distinct pick y values, ascending
    a_req: bool = False       # the depot is this column's front point
    b_req: bool = False       # the depot is this column's back point


def _vertical_costs(col: _Column, length: float) -> tuple[list[float | None], int]:
    ys = col.ys
    costs: list[float | None] = [None] * 6
    if not ys:
        costs[_NONE] = 0.0
    if col.aisle is None:
        return costs, 0
    costs[_PASS] = length
    costs[_DOUBLE] = 2 * length
    best_gap = 0
    if ys:
        costs[_FRONT] = 2 * ys[-1]
        costs[_BACK] = 2 * (length - ys[0])
        for i in range(1, len(ys)):
            cost = 2 * ys[i - 1] + 2 * (length - ys[i])
            if costs[_GAP] is None or cost < costs[_GAP] - EPS:
                costs[_GAP], best_gap = cost, i
    return costs, best_gap


def _columns(layout: Layout, points: Sequence[tuple[int, float]]) -> tuple[list[_Column], int, str]:
    by_aisle: dict[int, list[float]] = {}
    for aisle, y in points:
        by_aisle.setdefault(aisle, []).append(y)
    cols = [_Column(x, a, sorted(by_aisle.get(a, []))) for a, x in
            sorted(layout.aisle_x.items(), key=lambda item: item[1])]
    dx, dy = layout.depot
    end = "a" if abs(dy) <= EPS else "b"
    depot_col = next((i for i, c in enumerate(cols) if abs(c.x - dx) <= EPS), None)
    if depot_col is None:
        cols.append(_Column(dx, None, []))
        cols.sort(key=lambda c: c.x)
        depot_col = next(i for i, c in enumerate(cols) if c.aisle is None)
    if end == "a":
        cols[depot_col].a_req = True
    else:
        cols[depot_col].b_req = True
    return cols, depot_col, end


def _solve(layout: Layout, points: Sequence[tuple[int, float]]) -> tuple[float, list[tuple[int, float]]]:
    """Return the optimal tour length over distinct (aisle, y) points and a visiting order."""
    length = layout.aisle_length
    cols, depot_col, depot_end = _columns(layout, points)
    last_required = max([depot_col] + [i for i, c in enumerate(cols) if c.ys])
    vcosts = [_vertical_costs(c, length) for c in cols]

    # dp[j][state] = (cost, previous state, ha, hb, kind) after column j's vertical edges.
    start = (_ABSENT, _ABSENT, 0)
    dp: list[dict[tuple[int, int, int], tuple[float, Any, int, int, int]]] = []
    frontier = {start: 0.0}
    best: tuple[float, int, tuple[int, int, int]] | None = None
    for j, col in enumerate(cols):
        dx = col.x - cols[j - 1].x if j else 0.0
        table = _TABLES[(col.a_req, col.b_req)]
        costs = vcosts[j][0]
        layer: dict[tuple[int, int, int], tuple[float, Any, int, int, int]] = {}
        for state in sorted(frontier):
            base = frontier[state]
            for new, ha, hb, kind in table[state]:
                vc = costs[kind]
                if vc is None:
                    continue
                cost = base + (ha + hb) * dx + vc
                old = layer.get(new)
                if old is None or cost < old[0] - EPS:
                    layer[new] = (cost, state, ha, hb, kind)
        dp.append(layer)
        frontier = {s: v[0] for s, v in layer.items()}
        if j >= last_required:
            for state in sorted(layer):
                if _closed(state) and (best is None or layer[state][0] < best[0] - EPS):
                    best = (layer[state][0], j, state)
    if best is None:  # pragma: no cover - the programme always has a feasible tour
        raise RuntimeError("routing DP found no tour; this is a bug")
    total, last_col, state = best

    # Rebuild the chosen multigraph, then walk an Euler circuit from the depot.
    choices: list[tuple[int, int, int]] = [(0, 0, _NONE)] * (last_col + 1)
    for j in range(last_col, -1, -1):
        _cost, prev, ha, hb, kind = dp[j][state]
        choices[j] = (ha, hb, kind)
        state = prev
    edges: list[tuple[Any, Any]] = []
    for j in range(last_col + 1):
        ha, hb, kind = choices[j]
        edges += [(("a", j - 1), ("a", j))] * ha + [(("b", j - 1), ("b", j))] * hb
        chain = [("a", j)] + [("p", j, i) for i in range(len(cols[j].ys))] + [("b", j)]
        gaps = len(chain) - 1
        gap_mult = {
            _NONE: [0] * gaps,
            _PASS: [1] * gaps,
            _DOUBLE: [2] * gaps,
            _FRONT: [2] * (gaps - 1) + [0],
            _BACK: [0] + [2] * (gaps - 1),
        }.get(kind)
        if gap_mult is None:  # _GAP: the unwalked gap lies between picks best-1 and best
            cut = vcosts[j][1]
            gap_mult = [0 if g == cut else 2 for g in range(gaps)]
        for g, mult in enumerate(gap_mult):
            edges += [(chain[g], chain[g + 1])] * mult
    circuit = _euler_circuit(edges, (depot_end, depot_col))
    order: list[tuple[int, float]] = []
    seen = set()
    for node in circuit:
        if node[0] == "p" and node not in seen:
            seen.add(node)
            column = cols[node[1]]
            order.append((column.aisle, column.ys[node[2]]))
    if len(seen) != sum(len(c.ys) for c in cols):  # pragma: no cover - guarded by tests
        raise RuntimeError("routing DP tour misses a pick; this is a bug")
    return total, order


def _euler_circuit(edges: list[tuple[Any, Any]], start: Any) -> list[Any]:
    adj: dict[Any, list[tuple[Any, int]]] = {start: []}
    for eid, (u, v) in enumerate(edges):
        adj.setdefault(u, []).append((v, eid))
        adj.setdefault(v, []).append((u, eid))
    used = [False] * len(edges)
    pointer = dict.fromkeys(adj, 0)
    stack, circuit = [start], []
    while stack:
        v = stack[-1]
        nbrs = adj[v]
        i = pointer[v]
        while i < len(nbrs) and used[nbrs[i][1]]:
            i += 1
        pointer[v] = i
        if i == len(nbrs):
            circuit.append(stack.pop())
        else:
            w, eid = nbrs[i]
            used[eid] = True
            stack.append(w)
    if len(circuit) != len(edges) + 1:  # pragma: no cover - guarded by tests
        raise RuntimeError("routing DP produced a disconnected tour; this is a bug")
    return circuit[::-1]


def _groups(layout: Layout, stops: Sequence[Stop]) -> dict[tuple[int, float], list[int]]:
    """Map each distinct (aisle, y) to the indices of its stops, sorted by key."""
    positions: dict[str, tuple[int, float]] = {}
    groups: dict[tuple[int, float], list[int]] = {}
    for i, stop in enumerate(stops):
        _check_stop(layout, stop)
        point = (stop.aisle, round(min(max(stop.y, 0.0), layout.aisle_length), 6))
        known = positions.setdefault(stop.key, point)
        if known != point:
            raise RoutingError(
                _("location %(key)s is given at two positions: aisle %(known)s y=%(known_2)s and "
                  "aisle %(point)s y=%(point_2)s",
                  key=stop.key, known=known[0], known_2=known[1], point=point[0], point_2=point[1])
            )
        groups.setdefault(point, []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: (stops[i].key, i))
    return groups


def _walk_permutation(layout: Layout, stops: Sequence[Stop], exact: bool = False) -> list[int]:
    groups = _groups(layout, stops)
    if not groups:
        return []
    if not layout.middle_cross_aisles:
        _total, order = _solve(layout, sorted(groups))
    elif exact:
        _total, order = _held_karp(layout, sorted(groups))
    else:
        _total, order = _multi_heuristic(layout, sorted(groups))
    # A tour and its reverse are equally short: start at the end nearer the depot so
    # the picker does not walk past picks first; ties go to the smaller location code.
    first, last = order[0], order[-1]
    def lead(point: tuple[int, float]) -> tuple[float, str]:
        stop = stops[groups[point][0]]
        return round(stop_distance(layout, None, stop), 6), stop.key
    if lead(last) < lead(first):
        order.reverse()
    return [i for point in order for i in groups[point]]


def optimal_order(layout: Layout, stops: Sequence[Stop]) -> list[Stop]:
    """Return the stops in a shortest-possible route order (exact, Ratliff & Rosenthal).

    Multi-block: Held-Karp over the distinct positions, limited to EXACT_LIMIT of them
    (a check for tests and the bench; the WMS uses `walking_order`).
    """
    stops = list(stops)
    return [stops[i] for i in _walk_permutation(layout, stops, exact=True)]


def optimal_length(layout: Layout, stops: Sequence[Stop]) -> float:
    """Return the length in metres of the shortest route from the depot through all stops."""
    groups = _groups(layout, list(stops))
    if not groups:
        return 0.0
    if layout.middle_cross_aisles:
        return _held_karp(layout, sorted(groups))[0]
    return _solve(layout, sorted(groups))[0]


def walking_order(layout: Layout, stops: Sequence[Stop]) -> list[Stop]:
    """Return the stops in the order a picker should walk them (shortest route, deterministic).

    Single block: the exact optimum. Multi-block: the near-optimal heuristic.
    """
    stops = list(stops)
    return [stops[i] for i in _walk_permutation(layout, stops)]


def order_by_walk(layout: Layout, items: Sequence[T], stop_of: Callable[[T], Stop]) -> list[T]:
    """Return items (e.g. pick-list lines) sorted into walking order via their stops."""
    items = list(items)
    stops = [stop_of(item) for item in items]
    return [items[i] for i in _walk_permutation(layout, stops)]


# --------------------------------------------------------------------------- multi-block
#
# Points are distinct (aisle, y); index 0 of a distance matrix is the depot. Distances
# are exact shortest paths on the aisle graph (`_multi_distance`). The heuristic builds
# several tours (the single-block optimum ignoring the middle cross aisles, which is a
# valid tour and often near-optimal; multi-block S-shape; largest gap; nearest
# neighbour) and improves each by 2-opt and Or-opt moves until none helps; the shortest
# wins. Held-Karp gives the exact optimum for up to EXACT_LIMIT points.

EXACT_LIMIT = 13


def _point_stop(point: tuple[int, float]) -> Stop:
    return Stop(f"{point[0]}:{point[1]}", point[0], point[1])


def _matrix(layout: Layout, points: Sequence[tuple[int, float]]) -> list[list[float]]:
    nodes: list[Stop | None] = [None] + [_point_stop(p) for p in points]
    return [[stop_distance(layout, a, b) for b in nodes] for a in nodes]


def _tour_cost(d: list[list[float]], tour: Sequence[int]) -> float:
    return sum(d[a][b] for a, b in zip(tour, tour[1:])) + d[tour[-1]][tour[0]]


def _held_karp(layout: Layout, points: Sequence[tuple[int, float]]) -> tuple[float, list[tuple[int, float]]]:
    n = len(points)
    if n > EXACT_LIMIT:
        raise RoutingError(
            _("the exact multi-block optimum is limited to %(exact_limit)s distinct positions, "
              "got %(n)s", exact_limit=EXACT_LIMIT, n=n)
        )
    d = _matrix(layout, points)
    full = (1 << n) - 1
    dp: list[dict[int, tuple[float, int]]] = [dict() for _ in range(1 << n)]
    for i in range(n):
        dp[1 << i][i] = (d[0][i + 1], -1)
    for mask in range(1, full + 1):
        row = dp[mask]
        for i, (cost, _prev) in list(row.items()):
            di = d[i + 1]
            for k in range(n):
                if mask >> k & 1:
                    continue
                nm = mask | 1 << k
                c = cost + di[k + 1]
                old = dp[nm].get(k)
                if old is None or c < old[0] - EPS:
                    dp[nm][k] = (c, i)
    total, last = min((c + d[i + 1][0], i) for i, (c, _p) in dp[full].items())
    order, mask = [], full
    while last != -1:
        order.append(points[last])
        prev = dp[mask][last][1]
        mask &= ~(1 << last)
        last = prev
    return total, order[::-1]


def _improve(d: list[list[float]], tour: list[int]) -> list[int]:
    """2-opt and Or-opt (segments of 1-3, either way round) until no move shortens the tour."""
    n = len(tour)
    improved = True
    while improved:
        improved = False
        # 2-opt: reverse tour[i..j] (tour[0] is the depot and stays first).
        for i in range(1, n - 1):
            a, b = tour[i - 1], tour[i]
            for j in range(i + 1, n):
                c, e = tour[j], tour[(j + 1) % n]
                if d[a][c] + d[b][e] < d[a][b] + d[c][e] - 1e-7:
                    tour[i:j + 1] = tour[i:j + 1][::-1]
                    a, b = tour[i - 1], tour[i]
                    improved = True
        # Or-opt: move a segment elsewhere, possibly reversed.
        for length in (1, 2, 3):
            i = 1
            while i + length <= n:
                seg = tour[i:i + length]
                prev, nxt = tour[i - 1], tour[(i + length) % n]
                gain = d[prev][seg[0]] + d[seg[-1]][nxt] - d[prev][nxt]
                rest = tour[:i] + tour[i + length:]
                best = None
                for k in range(len(rest)):
                    p, q = rest[k], rest[(k + 1) % len(rest)]
                    for s in (seg, seg[::-1]):
                        delta = d[p][s[0]] + d[s[-1]][q] - d[p][q] - gain
                        if delta < -1e-7 and (best is None or delta < best[0]):
                            best = (delta, k, s)
                if best is not None:
                    _delta, k, s = best
                    tour[:] = rest[:k + 1] + list(s) + rest[k + 1:]
                    improved = True
                i += 1
    return tour


def _nearest_neighbour(d: list[list[float]], n: int) -> list[int]:
    tour, left = [0], set(range(1, n + 1))
    while left:
        here = tour[-1]
        nxt = min(left, key=lambda k: (d[here][k], k))
        tour.append(nxt)
        left.remove(nxt)
    return tour


def _multi_heuristic(layout: Layout, points: Sequence[tuple[int, float]]) -> tuple[float, list[tuple[int, float]]]:
    index = {p: i + 1 for i, p in enumerate(points)}
    d = _matrix(layout, points)
    stops = [_point_stop(p) for p in points]
    single = Layout(layout.aisle_x, layout.aisle_length, depot=_single_block_depot(layout),
                    bay_depth=layout.bay_depth, bays_per_aisle=layout.bays_per_aisle)
    seeds = [
        [0] + [index[p] for p in _solve(single, points)[1]],
        [0] + [index[(s.aisle, s.y)] for s in _multi_sshape_order(layout, stops)],
        [0] + [index[(s.aisle, s.y)] for s in largest_gap_order(layout, stops)],
        _nearest_neighbour(d, len(points)),
    ]
    best: tuple[float, list[int]] | None = None
    for seed in seeds:
        tour = _improve(d, list(seed))
        cost = _tour_cost(d, tour)
        if best is None or cost < best[0] - EPS:
            best = (cost, tour)
    assert best is not None
    return best[0], [points[i - 1] for i in best[1][1:]]


def _single_block_depot(layout: Layout) -> tuple[float, float]:
    # The single-block seed needs the depot on the front or back: a depot on a middle
    # cross aisle is moved to the nearer end (the seed is re-costed on the real layout).
    dx, dy = layout.depot
    return dx, 0.0 if dy <= layout.aisle_length / 2 else float(layout.aisle_length)


def _block_of(layout: Layout, y: float) -> int:
    """Block index of a y (0 = front block); a point on a middle cross aisle counts in the block behind it."""
    return sum(1 for m in layout.middle_cross_aisles if y >= m - EPS) if y < layout.aisle_length - EPS \
        else len(layout.middle_cross_aisles)


def _multi_sshape_order(layout: Layout, stops: list[Stop]) -> list[Stop]:
    aisles = _by_aisle(layout, stops)
    if not aisles:
        return []
    first = min(aisles, key=lambda a: layout.aisle_x[a])
    order = sorted(aisles.pop(first), key=lambda s: (s.y, s.key))
    blocks: dict[int, dict[int, list[Stop]]] = {}
    for aisle, members in aisles.items():
        for stop in members:
            blocks.setdefault(_block_of(layout, stop.y), {}).setdefault(aisle, []).append(stop)
    left_to_right = True
    for block in sorted(blocks, reverse=True):
        cols = sorted(blocks[block], key=lambda a: layout.aisle_x[a], reverse=not left_to_right)
        down = True  # enter the block from its back cross aisle
        for aisle in cols:
            order += sorted(blocks[block][aisle], key=lambda s: ((-s.y if down else s.y), s.key))
            down = not down
        left_to_right = not left_to_right
    return order


def largest_gap_order(layout: Layout, stops: Iterable[Stop]) -> list[Stop]:
    """Order stops by the (multi-block) largest-gap heuristic of Roodbergen & de Koster.

    The left-most pick aisle is walked up to the farthest block with picks; then block by
    block towards the front, picks are reached from the block's back cross aisle (left to
    right) and from its front cross aisle (right to left), each aisle entered from either
    end no farther than its largest gap between picks.
    """
    aisles = _by_aisle(layout, list(stops))
    if not aisles:
        return []
    first = min(aisles, key=lambda a: layout.aisle_x[a])
    order = sorted(aisles.pop(first), key=lambda s: (s.y, s.key))
    cross = layout.cross_aisle_ys
    blocks: dict[int, dict[int, list[Stop]]] = {}
    for aisle, members in aisles.items():
        for stop in members:
            blocks.setdefault(_block_of(layout, stop.y), {}).setdefault(aisle, []).append(stop)
    for block in sorted(blocks, reverse=True):
        lo, hi = cross[min(block, len(cross) - 2)], cross[min(block + 1, len(cross) - 1)]
        back_part: list[Stop] = []
        front_part: list[Stop] = []
        for aisle in sorted(blocks[block], key=lambda a: layout.aisle_x[a]):
            ys = sorted(blocks[block][aisle], key=lambda s: (s.y, s.key))
            edges = [lo] + [s.y for s in ys] + [hi]
            gap = max(range(len(edges) - 1), key=lambda g: (edges[g + 1] - edges[g], -g))
            front_part.append(ys[:gap])           # picks below the gap, from the front
            back_part += sorted(ys[gap:], key=lambda s: (-s.y, s.key))
        order += back_part
        for part in reversed(front_part):
            order += part
    return order


def largest_gap_length(layout: Layout, stops: Iterable[Stop]) -> float:
    """Return the shortest walk through the largest-gap order."""
    return route_length(layout, largest_gap_order(layout, stops))
