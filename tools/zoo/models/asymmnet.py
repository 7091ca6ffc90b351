"""AsymmNet (Yang et al., 2021) scaled for 28x28 inputs.

Asymmetric bottleneck: the first 1x1 (expanding) convolution is made cheaper — it produces only
(t-1)/t of the expanded channels and the block input is concatenated to them (feature reuse) —
and the saved computation is spent on the block's second half (depthwise 3x3 over all t*C
channels, optional SE, 1x1 projection). MobileNetV3-like layout with hard-swish in later blocks; stride-2 stem, stages at 14x14, 7x7, 4x4.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .common import Classifier, ConvBN, SqueezeExcite


class AsymmBottleneck(nn.Module):
    def __init__(self, cin: int, hid: int, cout: int, stride: int, se: bool, act: str):
        super().__init__()
        self.expand = ConvBN(cin, hid - cin, 1, 1, act=act)
        self.dw = ConvBN(hid, hid, 3, stride, groups=hid, act=act)
        self.se = SqueezeExcite(hid) if se else nn.Identity()
        self.project = ConvBN(hid, cout, 1, 1, act=None)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x):
        y = torch.cat((x, self.expand(x)), 1)  # feature reuse: input channels join the expansion
        y = self.project(self.se(self.dw(y)))
        return x + y if self.use_res else y


# (hidden, out, stride, se, act)
CFG = [(32, 16, 1, False, "relu"),
       (64, 24, 2, False, "relu"), (72, 24, 1, False, "relu"),
       (96, 40, 1, True, "relu"), (120, 40, 1, True, "relu"),
       (240, 80, 2, False, "hswish"), (200, 80, 1, False, "hswish"),
       (480, 112, 1, True, "hswish")]


class AsymmNet(nn.Module):
    def __init__(self, classes: int = 10, last: int = 480):
        super().__init__()
        self.stem = ConvBN(1, 16, 3, 2, act="hswish")  # 28 -> 14
        blocks, cin = [], 16
        for hid, out, s, se, act in CFG:
            blocks.append(AsymmBottleneck(cin, hid, out, s, se, act))
            cin = out
        self.blocks = nn.Sequential(*blocks)
        self.last = ConvBN(cin, last, 1, 1, act="hswish")
        self.head = Classifier(last, classes, dropout=0.1)

    def forward(self, x):
        return self.head(self.last(self.blocks(self.stem(x))))


def asymmnet():
    return AsymmNet()
