#!/usr/bin/env python3
"""How validation AUROC grows with the number of training images here: the linear probe of
linear_probe.py (one logistic regression per finding on the frozen ImageNet MobileNet v1's pooled
features, which never saw this data) fit on patient-wise random subsets of the train split of
1/8, 1/4, 1/2 and all of its images, several draws per size, scored on the whole validation split.

Issue 16 asks for a macro AUROC of 0.80 over the 8 box findings; the shipped model is at 0.763 on
validation. The shipped model's backbone was trained on every train image, so it cannot be subset
honestly; the probe can. The fit AUROC ≈ a + b·log2(n) gives the gain per doubling of the data, b,
and so how many images 0.80 would take if the shipped model gained as the probe does (an
extrapolation, stated as one).

Usage: /usr/bin/python3 training/reference/learning_curve.py [--draws 5]
Writes training/reference/runs/learning-curve/metrics.json and prints a table.

The same curve for the whole network (the shipped 2.0.0 backbone's recipe, mnv1-os16 at 192², trained
from ImageNet by train.py on subsets; ~10–25 CPU minutes each):

  for f in 0.125 0.25 0.5; do /usr/bin/python3 training/reference/train.py --init imagenet --arch mnv1-os16 \
      --size 192 --name mnv1os16-192-f$f --runs-dir training/reference/runs/learning-curve \
      --train-fraction $f --budget-min 25 --device cpu; done
  /usr/bin/python3 training/reference/learning_curve.py --full-network

`--full-network` tabulates those runs beside the sweep's three full-data seeds (runs/sweep/
mnv1os16-192-s*, the same code on all 1,204 images), fits the same line and writes
runs/learning-curve/full-network.json.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BOX_FINDINGS, FINDINGS, add_tensors_arg, load_images, macro, patient_subset, per_finding_auroc, read_labels, read_split  # noqa: E402
from linear_probe import TFJS, fit_logistic, pooled_features  # noqa: E402
from mobilenet import MobileNetV1, load_tfjs_backbone  # noqa: E402

FRACTIONS = [1 / 8, 1 / 4, 1 / 2, 1]


def fit_line(points, key):
    """least squares over every point: AUROC = a + b·log2(images)"""
    b, a = np.polyfit(np.log2([p["images"] for p in points]), [p[key] for p in points], 1)
    return {"a": float(a), "per_doubling": float(b)}


def last_doubling(points, key):
    """The gain per doubling between the two largest sizes (means over draws): learning curves flatten as
    data grows, so the line through every point overstates what the next doubling brings."""
    sizes = sorted({round(p["images"], -1) for p in points})
    if len(sizes) < 2:
        return None
    at = lambda n: [p for p in points if round(p["images"], -1) == n]
    mean = lambda n, k: float(np.mean([p[k] for p in at(n)]))
    hi, lo = sizes[-1], sizes[-2]
    return {"from_images": mean(lo, "images"), "to_images": mean(hi, "images"),
            "per_doubling": (mean(hi, key) - mean(lo, key)) / np.log2(mean(hi, "images") / mean(lo, "images"))}


def extrapolate(slope, shipped, n):
    b = slope["per_doubling"] if slope else 0
    doublings = (0.80 - shipped) / b if b > 0 else None
    return {
        "assumes": "the shipped model gains per doubling of its training images what this curve gains between its two largest sizes (log-linear: optimistic, curves flatten)",
        "shipped_val_macro_auroc_box8": shipped, "train_images": n,
        "doublings_to_0.80": doublings, "images_for_0.80": n * 2 ** doublings if doublings is not None else None,
    }


def shipped_val_box8():
    parent = Path(__file__).resolve().parent / "runs" / "model3.7" / "val-parent.json"
    return json.loads(parent.read_text())["models"][0]["macro_auroc_box8"]["estimate"]


def full_network():
    runs = Path(__file__).resolve().parent / "runs"
    points = []
    for path in sorted((runs / "learning-curve").glob("mnv1os16-192-f*/metrics.json")) + sorted((runs / "sweep").glob("mnv1os16-192-s*/metrics.json")):
        m = json.loads(path.read_text())
        if not m.get("final"):
            print(f"{path.parent.name}: not finished, left out")
            continue
        per = m["final"]["val"]["per_finding_auroc"]
        log = (path.parent / "log.txt").read_text() if (path.parent / "log.txt").exists() else ""
        images = int(log.split("train: ")[1].split(" images")[0]) if "train: " in log else 1204
        points.append({"run": path.parent.name, "images": images, "best_epoch": m["best_epoch"], "epochs_run": len(m["epochs"]),
                       "macro_auroc_14": m["final"]["val"]["macro_auroc"], "macro_auroc_box8": float(np.mean([per[f] for f in BOX_FINDINGS]))})
    fit = {k: fit_line(points, k) for k in ("macro_auroc_14", "macro_auroc_box8")}
    local = {k: last_doubling(points, k) for k in ("macro_auroc_14", "macro_auroc_box8")}
    result = {"what": "mnv1-os16 192² from ImageNet (train.py, the 2.0.0 backbone's recipe) on patient-wise subsets of the train split, validation split",
              "points": points, "fit": fit, "last_doubling": local, "extrapolation": extrapolate(local["macro_auroc_box8"], shipped_val_box8(), 1204)}
    (runs / "learning-curve" / "full-network.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| run | train images | epochs (best) | val macro AUROC (14) | val macro AUROC (8 box findings) |")
    print("| --- | --- | --- | --- | --- |")
    for p in points:
        print(f"| {p['run']} | {p['images']} | {p['epochs_run']} ({p['best_epoch']}) | {p['macro_auroc_14']:.3f} | {p['macro_auroc_box8']:.3f} |")
    print(json.dumps({"fit": fit, "last_doubling": local, "extrapolation": result["extrapolation"]}, indent=2))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--full-network", action="store_true", help="tabulate the whole-network subset runs instead (see above)")
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--shipped-val-box8", type=float, default=None,
                        help="the shipped model's validation box-8 macro AUROC, for the extrapolation (read from runs/model3.7/val-parent.json by default)")
    add_tensors_arg(parser)
    args = parser.parse_args()
    if args.full_network:
        return full_network()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rows = read_labels()
    split = read_split()
    names = [r[0] for r in rows]
    patients = [r[1] for r in rows]
    Y = np.stack([r[2] for r in rows])
    model = MobileNetV1().eval()
    load_tfjs_backbone(model, TFJS, verbose=False)
    X = pooled_features(model, load_images(names, args.size, args.tensors))
    train_idx = np.array([i for i, n in enumerate(names) if split[n] == "train"])
    train_rows = [(names[i], patients[i], i) for i in train_idx]
    val = np.array([split[n] == "val" for n in names])
    box8 = [FINDINGS.index(f) for f in BOX_FINDINGS]
    sizes = []
    for fraction in FRACTIONS:
        draws = []
        for d in range(1 if fraction == 1 else args.draws):
            idx = train_idx if fraction == 1 else np.array([r[2] for r in patient_subset(train_rows, fraction, 20261202 + d)])
            # standardized on the subset itself, as a run on that many images would be
            mean, std = X[idx].mean(0), X[idx].std(0) + 1e-6
            P = np.zeros((val.sum(), len(FINDINGS)))
            for j in range(len(FINDINGS)):
                if Y[idx, j].sum() == 0:
                    P[:, j] = 0  # no positive in the subset: the finding cannot be ranked (AUROC 0.5)
                    continue
                w, b = fit_logistic((X[idx] - mean) / std, Y[idx, j], args.l2)
                P[:, j] = ((X[val] - mean) / std) @ w + b
            per = per_finding_auroc(Y[val], P)
            draws.append({"images": int(len(idx)), "macro_auroc_14": macro(per), "macro_auroc_box8": float(np.mean([per[FINDINGS[j]] for j in box8]))})
        sizes.append({
            "fraction": fraction,
            "images": float(np.mean([d["images"] for d in draws])),
            "draws": draws,
            "macro_auroc_14": {"mean": float(np.mean([d["macro_auroc_14"] for d in draws])), "sd": float(np.std([d["macro_auroc_14"] for d in draws]))},
            "macro_auroc_box8": {"mean": float(np.mean([d["macro_auroc_box8"] for d in draws])), "sd": float(np.std([d["macro_auroc_box8"] for d in draws]))},
        })
    every_draw = [d for s in sizes for d in s["draws"]]
    fit = {key: fit_line(every_draw, key) for key in ("macro_auroc_14", "macro_auroc_box8")}
    local = {key: last_doubling(every_draw, key) for key in ("macro_auroc_14", "macro_auroc_box8")}
    shipped = args.shipped_val_box8 if args.shipped_val_box8 is not None else shipped_val_box8()
    result = {
        "what": "linear probe (frozen ImageNet MobileNet v1, pooled conv_pw_12) on patient-wise subsets of the train split, scored on the validation split",
        "size": args.size, "l2": args.l2, "draws": args.draws, "subset_seeds": "20261202 + draw",
        "sizes": sizes, "fit": fit, "last_doubling": local,
        "extrapolation": extrapolate(local["macro_auroc_box8"], shipped, len(train_idx)),
    }
    out = Path(__file__).resolve().parent / "runs" / "learning-curve"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| train images | draws | val macro AUROC (14) | val macro AUROC (8 box findings) |")
    print("| --- | --- | --- | --- |")
    for s in sizes:
        print(f"| {s['images']:.0f} | {len(s['draws'])} | {s['macro_auroc_14']['mean']:.3f} ± {s['macro_auroc_14']['sd']:.3f} | {s['macro_auroc_box8']['mean']:.3f} ± {s['macro_auroc_box8']['sd']:.3f} |")
    print(json.dumps({"fit": fit, "last_doubling": local, "extrapolation": result["extrapolation"]}, indent=2))


if __name__ == "__main__":
    main()
