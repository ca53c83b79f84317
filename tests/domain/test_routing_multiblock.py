"""Tests for pick routes on multi-block layouts (middle cross aisles)."""
from __future__ import annotations

import heapq
import itertools
import json
import random

import pytest

from wms.domain.picking.routing import (
    EXACT_LIMIT,
    Layout,
    RoutingError,
    Stop,
    largest_gap_length,
    largest_gap_order,
    make_stop,
    optimal_length,
    optimal_order,
    order_by_walk,
    route_length,
    sshape_length,
    sshape_order,
    stop_distance,
    walking_order,
)


@pytest.fixture(scope="module")
def multi() -> Layout:
    """Aisles 1-3 at x = 3, 6, 9, 30 m long, middle cross aisles at y = 10 and 20, depot at (0, 0)."""
    return Layout({1: 3.0, 2: 6.0, 3: 9.0}, 30.0, depot=(0.0, 0.0), middle_cross_aisles=(20.0, 10.0))


def big_layout() -> Layout:
    return Layout({a: 3.0 * a for a in range(1, 11)}, 30.0, depot=(0.0, 0.0), middle_cross_aisles=(10.0, 20.0))


def graph_distance(layout: Layout, p: tuple[float, float, int | None], q: tuple[float, float, int | None]) -> float:
    """Dijkstra on an explicit aisle / cross-aisle graph (independent oracle)."""
    cross = layout.cross_aisle_ys
    nodes: set[tuple[float, float]] = set()
    xs = sorted(layout.aisle_x.values())
    for x in xs:
        for c in cross:
            nodes.add((x, c))
    extra = [(p[0], p[1]), (q[0], q[1])]
    nodes.update(extra)
    adj: dict[tuple[float, float], list[tuple[tuple[float, float], float]]] = {n: [] for n in nodes}

    def link(a, b):
        w = abs(a[0] - b[0]) + abs(a[1] - b[1])
        adj[a].append((b, w))
        adj[b].append((a, w))

    for x in xs:  # along each aisle
        column = sorted(n for n in nodes if n[0] == x)
        for a, b in zip(column, column[1:]):
            link(a, b)
    for c in cross:  # along each cross aisle (the depot may sit on one, off any aisle)
        row = sorted(n for n in nodes if n[1] == c)
        for a, b in zip(row, row[1:]):
            link(a, b)
    dist = {extra[0]: 0.0}
    heap = [(0.0, extra[0])]
    while heap:
        d, n = heapq.heappop(heap)
        if n == extra[1]:
            return d
        if d > dist[n]:
            continue
        for m, w in adj[n]:
            if d + w < dist.get(m, float("inf")):
                dist[m] = d + w
                heapq.heappush(heap, (d + w, m))
    raise AssertionError("unreachable")


def brute_force(layout: Layout, stops: list[Stop]) -> float:
    return min(route_length(layout, list(p)) for p in itertools.permutations(stops))


def test_layout_keeps_middle_cross_aisles_sorted(multi):
    assert multi.middle_cross_aisles == (10.0, 20.0)
    assert multi.cross_aisle_ys == (0.0, 10.0, 20.0, 30.0)
    assert multi.multi_block


def test_single_block_layout_is_unchanged():
    layout = Layout({1: 3.0}, 10.0)
    assert layout.middle_cross_aisles == ()
    assert not layout.multi_block
    assert layout.cross_aisle_ys == (0.0, 10.0)


@pytest.mark.parametrize("middles", [(0.0,), (30.0,), (-1.0,), (35.0,), (10.0, 10.0), (float("nan"),)])
def test_bad_middle_cross_aisles_are_refused(middles):
    with pytest.raises(RoutingError, match="middle cross aisle"):
        Layout({1: 3.0}, 30.0, middle_cross_aisles=middles)


def test_depot_may_stand_on_a_middle_cross_aisle_but_not_inside_a_block():
    Layout({1: 3.0}, 30.0, depot=(0.0, 10.0), middle_cross_aisles=(10.0,))
    with pytest.raises(RoutingError, match="cross aisle"):
        Layout({1: 3.0}, 30.0, depot=(0.0, 12.0), middle_cross_aisles=(10.0,))


def test_layout_from_dict_reads_middle_cross_aisles():
    data = {
        "layout": {"aisle_spacing_m": 3.0, "aisle_length_m": 30.0, "depot": {"x": 0.0, "y": 0.0},
                   "middle_cross_aisles_m": [20, 10]},
        "zones": [{"zone": "A", "aisles": [1, 2]}],
    }
    layout = Layout.from_dict(json.loads(json.dumps(data)))
    assert layout.middle_cross_aisles == (10.0, 20.0)
    data["layout"]["middle_cross_aisles_m"] = ["x"]
    with pytest.raises(RoutingError, match="bad field"):
        Layout.from_dict(data)


def test_distances_by_hand(multi):
    a1_12, a2_18 = Stop("p", 1, 12.0), Stop("q", 2, 18.0)
    # Through the cross aisle at 10 (or 20): 2 + 3 + 8.
    assert stop_distance(multi, a1_12, a2_18) == pytest.approx(13.0)
    # Same aisle: straight along it, across the middle cross aisles.
    assert stop_distance(multi, Stop("a", 1, 5.0), Stop("b", 1, 25.0)) == pytest.approx(20.0)
    # Depot (0, 0) to aisle 3 at y 15: 9 across and 15 up.
    assert stop_distance(multi, None, Stop("c", 3, 15.0)) == pytest.approx(24.0)
    # Either side of the middle cross aisle at 10: 1 + 6 + 1 (the single block would say 26).
    assert stop_distance(multi, Stop("d", 1, 9.0), Stop("e", 3, 11.0)) == pytest.approx(8.0)
    # Near the back: through the back cross aisle, 2 + 3 + 1.
    assert stop_distance(multi, Stop("f", 2, 28.0), Stop("g", 3, 29.0)) == pytest.approx(6.0)
    # Symmetric.
    assert stop_distance(multi, a2_18, a1_12) == stop_distance(multi, a1_12, a2_18)


def test_distances_match_a_graph_oracle():
    layout = big_layout()
    rng = random.Random(7)
    for _ in range(150):
        a, b = rng.randint(1, 10), rng.randint(1, 10)
        ya, yb = round(rng.uniform(0, 30), 1), round(rng.uniform(0, 30), 1)
        expected = graph_distance(layout, (layout.aisle_x[a], ya, a), (layout.aisle_x[b], yb, b))
        assert stop_distance(layout, Stop("a", a, ya), Stop("b", b, yb)) == pytest.approx(expected)
        depot = graph_distance(layout, (0.0, 0.0, None), (layout.aisle_x[b], yb, b))
        assert stop_distance(layout, None, Stop("b", b, yb)) == pytest.approx(depot)


def test_exact_optimum_on_small_hand_cases(multi):
    # Two picks either side of the middle cross aisle at 10: 12 + 5 + 17.
    stops = [Stop("A", 2, 11.0), Stop("B", 1, 9.0)]
    assert optimal_length(multi, stops) == pytest.approx(34.0)
    assert route_length(multi, walking_order(multi, stops)) == pytest.approx(34.0)
    assert [s.key for s in walking_order(multi, stops)] == ["B", "A"]
    # One pick far back in aisle 3: 9 + 25 there and back.
    far = [Stop("F", 3, 25.0)]
    assert optimal_length(multi, far) == pytest.approx(68.0)
    assert route_length(multi, walking_order(multi, far)) == pytest.approx(68.0)
    # Up aisle 1 (3 + 29), along the back to Q (1 + 6 + 1), back to R (1 + 3 + 3), down
    # aisle 2 and home (27 + 6): 80.
    back = [Stop("P", 1, 29.0), Stop("Q", 3, 29.0), Stop("R", 2, 27.0)]
    assert optimal_length(multi, back) == pytest.approx(80.0)
    assert optimal_length(multi, back) == pytest.approx(brute_force(multi, back))
    assert route_length(multi, walking_order(multi, back)) == pytest.approx(optimal_length(multi, back))
    assert optimal_length(multi, []) == 0.0
    assert walking_order(multi, []) == []


def test_optimal_order_and_length_agree_with_brute_force():
    layout = big_layout()
    rng = random.Random(3)
    for _ in range(25):
        stops = [Stop(f"S{i}", rng.randint(1, 10), round(rng.uniform(0, 30), 1)) for i in range(rng.randint(1, 6))]
        best = brute_force(layout, stops)
        assert optimal_length(layout, stops) == pytest.approx(best)
        assert route_length(layout, optimal_order(layout, stops)) == pytest.approx(best)


def test_exact_method_is_limited():
    layout = big_layout()
    stops = [Stop(f"S{i}", 1 + i % 10, float(i)) for i in range(EXACT_LIMIT + 1)]
    with pytest.raises(RoutingError, match="limited"):
        optimal_length(layout, stops)
    assert len(walking_order(layout, stops)) == len(stops)  # the heuristic has no limit


def test_heuristic_beats_sshape_and_largest_gap_and_stays_near_optimal():
    layout = big_layout()
    rng = random.Random(11)
    ratios = []
    for _ in range(60):
        stops = [Stop(f"S{i}", rng.randint(1, 10), round(rng.uniform(0.5, 29.5), 1))
                 for i in range(rng.randint(2, 10))]
        walk = route_length(layout, walking_order(layout, stops))
        assert walk <= sshape_length(layout, stops) + 1e-6
        assert walk <= largest_gap_length(layout, stops) + 1e-6
        ratios.append(walk / optimal_length(layout, stops))
    assert max(ratios) <= 1.10
    assert sum(ratios) / len(ratios) <= 1.02


def test_heuristic_on_long_lists_is_a_permutation_and_beats_sshape():
    layout = big_layout()
    rng = random.Random(5)
    for _ in range(10):
        stops = [Stop(f"S{i:02d}", rng.randint(1, 10), round(rng.uniform(0.5, 29.5), 1)) for i in range(40)]
        stops.append(stops[0])  # two lines on one location stay together
        ordered = walking_order(layout, stops)
        assert sorted(ordered) == sorted(stops)
        assert route_length(layout, ordered) <= sshape_length(layout, stops) + 1e-6
        assert sorted(sshape_order(layout, stops)) == sorted(stops)
        assert sorted(largest_gap_order(layout, stops)) == sorted(stops)
        i = [s.key for s in ordered].index(stops[0].key)
        assert ordered[i + 1] == stops[0]


def test_order_by_walk_and_bad_stops_on_multi_block(multi):
    lines = [("x", Stop("B", 3, 25.0)), ("y", Stop("A", 1, 2.0))]
    assert [n for n, _s in order_by_walk(multi, lines, lambda line: line[1])] == ["y", "x"]
    with pytest.raises(RoutingError, match="aisle 9"):
        walking_order(multi, [Stop("Z", 9, 1.0)])
    with pytest.raises(RoutingError, match="outside"):
        make_stop(multi, "Z", 1, 31.0)
