#!/usr/bin/env python3
"""The classification baseline the reference model must beat: a linear probe, i.e. one logistic
regression per finding on the FROZEN ImageNet MobileNet v1 backbone's pooled features (conv_pw_12,
1024 channels: conv_pw_13's shard is missing from the shared weights, so its random layer is not
used), trained on the train split and scored on the same val/test splits as the shipped model.

Usage: /usr/bin/python3 training/reference/linear_probe.py [--size 192]
Writes training/reference/runs/linear-probe/metrics.json and prints it.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FINDINGS, add_tensors_arg, load_images, per_finding_auroc, macro, read_labels, read_split  # noqa: E402
from mobilenet import MobileNetV1, load_tfjs_backbone  # noqa: E402

TFJS = Path(__file__).resolve().parents[3] / "shared" / "models" / "mobilenet-v1-imagenet-tfjs"


def pooled_features(model, images, batch=32):
    feats = []
    body = torch.nn.Sequential(*list(model.features.children())[:-2])  # up to conv_pw_12
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float().div(255).sub(0.5).div(0.5)
            x = x[:, None].expand(-1, 3, -1, -1).contiguous()
            feats.append(body(x).mean(dim=(2, 3)).numpy())
    return np.concatenate(feats)


def fit_logistic(X, y, l2, steps=300):
    """L2-regularized logistic regression by L-BFGS (full batch); features standardized by the caller."""
    Xt = torch.from_numpy(X).double()
    yt = torch.from_numpy(y).double()
    w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    pos = max(1.0, float(y.sum()))
    weight = torch.where(yt > 0, (len(y) - pos) / pos, 1.0)  # class balance, as the model's BCE
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(Xt @ w + b, yt, weight=weight) + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), float(b.detach())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--l2", type=float, default=1e-3)
    add_tensors_arg(parser)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rows = read_labels()
    split = read_split()
    names = [r[0] for r in rows]
    Y = np.stack([r[2] for r in rows])
    model = MobileNetV1().eval()
    load_tfjs_backbone(model, TFJS, verbose=False)
    X = pooled_features(model, load_images(names, args.size, args.tensors))
    parts = {s: np.array([split[n] == s for n in names]) for s in ("train", "val", "test")}
    mean, std = X[parts["train"]].mean(0), X[parts["train"]].std(0) + 1e-6
    Xs = (X - mean) / std
    P = {s: np.zeros((parts[s].sum(), len(FINDINGS))) for s in ("val", "test")}
    for j in range(len(FINDINGS)):
        w, b = fit_logistic(Xs[parts["train"]], Y[parts["train"], j], args.l2)
        for s in ("val", "test"):
            P[s][:, j] = Xs[parts[s]] @ w + b
    result = {"baseline": "linear probe on the frozen ImageNet MobileNet v1 (pooled conv_pw_12 features)", "size": args.size, "l2": args.l2}
    for s in ("val", "test"):
        per = per_finding_auroc(Y[parts[s]], P[s])
        result[s] = {"macro_auroc": macro(per), "per_finding": per}
    out = Path(__file__).resolve().parent / "runs" / "linear-probe"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({"val_macro_auroc": result["val"]["macro_auroc"], "test_macro_auroc": result["test"]["macro_auroc"]}))


if __name__ == "__main__":
    main()
