#!/usr/bin/env python3
"""Predicted against measured step times for the rows of a scripts/netns/bench.sh CSV:
    scripts/netns/compare.py COSTS.json BENCH.csv RATE [plan flags, e.g. --link-gbps 0.94 --link-burst-kib 128]
asks `mnist-mpi plan --costs COSTS.json` for every row at RATE (its layout, strategy and wire
format) and prints CSV: rate,hosts,per_host,mapping,variant,measured_ms,predicted_ms,
measured_over_predicted,link_bytes,predicted_link_bytes. The emulated hosts' cores are those
scripts/netns/agent.sh pins them to: host K on core (K - 1) mod cores, so with more hosts than
cores the busiest core holds ceil(hosts / cores) of them, and each host is modelled on that
share of a core."""
import csv, math, os, re, subprocess, sys

costs, bench, rate, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
binary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../.build/release/mnist-mpi")
cores = os.cpu_count()
strategies = {"flat": ("allreduce", "float32"), "hierarchical": ("hierarchical", "float32"),
              "bf16": ("hierarchical", "bfloat16"), "factored": ("factored", "float32"),
              "factored-bf16": ("factored", "bfloat16"), "auto": ("auto", "float32")}
print("rate,hosts,per_host,mapping,variant,measured_ms,predicted_ms,measured_over_predicted,link_bytes,predicted_link_bytes")
for row in csv.DictReader(open(bench)):
    if row["rate"] != rate or row["variant"] not in strategies:
        continue
    hosts, per = int(row["hosts"]), int(row["per_host"])
    strategy, wire = strategies[row["variant"]]
    flags = ["--costs", costs, "--hosts", str(hosts), "--ranks-per-host", str(per),
             "--cores-per-host", str(1 / math.ceil(hosts / cores)), "--reduction", strategy, "--wire-precision", wire] + extra
    if row["mapping"] != "slot":
        flags.append("--map-by-node")
    out = subprocess.run([binary, "plan"] + flags, capture_output=True, text=True, check=True).stdout
    predicted = float(re.search(r"^Predicted step: ([0-9.]+) ms", out, re.M).group(1))
    link = float(re.search(r"^Each host's link carries ([0-9.]+) MB", out, re.M).group(1)) * 1e6
    measured = float(row["ms_per_step"])
    print(f"{rate},{hosts},{per},{row['mapping']},{row['variant']},{measured},{predicted:.2f},{measured / predicted:.2f},"
          f"{row['tx_bytes_per_step']},{link:.0f}")
