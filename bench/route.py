"""Benchmark pick-list ordering on the demo warehouse: WMS order and S-shape against the optimum.

Run by hand: `.venv/bin/python bench/route.py --lists 1000 --seed 1`. The last line of
the output is one JSON object with the headline figures. A second part routes random lists
on a multi-block layout (two middle cross aisles) against the Held-Karp optimum, the
multi-block S-shape and largest gap (`--multi-lists 0` skips it).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wms.domain.picking.routing import (  # noqa: E402 - needs the path above
    Layout,
    Stop,
    largest_gap_length,
    optimal_length,
    route_length,
    sshape_length,
    stop_distance,
    stop_from_code,
    walking_order,
)


def pick_location_codes(warehouse: dict) -> list[str]:
    """List the pick locations of the demo warehouse: every bay at every level of every zone."""
    bays = int(warehouse["layout"]["bays_per_aisle"])
    codes = []
    for zone in warehouse["zones"]:
        levels = sorted(int(level) for level in zone["levels"])
        for aisle in zone["aisles"]:
            for bay in range(1, bays + 1):
                codes += [f"{zone['zone']}-{aisle:02d}-{bay:02d}-{level}" for level in levels]
    return codes


def held_karp(layout: Layout, stops: list[Stop]) -> float:
    """Return the exact shortest tour over the distinct positions of the stops (independent check)."""
    points = list({(s.aisle, s.y): s for s in stops}.values())
    n = len(points)
    d = [[stop_distance(layout, a, b) for b in points] for a in points]
    home = [stop_distance(layout, None, p) for p in points]
    dp = [[math.inf] * n for _ in range(1 << n)]
    for i in range(n):
        dp[1 << i][i] = home[i]
    for mask in range(1, 1 << n):
        for i in range(n):
            cost = dp[mask][i]
            if cost == math.inf:
                continue
            for k in range(n):
                if not mask >> k & 1 and cost + d[i][k] < dp[mask | 1 << k][k]:
                    dp[mask | 1 << k][k] = cost + d[i][k]
    return min(dp[-1][i] + home[i] for i in range(n))


def multi_block_layout() -> tuple[Layout, list[Stop]]:
    """10 aisles 3 m apart, 30 m long, middle cross aisles at y=10 and y=20, depot front-left."""
    layout = Layout({a: 3.0 * a for a in range(1, 11)}, 30.0, depot=(0.0, 0.0),
                    middle_cross_aisles=(10.0, 20.0))
    # Bays every 1.2 m on both sides, none on a cross aisle.
    locations = [Stop(f"M-{a:02d}-{k:02d}", a, round(0.6 + 1.2 * k, 6)) for a in range(1, 11)
                 for k in range(25) if all(abs(0.6 + 1.2 * k - c) > 0.5 for c in (10.0, 20.0))]
    return layout, locations


def multi_block_bench(lists: int, seed: int, min_lines: int, max_lines: int) -> dict:
    """Heuristic, S-shape and largest gap against the Held-Karp optimum on the multi-block layout."""
    layout, locations = multi_block_layout()
    rng = random.Random(seed)
    wms_ratio, sshape_ratio, gap_ratio, wms_ms = [], [], [], []
    for _ in range(lists):
        stops = rng.sample(locations, rng.randint(min_lines, max_lines))
        t0 = time.perf_counter()
        ordered = walking_order(layout, stops)
        wms_ms.append((time.perf_counter() - t0) * 1e3)
        best = optimal_length(layout, stops)
        wms_ratio.append(route_length(layout, ordered) / best)
        sshape_ratio.append(sshape_length(layout, stops) / best)
        gap_ratio.append(largest_gap_length(layout, stops) / best)
    print(f"multi-block: {lists} lists of {min_lines}-{max_lines} lines, 10 aisles x 30 m, "
          f"middle cross aisles at y=10 and y=20, optimum by Held-Karp")
    print(f"  WMS walking_order  {summary(wms_ratio)}")
    print(f"  S-shape            {summary(sshape_ratio)}")
    print(f"  largest gap        {summary(gap_ratio)}")
    print(f"  walking_order ms   {summary(wms_ms)}")
    return {
        "multi_wms_vs_optimal_mean": round(statistics.fmean(wms_ratio), 6),
        "multi_wms_vs_optimal_max": round(max(wms_ratio), 6),
        "multi_sshape_vs_optimal_mean": round(statistics.fmean(sshape_ratio), 6),
        "multi_largest_gap_vs_optimal_mean": round(statistics.fmean(gap_ratio), 6),
    }


def summary(values: list[float]) -> str:
    """Format mean / median / 95th percentile / max of a list of numbers."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return (f"mean {statistics.fmean(ordered):.4f}  median {statistics.median(ordered):.4f}  "
            f"p95 {p95:.4f}  max {ordered[-1]:.4f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a summary, then one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=1000, help="number of random pick lists")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random generator")
    parser.add_argument("--min-lines", type=int, default=5)
    parser.add_argument("--max-lines", type=int, default=30)
    parser.add_argument("--warehouse", type=Path, default=ROOT / "seed_data" / "warehouse.json")
    parser.add_argument("--check-up-to", type=int, default=10,
                        help="also check the optimum by Held-Karp on lists with at most this many "
                             "distinct positions (0 turns the check off)")
    parser.add_argument("--multi-lists", type=int, default=300,
                        help="random lists on the multi-block layout (0 skips it)")
    parser.add_argument("--multi-max-lines", type=int, default=12,
                        help="longest multi-block list (the exact optimum is Held-Karp)")
    args = parser.parse_args(argv)
    if args.lists < 1 or not 1 <= args.min_lines <= args.max_lines:
        parser.error("need --lists >= 1 and 1 <= --min-lines <= --max-lines")

    warehouse = json.loads(args.warehouse.read_text(encoding="utf-8"))
    layout = Layout.from_dict(warehouse)
    locations = [stop_from_code(layout, code) for code in pick_location_codes(warehouse)]
    if args.max_lines > len(locations):
        parser.error(f"--max-lines is larger than the {len(locations)} pick locations")
    rng = random.Random(args.seed)

    wms_ratio, sshape_ratio, sort_ratio = [], [], []
    wms_ms, optimal_ms, sshape_ms = [], [], []
    checked = mismatched = 0
    for _ in range(args.lists):
        stops = rng.sample(locations, rng.randint(args.min_lines, args.max_lines))

        t0 = time.perf_counter()
        ordered = walking_order(layout, stops)
        t1 = time.perf_counter()
        best = optimal_length(layout, stops)
        t2 = time.perf_counter()
        s_len = sshape_length(layout, stops)
        t3 = time.perf_counter()
        wms_ms.append((t1 - t0) * 1e3)
        optimal_ms.append((t2 - t1) * 1e3)
        sshape_ms.append((t3 - t2) * 1e3)

        wms_ratio.append(route_length(layout, ordered) / best)
        sshape_ratio.append(s_len / best)
        sort_ratio.append(route_length(layout, sorted(stops, key=lambda s: s.key)) / best)
        if len({(s.aisle, s.y) for s in stops}) <= args.check_up_to:
            checked += 1
            mismatched += abs(held_karp(layout, stops) - best) > 1e-6

    print(f"pick lists: {args.lists} of {args.min_lines}-{args.max_lines} lines, seed {args.seed}, "
          f"{len(locations)} pick locations in aisles {min(layout.aisle_x)}-{max(layout.aisle_x)}")
    print("route length / optimal length")
    print(f"  WMS walking_order  {summary(wms_ratio)}")
    print(f"  S-shape            {summary(sshape_ratio)}")
    print(f"  sort by code       {summary(sort_ratio)}")
    print("time per list (ms)")
    print(f"  walking_order      {summary(wms_ms)}")
    print(f"  optimal_length     {summary(optimal_ms)}")
    print(f"  sshape_length      {summary(sshape_ms)}")
    if args.check_up_to:
        print(f"Held-Karp check on {checked} lists with <= {args.check_up_to} distinct positions: "
              f"{mismatched} mismatches")
    multi = {}
    if args.multi_lists > 0:
        multi = multi_block_bench(args.multi_lists, args.seed, 3, args.multi_max_lines)
    print(json.dumps({
        "lists": args.lists,
        "wms_vs_optimal_mean": round(statistics.fmean(wms_ratio), 6),
        "wms_vs_optimal_max": round(max(wms_ratio), 6),
        "sshape_vs_optimal_mean": round(statistics.fmean(sshape_ratio), 6),
        **multi,
    }))
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
