"""Fashion-MNIST loading (IDX gzip) and tensor-side augmentation for the zoo."""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
VAL_COUNT = 5000          # last 5,000 training images are held out for validation
MEAN = 0.2860
STD = 0.3530
SCALE = 1.0 / 255.0
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path: str) -> np.ndarray:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndims, raw[4:4 + 4 * ndims])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndims)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch")
    return data.reshape(dims)


def write_idx_gz(path: str, arr: np.ndarray) -> None:
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    # mtime=0 and no file name in the header so the output is byte-for-byte reproducible
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(header + arr.tobytes())


def load_split(name: str) -> tuple[np.ndarray, np.ndarray]:
    """name: 'train' or 't10k'. Returns uint8 images [N,28,28] and labels [N]."""
    x = read_idx(os.path.join(DATA_DIR, f"{name}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA_DIR, f"{name}-labels-idx1-ubyte.gz"))
    return x, y


def load_all():
    """Returns dict of torch tensors: train / val / test (x normalised float32 [N,1,28,28], y int64)."""
    import torch

    xtr, ytr = load_split("train")
    xte, yte = load_split("t10k")

    def prep(x: np.ndarray) -> "torch.Tensor":
        t = torch.from_numpy(x.astype(np.float32) * SCALE)
        return ((t - MEAN) / STD).unsqueeze(1).contiguous()

    n = xtr.shape[0] - VAL_COUNT
    return {
        "train": (prep(xtr[:n]), torch.from_numpy(ytr[:n].astype(np.int64))),
        "val": (prep(xtr[n:]), torch.from_numpy(ytr[n:].astype(np.int64))),
        "test": (prep(xte), torch.from_numpy(yte.astype(np.int64))),
    }


def augment(x, gen, pad: int = 2, flip: bool = True):
    """Random shift (zero-pad in normalised space = background value, random crop) + horizontal flip.

    x: float tensor [B,1,28,28]; gen: torch.Generator. Done per-batch on tensors.
    """
    import torch
    import torch.nn.functional as F

    b, c, h, w = x.shape
    bg = (0.0 - MEAN) / STD
    xp = F.pad(x, (pad, pad, pad, pad), value=bg)
    # per-sample shifts via unfold-free gather: build index grids
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (dy.view(b, 1) + torch.arange(h).view(1, h))  # [B,H]
    cols = (dx.view(b, 1) + torch.arange(w).view(1, w))  # [B,W]
    bi = torch.arange(b).view(b, 1, 1)
    out = xp[:, 0][bi, rows.view(b, h, 1), cols.view(b, 1, w)].unsqueeze(1)
    if flip:
        m = torch.rand(b, generator=gen) < 0.5
        out[m] = out[m].flip(-1)
    return out
