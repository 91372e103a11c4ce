"""Check the TF.js -> PyTorch weight mapping independently of PyTorch's conv layers.

1. Every backbone tensor of the TF.js manifest is consumed exactly once with matching shapes
   (asserted inside load_tfjs_backbone; only dense_1 and the missing conv_pw_13 kernel are skipped).
2. A plain-numpy re-implementation of Keras MobileNet's first layers (conv1 3x3/s2 'same' with
   bottom/right padding, BN eps 1e-3, ReLU6; conv_dw_1 depthwise; conv_pw_1; conv_dw_2 (stride 2);
   conv_pw_2), reading the Keras-layout kernels directly from the shards, must equal the PyTorch
   model's activations on a random input.
  usage: python3 training/reference/verify_loader.py
"""
import numpy as np
import torch

from common import TFJS
from mobilenet import MobileNetV1, load_tfjs_backbone, read_tfjs_weights


def same_pad(x, k, s):
    """Keras/TF 'same' padding for NHWC x: total pad split with the extra pixel at bottom/right."""
    H = x.shape[1]
    out = -(-H // s)
    total = max((out - 1) * s + k - H, 0)
    lo = total // 2
    return np.pad(x, ((0, 0), (lo, total - lo), (lo, total - lo), (0, 0))), out


def conv(x, w, s):  # x NHWC, w [kh,kw,in,out]
    k = w.shape[0]
    xp, out = same_pad(x, k, s)
    y = np.zeros((x.shape[0], out, out, w.shape[3]))
    for i in range(k):
        for j in range(k):
            patch = xp[:, i:i + s * out:s, j:j + s * out:s, :]
            y += patch @ w[i, j]
    return y


def dwconv(x, w, s):  # w [kh,kw,in,1]
    k = w.shape[0]
    xp, out = same_pad(x, k, s)
    y = np.zeros((x.shape[0], out, out, x.shape[3]))
    for i in range(k):
        for j in range(k):
            y += xp[:, i:i + s * out:s, j:j + s * out:s, :] * w[i, j, :, 0]
    return y


def bn_relu6(x, W, name):
    g, b, m, v = (W[f"{name}/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance"))
    return np.clip((x - m) / np.sqrt(v + 1e-3) * g + b, 0, 6)


def main():
    W, missing = read_tfjs_weights(TFJS)
    model = MobileNetV1()
    load_tfjs_backbone(model, TFJS)
    model.eval()
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(1, 64, 64, 3))
    y = bn_relu6(conv(x, W["conv1/kernel"], 2), W, "conv1_bn")
    ref = {"conv1": y}
    for n, s in ((1, 1), (2, 2)):
        y = bn_relu6(dwconv(y, W[f"conv_dw_{n}/depthwise_kernel"], s), W, f"conv_dw_{n}_bn")
        ref[f"conv_dw_{n}"] = y
        y = bn_relu6(conv(y, W[f"conv_pw_{n}/kernel"], 1), W, f"conv_pw_{n}_bn")
        ref[f"conv_pw_{n}"] = y
    t = torch.from_numpy(x.transpose(0, 3, 1, 2)).float()
    worst = 0.0
    with torch.no_grad():
        for name, layer in model.features.named_children():
            t = layer(t)
            if name in ref:
                r = ref[name].transpose(0, 3, 1, 2)
                assert t.shape == r.shape, (name, t.shape, r.shape)
                err = float(np.abs(t.numpy() - r).max())
                worst = max(worst, err)
                print(f"{name:10s} {tuple(t.shape)} max|torch - numpy| = {err:.2e} (activation max {r.max():.2f})")
                assert err < 1e-4, name
            if name == "conv_pw_2":
                break
    print(f"OK: PyTorch matches the numpy Keras re-implementation (worst {worst:.1e}); missing shard: {missing}")


if __name__ == "__main__":
    main()
