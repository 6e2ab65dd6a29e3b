"""A Fashion-MNIST-shaped CNN with a VGG-style fully connected classifier, for `cleave bench serve
--fc-tail`: where batching pays on a CPU.

Two 3x3 convolutions with max-pooling give 64x7x7 features; the classifier is VGG's: Flatten,
Linear(3136, W), ReLU, Linear(W, W), ReLU, Linear(W, 10). Cut before the classifier, the tail is
almost all weights (W = 4096: 29.7 M parameters, ~119 MB), so at batch 1 it is bound by reading
them and batch 32 reads them once for 32 samples. The weights are PyTorch's default
initialisation, seeded: the model is for throughput, its accuracy means nothing.

usage: /usr/bin/python3 training/export_fc_classifier.py OUT.onnx [--width W] [--seed S]
"""
import argparse

import torch
import torch.nn as nn


class FcClassifierNet(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, width), nn.ReLU(),
            nn.Linear(width, width), nn.ReLU(),
            nn.Linear(width, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('out')
    parser.add_argument('--width', type=int, default=4096)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    model = FcClassifierNet(args.width).eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), args.out,
        input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
        opset_version=17,
    )


if __name__ == '__main__':
    main()
