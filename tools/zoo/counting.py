"""Parameter and MAC counting by PyTorch forward hooks, and the cross-check against the ONNX file.

Counts are taken on the *fused* model (BN folded into the preceding conv, LeanConv masks baked),
i.e. exactly the Conv/Gemm weights and biases the exported ONNX holds:
  params = sum over Conv2d/Linear of weight.numel() + bias.numel()
  MACs   = Conv: N*Cout*Hout*Wout*(Cin/groups)*kH*kW ; Linear: in*out ; other ops 0 ; N = 1
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn


def count_params_macs(model: nn.Module, upto: str | None = None) -> dict:
    """Returns {"params", "macs", "calls"}; runs one 1x1x28x28 forward pass in eval mode.

    `upto`: optional callable-free filter: only count modules whose qualified name starts with
    one of the given comma-separated prefixes (used for the early-exit partial count).
    """
    model.eval()
    prefixes = tuple(p for p in (upto or "").split(",") if p)
    stats = {"params": 0, "macs": 0, "calls": 0}
    seen: set[int] = set()
    hooks = []

    def hook(mod, inp, out, name):
        if prefixes and not name.startswith(prefixes):
            return
        if id(mod) in seen:
            raise RuntimeError(f"module {name} called twice; counts would be ambiguous")
        seen.add(id(mod))
        stats["calls"] += 1
        stats["params"] += mod.weight.numel() + (mod.bias.numel() if mod.bias is not None else 0)
        if isinstance(mod, nn.Conv2d):
            n, cout, h, w = out.shape
            kh, kw = mod.kernel_size
            stats["macs"] += n * cout * h * w * (mod.in_channels // mod.groups) * kh * kw
        else:
            stats["macs"] += mod.in_features * mod.out_features * (out.numel() // out.shape[-1])

    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            hooks.append(m.register_forward_hook(lambda mod, i, o, name=name: hook(mod, i, o, name)))
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    n_modules = sum(1 for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    if not prefixes and stats["calls"] != n_modules:
        raise RuntimeError(f"{n_modules - stats['calls']} conv/linear modules never ran")
    return stats


def onnx_counts(path: str) -> dict:
    """Params/MACs from the ONNX graph, the way the studio's inspector counts them."""
    import onnx
    from onnx import numpy_helper, shape_inference

    model = onnx.load(path)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    bn = [n.name for n in g.node if n.op_type == "BatchNormalization"]
    weight_names: set[str] = set()
    for n in g.node:
        if n.op_type in ("Conv", "Gemm", "MatMul"):
            for inp in n.input[1:]:
                if inp in inits:
                    weight_names.add(inp)
    float_types = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE}
    stray = [name for name, t in inits.items() if t.data_type in float_types and name not in weight_names]
    params = int(sum(np.prod(inits[n].dims) for n in weight_names))

    # MACs from inferred shapes with batch 1
    m1 = onnx.load(path)
    for vi in list(m1.graph.input) + list(m1.graph.output):
        d = vi.type.tensor_type.shape.dim
        if d and d[0].dim_param:
            d[0].ClearField("dim_param")
            d[0].dim_value = 1
    inferred = shape_inference.infer_shapes(m1)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
        shapes[vi.name] = [x.dim_value for x in vi.type.tensor_type.shape.dim]
    macs = 0
    for n in inferred.graph.node:
        if n.op_type == "Conv":
            w = inits[n.input[1]].dims
            out = shapes.get(n.output[0], [])
            if len(out) != 4 or min(out) <= 0:
                raise RuntimeError(f"{path}: shape of {n.output[0]} not inferable: {out}")
            macs += int(np.prod(out)) * int(np.prod(w[1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            w = inits[n.input[1]].dims
            out = shapes[n.output[0]]
            k = w[1] if (n.op_type == "Gemm" and any(a.name == "transB" and a.i == 1 for a in n.attribute)) else w[0]
            macs += int(np.prod(out)) * int(k)
    return {"params": params, "macs": macs, "batchnorm": bn, "stray_initializers": stray,
            "ops": sorted({n.op_type for n in g.node})}
