"""ResNet-8 as in the MLPerf Tiny image-classification benchmark (Banbury et al., 2021).

Stem 3x3 conv (16 ch), three residual stacks of one basic block each with 16/32/64 channels and
strides 1/2/2 (1x1 conv projection on the shortcut where the shape changes), global average pool,
fully connected. Input here is 1x28x28 (Fashion-MNIST) instead of 3x32x32 (CIFAR-10).
Also provides the T-RecX style early-exit variant and the width-configurable variant used by
network slimming.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .common import Classifier, ConvBN


class BasicBlock(nn.Module):
    def __init__(self, cin: int, mid: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = ConvBN(cin, mid, 3, stride, act="relu")
        self.conv2 = ConvBN(mid, cout, 3, 1, act=None)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = ConvBN(cin, cout, 1, stride, act=None)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.conv2(self.conv1(x)) + s)


class ResNet8(nn.Module):
    """widths: output channels of the three stacks; mids: internal channels of each block."""

    def __init__(self, widths=(16, 32, 64), mids=None, classes: int = 10):
        super().__init__()
        mids = mids or widths
        self.stem = ConvBN(1, widths[0], 3, 1)
        self.stack1 = BasicBlock(widths[0], mids[0], widths[0], 1)
        self.stack2 = BasicBlock(widths[0], mids[1], widths[1], 2)
        self.stack3 = BasicBlock(widths[1], mids[2], widths[2], 2)
        self.head = Classifier(widths[2], classes)

    def forward(self, x):
        return self.head(self.stack3(self.stack2(self.stack1(self.stem(x)))))


class ExitHead(nn.Module):
    """T-RecX style early-exit block: depthwise-separable conv (stride 2), GAP, FC."""

    def __init__(self, cin: int, mid: int = 32, classes: int = 10):
        super().__init__()
        self.dw = ConvBN(cin, cin, 3, 2, groups=cin, act="relu")
        self.pw = ConvBN(cin, mid, 1, 1, act="relu")
        self.head = Classifier(mid, classes)

    def forward(self, x):
        return self.head(self.pw(self.dw(x)))


class ResNet8EE(ResNet8):
    """ResNet-8 with one early exit after the first residual stack.

    forward returns (logits, exit1): the final head first, then the early exit.
    """

    def __init__(self, widths=(16, 32, 64), classes: int = 10):
        super().__init__(widths, None, classes)
        self.exit1 = ExitHead(widths[0], 32, classes)

    def forward(self, x):
        f1 = self.stack1(self.stem(x))
        e1 = self.exit1(f1)
        logits = self.head(self.stack3(self.stack2(f1)))
        return logits, e1


def resnet8():
    return ResNet8()


def resnet8_ee():
    return ResNet8EE()


def resnet8_wide(mult: float = 2.0):
    w = tuple(int(round(c * mult)) for c in (16, 32, 64))
    return ResNet8(w)
