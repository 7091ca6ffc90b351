"""Small DenseNet-BC (Huang et al., 2017) for 28x28 inputs.

Bottleneck dense layers (1x1 conv to 4k -> 3x3 conv to k, concatenated to the input), growth
rate k = 12, three dense blocks, compression 0.5 in the transitions (1x1 conv + 2x2 avg pool).
Post-activation (conv -> BN -> ReLU) ordering instead of the original BN-ReLU-conv, so that every
BN folds into its conv for export. A stride-2 3x3 stem takes 28x28 to 14x14 before the first
block (blocks at 14, 7, 3).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .common import Classifier, ConvBN


class DenseLayer(nn.Module):
    def __init__(self, cin: int, growth: int, bn_size: int = 4):
        super().__init__()
        self.c1 = ConvBN(cin, bn_size * growth, 1, 1, act="relu")
        self.c2 = ConvBN(bn_size * growth, growth, 3, 1, act="relu")

    def forward(self, x):
        return torch.cat((x, self.c2(self.c1(x))), 1)


class Transition(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = ConvBN(cin, cout, 1, 1, act="relu")
        self.pool = nn.AvgPool2d(2)

    def forward(self, x):
        return self.pool(self.conv(x))


class DenseNetBC(nn.Module):
    def __init__(self, blocks=(4, 6, 6), growth: int = 12, compression: float = 0.5,
                 classes: int = 10):
        super().__init__()
        c = 2 * growth
        self.stem = ConvBN(1, c, 3, 2)  # 28 -> 14: downsample early
        layers = []
        for i, n in enumerate(blocks):
            for _ in range(n):
                layers.append(DenseLayer(c, growth))
                c += growth
            if i < len(blocks) - 1:
                out = int(c * compression)
                layers.append(Transition(c, out))
                c = out
        self.features = nn.Sequential(*layers)
        self.head = Classifier(c, classes)

    def forward(self, x):
        return self.head(self.features(self.stem(x)))


def densenet():
    return DenseNetBC()
