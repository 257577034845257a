"""Checks mnist-mpi's files with the Python tools users already have.

    python3 interop.py BINARY DATA_DIR WORK_DIR

WORK_DIR holds what `mnist-mpi train` wrote: model.safetensors, model.onnx, log.csv,
curves.svg, history.json. Every check compares against `mnist-mpi predict --json`.
Exits non-zero (with the failed assertion) on any mismatch.
"""
import csv, gzip, json, struct, subprocess, sys, zlib
import xml.etree.ElementTree as ET

import numpy as np
import onnx
import onnxruntime as ort
from safetensors.numpy import load_file

binary, data_dir, work = sys.argv[1:4]


def predict(*args):
    out = subprocess.run([binary, "predict", "--model", f"{work}/model.safetensors", "--data-dir", data_dir,
                          "--json", *args], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_images():
    with gzip.open(f"{data_dir}/t10k-images-idx3-ubyte.gz") as f:
        return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)


ours = predict("--index", "0..9")
p_ours = np.array([r["probabilities"] for r in ours], np.float64)
x = test_images()[:10].reshape(10, 784).astype(np.float32) / 255

# 1. safetensors + NumPy: the forward pass of docs/interop.md.
w = load_file(f"{work}/model.safetensors")
h = np.maximum(x @ w["dense.kernel"] + w["dense.bias"], 0)
z = h @ w["dense_1.kernel"] + w["dense_1.bias"]
p_numpy = np.exp(z - z.max(axis=1, keepdims=True))
p_numpy /= p_numpy.sum(axis=1, keepdims=True)
assert np.abs(p_numpy - p_ours).max() < 1e-5, f"numpy vs predict: {np.abs(p_numpy - p_ours).max()}"
assert [r["predicted"] for r in ours] == list(p_numpy.argmax(axis=1))
print(f"safetensors+numpy: max |p - predict| = {np.abs(p_numpy - p_ours).max():.2e}")

# 2. ONNX: the checker, then onnxruntime.
model = onnx.load(f"{work}/model.onnx")
onnx.checker.check_model(model, full_check=True)
assert model.opset_import[0].version == 13
session = ort.InferenceSession(f"{work}/model.onnx", providers=["CPUExecutionProvider"])
assert [i.name for i in session.get_inputs()] == ["input"]
p_onnx = session.run(["probabilities"], {"input": x})[0]
assert p_onnx.shape == (10, 10)
assert np.abs(p_onnx - p_ours).max() < 1e-5, f"onnxruntime vs predict: {np.abs(p_onnx - p_ours).max()}"
print(f"onnx.checker ok; onnxruntime: max |p - predict| = {np.abs(p_onnx - p_ours).max():.2e}")

# 3. CSVLogger-style log and the history agree.
history = json.load(open(f"{work}/history.json"))
rows = list(csv.DictReader(open(f"{work}/log.csv")))
assert list(rows[0].keys()) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"], rows[0].keys()
for e, row in enumerate(rows):
    assert int(row["epoch"]) == e
    for key in ["accuracy", "loss", "val_accuracy", "val_loss"]:
        assert abs(float(row[key]) - history[key][e]) < 1e-12, (key, e)
print(f"csv: {len(rows)} epochs match history.json")

# 4. The SVG is well-formed XML with a line per series and panel.
svg = ET.parse(f"{work}/curves.svg").getroot()
assert svg.tag == "{http://www.w3.org/2000/svg}svg"
lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
assert len(lines) == 4 or len(rows) == 1, len(lines)
print(f"svg: well-formed, {len(lines)} curves")


# 5. Image files written here, independently of mnist-mpi's writers: test image #0 as a 56x56
#    RGB PNG, dark ink on white, Paeth-filtered; and as an ASCII PGM. After inversion and 2x2
#    area averaging they are exactly the IDX pixels, so the probabilities match --index 0.
def png_rgb(path, gray):
    height, width = gray.shape
    rgb = np.repeat(gray[:, :, None], 3, axis=2).astype(np.int32)
    raw = bytearray()
    previous = np.zeros(width * 3, np.int32)
    for row in rgb.reshape(height, width * 3):
        left = np.concatenate([np.zeros(3, np.int32), row[:-3]])
        upleft = np.concatenate([np.zeros(3, np.int32), previous[:-3]])
        p = left + previous - upleft
        pa, pb, pc = abs(p - left), abs(p - previous), abs(p - upleft)
        predictor = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous, upleft))
        raw += bytes([4]) + bytes(((row - predictor) % 256).astype(np.uint8))
        previous = row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
                + chunk(b"IEND", b""))


digit = test_images()[0]
paper = 255 - np.kron(digit, np.ones((2, 2), np.uint8))
png_rgb(f"{work}/digit.png", paper)
with open(f"{work}/digit.pgm", "w") as f:
    f.write("P2\n# test image 0\n28 28\n255\n" + "\n".join(" ".join(map(str, r)) for r in digit) + "\n")
files = predict(f"{work}/digit.png", f"{work}/digit.pgm")
for r in files:
    assert r["predicted"] == ours[0]["predicted"]
    assert np.abs(np.array(r["probabilities"]) - p_ours[0]).max() < 1e-6, r["file"]
print("png (RGB, Paeth, inverted, 56x56) and pgm (P2): same probabilities as --index 0")

# 6. `show` writes a PNG that a plain zlib reader decodes to the IDX pixels.
subprocess.run([binary, "show", "--index", "0", "--split", "test", "--data-dir", data_dir,
                "--output", f"{work}/shown.png"], check=True, capture_output=True)
blob = open(f"{work}/shown.png", "rb").read()
assert blob[:8] == b"\x89PNG\r\n\x1a\n"
at, idat = 8, b""
while at < len(blob):
    (length,), kind = struct.unpack(">I", blob[at:at + 4]), blob[at + 4:at + 8]
    data = blob[at + 8:at + 8 + length]
    assert struct.unpack(">I", blob[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + data)
    if kind == b"IHDR":
        assert struct.unpack(">IIBB", data[:10]) == (28, 28, 8, 0)
    idat += data if kind == b"IDAT" else b""
    at += 12 + length
rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(28, 29)
assert (rows[:, 0] == 0).all() and (rows[:, 1:] == digit).all()
print("show: PNG decodes to the IDX pixels")
print("interop: all checks passed")
