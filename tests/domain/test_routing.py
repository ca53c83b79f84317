"""Tests for pick-route ordering: distances, S-shape, the exact DP and the WMS order."""
from __future__ import annotations

import heapq
import itertools
import json
import math
import random
from pathlib import Path

import pytest

from wms.domain.picking.routing import (
    Layout,
    RoutingError,
    Stop,
    make_stop,
    optimal_length,
    optimal_order,
    order_by_walk,
    parse_location_code,
    route_length,
    sshape_length,
    sshape_order,
    stop_distance,
    stop_from_code,
    walking_order,
)

WAREHOUSE_JSON = Path(__file__).resolve().parents[2] / "seed_data" / "warehouse.json"


@pytest.fixture(scope="module")
def layout() -> Layout:
    return Layout.from_json(WAREHOUSE_JSON)


def demo_codes() -> list[str]:
    """All pick locations of the demo warehouse: zone A levels 1-2, zone B levels 1-3."""
    codes = []
    for zone, aisles, levels in (("A", range(1, 6), (1, 2)), ("B", range(6, 9), (1, 2, 3))):
        for aisle in aisles:
            for bay in range(1, 21):
                codes += [f"{zone}-{aisle:02d}-{bay:02d}-{level}" for level in levels]
    return codes


def held_karp(layout: Layout, stops: list[Stop]) -> float:
    """Return the exact shortest tour length by Held-Karp over pairwise walking distances."""
    n = len(stops)
    if n == 0:
        return 0.0
    d = [[stop_distance(layout, a, b) for b in stops] for a in stops]
    home = [stop_distance(layout, None, s) for s in stops]
    inf = math.inf
    dp = [[inf] * n for _ in range(1 << n)]
    for i in range(n):
        dp[1 << i][i] = home[i]
    for mask in range(1, 1 << n):
        row = dp[mask]
        for i in range(n):
            cost = row[i]
            if cost == inf:
                continue
            di = d[i]
            for k in range(n):
                if not mask >> k & 1:
                    nxt = dp[mask | 1 << k]
                    if cost + di[k] < nxt[k]:
                        nxt[k] = cost + di[k]
    full = dp[(1 << n) - 1]
    return min(full[i] + home[i] for i in range(n))


def dijkstra_distance(layout: Layout, a: Stop | None, b: Stop | None) -> float:
    """Return the walking distance on an explicit aisle/cross-aisle graph (independent oracle)."""
    length = layout.aisle_length
    points = {(aisle, y) for aisle in layout.aisle_x for y in (0.0, length)}
    for s in (a, b):
        if s is not None:
            points.add((s.aisle, s.y))
    graph: dict[object, list[tuple[object, float]]] = {}

    def link(u: object, v: object, w: float) -> None:
        graph.setdefault(u, []).append((v, w))
        graph.setdefault(v, []).append((u, w))

    for aisle in layout.aisle_x:
        column = sorted(y for (al, y) in points if al == aisle)
        for y1, y2 in zip(column, column[1:]):
            link((aisle, y1), (aisle, y2), y2 - y1)
    # Cross aisles, with the depot as one more point on its cross aisle.
    depot_x, depot_y = layout.depot
    for y in (0.0, length):
        row = [(x, (aisle, y)) for aisle, x in layout.aisle_x.items()]
        if abs(y - depot_y) < 1e-9:
            row.append((depot_x, "depot"))
        row.sort(key=lambda item: item[0])
        for (x1, u), (x2, v) in zip(row, row[1:]):
            link(u, v, x2 - x1)
    graph.setdefault("depot", [])
    src = "depot" if a is None else (a.aisle, a.y)
    dst = "depot" if b is None else (b.aisle, b.y)
    dist = {src: 0.0}
    heap = [(0.0, 0, src)]
    counter = itertools.count(1)
    while heap:
        du, _, u = heapq.heappop(heap)
        if u == dst:
            return du
        if du > dist.get(u, math.inf):
            continue
        for v, w in graph[u]:
            if du + w < dist.get(v, math.inf):
                dist[v] = du + w
                heapq.heappush(heap, (du + w, next(counter), v))
    raise AssertionError("unreachable point")


def random_stops(rng: random.Random, layout: Layout, n: int) -> list[Stop]:
    """Random stops with explicit y, including the aisle ends and shared positions."""
    aisles = sorted(layout.aisle_x)
    length = layout.aisle_length
    stops = []
    for i in range(n):
        y = rng.choice([0.0, length, round(rng.uniform(0, length), 1), round(rng.uniform(0, length), 1)])
        stops.append(make_stop(layout, f"S{i:02d}", rng.choice(aisles), y))
    if n >= 3:  # make sure shared (aisle, y) positions come up
        stops[-1] = make_stop(layout, "S99", stops[0].aisle, stops[0].y)
    return stops


# --------------------------------------------------------------------------- layout and stops

def test_layout_from_demo_json(layout: Layout) -> None:
    assert layout.aisle_x == {n: n * 3.0 for n in range(1, 9)}
    assert layout.aisle_length == 13.2
    assert layout.depot == (0.0, 0.0)
    assert layout.cross_aisles == (0.0, 13.2)
    assert layout.zones == {"A": (1, 2, 3, 4, 5), "B": (6, 7, 8)}


def test_stop_from_code_places_facing_bays_at_the_same_y(layout: Layout) -> None:
    assert stop_from_code(layout, "A-03-07-1") == Stop("A-03-07-1", 3, 4.8)
    assert stop_from_code(layout, "A-03-08-2").y == 4.8
    assert stop_from_code(layout, "B-08-20-3") == Stop("B-08-20-3", 8, 12.0)
    assert stop_from_code(layout, "A-01-01-1").y == 1.2
    assert parse_location_code("A-03-07-1") == ("A", 3, 7, 1)
    assert parse_location_code("B-06-02") == ("B", 6, 2, None)
    assert stop_from_code(layout, "A-3-7") == Stop("A-3-7", 3, 4.8)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("X-01-01-1", "zone X"),
        ("A-07-01-1", "aisle 7 is not in zone A"),
        ("B-09-01-1", "aisle 9 is not in zone B"),
        ("A-01-21-1", "bay 21"),
        ("A-01-00-1", "bay 0"),
        ("A01-01-1", "ZONE-AISLE-BAY-LEVEL"),
        ("", "ZONE-AISLE-BAY-LEVEL"),
    ],
)
def test_stop_from_code_rejects_bad_codes(layout: Layout, code: str, message: str) -> None:
    with pytest.raises(RoutingError, match=message):
        stop_from_code(layout, code)


def test_stops_outside_the_layout_are_rejected(layout: Layout) -> None:
    with pytest.raises(RoutingError, match="aisle 9 does not exist"):
        make_stop(layout, "Z", 9, 1.0)
    with pytest.raises(RoutingError, match="outside the aisle"):
        make_stop(layout, "Z", 1, 13.5)
    with pytest.raises(RoutingError, match="outside the aisle"):
        make_stop(layout, "Z", 1, float("nan"))
    ghost = Stop("GHOST", 12, 1.0)  # built without make_stop: every entry point checks it
    for func in (route_length, optimal_order, optimal_length, walking_order, sshape_order, sshape_length):
        with pytest.raises(RoutingError, match="stop GHOST: aisle 12 does not exist"):
            func(layout, [stop_from_code(layout, "A-01-01-1"), ghost])


def test_one_location_at_two_positions_is_rejected(layout: Layout) -> None:
    with pytest.raises(RoutingError, match="A-01-01-1 is given at two positions"):
        walking_order(layout, [Stop("A-01-01-1", 1, 1.2), Stop("A-01-01-1", 2, 1.2)])


def test_bad_layouts_are_rejected() -> None:
    data = json.loads(WAREHOUSE_JSON.read_text())
    off_aisle = json.loads(json.dumps(data))
    off_aisle["layout"]["depot"] = {"x": 0.0, "y": 5.0}
    with pytest.raises(RoutingError, match="depot must stand on the front"):
        Layout.from_dict(off_aisle)
    doubled = json.loads(json.dumps(data))
    doubled["zones"][1]["aisles"].append(5)
    with pytest.raises(RoutingError, match="aisle 5 is listed in both zone A and zone B"):
        Layout.from_dict(doubled)
    missing = json.loads(json.dumps(data))
    del missing["layout"]["aisle_length_m"]
    with pytest.raises(RoutingError, match="aisle_length_m"):
        Layout.from_dict(missing)
    with pytest.raises(RoutingError, match="single block"):
        Layout({1: 3.0}, 10.0, cross_aisles=(0.0, 5.0))
    with pytest.raises(RoutingError, match="same x position"):
        Layout({1: 3.0, 2: 3.0}, 10.0)
    with pytest.raises(RoutingError, match="positive"):
        Layout({1: 3.0}, 0.0)


# --------------------------------------------------------------------------- hand-computed routes

def test_one_pick_in_aisle_one(layout: Layout) -> None:
    far = stop_from_code(layout, "A-01-20-1")  # y = 12.0
    assert route_length(layout, [far]) == pytest.approx(2 * 3.0 + 2 * 12.0)
    assert optimal_length(layout, [far]) == pytest.approx(30.0)
    assert walking_order(layout, [far]) == [far]
    # The S-shape rule returns in a single (odd) aisle instead of traversing it.
    assert sshape_length(layout, [far]) == pytest.approx(30.0)
    near = stop_from_code(layout, "A-01-01-1")  # y = 1.2
    assert optimal_length(layout, [near]) == pytest.approx(8.4)


def test_far_ends_of_two_adjacent_aisles(layout: Layout) -> None:
    a = stop_from_code(layout, "A-01-20-1")
    b = stop_from_code(layout, "A-02-19-1")  # both at y = 12.0
    # Up aisle 1 (3 + 12), over the back (1.2 + 3 + 1.2), down aisle 2 (12), home (6).
    assert optimal_length(layout, [a, b]) == pytest.approx(38.4)
    assert route_length(layout, walking_order(layout, [b, a])) == pytest.approx(38.4)
    assert walking_order(layout, [b, a]) == [a, b]
    # Leaving each aisle by the front would cost 3 + 24 + 3 + 24 + 6 = 60.
    assert stop_distance(layout, a, b) == pytest.approx(5.4)
    assert sshape_length(layout, [a, b]) == pytest.approx(3 + 13.2 + 3 + 13.2 + 6)


def test_picks_in_aisles_one_and_eight(layout: Layout) -> None:
    a = stop_from_code(layout, "A-01-01-1")
    h = stop_from_code(layout, "B-08-02-3")  # both at y = 1.2
    assert optimal_length(layout, [h, a]) == pytest.approx(2 * 24.0 + 4 * 1.2)
    assert walking_order(layout, [h, a]) == [a, h]
    assert sshape_length(layout, [a, h]) == pytest.approx(3 + 13.2 + 21 + 13.2 + 24)
    far_a = stop_from_code(layout, "A-01-20-1")
    far_h = stop_from_code(layout, "B-08-20-1")  # both at y = 12.0: through the back is shorter
    assert optimal_length(layout, [far_a, far_h]) == pytest.approx(3 + 12 + 1.2 + 21 + 1.2 + 12 + 24)


def test_sshape_alternates_and_returns_in_an_odd_last_aisle(layout: Layout) -> None:
    stops = [stop_from_code(layout, c) for c in ("A-03-10-1", "A-01-03-1", "A-02-04-1", "A-02-20-1", "A-01-15-2")]
    assert [s.key for s in sshape_order(layout, stops)] == [
        "A-01-03-1", "A-01-15-2",   # up aisle 1
        "A-02-20-1", "A-02-04-1",   # down aisle 2
        "A-03-10-1",                # into aisle 3 and back out
    ]
    # 3 to aisle 1, 13.2 up, 3 across, 13.2 down, 3 across, 2 * 6.0 in aisle 3, 9 home.
    assert sshape_length(layout, stops) == pytest.approx(3 + 13.2 + 3 + 13.2 + 3 + 12.0 + 9)


def test_empty_pick_list(layout: Layout) -> None:
    assert walking_order(layout, []) == []
    assert optimal_length(layout, []) == 0.0
    assert route_length(layout, []) == 0.0
    assert sshape_length(layout, []) == 0.0


# --------------------------------------------------------------------------- exactness

def test_stop_distance_matches_shortest_path_on_the_aisle_graph(layout: Layout) -> None:
    rng = random.Random(11)
    for _ in range(150):
        a, b = random_stops(rng, layout, 2)
        first = None if rng.random() < 0.2 else a
        assert stop_distance(layout, first, b) == pytest.approx(dijkstra_distance(layout, first, b))


def test_optimal_matches_held_karp_on_demo_locations(layout: Layout) -> None:
    rng = random.Random(2024)
    codes = demo_codes()
    for _ in range(250):
        stops = [stop_from_code(layout, c) for c in rng.sample(codes, rng.randint(1, 9))]
        best = held_karp(layout, stops)
        assert optimal_length(layout, stops) == pytest.approx(best, abs=1e-6)
        assert route_length(layout, optimal_order(layout, stops)) == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize(
    "depot",
    [(0.0, 0.0), (0.0, 13.2), (9.0, 0.0), (10.5, 13.2), (30.0, 0.0), (3.0, 13.2), (24.0, 0.0)],
    ids=["left-front", "left-back", "aisle-3-front", "between-back", "right-front", "aisle-1-back", "aisle-8-front"],
)
def test_optimal_matches_held_karp_for_any_depot(depot: tuple[float, float]) -> None:
    layout = Layout({n: n * 3.0 for n in range(1, 9)}, 13.2, depot=depot)
    rng = random.Random(str(depot))
    for _ in range(60):
        stops = random_stops(rng, layout, rng.randint(1, 8))
        best = held_karp(layout, stops)
        assert optimal_length(layout, stops) == pytest.approx(best, abs=1e-6)
        assert route_length(layout, optimal_order(layout, stops)) == pytest.approx(best, abs=1e-6)


def test_optimal_on_uneven_aisle_spacing() -> None:
    layout = Layout({1: 0.0, 2: 2.0, 3: 7.0, 4: 8.0, 5: 20.0}, 10.0, depot=(4.0, 10.0))
    rng = random.Random(5)
    for _ in range(80):
        stops = random_stops(rng, layout, rng.randint(1, 8))
        assert optimal_length(layout, stops) == pytest.approx(held_karp(layout, stops), abs=1e-6)


def test_sshape_is_never_shorter_than_optimal(layout: Layout) -> None:
    rng = random.Random(7)
    codes = demo_codes()
    strictly_longer = 0
    for _ in range(300):
        stops = [stop_from_code(layout, c) for c in rng.sample(codes, rng.randint(1, 30))]
        best = optimal_length(layout, stops)
        s_len = sshape_length(layout, stops)
        assert s_len >= best - 1e-9
        # Walking the S-shape order by shortest paths can only cut corners of the policy.
        assert best - 1e-9 <= route_length(layout, sshape_order(layout, stops)) <= s_len + 1e-9
        strictly_longer += s_len > best + 1e-6
    assert strictly_longer > 200  # the comparison is not vacuous


# --------------------------------------------------------------------------- the WMS order

def test_walking_order_never_worse_than_code_sort(layout: Layout) -> None:
    rng = random.Random(99)
    codes = demo_codes()
    better = 0
    for _ in range(200):
        stops = [stop_from_code(layout, c) for c in rng.sample(codes, rng.randint(1, 30))]
        ordered = walking_order(layout, stops)
        assert sorted(ordered) == sorted(stops)
        walk = route_length(layout, ordered)
        by_code = route_length(layout, sorted(stops, key=lambda s: s.key))
        assert walk <= by_code + 1e-9
        better += walk < by_code - 1e-6
    assert better > 100


def test_walking_order_keeps_shared_positions_together_sorted_by_code(layout: Layout) -> None:
    codes = ["B-07-13-3", "A-02-08-1", "A-02-07-2", "B-07-14-1", "A-02-07-1", "A-04-02-1", "B-07-13-1"]
    stops = [stop_from_code(layout, c) for c in codes]
    keys = [s.key for s in walking_order(layout, stops)]
    for group in (["A-02-07-1", "A-02-07-2", "A-02-08-1"], ["B-07-13-1", "B-07-13-3", "B-07-14-1"]):
        start = keys.index(group[0])
        assert keys[start:start + len(group)] == group
    duplicated = stops + [stop_from_code(layout, "A-02-07-2")]
    keys = [s.key for s in walking_order(layout, duplicated)]
    start = keys.index("A-02-07-1")
    assert keys[start:start + 4] == ["A-02-07-1", "A-02-07-2", "A-02-07-2", "A-02-08-1"]


def test_walking_order_is_deterministic_and_starts_near_the_depot(layout: Layout) -> None:
    rng = random.Random(3)
    codes = demo_codes()
    for _ in range(50):
        stops = [stop_from_code(layout, c) for c in rng.sample(codes, rng.randint(2, 30))]
        expected = walking_order(layout, stops)
        for _ in range(3):
            rng.shuffle(stops)
            assert walking_order(layout, stops) == expected
        first, last = expected[0], expected[-1]
        assert stop_distance(layout, None, first) <= stop_distance(layout, None, last) + 1e-6


def test_order_by_walk_sorts_items_through_their_stops(layout: Layout) -> None:
    lines = [
        {"line": 1, "location": "B-08-01-1"},
        {"line": 2, "location": "A-01-01-1"},
        {"line": 3, "location": "A-01-02-2"},
        {"line": 4, "location": "A-01-01-1"},
    ]
    ordered = order_by_walk(layout, lines, lambda line: stop_from_code(layout, line["location"]))
    assert [line["line"] for line in ordered] == [2, 4, 3, 1]
