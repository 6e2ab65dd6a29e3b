"""Networks: a ResNet-style teacher, the bottleneck student (head + tail), and dual CNNs.

Two split points ("cut"):
- "early" (the default): after the teacher's first down-sampling stage (48x14x14). The head is
  the teacher's stem and first stage (frozen), a learned encoder that squeezes the features to
  C x 7 x 7, and an early-exit branch. The tail decodes the bottleneck back to 48x14x14 and runs
  the rest of the teacher (block1, down2, block2, classifier).
- "late": after the teacher's second down-sampling stage (96x7x7). The head also runs block1
  and down2 (frozen) before a 1x1 encoder to C x 7 x 7; the tail decodes back to 96x7x7 and runs
  block2 and the classifier. More of the network runs on the device (76% of the teacher's MACs
  with encoder and exit, instead of 20%) and the features it sends are closer to the answer, so
  they compress further for the same accuracy (Neurosurgeon's trade-off).
The early exit branch (on the trunk's 48x14x14) is shared by every early-cut point; the late cut
has its own exit at the cut (96x7x7).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .quant import FakeQuant


def conv_bn(cin, cout, stride=1, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, 1, 1, bias=False)
        self.b1 = nn.BatchNorm2d(ch)
        self.c2 = nn.Conv2d(ch, ch, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(ch)

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(x + self.b2(self.c2(y)))


class Teacher(nn.Module):
    def __init__(self, w=(32, 48, 96), classes=10):
        super().__init__()
        self.stem = conv_bn(1, w[0])
        self.down1 = conv_bn(w[0], w[1], 2)
        self.block1 = ResBlock(w[1])
        self.down2 = conv_bn(w[1], w[2], 2)
        self.block2 = ResBlock(w[2])
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(w[2], classes)

    def front(self, x):  # the part the student head keeps
        return self.down1(self.stem(x))

    def back(self, z):  # everything after block1; the student tail reuses it
        z = self.block2(self.down2(z))
        return self.fc(self.drop(torch.flatten(F.adaptive_avg_pool2d(z, 1), 1)))

    def forward(self, x):
        return self.back(self.block1(self.front(x)))


class ExitBranch(nn.Module):
    """Early exit. On the trunk features (48x14x14) for the early cut; for the late cut it sits
    where the head's features already are (96x7x7, after down2), so it costs almost nothing more
    and sees features nearly as rich as the teacher's last block."""

    def __init__(self, cin=48, mid=32, classes=10, cut="early"):
        super().__init__()
        self.conv = conv_bn(96, 64, 1) if cut == "late" else conv_bn(cin, mid, 2)
        self.fc = nn.Linear(64 if cut == "late" else mid, classes)

    def forward(self, h):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.conv(h), 1), 1))


class Encoder(nn.Module):
    """Trunk features (48x14x14) -> bottleneck (C x 7 x 7), in two parts: `at_cut` (nothing at the
    early cut; the teacher's frozen block1 and down2 at the late cut) and the learned `project`.
    The features at the cut are what the decoder learns to reproduce in stage 1."""

    def __init__(self, channels, cin=48, mid=32, cut="early", teacher=None):
        super().__init__()
        self.cut = cut
        if cut == "late":
            self.block1, self.down2 = teacher.block1, teacher.down2  # frozen: see trainable()
            self.conv = conv_bn(96, 64, k=1)
            self.proj = nn.Conv2d(64, channels, 1)
        else:
            self.conv = conv_bn(cin, mid, 2)
            self.proj = nn.Conv2d(mid, channels, 1)

    def at_cut(self, h):
        if self.cut != "late":
            return h
        with torch.no_grad():
            return self.down2(self.block1(h))

    def project(self, f):
        return self.proj(self.conv(f))

    def trainable(self):
        return [p for n, p in self.named_parameters() if not n.startswith(("block1.", "down2."))]

    def train(self, mode=True):
        super().train(mode)
        if self.cut == "late":  # the teacher's layers keep their batch-norm statistics
            self.block1.eval()
            self.down2.eval()
        return self


class Decoder(nn.Module):
    def __init__(self, channels, cout=48, mid=64, cut="early"):
        super().__init__()
        self.expand = conv_bn(channels, mid, k=1)
        if cut == "late":
            self.up = nn.Identity()
            self.refine = nn.Sequential(nn.Conv2d(mid, 96, 3, 1, 1), nn.ReLU(inplace=True))
        else:
            self.up = nn.Sequential(nn.ConvTranspose2d(mid, cout, 2, 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
            self.refine = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1), nn.ReLU(inplace=True))

    def forward(self, z):
        return self.refine(self.up(self.expand(z)))


class Head(nn.Module):
    """Runs on the device. Outputs (exit_logits, features); features are quantised by the codec."""

    def __init__(self, teacher, channels, cut="early"):
        super().__init__()
        self.stem, self.down1 = teacher.stem, teacher.down1
        self.exit = ExitBranch(cut=cut)
        self.encoder = Encoder(channels, cut=cut, teacher=teacher)

    def trunk(self, x):
        return self.down1(self.stem(x))

    def forward(self, x):
        f = self.encoder.at_cut(self.trunk(x))
        return self.exit(f), self.encoder.project(f)


class Tail(nn.Module):
    """Runs in the cloud. Takes dequantised features, returns logits."""

    def __init__(self, teacher, channels, cut="early"):
        super().__init__()
        self.cut = cut
        self.decoder = Decoder(channels, cut=cut)
        if cut != "late":
            self.block1, self.down2 = teacher.block1, teacher.down2
        self.block2, self.drop, self.fc = teacher.block2, teacher.drop, teacher.fc

    def forward(self, z):
        z = self.decoder(z)
        if self.cut != "late":
            z = self.down2(self.block1(z))
        z = self.block2(z)
        return self.fc(self.drop(torch.flatten(F.adaptive_avg_pool2d(z, 1), 1)))


class Student(nn.Module):
    """Head and tail joined by fake quantisation, for training only."""

    def __init__(self, head, tail, bits):
        super().__init__()
        self.head, self.tail = head, tail
        self.quant = FakeQuant(head.encoder.proj.out_channels, bits)

    def forward(self, x):
        exit_logits, z = self.head(x)
        return exit_logits, self.tail(self.quant(z))


class SmallCnn(nn.Module):
    """Dual CNN. A uses 3x3 kernels and max-pooling; B uses 5x5 kernels and strided convs, so
    their receptive fields and errors differ."""

    def __init__(self, kind, classes=10):
        super().__init__()
        if kind == "a":
            self.features = nn.Sequential(conv_bn(1, 16), nn.MaxPool2d(2), conv_bn(16, 32), nn.MaxPool2d(2), conv_bn(32, 64))
            last = 64
        else:
            self.features = nn.Sequential(conv_bn(1, 16, 2, k=5), conv_bn(16, 48, 2, k=5), conv_bn(48, 64, k=3))
            last = 64
        self.fc = nn.Linear(last, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def count_macs(module, example):
    """Multiply-accumulates of conv and linear layers for one input, counted with hooks."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            total[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.ConvTranspose2d):
            total[0] += inp[0].numel() // inp[0].shape[0] * m.out_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total[0] += m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    was = module.training
    module.eval()
    with torch.no_grad():
        module(example)
    module.train(was)
    for h in handles:
        h.remove()
    return int(total[0])
