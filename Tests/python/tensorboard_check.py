"""Reads `mnist-mpi train --tensorboard DIR` event files with TensorBoard's own reader:

    python3 tensorboard_check.py DIR HISTORY_JSON

Checks that the reader gets back exactly the scalars of --history (as float32, the precision of
an event's simple_value): per epoch in DIR/train and DIR/validation, the per-step running means
(each step once, the last of each epoch equal to the epoch's), and the per-phase step times
adding up to the run's phase totals; that every record passes TensorBoard's CRC-32C checks; and
that a corrupted record is reported by the reader as data loss.
Exits non-zero (with the failed assertion) on any mismatch.
"""
import glob, json, shutil, struct, sys, tempfile

import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow

tb, history_path = sys.argv[1:3]
history = json.load(open(history_path))
f32 = lambda x: float(np.float32(x))


def scalars(run):
    acc = event_accumulator.EventAccumulator(f"{tb}/{run}", size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def records(path):
    """Every record of an event file, through TensorBoard's CRC-checking reader."""
    reader = pywrap_tensorflow.PyRecordReader_New(path.encode(), 0, b"", None)
    out = []
    try:
        while True:
            reader.GetNext()
            out.append(reader.record())
    except errors.OutOfRangeError:
        return out


epochs = len(history["loss"])
train = scalars("train")
assert train["epoch_loss"] == [(e, f32(history["loss"][e])) for e in range(epochs)], train["epoch_loss"]
assert train["epoch_accuracy"] == [(e, f32(history["accuracy"][e])) for e in range(epochs)]
assert train["epoch_learning_rate"] == [(e, f32(history["learning_rate"])) for e in range(epochs)]
print(f"train: epoch_loss, epoch_accuracy, epoch_learning_rate = history.json for {epochs} epochs")

steps = sum(history["steps"])
for tag, key in [("batch_loss", "loss"), ("batch_accuracy", "accuracy")]:
    assert [s for s, _ in train[tag]] == list(range(1, steps + 1)), f"{tag}: steps {train[tag][:3]}...{train[tag][-3:]}"
    ends = np.cumsum(history["steps"])
    assert [train[tag][end - 1][1] for end in ends] == [f32(v) for v in history[key]], tag
print(f"train: batch_loss, batch_accuracy at steps 1..{steps}, each once; each epoch's last = its epoch value")

if "val_loss" in history:
    validation = scalars("validation")
    assert validation["epoch_loss"] == [(e, f32(history["val_loss"][e])) for e in range(epochs)]
    assert validation["epoch_accuracy"] == [(e, f32(history["val_accuracy"][e])) for e in range(epochs)]
    print(f"validation: epoch_loss, epoch_accuracy = history.json val_*")

if len(glob.glob(f"{tb}/train/events.out.tfevents.*")) == 1:  # one process ran every epoch
    for phase, seconds in history["phase_seconds_rank0"].items():
        logged = sum(ms * n / 1000 for (_, ms), n in zip(train[f"step_time_ms/{phase}"], history["steps"]))
        assert abs(logged - seconds) <= 1e-5 * seconds + 1e-9, (phase, logged, seconds)
    print("train: step_time_ms/<phase> x steps adds up to phase_seconds_rank0")

files = sorted(glob.glob(f"{tb}/*/events.out.tfevents.*"))
counts = [len(records(f)) for f in files]
print(f"{len(files)} event files, {sum(counts)} records, every CRC-32C checked by TensorBoard's reader")

# Flip one byte inside the sixth record's event: the reader must report data loss there.
with tempfile.TemporaryDirectory() as scratch:
    bad = f"{scratch}/events.out.tfevents.bad"
    shutil.copy(files[0], bad)
    blob = bytearray(open(bad, "rb").read())
    at = 0
    for _ in range(5):
        (length,) = struct.unpack("<Q", blob[at:at + 8])
        at += 16 + length
    blob[at + 12 + 2] ^= 0x01
    open(bad, "wb").write(blob)
    try:
        records(bad)
        raise AssertionError("a corrupted record was read without complaint")
    except errors.DataLossError as e:
        assert "crc" in str(e).lower(), e
        print(f"corrupted record: {e}")
print("tensorboard: all checks passed")
