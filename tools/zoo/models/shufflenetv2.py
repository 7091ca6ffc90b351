"""ShuffleNet V2 (Ma et al., 2018) scaled for 28x28 inputs.

Stride-1 units split the channels in half, transform one half (1x1 -> 3x3 dw -> 1x1) and
concatenate + channel-shuffle; stride-2 units process both branches and double the channels.
The stem keeps 28x28 (no max-pool); stages run at 14x14, 7x7 and 4x4.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .common import Classifier, ConvBN, channel_shuffle


class ShuffleUnit(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.stride = stride
        branch = cout // 2
        bin_ = cin if stride == 2 else cin // 2
        if stride == 2:
            self.left = nn.Sequential(ConvBN(cin, cin, 3, 2, groups=cin, act=None),
                                      ConvBN(cin, branch, 1, 1, act="relu"))
        self.right = nn.Sequential(ConvBN(bin_, branch, 1, 1, act="relu"),
                                   ConvBN(branch, branch, 3, stride, groups=branch, act=None),
                                   ConvBN(branch, branch, 1, 1, act="relu"))

    def forward(self, x):
        if self.stride == 1:
            half = int(x.shape[1]) // 2  # constant Slice bounds -> statically inferable shapes
            out = torch.cat((x[:, :half], self.right(x[:, half:])), 1)
        else:
            out = torch.cat((self.left(x), self.right(x)), 1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, stages=(48, 96, 192), repeats=(2, 3, 2), stem: int = 24, last: int = 256,
                 classes: int = 10):
        super().__init__()
        self.stem = ConvBN(1, stem, 3, 1)
        units, cin = [], stem
        for c, n in zip(stages, repeats):
            for i in range(n):
                units.append(ShuffleUnit(cin, c, 2 if i == 0 else 1))
                cin = c
        self.stages = nn.Sequential(*units)
        self.last = ConvBN(cin, last, 1, 1)
        self.head = Classifier(last, classes, dropout=0.1)

    def forward(self, x):
        return self.head(self.last(self.stages(self.stem(x))))


def shufflenetv2():
    return ShuffleNetV2()
