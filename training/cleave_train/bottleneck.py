"""A learned bottleneck for any cut: encoder (after the head) and decoder (before the tail), with
their shapes derived from the features at the cut, plus a differentiable rate estimate. The
default channels, bits and stride are chosen on the TypeScript side (@cleave/graph's
learned-estimate.ts), which `cleave profile` shares.

The shipped recipe's student (nets.Encoder / nets.Decoder) is the case of a 48x14x14 cut: conv
48->32 stride 2 and a 1x1 conv to C channels; a 1x1 conv back up, a transposed conv to 14x14 and a
3x3 conv. Here the widths follow the cut's channels, the down-sampling the `stride`, and a cut
without spatial dims ([F], e.g. before a classifier) gets linear layers instead.
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class BottleneckShape:
    """What the trainer builds and the manifest records. `features` is one sample's cut shape."""
    features: list
    channels: int
    bits: int
    stride: int
    nonnegative: bool  # the cut's features are >= 0 everywhere (post-ReLU): the decoder ends in a ReLU

    @property
    def spatial(self):
        return len(self.features) == 3

    def code_dims(self):
        """One sample's bottleneck dims: [C, ceil(H/s), ceil(W/s)], or [C] for a flat cut."""
        if not self.spatial:
            return [self.channels]
        _, h, w = self.features
        return [self.channels, math.ceil(h / self.stride), math.ceil(w / self.stride)]

    def values(self):
        return math.prod(self.code_dims())

    def packed_bytes(self):
        return math.ceil(self.values() * self.bits / 8)

    def to_json(self):
        return asdict(self)


def _width(cut_channels, ratio):
    return int(min(256, max(16, round(cut_channels * ratio))))


def conv_bn_relu(cin, cout, k=3, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BottleneckEncoder(nn.Module):
    """Cut features -> bottleneck (quantised by the codec, so no activation at the end)."""

    def __init__(self, shape):
        super().__init__()
        cf = shape.features[0]
        mid = _width(cf, 2 / 3)
        if shape.spatial:
            self.body = nn.Sequential(conv_bn_relu(cf, mid, 3, shape.stride), nn.Conv2d(mid, shape.channels, 1))
        else:
            self.body = nn.Sequential(nn.Linear(cf, mid), nn.ReLU(inplace=True), nn.Linear(mid, shape.channels))

    def forward(self, f):
        return self.body(f)


class BottleneckDecoder(nn.Module):
    """Dequantised bottleneck -> the cut's features, which the user's own tail takes."""

    def __init__(self, shape):
        super().__init__()
        cf = shape.features[0]
        mid = _width(cf, 4 / 3)
        self.size = shape.features[1:] if shape.spatial else None
        if shape.spatial:
            s = shape.stride
            # Up-sampling as a 1x1 conv to s*s times the channels and a pixel shuffle (ONNX
            # DepthToSpace): what a stride-s transposed conv of kernel s computes, on PyTorch's fast
            # convolution path (its CPU transposed conv is several times slower here).
            up = (nn.Sequential(nn.Conv2d(mid, cf * s * s, 1, bias=False), nn.PixelShuffle(s), nn.BatchNorm2d(cf),
                                nn.ReLU(inplace=True))
                  if s > 1 else conv_bn_relu(mid, cf))
            self.body = nn.Sequential(conv_bn_relu(shape.channels, mid, 1), up, nn.Conv2d(cf, cf, 3, 1, 1))
        else:
            self.body = nn.Sequential(nn.Linear(shape.channels, mid), nn.ReLU(inplace=True), nn.Linear(mid, cf))
        self.relu = shape.nonnegative

    def forward(self, z):
        f = self.body(z)
        if self.size is not None and list(f.shape[2:]) != list(self.size):
            f = f[:, :, :self.size[0], :self.size[1]]  # an odd size rounded up by the stride
        return F.relu(f) if self.relu else f


def as_4d(z):
    """The quantiser works on [N, C, ...spatial]; a flat bottleneck [N, C] is [N, C, 1, 1] to it."""
    return z if z.dim() == 4 else z.reshape(z.shape[0], z.shape[1], 1, 1)


def soft_rate_bits(z, quant, temperature=0.5):
    """A differentiable estimate of the bits per sample the entropy coder will spend on `z`.

    Each value is softly assigned to the quantiser's levels (a Gaussian kernel on its distance to
    each level, in steps); the batch's per-channel soft histogram is the prior, and the rate is the
    cross-entropy of the soft assignments under it: the same static per-channel model the codec's
    frequency tables are, made smooth so that gradients reach the encoder.
    """
    z = as_4d(z)
    levels = 2 ** quant.bits
    lo, hi = quant.lo.view(1, -1, 1, 1), quant.hi.view(1, -1, 1, 1)
    u = ((z - lo) / ((hi - lo) / (levels - 1))).clamp(-0.5, levels - 0.5)
    k = torch.arange(levels, dtype=z.dtype, device=z.device).view(1, 1, 1, 1, -1)
    p = torch.softmax(-((u.unsqueeze(-1) - k) ** 2) / temperature, dim=-1)  # [N, C, H, W, L]
    prior = p.mean(dim=(0, 2, 3)) + 1e-6  # [C, L]
    prior = prior / prior.sum(dim=1, keepdim=True)
    bits = -(p * torch.log2(prior).view(1, prior.shape[0], 1, 1, levels)).sum(dim=-1)
    return bits.sum(dim=(1, 2, 3)).mean()
