"""Uniform affine quantisation exactly as the TypeScript codec does it, plus entropy tables.

step_c = (max_c - min_c) / (2^b - 1);  q = clamp(floor((x - min_c)/step_c + 0.5), 0, 2^b - 1);
x_hat = min_c + q * step_c.
"""
import numpy as np
import torch
import torch.nn as nn


class FakeQuant(nn.Module):
    """Quantise-dequantise with a straight-through estimator. Ranges are calibrated, then fixed."""

    def __init__(self, channels, bits):
        super().__init__()
        self.bits = bits
        self.register_buffer("lo", torch.zeros(channels))
        self.register_buffer("hi", torch.ones(channels))
        self.enabled = False

    def calibrate(self, z, lo_pct=0.5, hi_pct=99.5):
        flat = z.transpose(0, 1).reshape(z.shape[1], -1)
        lo = torch.quantile(flat, lo_pct / 100, dim=1)
        hi = torch.quantile(flat, hi_pct / 100, dim=1)
        hi = torch.maximum(hi, lo + 1e-3)
        self.lo.copy_(lo)
        self.hi.copy_(hi)
        self.enabled = True

    def codes(self, z):
        levels = 2 ** self.bits - 1
        lo, hi = self.lo.view(1, -1, 1, 1), self.hi.view(1, -1, 1, 1)
        step = (hi - lo) / levels
        return torch.clamp(torch.floor((z - lo) / step + 0.5), 0, levels)

    def forward(self, z):
        if not self.enabled:
            return z
        lo, hi = self.lo.view(1, -1, 1, 1), self.hi.view(1, -1, 1, 1)
        x_hat = lo + self.codes(z) * (hi - lo) / (2 ** self.bits - 1)
        return z + (x_hat - z).detach()


def quantize_np(z, lo, hi, bits):
    """numpy mirror of the codec (float64), used for evaluation and byte counts."""
    levels = 2 ** bits - 1
    lo = lo.reshape(1, -1, 1, 1).astype(np.float64)
    hi = hi.reshape(1, -1, 1, 1).astype(np.float64)
    step = (hi - lo) / levels
    q = np.clip(np.floor((z.astype(np.float64) - lo) / step + 0.5), 0, levels).astype(np.uint8)
    x_hat = (lo + q * step).astype(np.float32)
    return q, x_hat


def frequency_tables(codes, bits, precision_bits=12):
    """Per-channel symbol frequencies (every symbol >= 1) summing to 2^precision_bits."""
    total = 1 << precision_bits
    n_sym = 1 << bits
    tables = []
    for c in range(codes.shape[1]):
        counts = np.bincount(codes[:, c].reshape(-1), minlength=n_sym).astype(np.float64) + 0.5
        freq = np.maximum(1, np.floor(counts / counts.sum() * total)).astype(np.int64)
        while freq.sum() != total:
            diff = total - freq.sum()
            i = int(np.argmax(freq)) if diff < 0 else int(np.argmax(counts - freq / total * counts.sum()))
            freq[i] += 1 if diff > 0 else (-1 if freq[i] > 1 else 0)
        tables.append([int(v) for v in freq])
    return tables


def shannon_bits(codes, tables, precision_bits=12):
    """Information content of each sample's codes under the tables' prior, in bits."""
    p = np.asarray(tables, dtype=np.float64) / (1 << precision_bits)  # [C, S]
    n, c = codes.shape[0], codes.shape[1]
    flat = codes.reshape(n, c, -1)
    ch = np.arange(c).reshape(1, c, 1)
    return -np.log2(p[ch, flat]).reshape(n, -1).sum(axis=1)
