#!/usr/bin/env python3
"""Interleaved pairs of whole runs, for an A/B of two flag sets or of two builds:

    scripts/pairs.py [--pairs 5] [--ranks 1,2] [--epochs 3] [--a "FLAGS"] [--b "FLAGS"]
                     [--a-binary PATH] [--b-binary PATH]

For each rank count (1: a single process without mpirun), runs A then B, --pairs times, and
prints the seconds an epoch of each (mean over epochs 2 on, from --history; median and range),
A's time over B's per pair (median and range), and rank 0's milliseconds a step in each phase
of the step (medians). The machine drifts between minutes, so only a pair's ratio means much.
The binaries default to this checkout's release build; another build (a `git worktree` of
another commit, built with `swift build -c release`) is compared with --a-binary. Numbers
only: nothing here asserts a timing.
"""
import argparse, json, os, shlex, statistics, subprocess, tempfile

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
release = f"{repo}/.build/release/mnist-mpi"
parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--pairs", type=int, default=5)
parser.add_argument("--ranks", default="1,2")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--a", default="", help="flags of run A")
parser.add_argument("--b", default="", help="flags of run B")
parser.add_argument("--a-binary", default=release, help="mnist-mpi of run A")
parser.add_argument("--b-binary", default=release, help="mnist-mpi of run B")
args = parser.parse_args()
history = os.path.join(tempfile.mkdtemp(), "h.json")


def run(ranks, binary, flags):
    """Seconds an epoch (epochs 2 on) and rank 0's milliseconds a step in each phase."""
    mpirun = [] if ranks == 1 else ["mpirun", "--allow-run-as-root", "-np", str(ranks), "--oversubscribe"]
    subprocess.run(mpirun + [binary, "--data-dir", f"{repo}/data", "--epochs", str(args.epochs),
                             "--history", history] + shlex.split(flags), check=True, capture_output=True)
    h = json.load(open(history))
    steps = sum(h["steps"])
    return statistics.mean(h["epoch_seconds"][1:]), {k: 1e3 * s / steps for k, s in h["phase_seconds_rank0"].items()}


def spread(values, digits=3):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def phases(runs):
    return " ".join(f"{k} {statistics.median(r[1][k] for r in runs):.3f}" for k in runs[0][1])


for ranks in (int(r) for r in args.ranks.split(",")):
    a, b = [], []
    for _ in range(args.pairs):
        a.append(run(ranks, args.a_binary, args.a))
        b.append(run(ranks, args.b_binary, args.b))
    ratios = [x[0] / y[0] for x, y in zip(a, b)]
    print(f"np {ranks}: A {spread([x[0] for x in a])} s/epoch, B {spread([y[0] for y in b])}, A / B per pair {spread(ratios, 2)}")
    print(f"  ms/step A: {phases(a)}")
    print(f"  ms/step B: {phases(b)}")
