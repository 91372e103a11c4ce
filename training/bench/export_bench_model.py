#!/usr/bin/env python3
"""Exports a RANDOM-WEIGHT torchvision backbone (MobileNetV2 by default) as a CXR Lens model package,
for `npm run bench:engine` only: it measures speed, never accuracy, and is never installed as a model.
With --torch-bench it also times PyTorch CPU inference of the same network on the same input size,
so the engine's latency is compared side by side in one run.

Usage: /usr/bin/python3 training/bench/export_bench_model.py OUT_DIR [--arch mobilenet_v2|densenet121|resnet50]
                                                               [--threads N] [--torch-bench RUNS]
Prints one JSON line: {"dir", "arch", "features_shape", "torch_b1_p50" (ms or null)}.
"""
import argparse
import hashlib
import inspect
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fixtures"))
from make_engine_fixtures import FINDINGS, find_initializer  # noqa: E402
import onnx  # noqa: E402


class Packaged(nn.Module):
    """Backbone → feature map (for CAM methods) → global average pool → linear head over 14 findings."""

    def __init__(self, arch):
        super().__init__()
        net = getattr(torchvision.models, arch)()
        if arch == "mobilenet_v2":
            self.features, channels = net.features, net.last_channel
        elif arch == "densenet121":
            self.features, channels = nn.Sequential(net.features, nn.ReLU()), net.classifier.in_features
        elif arch == "resnet50":
            self.features, channels = nn.Sequential(*list(net.children())[:-2]), net.fc.in_features
        else:
            raise SystemExit(f"unknown arch {arch}")
        self.fc = nn.Linear(channels, len(FINDINGS))

    def forward(self, x):
        f = self.features(x)
        return f, self.fc(f.mean(dim=(2, 3)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--arch", default="mobilenet_v2")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--torch-bench", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(7)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = Packaged(args.arch).eval()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dummy = torch.randn(1, 3, args.size, args.size)
    kwargs = dict(opset_version=17, do_constant_folding=True, input_names=["image"], output_names=["features", "logits"],
                  dynamic_axes={"image": {0: "N"}, "features": {0: "N"}, "logits": {0: "N"}})
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    torch.onnx.export(model, dummy, str(out / "model.onnx"), **kwargs)
    with torch.no_grad():
        feats, _ = model(dummy)
    proto = onnx.load(str(out / "model.onnx"))
    weight, bias, layout = find_initializer(proto, model.fc.weight, model.fc.bias)
    manifest = {
        "id": f"bench-{args.arch.replace('_', '-')}", "version": "0.0.0-bench", "findings": FINDINGS,
        "input": {"name": "image", "layout": "NCHW", "channels": "rgb", "height": args.size, "width": args.size},
        "preprocess": {"resize": "stretch", "normalization": {"scale": 255, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}},
        "outputs": {"logits": {"name": "logits", "activation": "sigmoid"}, "features": {"name": "features", "shape": list(feats.shape[1:])}},
        "head": {"type": "gap_linear", "layers": [{"weight": weight, "bias": bias, "weightLayout": layout, "activation": "none"}]},
        "sha256": hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest(),
        "provenance": {"createdBy": "training/bench/export_bench_model.py", "arch": args.arch, "seed": 7, "torch": torch.__version__},
        "modelCard": {"trainingData": "none: random weights, BENCHMARK ONLY", "metrics": {}, "intendedUse": "speed benchmark; never a clinical or default model"},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    torch_p50 = None
    if args.torch_bench:
        x = torch.randn(1, 3, args.size, args.size)
        times = []
        with torch.no_grad():
            for i in range(args.torch_bench + 3):
                start = time.perf_counter()
                model(x)
                if i >= 3:  # warm-up runs excluded
                    times.append((time.perf_counter() - start) * 1000)
        times.sort()
        torch_p50 = times[len(times) // 2]
    print(json.dumps({"dir": str(out), "arch": args.arch, "features_shape": list(feats.shape[1:]), "torch_b1_p50": torch_p50, "torch_threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
