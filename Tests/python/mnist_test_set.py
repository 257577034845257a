"""MNIST's files as the Python checks read them: IDX payloads from the .gz files of DATA_DIR."""
import gzip

import numpy as np


def idx(data_dir, name, offset):
    """The bytes of `name`-ubyte.gz after its `offset`-byte header."""
    with gzip.open(f"{data_dir}/{name}-ubyte.gz") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def test_set(data_dir):
    """The test images flattened and scaled to [0, 1] as the tutorial does, and their labels."""
    x = idx(data_dir, "t10k-images-idx3", 16).reshape(-1, 784).astype("float32") / 255
    return x, idx(data_dir, "t10k-labels-idx1", 8)
