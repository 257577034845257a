#!/usr/bin/env python3
"""Benchmark of the release build: for each rank count, several full runs of the tutorial,
interleaved with runs of the GEMM floor (scripts/gemm_floor.c: only the five cblas_sgemm calls
of each step, two 1-thread processes of 64 rows, as np=2 splits a batch), and of a floor of
the products over the lit inputs (the same, with the first layer's two products over the mean
number of inputs a 64-row shard of MNIST lights; the trainer's tiles of 4 rows skip more, so a
step can run below it).

These machines drift by up to 2x between minutes, so each round runs the floors and every rank
count back to back, and the speed that counts is the ratio to a floor of the same round.
Prints, per np: the median ratio to the floor over the rounds ("x floor"; each round's at the end) and to the floor of the
products over the lit inputs ("x run"), seconds per epoch over epochs
2-5 of all runs (median, min, max), samples/s, GFLOP/s (the model's FLOPs over the time, the
skipped products counted as done: an effective rate), the FLOPs the kernels execute over the
time ("exec": the first layer's products over what each tile of 4 rows lights, counted on the
data) and its share of this machine's peak (measured by scripts/peak_flops.c on every core at
once; bfloat16's for runs with --precision mixed-bfloat16), the share of rank 0's step time spent
exchanging (the reduction and the gather of the new weights, waiting included), start-up time,
peak RSS per rank, and the wall time of a whole run. np 1 is a single process without mpirun.
Numbers only: benchmarks are not tests, nothing here asserts a timing.

Also per np: rank 0's milliseconds per step in each phase (load, forward, backward, reduction,
first_layer (dW1, the factored reduction only), optimizer, gather; medians over the runs). `--variant NAME=FLAGS` (repeatable) adds rows for the
same rank counts with more flags, run in the same rounds, e.g. --variant "sharded=--reduction sharded",
and each variant's speed-up over the plain run of its rank count, round by round and their median.

Usage: scripts/bench.sh [--runs 3] [--ranks 1,2,4] [--epochs 5] [--variant NAME=FLAGS]... [-- extra mnist-mpi flags]
"""
import argparse, gzip, json, os, random, statistics, subprocess, sys, tempfile, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "mnist-mpi")
FLOOR = os.path.join(REPO, ".build", "gemm_floor")
PEAK = os.path.join(REPO, ".build", "peak_flops")
# Multiply-adds x 2 per training sample: forward (784x512 + 512x10) and backward without the
# input gradient (784x512 + 2 x 512x10); see ../shared/DESIGN.md, "Numbers of these machines".
FLOP_PER_SAMPLE = 2 * (784 * 512 + 512 * 10) + 2 * (784 * 512 + 2 * 512 * 10)


def measured_peaks():
    """The machine's peak GFLOP/s, float32 and (where the CPU has AVX512_BF16) bfloat16, from
    scripts/peak_flops.c run on every core at once: the sum of what each core reaches."""
    subprocess.run(["gcc", "-O2", "-o", PEAK, os.path.join(REPO, "scripts", "peak_flops.c")], check=True)
    cores = os.cpu_count()
    procs = [subprocess.Popen(["taskset", "-c", str(c), PEAK, "2"], stdout=subprocess.PIPE, text=True) for c in range(cores)]
    peaks = {}
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            sys.exit("bench: scripts/peak_flops.c failed")
        for line in out.splitlines():
            kind, value = line.split()
            peaks[kind] = peaks.get(kind, 0.0) + float(value)
    return peaks, cores


def run(np_, epochs, extra):
    with tempfile.TemporaryDirectory() as tmp:
        history = os.path.join(tmp, "history.json")
        cmd = [BINARY, "--epochs", str(epochs), "--history", history] + extra
        if np_ > 1:
            cmd = ["mpirun", "-np", str(np_), "--oversubscribe"] + cmd
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        start = time.monotonic()
        subprocess.run(cmd, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - start
        with open(history) as f:
            h = json.load(f)
        h["wall_seconds"] = wall
        return h


def build_floor():
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "openblas"], check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["gcc", "-O2", "-o", FLOOR, os.path.join(REPO, "scripts", "gemm_floor.c")] + flags, check=True)


def floor_epoch_seconds(epochs, lit=784):
    """Seconds per epoch of two floor processes at once, each epoch as long as the slower one."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    procs = [subprocess.Popen([FLOOR, "64", str(epochs), str(lit)], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [[float(x) for x in p.communicate()[0].split()] for p in procs]
    return [max(pair) for pair in zip(*outputs)]


def shards_of_an_epoch(rows=64, batch=128):
    """The pixels each sample lights, over an epoch of shuffled batches of MNIST cut into
    64-row shards (as np 2 cuts a batch of 128): a list of shards of lists of pixels."""
    with gzip.open(os.path.join(REPO, "data", "train-images-idx3-ubyte.gz")) as f:
        images = f.read()[16:]
    order = list(range(len(images) // 784))
    random.Random(0).shuffle(order)
    return [[[p for p in range(784) if images[784 * i + p]] for i in shard]
            for start in range(0, len(order), batch)
            for shard in (order[start:start + batch][:rows], order[start:start + batch][rows:])]


def lit_inputs(shards):
    """The mean number of the 784 inputs that some row of a shard lights."""
    return round(statistics.mean(len(set().union(*shard)) for shard in shards))


def executed_flop_per_sample(shards, pairs):
    """The FLOPs the trainer's kernels execute a sample: the first layer's products over what
    each tile of 4 rows lights (the forward's tiles are 4 samples over the pixels they light,
    the kernel gradient's 4 of the shard's lit pixels over the samples that light them; with
    `pairs`, mixed bfloat16's pairs of pixels and of samples), the rest of the step whole."""
    width = 2 if pairs else 1  # pixels (or samples) a unit of the inner dimension holds
    forward = gradient = 0
    for pixels in shards:
        units = [sum(1 << (p // width) for p in lit) for lit in pixels]  # inner units each row lights
        for t in range(0, len(pixels), 4):
            tile = 0
            for u in units[t:t + 4]:
                tile |= u
            forward += 2 * len(units[t:t + 4]) * bin(tile).count("1") * width * 512
        samples = [0] * 784  # the units of samples lighting each pixel
        for s, lit in enumerate(pixels):
            for p in lit:
                samples[p] |= 1 << (s // width)
        lit = [p for p in range(784) if samples[p]]
        for t in range(0, len(lit), 4):
            tile = 0
            for p in lit[t:t + 4]:
                tile |= samples[p]
            gradient += 2 * len(lit[t:t + 4]) * bin(tile).count("1") * width * 512
    return (forward + gradient) / sum(len(pixels) for pixels in shards) + FLOP_PER_SAMPLE - 4 * 784 * 512


def blas_kernels():
    """The OpenBLAS kernels the trainer runs with (it restarts itself with better ones where
    OpenBLAS falls back to its SSE3 kernels), so that the floor runs the same ones."""
    with tempfile.TemporaryDirectory() as tmp:
        history = os.path.join(tmp, "history.json")
        subprocess.run([BINARY, "--max-steps", "1", "--history", history], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        with open(history) as f:
            return json.load(f)["blas_kernels"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ranks", default="1,2,4")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--variant", action="append", default=[], help="NAME=FLAGS: more rows, run in the same rounds")
    parser.add_argument("extra", nargs="*", help="flags passed to mnist-mpi (after --)")
    args = parser.parse_args()
    variants = [("", [])] + [(v.partition("=")[0], v.partition("=")[2].split()) for v in args.variant]

    peaks, cores = measured_peaks()
    peak = peaks["float32"]
    build_floor()
    # Every run, floor and trainer, with the trainer's kernels.
    os.environ.setdefault("OPENBLAS_CORETYPE", blas_kernels())
    print(f"OpenBLAS kernels: {os.environ['OPENBLAS_CORETYPE']}")
    ranks = [int(x) for x in args.ranks.split(",")]
    bf16 = f", bfloat16 {peaks['bfloat16']:.0f} (AVX512_BF16)" if "bfloat16" in peaks else ", no bfloat16 instructions"
    print(f"machine: {cores} cores, measured peak (scripts/peak_flops.c, every core at once) float32 {peak:.0f} GFLOP/s{bf16}")
    print(f"model: {FLOP_PER_SAMPLE * 60000 / 1e9:.1f} GFLOP per epoch; {args.runs} rounds x {args.epochs} epochs; s/epoch over epochs 2-{args.epochs}")
    rows = [(np_, name, flags) for name, flags in variants for np_ in ranks]
    shards = shards_of_an_epoch()
    lit = lit_inputs(shards)
    executed = {mixed: executed_flop_per_sample(shards, mixed) for mixed in (False, True)}
    floors, lit_floors, results = [], [], {(np_, name): [] for np_, name, _ in rows}
    for _ in range(args.runs):
        floors.append(statistics.median(floor_epoch_seconds(args.epochs)[1:]))
        lit_floors.append(statistics.median(floor_epoch_seconds(args.epochs, lit)[1:]))
        for np_, name, flags in rows:
            results[(np_, name)].append(run(np_, args.epochs, args.extra + flags))
    print(f"GEMM floor: {statistics.median(floors):.3f} s/epoch (rounds: {', '.join(f'{x:.3f}' for x in floors)})")
    print(f"floor of the products run (the first layer's over {lit} lit inputs of 784, the mean of a 64-row shard): "
          f"{statistics.median(lit_floors):.3f} s/epoch (rounds: {', '.join(f'{x:.3f}' for x in lit_floors)})")
    header = (f"{'np':>12} {'x floor':>7} {'x run':>6} {'s/epoch med':>11} {'min':>6} {'max':>6} {'samples/s':>10} {'GFLOP/s':>8} {'exec':>8} {'%peak':>6} "
              f"{'exchange%':>10} {'startup s':>9} {'wall s':>7} {'test acc':>8}  ms/step: load fwd bwd reduction dW1 opt gather  | peak RSS MB per rank")
    print(header)
    by_round, round_medians = [], {}
    for np_, name, flags in rows:
        runs = results[(np_, name)]
        epoch_lists = [h["epoch_seconds"][1:] or h["epoch_seconds"] for h in runs]
        epochs = [s for e in epoch_lists for s in e]
        round_medians[(np_, name)] = [statistics.median(e) for e in epoch_lists]
        ratios = [statistics.median(e) / f for e, f in zip(epoch_lists, floors)]
        ratio = statistics.median(ratios)
        ratio_run = statistics.median(statistics.median(e) / f for e, f in zip(epoch_lists, lit_floors))
        med = statistics.median(epochs)
        gflops = FLOP_PER_SAMPLE * 60000 / med / 1e9
        mixed = "mixed-bfloat16" in " ".join(args.extra + flags)
        done = executed[mixed] * 60000 / med / 1e9
        machine = peaks.get("bfloat16", peak) if mixed else peak
        phases = runs[-1]["phase_seconds_rank0"]
        comm = (phases["reduction"] + phases["gather"]) / sum(phases.values())
        startup = statistics.median(h["startup_seconds"] for h in runs)
        wall = statistics.median(h["wall_seconds"] for h in runs)
        acc = statistics.median(h["test_accuracy"] for h in runs)
        rss = max((h["peak_rss_mb"] for h in runs), key=max)
        per_step = [statistics.median(1000 * h["phase_seconds_rank0"].get(p, 0) / sum(h["steps"]) for h in runs)
                    for p in ["load", "forward", "backward", "reduction", "first_layer", "optimizer", "gather"]]
        label = f"{np_} {name}".strip()
        by_round.append(f"{label:>12} {' '.join(f'{x:.2f}x' for x in ratios)}")
        print(f"{label:>12} {ratio:>6.2f}x {ratio_run:>5.2f}x {med:>11.3f} {min(epochs):>6.3f} {max(epochs):>6.3f} {60000 / med:>10.0f} {gflops:>8.1f} "
              f"{done:>8.1f} {100 * done / machine:>5.1f}% {100 * comm:>9.1f}% {startup:>9.3f} {wall:>7.2f} {acc:>8.4f}  {' '.join(f'{x:.3f}' for x in per_step)}  | {rss}")
        sys.stdout.flush()
    print("x floor in each round:")
    print("\n".join(by_round))
    # A variant's lead over the plain run of the same rank count, round by round: the two ran
    # minutes apart at most, so this drifts less than the ratio of their medians.
    leads = []
    for np_, name, _ in rows:
        if name and (np_, "") in round_medians:
            lead = [b / v for b, v in zip(round_medians[(np_, "")], round_medians[(np_, name)])]
            leads.append(f"{f'{np_} {name}':>12} {statistics.median(lead):.2f}x  ({' '.join(f'{x:.2f}x' for x in lead)})")
    if leads:
        print("speed-up over the plain run, median of the rounds (each round):")
        print("\n".join(leads))


if __name__ == "__main__":
    main()
