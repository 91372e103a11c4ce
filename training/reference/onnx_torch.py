"""Run an exported model package's ONNX graph with PyTorch ops in float32 (the shipped weights, BN
folded), for check_engine.py when the run's best.pt is not on this machine: torch's arithmetic on
the shipped network, fed whatever input the caller gives. Only the ops export.py leaves in the graph
(Conv, Clip, Pad, ReduceMean, Gemm; Constant, Flatten and Identity) are supported; anything else is refused."""
import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F


def run_onnx_torch(model_path, image, outputs=("features", "logits")):
    """image: float32 [N, C, H, W] numpy -> {output name: float32 numpy}."""
    proto = onnx.load(str(model_path))
    env = {i.name: torch.from_numpy(onnx.numpy_helper.to_array(i).copy()) for i in proto.graph.initializer}
    env[proto.graph.input[0].name] = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    with torch.no_grad():
        for node in proto.graph.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
            ins = [env[n] if n else None for n in node.input]
            op = node.op_type
            if op == "Conv":
                t, l, b, r = a.get("pads", [0, 0, 0, 0])
                x = F.pad(ins[0], (l, r, t, b)) if any((t, l, b, r)) else ins[0]
                out = F.conv2d(x, ins[1], ins[2] if len(ins) > 2 else None, stride=tuple(a.get("strides", [1, 1])),
                               dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
            elif op == "Clip":
                lo = float(ins[1]) if len(ins) > 1 and ins[1] is not None else a.get("min", -np.inf)
                hi = float(ins[2]) if len(ins) > 2 and ins[2] is not None else a.get("max", np.inf)
                out = ins[0].clamp(lo, hi)
            elif op == "Pad":
                p = [int(v) for v in ins[1]]
                nd = len(p) // 2
                assert a.get("mode", b"constant") in (b"constant", "constant"), a.get("mode")
                value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
                flat = []
                for i in reversed(range(nd)):  # F.pad: last dimension first
                    flat += [p[i], p[i + nd]]
                out = F.pad(ins[0], flat, value=value)
            elif op == "ReduceMean":
                out = ins[0].mean(dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))
            elif op == "Gemm":
                A = ins[0].T if a.get("transA", 0) else ins[0]
                B = ins[1].T if a.get("transB", 0) else ins[1]
                out = a.get("alpha", 1.0) * (A @ B) + (a.get("beta", 1.0) * ins[2] if len(ins) > 2 else 0)
            elif op == "Flatten":
                out = ins[0].reshape(ins[0].shape[0], -1)
            elif op == "Identity":
                out = ins[0]
            elif op == "Constant":
                out = torch.from_numpy(onnx.numpy_helper.to_array(a["value"]).copy())
            else:
                raise SystemExit(f"{model_path}: op {op} is not supported by onnx_torch.py")
            env[node.output[0]] = out
    return {n: env[n].numpy() for n in outputs}
