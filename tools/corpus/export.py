#!/usr/bin/python3
"""The pruning regression corpus: models nobody on the team made, as ordinary exporters write them.

  /usr/bin/python3 tools/corpus/export.py            # committed fixtures (small) + the full cache
  /usr/bin/python3 tools/corpus/export.py --fixtures # only test/fixtures/corpus/ (seconds)
  /usr/bin/python3 tools/corpus/export.py --full     # only tools/corpus/.cache/ (git-ignored, ~250 MB)

What it writes, all with torch.onnx.export (opset 13, eval mode, constant folding, dynamic batch
axis 'N' -- the settings most users export with), random weights (no weights can be downloaded here;
the channel analysis only reads the graph):
- test/fixtures/corpus/rule-*.onnx: one tiny hand-made module per channel rule of the pruner
  (ReduceMean/ReduceMax pooling, view-flatten, channel shuffle, chunk/Split, Slice, SE gate, grouped
  conv, grouped conv + shuffle, Fire Concat, Flatten -> MatMul, BatchNorm kept), a few KB each.
- test/fixtures/corpus/tv-*.onnx: the torchvision architectures below, narrow (every channel count
  divided by 16 where it divides, or the architecture's own width parameters) with 32x32
  inputs: the same graph structure as the real networks at a few hundred KB at most.
- tools/corpus/.cache/<arch>.onnx: the same architectures at full width, 224x224 input.
"""
from __future__ import annotations

import argparse
import contextlib
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "corpus")
CACHE = os.path.join(HERE, ".cache")
CLASSES = 10

ARCHS = {
    "resnet18": lambda: tvm.resnet18(num_classes=CLASSES),
    "mobilenet_v2": lambda: tvm.mobilenet_v2(num_classes=CLASSES),
    "mobilenet_v3_large": lambda: tvm.mobilenet_v3_large(num_classes=CLASSES),
    "shufflenet_v2_x1_0": lambda: tvm.shufflenet_v2_x1_0(num_classes=CLASSES),
    "squeezenet1_0": lambda: tvm.squeezenet1_0(num_classes=CLASSES),
    "googlenet": lambda: tvm.googlenet(num_classes=CLASSES, aux_logits=False, transform_input=False, init_weights=True),
    "densenet121": lambda: tvm.densenet121(num_classes=CLASSES),
    "efficientnet_b1": lambda: tvm.efficientnet_b1(num_classes=CLASSES),
    "regnet_y_400mf": lambda: tvm.regnet_y_400mf(num_classes=CLASSES),
}

# Architectures whose widths do not all divide by 8 take their own narrow settings.
def _mnv3_large_narrow() -> nn.Module:
    from torchvision.models import mobilenetv3 as m

    setting, last = m._mobilenet_v3_conf("mobilenet_v3_large", width_mult=0.1)
    return m.MobileNetV3(setting, last // 8, num_classes=CLASSES)


def _regnet_narrow() -> nn.Module:
    from torchvision.models import regnet as r

    # regnet_y_400mf's rule (w_m 2.09, SE 0.25) at about 1/6 of its widths and half its depth; groups of 4.
    params = r.BlockParams.from_init_params(depth=8, w_0=8, w_a=4.0, w_m=2.09, group_width=4, se_ratio=0.25)
    return r.RegNet(params, num_classes=CLASSES, stem_width=8)


NARROW = {
    "shufflenet_v2_x1_0": lambda: tvm.ShuffleNetV2([4, 8, 4], [8, 16, 32, 64, 128], num_classes=CLASSES),
    "mobilenet_v3_large": _mnv3_large_narrow,
    "regnet_y_400mf": _regnet_narrow,
}


@contextlib.contextmanager
def narrow(k: int):
    """Every Conv2d / BatchNorm2d / Linear built inside divides its channel counts by k (those that
    divide evenly; the 3 input channels and the 10 classes stay), so tensors keep matching."""
    def f(c: int) -> int:
        return c // k if c % k == 0 else c

    conv0, bn0, lin0 = nn.Conv2d.__init__, nn.BatchNorm2d.__init__, nn.Linear.__init__

    def conv(self, cin, cout, *a, groups=1, **kw):
        g = f(groups) if groups == cin and groups > 1 else groups
        conv0(self, f(cin), f(cout), *a, groups=g, **kw)

    def bn(self, n, *a, **kw):
        bn0(self, f(n), *a, **kw)

    def lin(self, in_features, out_features, *a, **kw):
        lin0(self, f(in_features), f(out_features), *a, **kw)

    nn.Conv2d.__init__, nn.BatchNorm2d.__init__, nn.Linear.__init__ = conv, bn, lin
    try:
        yield
    finally:
        nn.Conv2d.__init__, nn.BatchNorm2d.__init__, nn.Linear.__init__ = conv0, bn0, lin0


def export(model: nn.Module, shape: tuple, path: str, keep_bn: bool = False) -> None:
    import onnx

    model.eval()
    torch.manual_seed(0)
    with torch.no_grad():  # non-trivial BN statistics, so folding them is not a no-op
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.2, 1.2)
                m.bias.uniform_(-0.2, 0.2)
    x = torch.randn(2, *shape)
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=not keep_bn,
                      training=torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path) // 1024} KiB, {len(m.graph.node)} nodes")


# ---------------------------------------------------------------- one small module per rule
class ReduceHead(nn.Module):
    """conv -> relu -> x.mean((2, 3)) or x.amax((2, 3)) -> linear (ReduceMean / ReduceMax pooling)."""

    def __init__(self, op: str):
        super().__init__()
        self.op = op
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.c2(F.relu(self.c1(x))))
        x = x.mean((2, 3)) if self.op == "mean" else x.amax((2, 3))
        return self.fc(x)


class ViewFlatten(nn.Module):
    """x.view(x.size(0), -1) -> linear: Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1, stride=2)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, stride=2)
        self.fc = nn.Linear(8 * 2 * 2, CLASSES)

    def forward(self, x):
        x = F.relu(self.c2(F.relu(self.c1(x))))
        return self.fc(x.view(x.size(0), -1))


def channel_shuffle(x, groups: int):
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class ShuffleUnit(nn.Module):
    """chunk(2) -> branch -> cat -> channel shuffle (Split, Concat, Reshape/Transpose/Reshape)."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.b1 = nn.Conv2d(8, 8, 1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.b2 = nn.Conv2d(8, 8, 1)
        self.c3 = nn.Conv2d(16, 16, 1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.c0(x))
        x1, x2 = x.chunk(2, dim=1)
        y = torch.cat((x1, F.relu(self.b2(self.dw(F.relu(self.b1(x2)))))), dim=1)
        y = channel_shuffle(y, 2)
        y = F.relu(self.c3(y))
        return self.fc(F.adaptive_avg_pool2d(y, 1).flatten(1))


class SliceUnit(nn.Module):
    """x[:, :8] and x[:, 8:] (Slice on the channel axis) through their own convs, then cat."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.a = nn.Conv2d(8, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.c0(x))
        y = torch.cat((F.relu(self.a(x[:, :8])), F.relu(self.b(x[:, 8:]))), dim=1)
        return self.fc(y.mean((2, 3)))


class SEUnit(nn.Module):
    """Squeeze-and-excitation: the gate x * sigmoid(fc2(relu(fc1(mean(x))))) is a channel-wise Mul."""

    def __init__(self, hard: bool = False):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.fc1 = nn.Conv2d(16, 4, 1)
        self.fc2 = nn.Conv2d(4, 16, 1)
        self.gate = nn.Hardsigmoid() if hard else nn.Sigmoid()
        self.c1 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.c0(x))
        s = self.gate(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        x = F.relu(self.c1(x * s))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class GroupedUnit(nn.Module):
    """1x1 conv -> grouped 3x3 conv (4 groups of 4) -> 1x1 conv, with a residual (ResNeXt/RegNet)."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.a = nn.Conv2d(16, 16, 1)
        self.g = nn.Conv2d(16, 16, 3, padding=1, groups=4)
        self.b = nn.Conv2d(16, 16, 1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.c0(x))
        y = self.b(F.relu(self.g(F.relu(self.a(x)))))
        x = F.relu(x + y)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class GroupedShuffleUnit(nn.Module):
    """ShuffleNet v1 / CondenseNet: grouped 1x1 conv -> channel shuffle of its groups -> depthwise -> grouped 1x1."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.g1 = nn.Conv2d(16, 16, 1, groups=4)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.g2 = nn.Conv2d(16, 16, 1, groups=4)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.c0(x))
        x = F.relu(self.g2(self.dw(channel_shuffle(F.relu(self.g1(x)), 4))))
        return self.fc(x.mean((2, 3)))


class FireUnit(nn.Module):
    """SqueezeNet Fire: squeeze 1x1 -> (expand 1x1 | expand 3x3) -> Concat -> classifier conv."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, stride=2)
        self.sq = nn.Conv2d(16, 4, 1)
        self.e1 = nn.Conv2d(4, 8, 1)
        self.e3 = nn.Conv2d(4, 8, 3, padding=1)
        self.cls = nn.Conv2d(16, CLASSES, 1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c0(x)), 3, 2, ceil_mode=True)
        s = F.relu(self.sq(x))
        x = torch.cat([F.relu(self.e1(s)), F.relu(self.e3(s))], 1)
        return torch.flatten(F.adaptive_avg_pool2d(F.relu(self.cls(x)), 1), 1)


class FlattenMatMul(nn.Module):
    """Flatten of C x H x W -> x @ W + b (MatMul + Add rather than Gemm)."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.w = nn.Parameter(torch.randn(8 * 4 * 4, CLASSES) * 0.1)
        self.b = nn.Parameter(torch.zeros(CLASSES))

    def forward(self, x):
        x = torch.flatten(F.relu(self.c0(x)), 1)
        return torch.matmul(x, self.w) + self.b


class BnKept(nn.Module):
    """conv -> BatchNorm -> relu, exported with BatchNormalization nodes kept (no folding)."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(16)
        self.c1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = F.relu(self.bn0(self.c0(x)))
        x = F.relu(self.bn1(self.c1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


RULES = {
    "rule-reducemean": (lambda: ReduceHead("mean"), (3, 8, 8), False),
    "rule-reducemax": (lambda: ReduceHead("max"), (3, 8, 8), False),
    "rule-view-flatten": (ViewFlatten, (3, 8, 8), False),
    "rule-shuffle": (ShuffleUnit, (3, 8, 8), False),
    "rule-slice": (SliceUnit, (3, 8, 8), False),
    "rule-se": (lambda: SEUnit(False), (3, 8, 8), False),
    "rule-se-hard": (lambda: SEUnit(True), (3, 8, 8), False),
    "rule-grouped": (GroupedUnit, (3, 8, 8), False),
    "rule-grouped-shuffle": (GroupedShuffleUnit, (3, 8, 8), False),
    "rule-fire": (FireUnit, (3, 16, 16), False),
    "rule-flatten-matmul": (FlattenMatMul, (3, 8, 8), False),
    "rule-bn-kept": (BnKept, (3, 8, 8), True),
}


def fixtures() -> None:
    os.makedirs(FIXTURES, exist_ok=True)
    for name, (make, shape, keep_bn) in RULES.items():
        torch.manual_seed(0)
        export(make(), shape, os.path.join(FIXTURES, f"{name}.onnx"), keep_bn=keep_bn)
    for name, make in ARCHS.items():
        torch.manual_seed(0)
        if name in NARROW:
            model = NARROW[name]()
        else:
            with narrow(16):
                model = make()
        export(model, (3, 32, 32), os.path.join(FIXTURES, f"tv-{name}.onnx"))


def full() -> None:
    os.makedirs(CACHE, exist_ok=True)
    for name, make in ARCHS.items():
        torch.manual_seed(0)
        export(make(), (3, 224, 224), os.path.join(CACHE, f"{name}.onnx"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", action="store_true", help="only the small committed fixtures")
    ap.add_argument("--full", action="store_true", help="only the full-size cache")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not args.full:
        fixtures()
    if not args.fixtures:
        full()


if __name__ == "__main__":
    main()
