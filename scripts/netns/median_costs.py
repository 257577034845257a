#!/usr/bin/env python3
"""The per-field median of several `mnist-mpi plan --save-costs` files, written as one:
   scripts/netns/median_costs.py out.json run1.json run2.json run3.json
A single plan run's network figures vary from run to run (docs/performance.md)."""
import json
import statistics
import sys


def median(values):
    first = values[0]
    if isinstance(first, dict):
        return {key: median([v[key] for v in values]) for key in first}
    if isinstance(first, list):
        return [median([v[i] for v in values]) for i in range(len(first))]
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return statistics.median(values)
    return first


if len(sys.argv) < 3:
    sys.exit(__doc__)
runs = [json.load(open(path)) for path in sys.argv[2:]]
result = median(runs)
result["sample_rows"] = runs[0]["sample_rows"]  # a table of row counts, not a measurement
with open(sys.argv[1], "w") as out:
    json.dump(result, out)
    out.write("\n")
