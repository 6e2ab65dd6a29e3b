"""Confidence scores (higher = more confident) and threshold calibration on validation data.

Same definitions as the agent's score registry:
  max-softmax = max_k p_k;  margin = p_(1) - p_(2);  entropy = 1 - H(p) / ln K.
"""
import numpy as np

SCORE_FUNCTIONS = ("max-softmax", "margin", "entropy")


def softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def score(logits, fn):
    p = softmax(np.asarray(logits, dtype=np.float64))
    if fn == "max-softmax":
        return p.max(axis=1)
    if fn == "margin":
        top = np.sort(p, axis=1)
        return top[:, -1] - top[:, -2]
    if fn == "entropy":
        h = -(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=1)
        return 1 - h / np.log(p.shape[1])
    raise ValueError(f"unknown score function {fn}")


def calibrate(scores, local_correct, fallback_correct, max_drop):
    """Smallest threshold t such that answering locally where score >= t (and falling back
    elsewhere) loses at most `max_drop` accuracy against always falling back."""
    base = fallback_correct.mean()
    order = np.argsort(-scores)
    s_sorted = scores[order]
    gain = np.cumsum(local_correct[order].astype(np.int64) - fallback_correct[order].astype(np.int64))
    acc = base + gain / len(scores)
    ok = np.flatnonzero(acc >= base - max_drop)
    # Only thresholds that fall between distinct scores are realisable.
    best = None
    for k in ok[::-1]:
        if k + 1 < len(s_sorted) and s_sorted[k + 1] == s_sorted[k]:
            continue
        best = k
        break
    if best is None:
        return 1.0 + 1e-9
    return float(s_sorted[best])


def dual_answer(logits_a, logits_b, fn, threshold):
    """A answers alone when sure; otherwise B runs and the more confident of the two wins."""
    sa, sb = score(logits_a, fn), score(logits_b, fn)
    pa, pb = logits_a.argmax(1), logits_b.argmax(1)
    use_b = (sa < threshold) & (sb > sa)
    pred = np.where(use_b, pb, pa)
    conf = np.where(sa >= threshold, sa, np.maximum(sa, sb))
    return pred, conf, sa >= threshold
