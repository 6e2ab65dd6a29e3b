"""Measures what a bundle's manifest reports: accuracies, gate coverage, bytes on the wire."""
import numpy as np
import torch

from . import gates, quant, rans
from .fit import predict

EXIT_MAX_DROP = 0.0015  # calibrated on validation; the goal on test is <= 0.3 pt
DUAL_MAX_DROP = 0.001


@torch.no_grad()
def head_outputs(head, x):
    exit_logits, z = predict(head, x)
    return exit_logits.numpy(), z.numpy()


@torch.no_grad()
def split_logits(head, tail, fq, x):
    exit_logits, z = head_outputs(head, x)
    codes, z_hat = quant.quantize_np(z, fq.lo.numpy(), fq.hi.numpy(), fq.bits)
    logits = predict(tail, torch.from_numpy(z_hat)).numpy()
    return exit_logits, codes, logits


def calibrate_gates(val, y_val, dual_val):
    """val: dict with exit / split logits on the validation split; dual_val: (logits_a, logits_b)."""
    exit_t, dual_t = {}, {}
    split_ok = val["split"].argmax(1) == y_val
    exit_ok = val["exit"].argmax(1) == y_val
    la, lb = dual_val
    for fn in gates.SCORE_FUNCTIONS:
        s = gates.score(val["exit"], fn)
        t = gates.calibrate(s, exit_ok, split_ok, EXIT_MAX_DROP)
        exit_t[fn] = t
        rest = s < t
        if not rest.any():
            dual_t[fn] = 1.0
            continue
        sa, sb = gates.score(la[rest], fn), gates.score(lb[rest], fn)
        pred = np.where(sb > sa, lb[rest].argmax(1), la[rest].argmax(1))
        max_drop = DUAL_MAX_DROP * len(s) / max(1, rest.sum())
        dual_t[fn] = gates.calibrate(np.maximum(sa, sb), pred == y_val[rest], split_ok[rest], max_drop)
    return {"exit": {"default": "max-softmax", "thresholds": exit_t},
            "dual": {"default": "max-softmax", "thresholds": dual_t}}


def byte_counts(codes, tables, precision_bits, bits):
    rt = rans.RansTables(tables, precision_bits)
    sizes = np.array([len(rans.encode_codes(c, rt)) for c in codes], dtype=np.float64)
    shannon = quant.shannon_bits(codes, tables, precision_bits) / 8
    packed = int(np.ceil(codes[0].size * bits / 8))
    return {"meanFrameBytes": float(sizes.mean()), "shannonBytes": float(shannon.mean()), "packedBytes": packed,
            "p95FrameBytes": float(np.percentile(sizes, 95))}


def test_metrics(y, full_logits, exit_logits, split, la, lb, gate_cfg):
    fn = gate_cfg["exit"]["default"]
    t_exit = gate_cfg["exit"]["thresholds"][fn]
    t_dual = gate_cfg["dual"]["thresholds"][fn]
    acc = lambda logits: float((logits.argmax(1) == y).mean())  # noqa: E731
    s_exit = gates.score(exit_logits, fn)
    exits = s_exit >= t_exit
    split_pred = split.argmax(1)
    exit_cascade = np.where(exits, exit_logits.argmax(1), split_pred)
    dual_pred, dual_conf, _ = gates.dual_answer(la, lb, fn, t_dual)
    dual_ans = (~exits) & (dual_conf >= t_dual)
    cascade = np.where(exits, exit_logits.argmax(1), np.where(dual_ans, dual_pred, split_pred))
    a_ok, b_ok = la.argmax(1) == y, lb.argmax(1) == y
    ab_pred = np.where(gates.score(lb, fn) > gates.score(la, fn), lb.argmax(1), la.argmax(1))
    a_unsure = gates.score(la, fn) < t_dual
    return {
        "accuracy": {
            "full": acc(full_logits), "split": acc(split), "exit": acc(exit_logits),
            "dual-a": acc(la), "dual-b": acc(lb), "dual-ab": float((ab_pred == y).mean()),
            "exit-cascade": float((exit_cascade == y).mean()), "cascade": float((cascade == y).mean()),
        },
        "exitCoverage": float(exits.mean()),
        "exitAnsweredAccuracy": float((exit_logits.argmax(1)[exits] == y[exits]).mean()) if exits.any() else 0.0,
        "dualCoverage": float(dual_ans.mean()),
        "deviceCoverage": float((exits | dual_ans).mean()),
        "complementarity": {
            "bRightWhereAWrong": float(b_ok[~a_ok].mean()) if (~a_ok).any() else 0.0,
            "bRightWhereAUnsure": float(b_ok[a_unsure].mean()) if a_unsure.any() else 0.0,
            "aRightWhereAUnsure": float(a_ok[a_unsure].mean()) if a_unsure.any() else 0.0,
            "oracle": float((a_ok | b_ok).mean()),
        },
    }
