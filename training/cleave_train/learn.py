"""The label-free bottleneck trainer behind `cleave split --learn` (BottleFit / head-network
distillation, generalised to any cut):

- the user's head runs once over every input and its features at the cut are cached, with the
  full model's own logits (head -> tail) as the only supervision: no labels;
- stage 1: encoder + decoder reconstruct the cut's features (MSE relative to their variance);
  the quantiser's per-channel ranges are calibrated half-way, and quantisation-aware training
  (straight-through estimator, quant.FakeQuant) is on from then;
- stage 2: encoder + decoder are distilled from the full model's logits through the user's
  tail (mean squared error on the logits; or, with --distill kl, KL at T = 2 plus cross-entropy
  on the full model's own top-1), with an optional
  rate term (bottleneck.soft_rate_bits); the tail is frozen, or with --tune-tail its weights
  fine-tune too (at a quarter of the rate), still from the full model's logits only; what is
  evaluated and exported is the moving average of the stage-2 weights;
- one input in ten (by position) is held out: it never trains, and the per-channel entropy tables
  and the reported agreement are measured on it.

The shipped recipe's students (fit.train_student) are the labelled, tail-tuning case of the same
two stages; both share the quantiser, the tables and the rANS reference (quant.py, rans.py).
"""
import copy
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import quant
from .bottleneck import BottleneckDecoder, BottleneckEncoder, as_4d, soft_rate_bits
from .fit import cosine_lr

HOLDOUT_EVERY = 10
PRECISION_BITS = 12
BATCH = 64
LR = (2e-3, 2e-3)
TAIL_LR_SCALE = 0.25


def emit(event, **fields):
    """One progress event, a JSON line on stdout (the TypeScript driver draws the bars)."""
    print(json.dumps({"event": event, **fields}), flush=True)


def split_indices(n):
    held = np.arange(n) % HOLDOUT_EVERY == HOLDOUT_EVERY - 1
    return np.flatnonzero(~held), np.flatnonzero(held)


@torch.no_grad()
def cache_features(head, tail, inputs, device, bs=256):
    """The head's features at the cut (float16 when large) and the full model's logits."""
    n = len(inputs)
    feats = logits = None
    t0 = time.time()
    for i in range(0, n, bs):
        x = torch.from_numpy(np.array(inputs[i:i + bs], dtype=np.float32)).to(device)
        f = head(x)
        out = tail(f)
        if feats is None:
            half = n * f[0].numel() * 4 > (1 << 30)
            feats = torch.empty((n, *f.shape[1:]), dtype=torch.float16 if half else torch.float32, device=device)
            logits = torch.empty((n, out.shape[1]), device=device)
        feats[i:i + len(f)] = f.to(feats.dtype)
        logits[i:i + len(f)] = out
        emit("progress", stage="features", done=min(n, i + bs), total=n, seconds=round(time.time() - t0, 1))
    return feats, logits


class Bottleneck(torch.nn.Module):
    """Encoder, quantiser and decoder: what the head gains and the tail gains, joined for training."""

    def __init__(self, shape):
        super().__init__()
        self.shape = shape
        self.encoder = BottleneckEncoder(shape)
        self.decoder = BottleneckDecoder(shape)
        self.quant = quant.FakeQuant(shape.channels, shape.bits)

    def quantise(self, z):
        return self.quant(as_4d(z)).reshape(z.shape)

    def forward(self, f):
        z = self.encoder(f)
        return z, self.decoder(self.quantise(z))


@torch.no_grad()
def calibrate(model, feats, idx, n=4000):
    model.eval()
    sample = idx[:n]
    z = torch.cat([model.encoder(feats[sample[i:i + 500]].float()) for i in range(0, len(sample), 500)])
    model.quant.calibrate(as_4d(z))


@torch.no_grad()
def evaluate(model, tail, feats, logits, idx, bs=500):
    """Hard quantisation exactly as the codec does it (quant.quantize_np), then the tail."""
    model.eval()
    lo, hi = model.quant.lo.cpu().numpy(), model.quant.hi.cpu().numpy()
    codes, labels = [], []
    for i in range(0, len(idx), bs):
        sel = idx[i:i + bs]
        z = model.encoder(feats[sel].float())
        q, z_hat = quant.quantize_np(as_4d(z).cpu().numpy(), lo, hi, model.shape.bits)
        out = tail(model.decoder(torch.from_numpy(z_hat).to(z.device).reshape(z.shape)))
        codes.append(q)
        labels.append(out.argmax(1).cpu().numpy())
    codes, labels = np.concatenate(codes), np.concatenate(labels)
    full = logits[idx].argmax(1).cpu().numpy()
    tables = quant.frequency_tables(codes, model.shape.bits, PRECISION_BITS)
    shannon = quant.shannon_bits(codes, tables, PRECISION_BITS) / 8
    return {"agreement": float((labels == full).mean()), "labels": labels, "fullLabels": full,
            "tables": tables, "shannonBytes": float(shannon.mean())}


def distill_kl(out, teacher, temp=2.0, alpha=0.5):
    """KL to the full model's softened logits (T = 2), plus cross-entropy on its own top-1 in
    place of a label (alpha = 0.5). The labelled recipe's T = 4 / alpha 0.7 and a mostly-hard
    alpha 0.2 were both lower on a small residual CNN."""
    kd = F.kl_div(F.log_softmax(out / temp, 1), F.softmax(teacher / temp, 1), reduction="batchmean")
    return alpha * kd * temp * temp + (1 - alpha) * F.cross_entropy(out, teacher.argmax(1))


def distill_mse(out, teacher):
    """Mean squared error on the logits themselves (Ba & Caruana's logit matching; Kim et al.
    2021 compare it with KL for distillation). With no labels the full model's logits are the
    whole target, and matching them, not only their softened ranking, keeps the tail's decision
    margins. On test/byom's residual CNN cut at 32x14x14 (16 channels at 7x7, 4 bits, tail
    fine-tuned; scripts/byom-distill-seeds.sh, seeds 0-2) held-out agreement was 0.09-0.25 pt
    higher than with distill_kl at every seed, and 98.2% against 97.8% on the test's 1,000 test
    images, at 3-7 B more per frame; test accuracy was 0.15-0.38 pt lower (it follows the model's
    mistakes too). MSE plus the top-1 cross-entropy gave less agreement than MSE alone (a trial
    run, not kept)."""
    return F.mse_loss(out, teacher)


DISTILL = {"mse": distill_mse, "kl": distill_kl}


EMA_DECAY = 0.995


@torch.no_grad()
def ema_update(ema, model, decay=EMA_DECAY):
    """Stage 2 keeps an exponential moving average of the weights (horizon ~200 steps), which is
    what is evaluated and exported: single-step weights flip the answer on borderline inputs from
    one epoch to the next (held-out agreement swung by 2 pt between epochs without it)."""
    for pe, p in zip(ema.parameters(), model.parameters()):
        pe.mul_(decay).add_(p.detach(), alpha=1 - decay)
    for be, b in zip(ema.buffers(), model.buffers()):
        be.copy_(b)
    ema.quant.enabled = model.quant.enabled


@torch.no_grad()
def ema_update_tail(ema_tail, tail, decay=EMA_DECAY):
    for pe, p in zip(ema_tail.weight_parameters(), tail.weight_parameters()):
        pe.mul_(decay).add_(p.detach(), alpha=1 - decay)


def train(model, tail, feats, logits, train_idx, held_idx, plan, ckpt, device, label="train"):
    """Runs the two stages from wherever `ckpt` (a dict or None) left off; calls plan['save'] after
    every epoch with the state to resume from. Returns the held-out evaluation of the result.

    With plan['tune_tail'], stage 2 also fine-tunes the tail's weights (tail.weight_parameters(),
    at TAIL_LR_SCALE of the bottleneck's rate), still distilled from the full model's logits only:
    BottleFit's and Entropic Student's stage 2, without labels. `tail` is changed in place."""
    e1, e2, rate_weight = plan["stage1"], plan["stage2"], plan.get("rate_weight", 0.0)
    distill = DISTILL[plan.get("distill", "mse")]
    tail_params = tail.weight_parameters() if plan.get("tune_tail") else []
    var = float(feats[train_idx[:4000]].float().var())
    gen = torch.Generator().manual_seed(plan["seed"])
    state = {"stage": 1, "epoch": 0, "history": []}
    if ckpt:
        model.load_state_dict(ckpt["model"])
        model.quant.enabled = ckpt["quant_enabled"]
        if tail_params and ckpt.get("tail"):
            tail.load_state_dict(ckpt["tail"])
        state = {k: ckpt[k] for k in ("stage", "epoch", "history")}
        gen.set_state(ckpt["generator"])
    steps_per_epoch = math.ceil(len(train_idx) / BATCH)
    for stage, epochs in ((1, e1), (2, e2)):
        if state["stage"] > stage:
            continue
        params = list(model.encoder.parameters()) + list(model.decoder.parameters())
        base = LR[0] if stage == 1 else LR[1]
        tuned = tail_params if stage == 2 else []
        for p in tuned:
            p.requires_grad_(True)
        opt = torch.optim.Adam([{"params": params}] + ([{"params": tuned, "scale": TAIL_LR_SCALE}] if tuned else []),
                               lr=base)
        if ckpt and ckpt.get("optimiser") and ckpt["stage"] == stage:
            opt.load_state_dict(ckpt["optimiser"])
        if stage == 2 and state["epoch"] == 0:
            calibrate(model, feats, train_idx)
        ema = copy.deepcopy(model) if stage == 2 else model
        ema_tail = copy.deepcopy(tail) if tuned else tail
        if stage == 2 and ckpt and ckpt.get("ema") and ckpt["stage"] == 2:
            ema.load_state_dict(ckpt["ema"])
            ema.quant.enabled = True
            if tuned and ckpt.get("ema_tail"):
                ema_tail.load_state_dict(ckpt["ema_tail"])
        total = epochs * steps_per_epoch
        for epoch in range(state["epoch"], epochs):
            model.train()
            t0, loss_sum, rate_sum, seen = time.time(), 0.0, 0.0, 0
            order = torch.from_numpy(train_idx)[torch.randperm(len(train_idx), generator=gen)]
            for b in range(steps_per_epoch):
                step = epoch * steps_per_epoch + b
                if stage == 1 and not model.quant.enabled and step >= total // 2:
                    calibrate(model, feats, train_idx)
                    model.train()
                sel = order[b * BATCH:(b + 1) * BATCH]
                f, teacher = feats[sel.to(feats.device)].float(), logits[sel.to(logits.device)]
                cosine_lr(opt, base, step, total, warmup=min(100, total // 10 + 1))
                z, f_hat = model(f)
                if stage == 1:
                    loss = F.mse_loss(f_hat, f) / var
                else:
                    loss = distill(tail(f_hat), teacher)
                if rate_weight > 0 and model.quant.enabled:
                    rate = soft_rate_bits(z, model.quant) / 8
                    loss = loss + rate_weight * rate
                    rate_sum += float(rate) * len(sel)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"stage {stage} loss is {float(loss)} at step {step}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params + tuned, 5.0)
                opt.step()
                if ema is not model:
                    ema_update(ema, model)
                if ema_tail is not tail:
                    ema_update_tail(ema_tail, tail)
                loss_sum += float(loss) * len(sel)
                seen += len(sel)
            if not model.quant.enabled:
                calibrate(model, feats, train_idx)
            ev = evaluate(ema, ema_tail, feats, logits, held_idx)
            record = {"label": label, "stage": stage, "epoch": epoch + 1, "of": epochs, "loss": loss_sum / seen,
                      "agreement": ev["agreement"], "bytes": ev["shannonBytes"],
                      "seconds": round(time.time() - t0, 1)}
            if rate_weight > 0:
                record["rateBytes"] = rate_sum / seen
            state["history"].append(record)
            state["epoch"] = epoch + 1
            # Saved before it is reported: a stop that follows the report finds the checkpoint.
            plan["save"]({"model": model.state_dict(), "quant_enabled": model.quant.enabled,
                          "stage": stage, "epoch": epoch + 1, "history": state["history"],
                          "optimiser": opt.state_dict(), "generator": gen.get_state(),
                          **({"ema": ema.state_dict()} if ema is not model else {}),
                          **({"tail": tail.state_dict(), "ema_tail": ema_tail.state_dict()} if tuned else {})})
            emit("epoch", **record)
        if ema is not model:
            model.load_state_dict(ema.state_dict())
        if ema_tail is not tail:
            tail.load_state_dict(ema_tail.state_dict())
        for p in tuned:
            p.requires_grad_(False)
        state = {"stage": stage + 1, "epoch": 0, "history": state["history"]}
        ckpt = None
    ev = evaluate(model, tail, feats, logits, held_idx)
    ev["history"] = state["history"]
    return ev


def to_device(module, device):
    module.to(device)
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def estimated_payload(shannon_bytes):
    """rANS spends the Shannon bound plus its 4-byte final state (measured: +3.4..3.5 B)."""
    return shannon_bytes + 4


def save_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
    os.replace(tmp, path)
