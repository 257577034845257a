"""The Keras round trip, checked by Keras 3 itself (JAX backend):

    python3 keras_roundtrip.py BINARY DATA_DIR WORK_DIR

WORK_DIR holds what `mnist-mpi train --save ours.keras --history history.json
--checkpoint-dir checkpoints` wrote. Checks, against `mnist-mpi predict --json`:
1. keras.saving.load_model opens ours.keras without custom objects; its predictions on the
   whole test set match ours within 1e-5, its evaluate accuracy equals our test accuracy, and
   its RMSprop state (iterations, velocities) is our last checkpoint's.
2. A model Keras builds and trains itself (the tutorial's form, no Input layer) and saves is
   read by `mnist-mpi evaluate` and `predict`, with the accuracy Keras reports.
Exits non-zero (with the failed assertion) on any mismatch.
"""
import glob, json, os, re, subprocess, sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras
import numpy as np
from safetensors.numpy import load_file

from mnist_test_set import idx, test_set

binary, data_dir, work = sys.argv[1:4]
x_test, y_test = test_set(data_dir)


def ours(model, *args):
    out = subprocess.run([binary, "predict", "--model", model, "--data-dir", data_dir, "--json",
                          "--index", f"0..{len(y_test) - 1}", *args], check=True, capture_output=True, text=True).stdout
    return np.array([json.loads(line)["probabilities"] for line in out.splitlines()], np.float64)


# 1. Our file in Keras.
model = keras.saving.load_model(f"{work}/ours.keras")
assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
p_keras = model.predict(x_test, batch_size=1000, verbose=0)
p_ours = ours(f"{work}/ours.keras")
gap = np.abs(p_keras - p_ours).max()
assert gap < 1e-5, f"keras predict vs ours: {gap}"
loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
history = json.load(open(f"{work}/history.json"))
assert abs(accuracy - history["test_accuracy"]) < 1e-6, (accuracy, history["test_accuracy"])
assert abs(loss - history["test_loss"]) < 1e-4, (loss, history["test_loss"])
print(f"keras {keras.__version__} loads ours.keras: max |p - ours| = {gap:.2e} over {len(y_test)} images, "
      f"evaluate accuracy {accuracy:.4f} = ours, loss {loss:.6f} vs {history['test_loss']:.6f}")

newest = max(glob.glob(f"{work}/checkpoints/*.safetensors"), key=os.path.getmtime)
checkpoint = load_file(newest)
optimizer = model.optimizer
assert int(optimizer.iterations.numpy()) == sum(history["steps"]), (optimizer.iterations, history["steps"])
velocities = [v for v in optimizer.variables if "velocity" in v.path]
for variable, name in zip(velocities, ["dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"]):
    assert np.array_equal(np.asarray(variable), checkpoint[f"optimizer.velocity.{name}"]), name
assert abs(float(optimizer.learning_rate.numpy()) - history["learning_rate"]) < 1e-9
print(f"optimizer: {len(velocities)} velocities equal {os.path.basename(newest)}, iterations {int(optimizer.iterations.numpy())}")

# 2. Keras's own file in mnist-mpi: the tutorial's model, trained briefly by Keras.
keras.utils.set_random_seed(7)
theirs = keras.Sequential([keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")])
theirs.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
x_train = idx(data_dir, "train-images-idx3", 16).reshape(-1, 784)[:6000].astype("float32") / 255
theirs.fit(x_train, idx(data_dir, "train-labels-idx1", 8)[:6000], epochs=1, batch_size=128, verbose=0)
theirs.save(f"{work}/theirs.keras")
_, their_accuracy = theirs.evaluate(x_test, y_test, batch_size=1000, verbose=0)
p_theirs = theirs.predict(x_test, batch_size=1000, verbose=0)
p_ours = ours(f"{work}/theirs.keras")
gap = np.abs(p_theirs - p_ours).max()
assert gap < 1e-5, f"mnist-mpi predict vs keras on theirs.keras: {gap}"
our_accuracy = float((p_ours.argmax(axis=1) == y_test).mean())
assert abs(our_accuracy - their_accuracy) < 1e-6, (our_accuracy, their_accuracy)
out = subprocess.run([binary, "evaluate", "--model", f"{work}/theirs.keras", "--data-dir", data_dir],
                     check=True, capture_output=True, text=True).stdout
printed = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
assert printed == round(their_accuracy, 4), (printed, their_accuracy)
print(f"mnist-mpi reads theirs.keras: max |p - keras| = {gap:.2e}, evaluate accuracy {printed} = keras {their_accuracy:.4f}")
print("keras round trip: all checks passed")
