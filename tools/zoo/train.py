#!/usr/bin/python3
"""Trains the EdgeBench Studio model zoo on Fashion-MNIST and writes resources/models/.

  /usr/bin/python3 tools/zoo/train.py --all
  /usr/bin/python3 tools/zoo/train.py --model resnet8 [--model mobilenetv2 ...]
  /usr/bin/python3 tools/zoo/train.py --list

For each model: train on the first 55,000 training images (last 5,000 held out for validation),
fold BN into the convs, evaluate top-1 on the 10,000-image test split in PyTorch, export ONNX
(opset 13), cross-check params/MACs between PyTorch hooks and the ONNX initializers, write the card.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import data  # noqa: E402
from counting import count_params_macs, onnx_counts  # noqa: E402
from models import (asymmnet, condensenext, densenet, ghostnet, leanresnet,  # noqa: E402
                    mobilenetv2, resnet, shufflenetv2)
from models.common import fuse_model  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(ROOT, "resources", "models")
CACHE = os.path.join(HERE, ".cache")
THREADS = 2  # fixed intra-op thread count (torch defaults to 1 on this machine)
SEED = 0

# name -> spec. lr = OneCycle max lr; epochs = total epochs (slim: train + fine-tune).
ZOO: dict[str, dict] = {
    "resnet8": dict(make=resnet.resnet8, family="resnet",
                    paper=("MLPerf Tiny Benchmark", 2021), epochs=8, lr=0.1, bs=128),
    "mobilenetv2": dict(make=mobilenetv2.mobilenetv2, family="mobilenetv2",
                        paper=("MobileNetV2: Inverted Residuals and Linear Bottlenecks", 2018),
                        epochs=4, lr=0.1, bs=128),
    "shufflenetv2": dict(make=shufflenetv2.shufflenetv2, family="shufflenetv2",
                         paper=("ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design", 2018),
                         epochs=5, lr=0.1, bs=128),
    "ghostnet": dict(make=ghostnet.ghostnet, family="ghostnet",
                     paper=("GhostNet: More Features from Cheap Operations", 2020),
                     epochs=4, lr=0.1, bs=128),
    "condensenext": dict(make=condensenext.condensenext, family="condensenext",
                         paper=("CondenseNeXt: An Ultra-Efficient Deep Neural Network for Embedded Systems", 2021),
                         epochs=4, lr=0.1, bs=128),
    "asymmnet": dict(make=asymmnet.asymmnet, family="asymmnet",
                     paper=("AsymmNet: Towards Ultralight Convolution Neural Networks Using Asymmetrical Bottlenecks", 2021),
                     epochs=4, lr=0.1, bs=128),
    "leanresnet": dict(make=leanresnet.leanresnet, family="leanconvnet",
                       paper=("LeanConvNets: Low-Cost Yet Effective Convolutional Neural Networks", 2020),
                       epochs=6, lr=0.1, bs=128),
    "densenet": dict(make=densenet.densenet, family="densenet",
                     paper=("Densely Connected Convolutional Networks", 2017),
                     epochs=5, lr=0.1, bs=128),
    "resnet8-ee": dict(make=resnet.resnet8_ee, family="resnet-ee",
                       paper=("T-RecX: Tiny-Resource Efficient Convolutional Neural Networks with Early-Exit", 2023),
                       epochs=8, lr=0.1, bs=128, kind="ee", exit_weight=0.5,
                       exit_upto="stem,stack1,exit1", exit_after="stack1"),
    "resnet8-slim": dict(make=lambda: resnet.resnet8_wide(1.25), family="resnet-slim",
                         paper=("Learning Efficient Convolutional Networks through Network Slimming", 2017),
                         epochs=8, lr=0.1, bs=128, kind="slim", slim_epochs=5, l1=2e-4,
                         prune_ratio=0.5, finetune_lr=0.02),
}
# The second early-exit family: same joint loss and schedule as resnet8-ee, epochs as mobilenetv2.
ZOO["mobilenetv2-ee"] = dict(make=mobilenetv2.mobilenetv2_ee, family="mobilenetv2-ee",
                             paper=ZOO["resnet8-ee"]["paper"], epochs=4, lr=0.1, bs=128, kind="ee",
                             exit_weight=0.5, exit_upto="stem,blocks.0.,blocks.1.,blocks.2.,exit1",
                             exit_after="blocks.2 (end of the first stride-2 stage, 24 ch at 7x7)")
ORDER = list(ZOO)
WD = 5e-4
MOMENTUM = 0.9


def log(*a) -> None:
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def set_seed(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(seed)


def main_logits(out):
    return out[0] if isinstance(out, tuple) else out


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, bs: int = 1000) -> list[float]:
    """Top-1 of every output of the model (one figure for plain models, [final, exit1] for EE)."""
    model.eval()
    correct = None
    for i in range(0, x.shape[0], bs):
        out = model(x[i:i + bs])
        outs = out if isinstance(out, tuple) else (out,)
        c = [int((o.argmax(1) == y[i:i + bs]).sum()) for o in outs]
        correct = c if correct is None else [a + b for a, b in zip(correct, c)]
    return [c / x.shape[0] for c in correct]


def train_epochs(model: nn.Module, ds: dict, epochs: int, lr: float, bs: int, gen: torch.Generator,
                 exit_weight: float = 0.0, l1_bns: list | None = None, l1: float = 0.0,
                 tag: str = "") -> None:
    xtr, ytr = ds["train"]
    n = xtr.shape[0]
    steps = epochs * math.ceil(n / bs)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM, nesterov=True, weight_decay=WD)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.25,
                                                div_factor=10.0, final_div_factor=100.0)
    for ep in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(n, generator=gen)
        tot, correct, loss_sum = 0, 0, 0.0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb = data.augment(xtr[idx], gen)
            yb = ytr[idx]
            out = model(xb)
            if isinstance(out, tuple):
                loss = F.cross_entropy(out[0], yb) + exit_weight * F.cross_entropy(out[1], yb)
            else:
                loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if l1_bns:
                for bn in l1_bns:  # network slimming: L1 sub-gradient on BN scales
                    bn.weight.grad.add_(l1 * torch.sign(bn.weight.detach()))
            opt.step()
            sched.step()
            lo = main_logits(out)
            tot += yb.shape[0]
            correct += int((lo.argmax(1) == yb).sum())
            loss_sum += float(loss) * yb.shape[0]
        val = evaluate(model, *ds["val"])
        log(f"{tag} epoch {ep + 1}/{epochs} loss {loss_sum / tot:.4f} train {correct / tot:.4f} "
            f"val {' / '.join(f'{v:.4f}' for v in val)} ({time.time() - t0:.0f}s)")


# ---------------------------------------------------------------- network slimming
def slim_prune(wide: resnet.ResNet8, ratio: float) -> tuple[resnet.ResNet8, dict]:
    """Prune the internal channels (conv1 outputs) of each residual block by |BN gamma|.

    A single global threshold over all internal BN scales removes `ratio` of them (at least 4
    channels are kept per block). Block inputs/outputs are tied by the residual adds and kept.
    """
    blocks = [wide.stack1, wide.stack2, wide.stack3]
    gammas = torch.cat([b.conv1.bn.weight.detach().abs() for b in blocks])
    thr = torch.sort(gammas).values[int(len(gammas) * ratio)]
    keeps = []
    for b in blocks:
        g = b.conv1.bn.weight.detach().abs()
        keep = torch.nonzero(g >= thr).flatten()
        if keep.numel() < 4:
            keep = torch.sort(torch.topk(g, 4).indices).values
        keeps.append(keep)
    widths = (wide.stem.conv.out_channels, wide.stack2.conv2.conv.out_channels,
              wide.stack3.conv2.conv.out_channels)
    mids = tuple(int(k.numel()) for k in keeps)
    slim = resnet.ResNet8(widths, mids)
    sd_w = wide.state_dict()
    sd_s = slim.state_dict()
    for k in sd_s:
        v = sd_w[k]
        for bi, keep in enumerate(keeps):
            p = f"stack{bi + 1}."
            if k.startswith(p + "conv1.conv.weight"):
                v = v[keep]
            elif k.startswith(p + "conv1.bn.") and v.dim() == 1:
                v = v[keep]
            elif k.startswith(p + "conv2.conv.weight"):
                v = v[:, keep]
        sd_s[k] = v.clone()
    slim.load_state_dict(sd_s)
    total = int(len(gammas))
    kept = int(sum(mids))
    info = {"internalChannelsBefore": [b.conv1.conv.out_channels for b in blocks],
            "internalChannelsAfter": list(mids),
            "prunedFraction": round(1 - kept / total, 4),
            "threshold": float(thr)}
    return slim, info


# ---------------------------------------------------------------- export + card
def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def export_onnx(fused: nn.Module, name: str, outputs: list[str], path: str) -> None:
    import onnx

    fused.eval()
    x = torch.zeros(2, 1, 28, 28)
    dyn = {"input": {0: "N"}}
    dyn.update({o: {0: "N"} for o in outputs})
    torch.onnx.export(fused, x, path, opset_version=13, input_names=["input"], output_names=outputs,
                      dynamic_axes=dyn, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL, export_params=True)
    m = onnx.load(path)
    m.graph.name = name
    m.graph.doc_string = f"EdgeBench Studio zoo model {name} (Fashion-MNIST, 1x28x28 -> 10 classes)"
    m.producer_name = "edgebench-studio tools/zoo"
    m.model_version = 1
    for n in m.graph.node:  # "/stack1/conv1/conv/Conv" -> "stack1/conv1/conv/Conv"
        n.name = n.name.lstrip("/") or n.op_type
    onnx.checker.check_model(m)
    onnx.save(m, path)


def build_card(name: str, spec: dict, fused: nn.Module, path: str, outputs: list[str],
               test_top1: float, val_top1: float, seconds: float, extra: dict) -> dict:
    hooks = count_params_macs(fused)
    ox = onnx_counts(path)
    if ox["batchnorm"]:
        raise RuntimeError(f"{name}: BatchNormalization nodes remain in ONNX: {ox['batchnorm']}")
    if ox["stray_initializers"]:
        raise RuntimeError(f"{name}: non-weight float initializers in ONNX: {ox['stray_initializers']}")
    if ox["params"] != hooks["params"]:
        raise RuntimeError(f"{name}: params hooks {hooks['params']} != onnx {ox['params']}")
    if abs(ox["macs"] - hooks["macs"]) > 0.01 * hooks["macs"]:
        raise RuntimeError(f"{name}: MACs hooks {hooks['macs']} vs onnx {ox['macs']}")
    log(f"{name}: params {hooks['params']} macs {hooks['macs']} (onnx {ox['params']} / {ox['macs']}) ops {ox['ops']}")
    title, year = spec["paper"]
    card = {
        "name": name, "file": f"{name}.onnx", "family": spec["family"],
        "paper": {"title": title, "year": year},
        "params": int(hooks["params"]), "macs": int(hooks["macs"]),
        "top1": round(test_top1, 4), "dataset": "fashion-mnist", "split": "test", "count": 10000,
        "preprocessing": {"layout": "NCHW", "channels": 1, "height": 28, "width": 28,
                          "scale": 1.0 / 255.0, "mean": [data.MEAN], "std": [data.STD]},
        "inputs": [{"name": "input", "shape": ["N", 1, 28, 28], "dtype": "float32"}],
        "outputs": [{"name": o, "shape": ["N", 10], "dtype": "float32"} for o in outputs],
        "training": {"epochs": spec["epochs"],
                     "optimizer": f"SGD nesterov momentum {MOMENTUM}, OneCycle max lr {spec['lr']}, wd {WD}",
                     "batchSize": spec["bs"], "seed": SEED, "valCount": data.VAL_COUNT,
                     "valTop1": round(val_top1, 4), "seconds": int(round(seconds))},
        "sha256": sha256(path), "fileBytes": os.path.getsize(path),
    }
    card.update(extra)
    return card


def run(name: str) -> dict:
    spec = ZOO[name]
    torch.set_num_threads(THREADS)
    gen = set_seed(SEED)
    ds = load_data()
    kind = spec.get("kind", "plain")
    model = spec["make"]()
    log(f"=== {name}: {sum(p.numel() for p in model.parameters())} trainable params, kind {kind}")
    t0 = time.time()
    extra: dict = {}
    outputs = ["logits"]
    if kind == "slim":
        bns = [model.stack1.conv1.bn, model.stack2.conv1.bn, model.stack3.conv1.bn]
        train_epochs(model, ds, spec["slim_epochs"], spec["lr"], spec["bs"], gen,
                     l1_bns=bns, l1=spec["l1"], tag=f"{name}[sparsity]")
        wide_fused = fuse_model(copy.deepcopy(model))
        wide_counts = count_params_macs(wide_fused)
        wide_top1 = evaluate(wide_fused, *ds["test"])[0]
        model, info = slim_prune(model, spec["prune_ratio"])
        pruned_top1 = evaluate(model, *ds["test"])[0]
        log(f"{name}: wide test {wide_top1:.4f}; pruned (before fine-tune) {pruned_top1:.4f}; {info}")
        ft = spec["epochs"] - spec["slim_epochs"]
        train_epochs(model, ds, ft, spec["finetune_lr"], spec["bs"], gen, tag=f"{name}[finetune]")
        slim_counts = count_params_macs(fuse_model(copy.deepcopy(model)))
        extra["slimming"] = {
            "base": "ResNet-8 at 1.25x width (20/40/80 channels)",
            "l1OnBnScales": spec["l1"], "sparsityEpochs": spec["slim_epochs"], "finetuneEpochs": ft,
            "finetuneOptimizer": f"SGD nesterov momentum {MOMENTUM}, OneCycle max lr {spec['finetune_lr']}, wd {WD}",
            "prunedLayers": "internal channels of each residual block (conv1 outputs / conv2 inputs)",
            "pruningRatio": info["prunedFraction"],
            "internalChannelsBefore": info["internalChannelsBefore"],
            "internalChannelsAfter": info["internalChannelsAfter"],
            "unprunedParams": int(wide_counts["params"]), "unprunedMacs": int(wide_counts["macs"]),
            "unprunedTop1": round(wide_top1, 4), "prunedTop1BeforeFinetune": round(pruned_top1, 4),
            "paramsReduction": round(1 - slim_counts["params"] / wide_counts["params"], 4),
            "macsReduction": round(1 - slim_counts["macs"] / wide_counts["macs"], 4),
        }
    else:
        train_epochs(model, ds, spec["epochs"], spec["lr"], spec["bs"], gen,
                     exit_weight=spec.get("exit_weight", 0.0), tag=name)
    seconds = time.time() - t0
    fused = fuse_model(copy.deepcopy(model))
    fused.eval()
    # sanity: folding must not change the function
    with torch.no_grad():
        xs = ds["test"][0][:64]
        a, b = main_logits(model.eval()(xs)), main_logits(fused(xs))
        assert torch.allclose(a, b, atol=1e-3), f"fold mismatch {float((a - b).abs().max())}"
    test = evaluate(fused, *ds["test"])
    val = evaluate(fused, *ds["val"])
    log(f"{name}: test top-1 {test} val top-1 {val} ({seconds:.0f}s training)")
    if kind == "ee":
        outputs = ["logits", "exit1"]
        ex = count_params_macs(fused, upto=spec["exit_upto"])
        extra["earlyExit"] = {
            "outputs": ["logits", "exit1"],
            "note": f"output 0 'logits' is the final head, output 1 'exit1' the early exit after {spec['exit_after']}",
            "exits": [{"output": "exit1", "after": spec["exit_after"], "top1": round(test[1], 4),
                       "valTop1": round(val[1], 4), "macs": int(ex["macs"]), "params": int(ex["params"]),
                       "head": "3x3 depthwise conv stride 2 + 1x1 conv to 32 ch + global average pool + FC"}],
            "lossWeights": {"logits": 1.0, "exit1": spec["exit_weight"]},
            "rule": "exit when max softmax >= rho",
        }
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, f"{name}.onnx")
    export_onnx(fused, name, outputs, path)
    card = build_card(name, spec, fused, path, outputs, test[0], val[0], seconds, extra)
    with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    os.makedirs(CACHE, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(CACHE, f"{name}.pt"))
    log(f"=== {name} done: top1 {card['top1']} params {card['params']} macs {card['macs']} "
        f"bytes {card['fileBytes']} seconds {card['training']['seconds']}")
    return card


_DS = None


def load_data() -> dict:
    global _DS
    if _DS is None:
        _DS = data.load_all()
    return _DS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true", help="train every model of the zoo")
    ap.add_argument("--model", action="append", default=[], choices=ORDER, help="train one model (repeatable)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default 2)")
    ap.add_argument("--out", default=None,
                    help="write .onnx/.json here instead of resources/models (e.g. for a reproducibility rerun)")
    args = ap.parse_args()
    global THREADS, OUT_DIR, CACHE
    if args.threads:
        THREADS = args.threads
    if args.out:
        OUT_DIR = os.path.abspath(args.out)
        CACHE = os.path.join(OUT_DIR, ".cache")
    if args.list:
        for n in ORDER:
            print(n, ZOO[n]["family"], ZOO[n]["epochs"])
        return
    names = ORDER if args.all else args.model
    if not names:
        ap.error("give --all or --model NAME")
    for n in names:
        run(n)


if __name__ == "__main__":
    main()
