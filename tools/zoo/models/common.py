"""Building blocks shared by the zoo families.

Every BatchNorm in the zoo directly follows a convolution (post-activation order), so that
`fuse_model` can fold it into that conv before export: the exported ONNX then holds only
Conv/Gemm weights and biases as float initializers.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class HSigmoid(nn.Module):
    def forward(self, x):
        return F.hardsigmoid(x)


def make_act(act: str | None) -> nn.Module:
    if act is None or act == "none":
        return nn.Identity()
    if act == "relu":
        return nn.ReLU(inplace=True)
    if act == "hswish":
        return nn.Hardswish()
    raise ValueError(act)


class ConvBN(nn.Module):
    """Conv2d (no bias) -> BatchNorm2d -> activation. BN is folded by `fuse_model`."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1,
                 act: str | None = "relu", padding: int | None = None):
        super().__init__()
        p = (k // 2) if padding is None else padding
        self.conv = nn.Conv2d(cin, cout, k, stride, p, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = make_act(act)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class SqueezeExcite(nn.Module):
    """SE with 1x1 convs (exported as Conv on a 1x1 map) and hard-sigmoid gate."""

    def __init__(self, c: int, reduce: int = 4, min_ch: int = 8):
        super().__init__()
        mid = max(min_ch, c // reduce)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, mid, 1, bias=True)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(mid, c, 1, bias=True)
        self.gate = HSigmoid()

    def forward(self, x):
        s = self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))
        return x * s


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    # Python ints (not traced sizes), so the exported Reshape nodes get constant target shapes
    # [-1, g, c/g, h, w] and the graph's shapes can be inferred statically (batch stays dynamic).
    c, h, w = int(x.shape[1]), int(x.shape[2]), int(x.shape[3])
    x = x.reshape(-1, groups, c // groups, h, w).transpose(1, 2)
    return x.reshape(-1, c, h, w)


class Classifier(nn.Module):
    """Global average pool -> flatten -> (dropout) -> Linear."""

    def __init__(self, cin: int, classes: int = 10, dropout: float = 0.0):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(self.drop(torch.flatten(self.pool(x), 1)))


@torch.no_grad()
def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    w = conv.weight
    std = torch.sqrt(bn.running_var + bn.eps)
    scale = bn.weight / std
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                      conv.padding, conv.dilation, conv.groups, bias=True)
    fused.weight.copy_(w * scale.reshape(-1, 1, 1, 1))
    b0 = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.copy_((b0 - bn.running_mean) * scale + bn.bias)
    return fused


def fuse_model(model: nn.Module) -> nn.Module:
    """In place: fold every ConvBN's BN into its conv; bake LeanConv masks. Model must be in eval()."""
    model.eval()
    for m in list(model.modules()):
        if isinstance(m, ConvBN) and isinstance(m.bn, nn.BatchNorm2d):
            m.conv = fold_conv_bn(m.conv, m.bn)
            m.bn = nn.Identity()
        if hasattr(m, "bake"):
            m.bake()
    return model
