"""Lean ResNet: a ResNet built from LeanConvNet "lean" convolutions (Ephrath et al., 2020).

The lean operator replaces a dense 3x3 convolution by a 1x1 (pointwise) convolution followed by a
depthwise 5-point stencil (centre + 4 neighbours, corners fixed at zero). The stencil is stored
as a depthwise 3x3 kernel whose corner taps are masked to zero during training; before export
the mask is baked into the weights, so the ONNX holds an ordinary depthwise 3x3 Conv (9 taps per
channel, 4 of them zero — counted as 9 parameters, like any other 3x3 depthwise kernel).
Stride-2 stem; three stages of two lean basic blocks at 14x14, 7x7 and 4x4 (32/64/128 channels).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import Classifier, ConvBN, make_act

FIVE_POINT = torch.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])


class StencilDW(nn.Module):
    """Depthwise 5-point stencil convolution (stride s), bias-free."""

    def __init__(self, c: int, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False)
        self.register_buffer("mask", FIVE_POINT.reshape(1, 1, 3, 3).repeat(c, 1, 1, 1))
        self.baked = False

    def forward(self, x):
        if self.baked:
            return self.conv(x)
        c = self.conv
        return F.conv2d(x, c.weight * self.mask, None, c.stride, c.padding, c.dilation, c.groups)

    @torch.no_grad()
    def bake(self):
        if not self.baked:
            self.conv.weight.mul_(self.mask)
            self.baked = True


class LeanConv(nn.Module):
    """1x1 conv -> 5-point depthwise stencil -> BN -> act. BN folds into the stencil conv."""

    def __init__(self, cin: int, cout: int, stride: int = 1, act: str | None = "relu"):
        super().__init__()
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.stencil = StencilDW(cout, stride)
        self.bn = nn.BatchNorm2d(cout)
        self.act = make_act(act)

    def forward(self, x):
        return self.act(self.bn(self.stencil(self.pw(x))))

    @torch.no_grad()
    def bake(self):
        # fold BN into the (masked) stencil conv: stencil = depthwise, so scale per channel
        self.stencil.bake()
        if isinstance(self.bn, nn.BatchNorm2d):
            from .common import fold_conv_bn
            self.stencil.conv = fold_conv_bn(self.stencil.conv, self.bn)
            self.bn = nn.Identity()


class LeanBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.c1 = LeanConv(cin, cout, stride, act="relu")
        self.c2 = LeanConv(cout, cout, 1, act=None)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = ConvBN(cin, cout, 1, stride, act=None)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.c2(self.c1(x)) + s)


class LeanResNet(nn.Module):
    def __init__(self, widths=(32, 64, 128), blocks=(2, 2, 2), classes: int = 10):
        super().__init__()
        self.stem = ConvBN(1, widths[0], 3, 2)  # 28 -> 14: downsample early
        layers, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(LeanBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.head = Classifier(cin, classes)

    def forward(self, x):
        return self.head(self.layers(self.stem(x)))


def leanresnet():
    return LeanResNet()
