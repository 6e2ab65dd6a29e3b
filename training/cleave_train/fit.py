"""Training loops. All on CPU, seeded, with the batch sizes chosen for a 2-core machine."""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def augment(x):
    """Random 2-pixel shifts and horizontal flips (clothes are left-right symmetric)."""
    n = x.shape[0]
    flip = torch.rand(n) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    padded = F.pad(x, (2, 2, 2, 2), mode="constant", value=float(x.min()))
    dx, dy = np.random.randint(0, 5, 2)
    return padded[:, :, dy:dy + 28, dx:dx + 28]


def batches(n, bs, shuffle, gen=None):
    idx = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
    for i in range(0, n, bs):
        yield idx[i:i + bs]


def cosine_lr(opt, base, step, total, warmup=100):
    lr = base * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
    for g in opt.param_groups:
        g["lr"] = lr * g.get("scale", 1.0)


def train_classifier(model, x, y, epochs, lr=0.05, bs=128, weights=None, aug=True, name="model"):
    """Cross-entropy with SGD + Nesterov + cosine schedule. `weights` re-weights samples."""
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr, momentum=0.9,
                          nesterov=True, weight_decay=5e-4)
    total = epochs * math.ceil(len(x) / bs)
    step = 0
    for ep in range(epochs):
        model.train()
        t0, seen, loss_sum = time.time(), 0, 0.0
        for idx in batches(len(x), bs, True):
            xb = augment(x[idx]) if aug else x[idx]
            cosine_lr(opt, lr, step, total)
            out = model(xb)
            loss = F.cross_entropy(out, y[idx], reduction="none", label_smoothing=0.05)
            loss = (loss * weights[idx]).sum() / weights[idx].sum() if weights is not None else loss.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            seen += len(idx)
            loss_sum += float(loss) * len(idx)
        log(f"{name} epoch {ep + 1}/{epochs} loss {loss_sum / seen:.4f} ({time.time() - t0:.0f}s)")
    model.eval()
    return model


@torch.no_grad()
def predict(fn, x, bs=1000):
    outs = [fn(x[i:i + bs]) for i in range(0, len(x), bs)]
    if isinstance(outs[0], tuple):
        return tuple(torch.cat([o[k] for o in outs]) for k in range(len(outs[0])))
    return torch.cat(outs)


@torch.no_grad()
def trunk_views(head, teacher, x, bs=1000):
    """The frozen trunk's features and the teacher's logits for each image and its mirror.

    The trunk is frozen for every student, so it runs once here instead of once per epoch.
    Features are kept as float16 (2 views x 55k x 48x14x14 is ~4 GB) and widened per batch;
    they are both the encoder's input and the decoder's stage-1 target.
    """
    head.eval()
    teacher.eval()
    feats, logits = [], []
    for view in (x, x.flip(3)):
        for i in range(0, len(view), bs):
            h = head.trunk(view[i:i + bs])
            feats.append(h.half())
            logits.append(teacher.back(teacher.block1(h)))
    return torch.cat(feats), torch.cat(logits)


@torch.no_grad()
def at_cut_views(encoder, h_all, bs=1000):
    """The features at the encoder's cut for every cached trunk view (float16), computed once:
    at the late cut this is the frozen block1 + down2, which would otherwise run every epoch."""
    if encoder.cut != "late":
        return h_all
    encoder.eval()
    return torch.cat([encoder.at_cut(h_all[i:i + bs].float()).half() for i in range(0, len(h_all), bs)])


def view_batches(n, bs):
    """Each epoch sees every image once, in a random view (original or mirrored)."""
    for idx in batches(n, bs, True):
        yield idx, idx + n * torch.randint(0, 2, (len(idx),))


def distill_loss(logits, t_logits, y, temp=4.0, alpha=0.7):
    """Cross-entropy plus distillation from the teacher's logits (Hinton et al.)."""
    kd = F.kl_div(F.log_softmax(logits / temp, 1), F.softmax(t_logits / temp, 1), reduction="batchmean")
    return alpha * kd * temp * temp + (1 - alpha) * F.cross_entropy(logits, y)


def train_exit(head, h_all, y, epochs, lr=0.05, bs=128, t_logits=None):
    """The exit branch learns on the frozen features at its place (`h_all`). With `t_logits` it
    is distilled from the teacher (the late exit, which answers most inputs, should agree with
    the teacher rather than only with the labels); without, plain label-smoothed cross-entropy."""
    exit_branch = head.exit
    opt = torch.optim.SGD(exit_branch.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    total = epochs * math.ceil(len(y) / bs)
    step = 0
    for ep in range(epochs):
        exit_branch.train()
        t0, loss_sum = time.time(), 0.0
        for idx, vidx in view_batches(len(y), bs):
            cosine_lr(opt, lr, step, total)
            out = exit_branch(h_all[vidx].float())
            if t_logits is None:
                loss = F.cross_entropy(out, y[idx], label_smoothing=0.05)
            else:
                loss = distill_loss(out, t_logits[vidx], y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += float(loss) * len(idx)
        log(f"exit epoch {ep + 1}/{epochs} loss {loss_sum / len(y):.4f} ({time.time() - t0:.0f}s)")
    head.eval()


def train_student(student, f_all, t_logits, y, epochs1, epochs2, lr=1e-3, bs=128, name="student"):
    """BottleFit / head-network distillation on the frozen features at the cut (`f_all`, from
    at_cut_views: the trunk's features at the early cut, down2's output at the late cut).

    Stage 1: encoder + decoder learn to reproduce the features at the cut (MSE): the trunk's
    features at the early cut (the input of the teacher's block1, which the tail keeps), the
    frozen down2's output at the late cut.
    Quantisation ranges are calibrated after the first stage-1 epoch, then QAT (STE) is on.
    Stage 2: encoder + decoder + the rest of the tail fine-tune with CE + KD from the teacher.
    """
    head, tail = student.head, student.tail
    n = len(y)
    stage1 = head.encoder.trainable() + list(tail.decoder.parameters())
    project = head.encoder.project
    opt = torch.optim.Adam(stage1, lr=2e-3)
    total = epochs1 * math.ceil(n / bs)
    step = 0
    for ep in range(epochs1):
        if ep == 1 or (epochs1 == 1 and ep == 0):
            calibrate_quant(student, f_all)
        head.encoder.train()
        tail.decoder.train()
        t0, loss_sum = time.time(), 0.0
        for idx, vidx in view_batches(n, bs):
            cosine_lr(opt, 2e-3, step, total)
            f = f_all[vidx].float()
            loss = F.mse_loss(tail.decoder(student.quant(project(f))), f)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += float(loss) * len(idx)
        log(f"{name} stage1 {ep + 1}/{epochs1} mse {loss_sum / n:.4f} ({time.time() - t0:.0f}s)")
    if not student.quant.enabled:
        calibrate_quant(student, f_all)

    stage2 = stage1 + [p for nm, p in tail.named_parameters() if not nm.startswith("decoder.")]
    for p in stage2:
        p.requires_grad_(True)
    # Adam with clipping: SGD at this rate diverged once the pretrained tail met quantised inputs.
    opt = torch.optim.Adam(stage2, lr=lr)
    total = epochs2 * math.ceil(n / bs)
    step, temp, alpha = 0, 4.0, 0.7
    for ep in range(epochs2):
        head.encoder.train()
        tail.train()
        t0, loss_sum = time.time(), 0.0
        for idx, vidx in view_batches(n, bs):
            cosine_lr(opt, lr, step, total, warmup=50)
            logits = tail(student.quant(project(f_all[vidx].float())))
            loss = distill_loss(logits, t_logits[vidx], y[idx], temp, alpha)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"{name}: stage-2 loss is {float(loss)} at step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(stage2, 5.0)
            opt.step()
            step += 1
            loss_sum += float(loss) * len(idx)
        log(f"{name} stage2 {ep + 1}/{epochs2} loss {loss_sum / n:.4f} ({time.time() - t0:.0f}s)")
    student.eval()


@torch.no_grad()
def calibrate_quant(student, f_all, n=4000):
    student.eval()
    student.quant.calibrate(student.head.encoder.project(f_all[:n].float()))
