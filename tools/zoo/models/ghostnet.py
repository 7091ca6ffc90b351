"""GhostNet (Han et al., 2020) scaled for 28x28 inputs.

Ghost module: a 1x1 primary conv makes half the channels, a cheap 3x3 depthwise conv makes the
other half ("ghost" features) from them; the two are concatenated. Ghost bottlenecks: ghost
(expand, ReLU) -> [3x3 dw stride 2] -> [SE] -> ghost (project, linear) + shortcut. Stride-2 stem; stages at 14x14, 7x7, 4x4.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .common import Classifier, ConvBN, SqueezeExcite


class GhostModule(nn.Module):
    def __init__(self, cin: int, cout: int, relu: bool = True, ratio: int = 2):
        super().__init__()
        self.cout = cout
        init = math.ceil(cout / ratio)
        act = "relu" if relu else None
        self.primary = ConvBN(cin, init, 1, 1, act=act)
        self.cheap = ConvBN(init, init * (ratio - 1), 3, 1, groups=init, act=act)

    def forward(self, x):
        a = self.primary(x)
        y = torch.cat((a, self.cheap(a)), 1)
        return y if y.shape[1] == self.cout else y[:, : self.cout]


class GhostBottleneck(nn.Module):
    def __init__(self, cin: int, hid: int, cout: int, stride: int, se: bool):
        super().__init__()
        self.ghost1 = GhostModule(cin, hid, relu=True)
        self.dw = ConvBN(hid, hid, 3, stride, groups=hid, act=None) if stride > 1 else nn.Identity()
        self.se = SqueezeExcite(hid) if se else nn.Identity()
        self.ghost2 = GhostModule(hid, cout, relu=False)
        if stride == 1 and cin == cout:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(ConvBN(cin, cin, 3, stride, groups=cin, act=None),
                                          ConvBN(cin, cout, 1, 1, act=None))

    def forward(self, x):
        return self.ghost2(self.se(self.dw(self.ghost1(x)))) + self.shortcut(x)


# (hidden, out, stride, se)
CFG = [(16, 16, 1, False),
       (48, 24, 2, False), (72, 24, 1, False),
       (72, 40, 1, True), (120, 40, 1, True),
       (240, 80, 2, False), (200, 80, 1, False), (480, 112, 1, True)]


class GhostNet(nn.Module):
    def __init__(self, classes: int = 10, last: int = 480):
        super().__init__()
        self.stem = ConvBN(1, 16, 3, 2)  # 28 -> 14: downsample early
        blocks, cin = [], 16
        for hid, out, s, se in CFG:
            blocks.append(GhostBottleneck(cin, hid, out, s, se))
            cin = out
        self.blocks = nn.Sequential(*blocks)
        self.last = ConvBN(cin, last, 1, 1)
        self.head = Classifier(last, classes, dropout=0.1)

    def forward(self, x):
        return self.head(self.last(self.blocks(self.stem(x))))


def ghostnet():
    return GhostNet()
