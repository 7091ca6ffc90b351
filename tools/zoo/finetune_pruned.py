#!/usr/bin/python3
"""Fine-tunes a structurally pruned zoo model and ships it as a variant of its parent.

  /usr/bin/python3 tools/zoo/finetune_pruned.py                      # resnet8, 50 %, 3 epochs
  /usr/bin/python3 tools/zoo/finetune_pruned.py --start pruned.onnx  # skip the studio's prune step

The starting point is the studio's own structured pruning with least-squares recovery
(`edgebench prune resources/models/<parent>.onnx --structured <ratio> --criterion l1 --recover ls`):
"prune the smallest-L1 filters, reconstruct, then fine-tune" (He et al., 2017). The network is
BatchNorm-folded (no BN left to re-normalise it), so plain SGD at the zoo's learning rates does not
train it: from the unrecovered start the loss stayed at chance (2.45) for an epoch, and from the
recovered one SGD at 0.01 went to NaN. Adam (1e-3, cosine to 1e-5) with the gradient norm clipped
at 5 trains it steadily.
The pruned ONNX graph is loaded into PyTorch as it is (a small interpreter: every Conv/Gemm
initializer becomes a trainable parameter), fine-tuned on the zoo's training split, exported and
given a model card whose `parent` and `recipe` make the studio record it as a variant of the parent
(lineage, recipe text) when it imports the zoo.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import data  # noqa: E402
import train  # noqa: E402  (the zoo's data, evaluation, export and card helpers)

ROOT = train.ROOT


def attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class OnnxNet(nn.Module):
    """Runs a float ONNX graph of Conv / Relu / Add / pooling / Flatten / Gemm ops with torch modules."""

    def __init__(self, model: onnx.ModelProto):
        super().__init__()
        g = model.graph
        inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.input = g.input[0].name
        self.outputs = [o.name for o in g.output]
        self.steps: list[tuple[str, list[str], list[str], str]] = []
        self.layers = nn.ModuleDict()
        for i, n in enumerate(g.node):
            key = f"n{i}"
            if n.op_type == "Conv":
                w = inits[n.input[1]]
                pads = attr(n, "pads", [0, 0, 0, 0])
                conv = nn.Conv2d(w.shape[1] * attr(n, "group", 1), w.shape[0], tuple(w.shape[2:]),
                                 stride=tuple(attr(n, "strides", [1, 1])), padding=(pads[0], pads[1]),
                                 dilation=tuple(attr(n, "dilations", [1, 1])), groups=attr(n, "group", 1),
                                 bias=len(n.input) > 2 and n.input[2] != "")
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise SystemExit(f"{n.name}: asymmetric pads are not supported here")
                conv.weight.data.copy_(w)
                if conv.bias is not None:
                    conv.bias.data.copy_(inits[n.input[2]])
                self.layers[key] = conv
            elif n.op_type == "Gemm":
                w = inits[n.input[1]]
                if attr(n, "transB", 0) != 1 or attr(n, "transA", 0) != 0:
                    raise SystemExit(f"{n.name}: only Gemm with transB=1 is supported here")
                fc = nn.Linear(w.shape[1], w.shape[0])
                fc.weight.data.copy_(w)
                fc.bias.data.copy_(inits[n.input[2]])
                self.layers[key] = fc
            elif n.op_type not in ("Relu", "Add", "GlobalAveragePool", "Flatten", "MaxPool", "AveragePool"):
                raise SystemExit(f"{n.name}: op {n.op_type} is not supported by this recipe")
            self.steps.append((n.op_type, [x for x in n.input if x not in inits or n.op_type == "Add"],
                               list(n.output), key))
            if n.op_type in ("MaxPool", "AveragePool"):
                self.layers[key] = (nn.MaxPool2d if n.op_type == "MaxPool" else nn.AvgPool2d)(
                    tuple(attr(n, "kernel_shape", [2, 2])), tuple(attr(n, "strides", [1, 1])))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        env = {self.input: x}
        for op, ins, outs, key in self.steps:
            a = env[ins[0]]
            if op in ("Conv", "Gemm", "MaxPool", "AveragePool"):
                y = self.layers[key](a)
            elif op == "Relu":
                y = F.relu(a)
            elif op == "Add":
                y = a + env[ins[1]]
            elif op == "GlobalAveragePool":
                y = a.mean((2, 3), keepdim=True)
            else:  # Flatten
                y = torch.flatten(a, 1)
            env[outs[0]] = y
        return env[self.outputs[0]]


def keep_layer_names(path: str, start: str) -> None:
    """Node names as in the parent (reports and profiles name layers the same way)."""
    out, ref = onnx.load(path), onnx.load(start)
    if [n.op_type for n in out.graph.node] == [n.op_type for n in ref.graph.node]:
        for a, b in zip(out.graph.node, ref.graph.node):
            a.name = b.name
        onnx.save(out, path)


def finetune(net: nn.Module, ds: dict, epochs: int, lr: float, gen: torch.Generator, tag: str, bs: int = 128) -> None:
    """Adam with cosine decay and gradient clipping, the zoo's augmentation; val top-1 per epoch."""
    xtr, ytr = ds["train"]
    n = xtr.shape[0]
    steps = epochs * math.ceil(n / bs)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr * 0.01)
    for ep in range(epochs):
        net.train()
        t0 = time.time()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb, yb = data.augment(xtr[idx], gen), ytr[idx]
            out = net(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            loss_sum += float(loss) * yb.shape[0]
            correct += int((out.argmax(1) == yb).sum())
        val = train.evaluate(net, *ds["val"])[0]
        train.log(f"{tag} epoch {ep + 1}/{epochs} loss {loss_sum / n:.4f} train {correct / n:.4f} val {val:.4f} ({time.time() - t0:.0f}s)")


def pruned_start(parent: str, ratio: float, out: str) -> str:
    """The studio's structured pruning with least-squares recovery, the starting point for fine-tuning."""
    cmd = ["node", os.path.join(ROOT, "bin", "edgebench.mjs"), "prune",
           os.path.join(train.OUT_DIR, f"{parent}.onnx"), "--structured", str(ratio), "--criterion", "l1",
           "--recover", "ls", "-o", out, "--db", os.path.join(os.path.dirname(out), "finetune.db")]
    subprocess.run(cmd, check=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parent", default="resnet8")
    ap.add_argument("--ratio", type=float, default=0.5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (cosine to 1 %% of it)")
    ap.add_argument("--start", default=None, help="a pruned ONNX file to start from (default: run the studio's prune)")
    ap.add_argument("--out", default=train.OUT_DIR)
    args = ap.parse_args()
    torch.set_num_threads(train.THREADS)
    gen = train.set_seed(train.SEED)
    os.makedirs(train.CACHE, exist_ok=True)
    start = args.start or pruned_start(args.parent, args.ratio, os.path.join(train.CACHE, f"{args.parent}-pruned.onnx"))
    name = f"{args.parent}-s{round(args.ratio * 100)}-ft"
    net = OnnxNet(onnx.load(start))
    ds = train.load_data()
    before = train.evaluate(net, *ds["test"])[0]
    train.log(f"{name}: pruned start {start}: test top-1 {before:.4f} before fine-tuning")
    t0 = time.time()
    finetune(net, ds, args.epochs, args.lr, gen, name)
    seconds = time.time() - t0
    net.eval()
    test = train.evaluate(net, *ds["test"])[0]
    val = train.evaluate(net, *ds["val"])[0]
    train.log(f"{name}: test top-1 {test:.4f} val {val:.4f} ({seconds:.0f}s)")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{name}.onnx")
    train.export_onnx(net, name, ["logits"], path)
    keep_layer_names(path, start)
    parent_card = json.load(open(os.path.join(train.OUT_DIR, f"{args.parent}.json")))
    recipe = (f"edgebench prune {args.parent}.onnx --structured {args.ratio} --criterion l1 --recover ls, "
              f"then fine-tuned {args.epochs} epochs on the Fashion-MNIST train split "
              f"(Adam lr {args.lr} cosine to {args.lr * 0.01:g}, gradient norm clipped at 5, batch 128, "
              f"shift/flip augmentation; tools/zoo/finetune_pruned.py)")
    spec = {"family": parent_card["family"], "paper": (parent_card["paper"]["title"], parent_card["paper"]["year"]),
            "epochs": args.epochs, "lr": args.lr, "bs": 128}
    card = train.build_card(name, spec, net, path, ["logits"], test, val, seconds, {
        "parent": args.parent,
        "recipe": recipe,
        "finetune": {"startTop1": round(before, 4), "ratio": args.ratio, "criterion": "l1", "recover": "ls",
                     "epochs": args.epochs},
    })
    card["training"]["optimizer"] = f"Adam lr {args.lr} cosine to {args.lr * 0.01:g}, gradient norm clipped at 5"
    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    train.log(f"=== {name}: top1 {card['top1']} params {card['params']} macs {card['macs']}")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
