#!/usr/bin/env python3
"""Writes a Fashion-MNIST split as the unlabelled, normalised inputs `cleave split --learn --calib`
takes: float32 [N, 1, 28, 28], normalised with the shipped bundles' mean and std.

    /usr/bin/python3 training/fmnist_inputs.py OUT.npy [--split train|val|test]

`train` is the 55,000 training images without the validation split (the shipped recipe's training
set); the labels are not written.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from cleave_train import data  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--split", default="train", choices=["train", "val", "test"])
    args = ap.parse_args()
    split = getattr(data.load(), args.split)
    np.save(args.out, data.to_tensor(split.x).numpy().astype(np.float32))
    print(f"{args.out}: {len(split.x)} images, mean {data.MEAN}, std {data.STD}")


if __name__ == "__main__":
    main()
