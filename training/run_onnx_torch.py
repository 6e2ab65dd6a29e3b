#!/usr/bin/env python3
"""Runs ONNX models converted to PyTorch (cleave_train.onnx_torch), chained: the first takes the
inputs, each next one the previous one's output. Used to check the converter against ONNX Runtime.

    /usr/bin/python3 training/run_onnx_torch.py --models head.onnx tail.onnx --inputs x.npy --out y.npy

`--models ... --out ...` may be repeated: each chain runs on the same inputs and writes its own
output, so that many cuts pay for one start of Python and PyTorch.

An op the converter does not know exits 3 with the converter's message on stderr.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cleave_train import onnx_torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", action="append", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--out", action="append", required=True)
    args = ap.parse_args()
    if len(args.models) != len(args.out):
        ap.error(f"{len(args.models)} --models chains and {len(args.out)} --out files: give one --out per chain")
    torch.set_num_threads(1)
    inputs = torch.from_numpy(np.load(args.inputs).astype(np.float32))
    for chain, out in zip(args.models, args.out):
        try:
            modules = [onnx_torch.load(p) for p in chain]
        except onnx_torch.UnsupportedOpError as error:
            print(error, file=sys.stderr)
            return 3
        x = inputs
        with torch.no_grad():
            for m in modules:
                x = m(x)
        np.save(out, x.numpy().astype(np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
