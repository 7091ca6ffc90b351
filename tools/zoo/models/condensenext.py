"""CondenseNeXt (Kalgi et al., 2021) — an EffCNet-style dense network, scaled for 28x28 inputs.

Each dense layer: 1x1 *group* convolution (G=4) -> channel shuffle -> depthwise-separable 3x3
(depthwise 3x3 then 1x1 to the growth rate); its output is concatenated to its input (dense
connectivity). The growth rate increases exponentially from block to block as in CondenseNet.
Between blocks: a 2x2 average pool (14 -> 7 -> 3) (CondenseNet-style, no transition conv). Post-activation
(conv -> BN -> ReLU) ordering so every BN folds into its conv for export.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .common import Classifier, ConvBN, channel_shuffle


class CondenseLayer(nn.Module):
    def __init__(self, cin: int, growth: int, bottleneck: int = 4, groups: int = 4):
        super().__init__()
        mid = bottleneck * growth
        self.groups = groups
        self.gconv = ConvBN(cin, mid, 1, 1, groups=groups, act="relu")
        self.dw = ConvBN(mid, mid, 3, 1, groups=mid, act=None)
        self.pw = ConvBN(mid, growth, 1, 1, act="relu")

    def forward(self, x):
        y = channel_shuffle(self.gconv(x), self.groups)
        return torch.cat((x, self.pw(self.dw(y))), 1)


class CondenseNeXt(nn.Module):
    def __init__(self, stages=(3, 5, 6), growth=(8, 16, 32), stem: int = 16, classes: int = 10):
        super().__init__()
        self.stem = ConvBN(1, stem, 3, 2)  # 28 -> 14: downsample early
        layers, c = [], stem
        for i, (n, k) in enumerate(zip(stages, growth)):
            if i > 0:
                layers.append(nn.AvgPool2d(2))  # 14 -> 7 -> 3
            for _ in range(n):
                layers.append(CondenseLayer(c, k))
                c += k
        self.features = nn.Sequential(*layers)
        self.head = Classifier(c, classes)
        self.out_channels = c

    def forward(self, x):
        return self.head(self.features(self.stem(x)))


def condensenext():
    return CondenseNeXt()
