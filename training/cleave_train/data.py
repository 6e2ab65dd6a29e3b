"""Fashion-MNIST from the npm package `fashion-mnist`, split as the TypeScript loader splits it.

Each class file is {"data": [[784 uint8], ...]}. Some class files carry empty entries as
separators (class 0 has one after the test block and one at the end); empty entries are
dropped. Of the remaining entries of each class, the first 1000 are the official test images
and the rest (6000) are training images. The validation split is carved from the training
images by position (every 12th training image of each class, starting at the 12th: 500 per
class), a rule the TypeScript loader repeats without sharing a random generator. It is the only
data thresholds and entropy tables are fitted on.
"""
import json
import os
from dataclasses import dataclass

import numpy as np

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
TEST_PER_CLASS = 1000
VAL_EVERY = 12
MEAN = 0.2860
STD = 0.3530

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DIR = os.path.join(ROOT, "node_modules", "fashion-mnist", "src", "clothes")
CACHE = os.path.join(ROOT, ".cache", "fmnist-v2.npz")


@dataclass
class Split:
    x: np.ndarray  # uint8 [N, 28, 28]
    y: np.ndarray  # int64 [N]


@dataclass
class FashionMnist:
    train: Split
    val: Split
    test: Split


def _read_class(path):
    with open(path, "r", encoding="utf-8") as f:
        rows = json.load(f)["data"]
    rows = [r for r in rows if len(r) == 784]
    return np.asarray(rows, dtype=np.uint8).reshape(-1, 28, 28)


def load(data_dir=DEFAULT_DIR, use_cache=True):
    if use_cache and data_dir == DEFAULT_DIR and os.path.exists(CACHE):
        z = np.load(CACHE)
        return FashionMnist(*(Split(z[k + "_x"], z[k + "_y"]) for k in ("train", "val", "test")))
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(f"{data_dir}: Fashion-MNIST not found; run `npm ci` first")
    parts = {"train": ([], []), "val": ([], []), "test": ([], [])}
    for c in range(10):
        imgs = _read_class(os.path.join(data_dir, f"{c}.json"))
        test, train = imgs[:TEST_PER_CLASS], imgs[TEST_PER_CLASS:]
        is_val = np.arange(len(train)) % VAL_EVERY == VAL_EVERY - 1
        val_idx, train_idx = np.flatnonzero(is_val), np.flatnonzero(~is_val)
        for name, block in (("test", test), ("val", train[val_idx]), ("train", train[train_idx])):
            parts[name][0].append(block)
            parts[name][1].append(np.full(len(block), c, dtype=np.int64))
    splits = {k: Split(np.concatenate(v[0]), np.concatenate(v[1])) for k, v in parts.items()}
    if use_cache and data_dir == DEFAULT_DIR:
        os.makedirs(os.path.dirname(CACHE), exist_ok=True)
        np.savez(CACHE, **{f"{k}_{a}": getattr(s, a) for k, s in splits.items() for a in ("x", "y")})
    return FashionMnist(splits["train"], splits["val"], splits["test"])


def to_tensor(x_uint8):
    """uint8 [N,28,28] -> normalised float32 [N,1,28,28], as the manifest's input spec says."""
    import torch
    x = torch.from_numpy(x_uint8.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD


def subset(split, per_class, seed=0):
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.permutation(np.flatnonzero(split.y == c))[:per_class] for c in range(10)])
    idx.sort()
    return Split(split.x[idx], split.y[idx])
