#!/usr/bin/env python3
"""The across-hosts table of docs/performance.md from a bench.sh CSV and the comparisons
`scripts/netns/compare.py` printed for it (one per rate):
    scripts/netns/table.py BENCH.csv COMPARISON.csv...
Per layout: ms/step of each variant, the MB host h1's link sent per step, the link bound (the
bytes 2 (N - 1) / N of the gradient must cross at 125 MB/s, plus the same variant's step on one
host with the same ranks) and measured over predicted."""
import csv, sys

bench = list(csv.DictReader(open(sys.argv[1])))
model = {(r["rate"], r["hosts"], r["per_host"], r["mapping"], r["variant"]): r["measured_over_predicted"]
         for f in sys.argv[2:] for r in csv.DictReader(open(f))}
gradient = 1_628_200  # bytes of float32 gradient
variants = ["flat", "hierarchical", "bf16"]
runs = {}
for r in bench:
    runs.setdefault((r["rate"], r["hosts"], r["per_host"], r["mapping"]), {})[r["variant"]] = r

def step(rate, per, variant):
    one = runs.get((rate, "1", per, "slot"), {}).get(variant)
    return float(one["ms_per_step"]) if one else None

print("| link | hosts x ranks | mapping | flat ms | hierarchical ms | bf16 ms | link MB/step (flat / hier. / bf16) "
      "| bound ms (f32 / bf16) | hier. x bound | bf16 x bound | measured / model (flat / hier. / bf16) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for (rate, hosts, per, mapping), v in runs.items():
    ms = {k: float(v[k]["ms_per_step"]) if k in v else None for k in variants}
    mb = " / ".join(f"{max(0, int(v[k]['tx_bytes_per_step'])) / 1e6:.2f}" if k in v else "-" for k in variants)
    n = int(hosts)
    bounds = {}
    if rate != "none" and n > 1:
        for k, width in (("hierarchical", 4), ("bf16", 2)):
            base = step(rate, per, k)
            if base is not None:
                bounds[k] = 2 * (n - 1) / n * gradient * width / 4 / 125e6 * 1e3 + base
    bound = " / ".join(f"{bounds[k]:.1f}" for k in ("hierarchical", "bf16")) if len(bounds) == 2 else "-"
    times = lambda k: f"{ms[k] / bounds[k]:.2f}" if k in bounds and ms[k] else "-"
    ratio = " / ".join(model.get((rate, hosts, per, mapping, k), "-") for k in variants)
    cells = [("unshaped" if rate == "none" else rate.replace("gbit", " Gb/s")), f"{hosts} x {per}",
             "node" if "node" in mapping else "slot"] + [f"{ms[k]:.2f}" if ms[k] else "-" for k in variants] + \
            [mb, bound, times("hierarchical"), times("bf16"), ratio]
    print("| " + " | ".join(cells) + " |")
