"""MobileNetV2 (Sandler et al., 2018) scaled for 28x28 inputs.

Inverted residual blocks (1x1 expand -> 3x3 depthwise -> 1x1 linear projection) with identity
shortcuts where shapes match. Stride-2 stem, stages at 14x14, 7x7 and 4x4. ReLU is used instead of ReLU6 (ReLU6 exports as Clip with constant
min/max initializers, which the studio's parameter count would have to special-case).
"""
from __future__ import annotations

import torch.nn as nn

from .common import Classifier, ConvBN
from .resnet import ExitHead


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, t: int):
        super().__init__()
        hid = cin * t
        layers = []
        if t != 1:
            layers.append(ConvBN(cin, hid, 1, 1, act="relu"))
        layers += [ConvBN(hid, hid, 3, stride, groups=hid, act="relu"),
                   ConvBN(hid, cout, 1, 1, act=None)]
        self.body = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.use_res else y


# (expansion t, channels c, repeats n, first stride s)
CFG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 1), (6, 48, 2, 2), (6, 64, 2, 1)]


class MobileNetV2(nn.Module):
    def __init__(self, classes: int = 10, last: int = 256):
        super().__init__()
        self.stem = ConvBN(1, 16, 3, 2)  # 28 -> 14: downsample early
        blocks, cin = [], 16
        for t, c, n, s in CFG:
            for i in range(n):
                blocks.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        self.blocks = nn.Sequential(*blocks)
        self.last = ConvBN(cin, last, 1, 1)
        self.head = Classifier(last, classes, dropout=0.1)

    def forward(self, x):
        return self.head(self.last(self.blocks(self.stem(x))))


class MobileNetV2EE(MobileNetV2):
    """MobileNetV2 with one T-RecX style early exit after its first stride-2 stage.

    The exit reads blocks.2 (the end of the 24-channel stage, 7x7; about 20 % of the MACs) through
    the same exit head as resnet8-ee. forward returns (logits, exit1): the final head first.
    """

    EXIT_AFTER = 3  # the exit reads the output of blocks[0:3]

    def __init__(self, classes: int = 10):
        super().__init__(classes)
        self.exit1 = ExitHead(CFG[1][1], 32, classes)

    def forward(self, x):
        f1 = self.blocks[: self.EXIT_AFTER](self.stem(x))
        e1 = self.exit1(f1)
        logits = self.head(self.last(self.blocks[self.EXIT_AFTER:](f1)))
        return logits, e1


def mobilenetv2():
    return MobileNetV2()


def mobilenetv2_ee():
    return MobileNetV2EE()
