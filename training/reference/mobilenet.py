"""MobileNet v1 (alpha 1.0) in PyTorch, Keras-compatible, plus a loader for the TF.js Keras weights.

Layer layout follows keras.applications.MobileNet: conv1 (3x3 s2) -> 13 depthwise-separable blocks
(conv_dw_N 3x3 depthwise + BN + ReLU6, conv_pw_N 1x1 + BN + ReLU6). BN eps = 1e-3. Keras 'same'
padding on stride-2 convs pads bottom/right only, so stride-2 convs use ZeroPad2d((0,1,0,1)) and
padding 0 (as Keras MobileNet itself does with its ZeroPadding2D layers).

Head: global average pool -> dropout -> Linear(1024 -> n_classes). `forward` returns
(features, logits); features are the final ReLU6 output of block 13 [N,1024,H/32,W/32] ([N,1024,H/16,W/16] with
output_stride=16).
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

BN_EPS = 1e-3
# (out_channels, stride) of the 13 depthwise-separable blocks
BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class ConvBNReLU6(nn.Module):
    def __init__(self, cin, cout, k, stride, groups=1, bn_momentum=0.01):
        super().__init__()
        if k == 3 and stride == 2:
            self.pad = nn.ZeroPad2d((0, 1, 0, 1))  # Keras 'same' for even input, stride 2
            pad = 0
        else:
            self.pad = nn.Identity()
            pad = k // 2
        self.conv = nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=bn_momentum)  # 0.01 = Keras momentum 0.99
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(self.pad(x))))


class MobileNetV1(nn.Module):
    def __init__(self, n_classes=14, dropout=0.3, bn_momentum=0.01, output_stride=32):
        super().__init__()
        assert output_stride in (16, 32), output_stride
        layers = {"conv1": ConvBNReLU6(3, 32, 3, 2, bn_momentum=bn_momentum)}
        cin = 32
        blocks = list(BLOCKS)
        if output_stride == 16:
            # Drop the last down-sampling (block 12's depthwise stride 2 -> 1): the final feature map is
            # twice as fine (S/16), which is what CAM-style heatmaps are drawn from. Same weights shapes,
            # so the ImageNet initialization still loads.
            blocks[11] = (blocks[11][0], 1)
        for i, (cout, s) in enumerate(blocks, start=1):
            layers[f"conv_dw_{i}"] = ConvBNReLU6(cin, cin, 3, s, groups=cin, bn_momentum=bn_momentum)
            layers[f"conv_pw_{i}"] = ConvBNReLU6(cin, cout, 1, 1, bn_momentum=bn_momentum)
            cin = cout
        self.features = nn.Sequential()
        for name, m in layers.items():
            self.features.add_module(name, m)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(1024, n_classes)
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.classifier.weight, 0, 0.01)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        f = self.features(x)
        logits = self.classifier(self.dropout(f.mean(dim=(2, 3))))
        return f, logits


def read_tfjs_weights(model_dir):
    """Return {name: np.ndarray} from a TF.js LayersModel weightsManifest (missing shards skipped)."""
    model_dir = Path(model_dir)
    manifest = json.loads((model_dir / "model.json").read_text())["weightsManifest"]
    out, missing = {}, []
    for group in manifest:
        paths = [model_dir / p for p in group["paths"]]
        if not all(p.exists() for p in paths):
            missing += [w["name"] for w in group["weights"]]
            continue
        buf = b"".join(p.read_bytes() for p in paths)
        off = 0
        for w in group["weights"]:
            assert w.get("dtype", "float32") == "float32", w
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            out[w["name"]] = np.frombuffer(buf, dtype="<f4", count=n, offset=off).reshape(w["shape"]).copy()
            off += 4 * n
        assert off == len(buf), f"group {group['paths']}: {len(buf) - off} bytes unconsumed"
    return out, missing


def load_tfjs_backbone(model, model_dir, verbose=True):
    """Copy the Keras MobileNet backbone weights into `model`. Every backbone tensor of the manifest
    is consumed exactly once (the 17-class dense_1 head is ignored). Layers whose kernel shard is
    missing (conv_pw_13) keep their fresh initialization AND get a fresh (untrained) BN."""
    w, missing = read_tfjs_weights(model_dir)
    used = set()

    def take(name, shape=None):
        assert name not in used, f"{name} consumed twice"
        arr = w[name]
        used.add(name)
        return arr

    reinit = []
    for name, block in model.features.named_children():
        kname = f"{name}/depthwise_kernel" if name.startswith("conv_dw") else f"{name}/kernel"
        bn = f"{name}_bn"
        if kname in missing:
            reinit.append(name)
            for suffix in ("gamma", "beta", "moving_mean", "moving_variance"):
                used.add(f"{bn}/{suffix}")  # deliberately not loaded: BN treated as untrained
            continue
        k = take(kname)
        if name.startswith("conv_dw"):
            t = torch.from_numpy(k).permute(2, 3, 0, 1)  # [kh,kw,in,1] -> [in,1,kh,kw]
        else:
            t = torch.from_numpy(k).permute(3, 2, 0, 1)  # [kh,kw,in,out] -> [out,in,kh,kw]
        assert t.shape == block.conv.weight.shape, (name, t.shape, block.conv.weight.shape)
        block.conv.weight.data.copy_(t)
        for attr, suffix in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                             ("running_var", "moving_variance")):
            arr = torch.from_numpy(take(f"{bn}/{suffix}"))
            target = getattr(block.bn, attr)
            assert arr.shape == target.shape, (bn, suffix)
            target.data.copy_(arr)
    ignored = {n for n in w if n.startswith("dense_1/")}
    unused = set(w) - used - ignored
    assert not unused, f"manifest tensors not consumed: {sorted(unused)}"
    if verbose:
        print(f"loaded {len(used) - 4 * len(reinit)} tensors; missing {missing}; re-initialized {reinit}; "
              f"ignored {sorted(ignored)}")
    return reinit
