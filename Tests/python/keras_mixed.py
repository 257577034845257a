"""Our mixed-bfloat16 .keras file in Keras 3 itself (JAX backend):

    python3 keras_mixed.py DATA_DIR MODEL.keras HISTORY.json

Keras opens it with the policies it names (the Dense layers mixed_bfloat16, computing in
bfloat16 with float32 variables; the softmax a float32 Activation), and its evaluation of the
test set agrees with the run's own (`test_accuracy` in the history) within 0.2 points: Keras
rounds the product and the bias add separately and accumulates in its own order, so the
bits differ, the model does not. Exits non-zero on any mismatch.
"""
import json, os, sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras

from mnist_test_set import test_set

data_dir, path, history_path = sys.argv[1:4]
x_test, y_test = test_set(data_dir)
model = keras.saving.load_model(path)
layers = [(type(layer).__name__, layer.dtype_policy.name) for layer in model.layers]
assert layers == [("Dense", "mixed_bfloat16"), ("Dense", "mixed_bfloat16"), ("Activation", "float32")], layers
assert all(str(w.dtype) == "float32" for w in model.weights), [w.dtype for w in model.weights]
assert model.layers[0].compute_dtype == "bfloat16"
loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
ours = json.load(open(history_path))["test_accuracy"]
assert abs(accuracy - ours) <= 0.002, (accuracy, ours)
print(f"keras {keras.__version__} loads the mixed_bfloat16 model: layers {layers}, "
      f"evaluate accuracy {accuracy:.4f} against ours {ours:.4f}")
print("keras mixed: all checks passed")
