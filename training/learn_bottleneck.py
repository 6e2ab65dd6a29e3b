#!/usr/bin/env python3
"""Trains a label-free learned bottleneck for a user's ONNX classifier cut by @cleave/graph.

`cleave split --learn` runs this (docs/bring-your-own-model.md); it is not meant to be run by hand.
The work folder holds what the TypeScript side wrote:
    head.onnx, tail.onnx   the user's model cut at the chosen tensor (output / input "features")
    inputs.npy             the unlabelled inputs, normalised float32 [N, C, H, W]
    io.json                tensor names and dims: input, features, logits, inputDims, featureDims, classes
and receives:
    checkpoint.pt          after every epoch (--resume continues from it; Ctrl-C leaves it)
    search.json            the --target-bytes probes, once done
    learned-head.onnx, learned-tail.onnx, result.json
Progress goes to stdout as JSON lines (cleave_train.learn.emit); errors as {"event": "error"}.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cleave_train.memory import use_training_malloc  # noqa: E402

use_training_malloc()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cleave_train import learn, onnx_torch, splice  # noqa: E402
from cleave_train.bottleneck import BottleneckShape  # noqa: E402
from cleave_train.learn import emit  # noqa: E402
from cleave_train.nets import count_macs  # noqa: E402

QUICK_INPUTS = 4000
SEARCH_INPUTS = 8000
MIN_INPUTS = 200


def epochs_for(n_train, quick, override):
    if override:
        return {"stage1": max(1, math.ceil(override / 2)), "stage2": override}
    if quick:
        return {"stage1": 3, "stage2": 8}
    # About 60k samples of stage 1 and 150k of stage 2, whatever the number of inputs.
    return {"stage1": min(20, max(2, math.ceil(60000 / n_train))), "stage2": min(40, max(3, math.ceil(150000 / n_train)))}


def search_candidates(features, stride, target, nonneg):
    """For each bit width, the most channels whose frame is likely to fit `target` payload bytes
    (rANS spends ~95% of the bit-packed size plus its 4-byte state on these codes)."""
    out = []
    for bits in (1, 2, 3, 4, 6):
        probe = BottleneckShape(features, 1, bits, stride, nonneg)
        per_channel = probe.values() * bits / 8
        channels = int((target - 4) / (0.95 * per_channel))
        if channels >= 1:
            out.append(BottleneckShape(features, min(channels, features[0]), bits, stride, nonneg))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--channels", type=int)
    ap.add_argument("--bits", type=int)
    ap.add_argument("--stride", type=int)
    ap.add_argument("--target-bytes", type=float)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--rate-weight", type=float, default=0.0)
    ap.add_argument("--tune-tail", action="store_true",
                    help="stage 2 also fine-tunes the tail's weights, distilled from the full model (no labels)")
    ap.add_argument("--distill", default="mse", choices=sorted(learn.DISTILL),
                    help="stage 2's loss against the full model's logits (cleave_train.learn.distill_*)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-inputs", type=int, default=MIN_INPUTS)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("CLEAVE_TRAIN_THREADS") or os.cpu_count() or 1))
    args = ap.parse_args()
    t_start = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    if args.device == "cuda" and not torch.cuda.is_available():
        emit("error", kind="device", message="--device cuda: this PyTorch sees no CUDA device; use --device cpu")
        return 2
    device = torch.device(args.device)
    work = args.work
    io = json.load(open(os.path.join(work, "io.json"), encoding="utf-8"))
    try:
        head = learn.to_device(onnx_torch.load(os.path.join(work, "head.onnx")), device)
        tail = learn.to_device(onnx_torch.load(os.path.join(work, "tail.onnx")), device)
    except onnx_torch.UnsupportedOpError as error:
        emit("error", kind="unsupported-op", op=error.op_type, node=error.node, message=str(error))
        return 3
    inputs = np.load(os.path.join(work, "inputs.npy"), mmap_mode="r")
    if args.quick and len(inputs) > QUICK_INPUTS:
        inputs = inputs[:QUICK_INPUTS]
    if len(inputs) < args.min_inputs:
        emit("error", kind="too-few-inputs", message=f"{len(inputs)} inputs; training needs at least {args.min_inputs}")
        return 2
    train_idx, held_idx = learn.split_indices(len(inputs))
    t0 = time.time()
    feats, logits = learn.cache_features(head, tail, inputs, device)
    seconds = {"features": round(time.time() - t0, 1)}
    features = list(feats.shape[1:])
    if len(features) not in (1, 3):
        emit("error", kind="cut-shape",
             message=f"--learn needs features of shape [C, H, W] or [F] at the cut, this cut gives {features}; cut elsewhere")
        return 2
    nonneg = bool(feats[train_idx[:4000]].min() >= 0)
    stride = args.stride or 1
    ckpt_path = os.path.join(work, "checkpoint.pt")
    ckpt = torch.load(ckpt_path, map_location=device) if args.resume and os.path.exists(ckpt_path) else None
    if ckpt:
        emit("resumed", stage=ckpt["stage"], epoch=ckpt["epoch"])
    search = None
    if args.target_bytes and not (args.channels and args.bits):
        search = run_search(args, work, features, stride, nonneg, feats, logits, train_idx, held_idx, tail, device)
        if search is None:
            return 2
        seconds["search"] = round(sum(p["seconds"] for p in search["probes"]), 1)
        chosen = search["chosen"]
        channels, bits = chosen["channels"], chosen["bits"]
    else:
        if not (args.channels and args.bits):
            emit("error", kind="shape", message="give --channels and --bits, or --target-bytes")
            return 2
        channels, bits = args.channels, args.bits
    shape = BottleneckShape(features, channels, bits, stride, nonneg)
    if ckpt and ckpt.get("shape") != shape.to_json():
        emit("note", message="the checkpoint is for another bottleneck shape; starting afresh")
        ckpt = None
    if ckpt and ckpt.get("distill", "kl") != args.distill:
        emit("note", message=f"the checkpoint was made with --distill {ckpt.get('distill', 'kl')}; starting afresh")
        ckpt = None
    if ckpt and ckpt.get("tuneTail", False) != args.tune_tail:
        emit("note", message="the checkpoint was made " + ("without" if args.tune_tail else "with") +
             " --tune-tail; starting afresh")
        ckpt = None
    epochs = epochs_for(len(train_idx), args.quick, args.epochs)
    emit("shape", shape=shape.to_json(), codeDims=shape.code_dims(), packedBytes=shape.packed_bytes(), epochs=epochs,
         train=len(train_idx), heldOut=len(held_idx))

    def save(state):
        state["shape"] = shape.to_json()
        state["tuneTail"] = args.tune_tail
        state["distill"] = args.distill
        torch.save(state, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    torch.manual_seed(args.seed + 1)
    model = learn.Bottleneck(shape).to(device)
    t0 = time.time()
    plan = {**epochs, "seed": args.seed, "rate_weight": args.rate_weight, "tune_tail": args.tune_tail,
            "distill": args.distill, "save": save}
    ev = learn.train(model, tail, feats, logits, train_idx, held_idx, plan, ckpt, device)
    seconds["train"] = round(time.time() - t0, 1)
    learned_head, learned_tail = splice.export_bundle_models(
        model, os.path.join(work, "head.onnx"), os.path.join(work, "tail.onnx"), io, device,
        tail if args.tune_tail else None)
    import onnx
    onnx.save(learned_head, os.path.join(work, "learned-head.onnx"))
    onnx.save(learned_tail, os.path.join(work, "learned-tail.onnx"))
    seconds["total"] = round(time.time() - t_start, 1)
    result = {
        "shape": shape.to_json(), "codeDims": shape.code_dims(), "bits": bits,
        "tensor": splice.BOTTLENECK,
        "min": [float(v) for v in model.quant.lo.cpu()], "max": [float(v) for v in model.quant.hi.cpu()],
        "entropy": {"model": "static-frequency", "precisionBits": learn.PRECISION_BITS, "tables": ev["tables"]},
        "inputs": len(inputs), "train": len(train_idx), "heldOut": held_idx.tolist(),
        "labels": ev["labels"].tolist(), "fullLabels": ev["fullLabels"].tolist(),
        "agreement": ev["agreement"], "shannonBytes": ev["shannonBytes"],
        "estimatedPayloadBytes": learn.estimated_payload(ev["shannonBytes"]),
        "epochs": epochs, "rateWeight": args.rate_weight, "tuneTail": args.tune_tail, "distill": args.distill, "seed": args.seed,
        "history": ev["history"], "search": search,
        "seconds": seconds, "device": args.device, "threads": args.threads, "quick": args.quick,
        "torch": torch.__version__,
        "macs": {"encoder": count_macs(model.encoder.cpu(), torch.zeros(1, *shape.features)),
                 "decoder": count_macs(model.decoder.cpu(), torch.zeros(1, *shape.code_dims()))},
    }
    learn.save_json(os.path.join(work, "result.json"), result)
    emit("done", agreement=ev["agreement"], bytes=result["estimatedPayloadBytes"], seconds=seconds["total"])
    return 0


def run_search(args, work, features, stride, nonneg, feats, logits, train_idx, held_idx, tail, device):
    """Short runs of each candidate on a subset; the most accurate one whose estimated payload fits."""
    path = os.path.join(work, "search.json")
    if args.resume and os.path.exists(path):
        found = json.load(open(path, encoding="utf-8"))
        if found.get("target") == args.target_bytes:
            emit("note", message="reusing the --target-bytes search from the checkpoint folder")
            return found
    candidates = search_candidates(features, stride, args.target_bytes, nonneg)
    if not candidates:
        emit("error", kind="target", message=f"--target-bytes {args.target_bytes}: not even one channel at 1 bit fits")
        return None
    subset = train_idx[:SEARCH_INPUTS]
    probes = []
    for i, shape in enumerate(candidates):
        torch.manual_seed(args.seed + 100 + i)
        model = learn.Bottleneck(shape).to(device)
        t0 = time.time()
        plan = {"stage1": 1, "stage2": 1, "seed": args.seed, "distill": args.distill, "save": lambda _s: None}
        ev = learn.train(model, tail, feats, logits, subset, held_idx, plan, None, device,
                         label=f"probe {shape.channels}ch {shape.bits}b")
        probe = {"channels": shape.channels, "bits": shape.bits, "agreement": ev["agreement"],
                 "estimatedPayloadBytes": learn.estimated_payload(ev["shannonBytes"]),
                 "seconds": round(time.time() - t0, 1)}
        probes.append(probe)
        emit("probe", index=i + 1, of=len(candidates), **probe)
    fitting = [p for p in probes if p["estimatedPayloadBytes"] <= args.target_bytes] or \
        [min(probes, key=lambda p: p["estimatedPayloadBytes"])]
    chosen = max(fitting, key=lambda p: p["agreement"])
    found = {"target": args.target_bytes, "probes": probes, "chosen": chosen, "subset": len(subset)}
    learn.save_json(path, found)
    return found


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        emit("interrupted", message="stopped; the last finished epoch is in checkpoint.pt (--resume continues)")
        sys.exit(130)
