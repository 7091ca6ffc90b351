#!/usr/bin/python3
"""Builds resources/datasets/ (test split copy, 1,000-image calibration subset, index.json)."""
from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "resources", "datasets")
CALIB_PER_CLASS = 100
CALIB_SEED = 0


def main() -> None:
    fm = os.path.join(OUT, "fashion-mnist")
    os.makedirs(fm, exist_ok=True)
    for f in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(os.path.join(data.DATA_DIR, f), os.path.join(fm, f))

    x, y = data.load_split("train")
    n = x.shape[0] - data.VAL_COUNT
    xv, yv = x[n:], y[n:]
    rng = np.random.RandomState(CALIB_SEED)
    picks = []
    for c in range(10):
        idx = np.nonzero(yv == c)[0]
        picks.append(rng.choice(idx, CALIB_PER_CLASS, replace=False))
    sel = np.sort(np.concatenate(picks))
    data.write_idx_gz(os.path.join(fm, "calib-images-idx3-ubyte.gz"), xv[sel])
    data.write_idx_gz(os.path.join(fm, "calib-labels-idx1-ubyte.gz"), yv[sel])
    print("calibration: validation indices (train index - %d):" % n, sel[:10], "...", np.bincount(yv[sel]))

    index = {"datasets": [{
        "name": "fashion-mnist", "title": "Fashion-MNIST", "format": "idx",
        "height": 28, "width": 28, "channels": 1, "dtype": "uint8",
        "classes": data.CLASSES,
        "splits": {
            "test": {"images": "fashion-mnist/t10k-images-idx3-ubyte.gz",
                     "labels": "fashion-mnist/t10k-labels-idx1-ubyte.gz", "count": 10000},
            "calibration": {"images": "fashion-mnist/calib-images-idx3-ubyte.gz",
                            "labels": "fashion-mnist/calib-labels-idx1-ubyte.gz", "count": 1000},
        },
        "license": "MIT",
        "citation": "Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
                    "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017.",
    }]}
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
