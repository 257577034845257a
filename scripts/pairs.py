#!/usr/bin/env python3
"""Interleaved pairs of whole runs of the release build, for an A/B of two flag sets:

    scripts/pairs.py [--pairs 5] [--ranks 1,2] [--epochs 3] --a "FLAGS" --b "FLAGS"

For each rank count (1: a single process without mpirun), runs A then B, --pairs times, and
prints the seconds an epoch of each (mean over epochs 2 on, from --history; median and range)
and A's time over B's per pair (median and range): the machine drifts between minutes, so only
a pair's ratio means much. Numbers only: nothing here asserts a timing.
"""
import argparse, json, os, shlex, statistics, subprocess, tempfile

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--pairs", type=int, default=5)
parser.add_argument("--ranks", default="1,2")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--a", default="", help="flags of run A")
parser.add_argument("--b", default="", help="flags of run B")
args = parser.parse_args()
history = os.path.join(tempfile.mkdtemp(), "h.json")


def run(ranks, flags):
    mpirun = [] if ranks == 1 else ["mpirun", "--allow-run-as-root", "-np", str(ranks), "--oversubscribe"]
    subprocess.run(mpirun + [f"{repo}/.build/release/mnist-mpi", "--data-dir", f"{repo}/data", "--epochs", str(args.epochs),
                             "--history", history] + shlex.split(flags), check=True, capture_output=True)
    return statistics.mean(json.load(open(history))["epoch_seconds"][1:])


def spread(values, digits=3):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


for ranks in (int(r) for r in args.ranks.split(",")):
    a, b = [], []
    for _ in range(args.pairs):
        a.append(run(ranks, args.a))
        b.append(run(ranks, args.b))
    print(f"np {ranks}: A {spread(a)} s/epoch, B {spread(b)}, A / B per pair {spread([x / y for x, y in zip(a, b)], 2)}")
