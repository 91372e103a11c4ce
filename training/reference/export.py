"""Export the better reference run to the shipped model package resources/models/cxr-mobilenet-v1/.

  python3 training/reference/export.py            # picks the run with the higher val macro AUROC
  python3 training/reference/export.py --run mnv1-imagenet

- ONNX opset 17, input `image` [N,3,S,S], outputs `features` [N,1024,S/32,S/32] and `logits` [N,14],
  dynamic batch axis, eval mode (dropout off, BN folded).
- Verification without onnxruntime: (1) onnx.checker; (2) a small numpy interpreter runs the exported
  graph itself on real validation images and must reproduce torch's features and logits (1e-4 rel.);
  (3) the head: the logits node is a Gemm fed by the pooled features, its weight/bias are located
  among the initializers by value (like training/fixtures/make_engine_fixtures.py find_initializer),
  and GAP(features) @ W^T + b in numpy equals torch's logits within 1e-4.
- manifest.json: thresholds maximizing F1 on the VALIDATION split, localization prior = mean
  TRAINING-split radiologist box per finding (fractions of the 1024 px original), model card with
  val/test metrics; 95 % CIs by patient-level (cluster) bootstrap, 1,000 seeded resamples, percentile.
"""
import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
import onnx.checker
import onnx.numpy_helper
import torch

from common import FINDINGS, REPO, RUNS, add_tensors_arg, load_images, macro, per_finding_auroc, read_boxes, read_split, auroc, read_labels
from models import build_model
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'fixtures'))
from make_engine_fixtures import export_onnx, find_initializer  # noqa: E402  (one implementation for fixtures and the reference model)

OUT = REPO / "resources" / "models" / "cxr-mobilenet-v1"
N_BOOT = 1000
BOOT_SEED = 12345


# ----------------------------------------------------------------- ONNX numpy interpreter (subset)
def _pads(node_attrs, nd=2):
    return node_attrs.get("pads", [0] * (2 * nd))


def _conv(x, w, b, strides, pads, group, dil):
    assert all(d == 1 for d in dil)
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    sh, sw = strides
    Ho = (x.shape[2] - kh) // sh + 1
    Wo = (x.shape[3] - kw) // sw + 1
    y = np.zeros((N, O, Ho, Wo), dtype=np.float64)
    og = O // group
    if group == C and Cg == 1 and og == 1:  # depthwise
        for i in range(kh):
            for j in range(kw):
                y += x[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw] * w[None, :, 0, i, j, None, None]
    else:
        for g in range(group):
            xs = x[:, g * Cg:(g + 1) * Cg]
            for i in range(kh):
                for j in range(kw):
                    patch = xs[:, :, i:i + sh * Ho:sh, j:j + sw * Wo:sw]  # N,Cg,Ho,Wo
                    y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def run_onnx_numpy(model, feeds):
    env = {i.name: onnx.numpy_helper.to_array(i).astype(np.float64) if onnx.numpy_helper.to_array(i).dtype.kind == "f"
           else onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a.get("strides", [1, 1]), _pads(a),
                        a.get("group", 1), a.get("dilations", [1, 1]))
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min", -np.inf)
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max", np.inf)
            out = np.clip(ins[0], lo, hi)
        elif op == "Pad":
            p = ins[1].astype(int)
            nd = len(p) // 2
            val = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
            assert a.get("mode", b"constant") in (b"constant", "constant")
            out = np.pad(ins[0], [(p[i], p[i + nd]) for i in range(nd)], constant_values=val)
        elif op == "Constant":
            out = onnx.numpy_helper.to_array(a["value"])
        elif op == "ReduceMean":
            out = ins[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "GlobalAveragePool":
            out = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            out = ins[0].reshape(ins[0].shape[0], -1)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            A = A.T if a.get("transA", 0) else A
            B = B.T if a.get("transB", 0) else B
            out = a.get("alpha", 1.0) * A @ B + (a.get("beta", 1.0) * ins[2] if len(ins) > 2 else 0)
        elif op == "Identity":
            out = ins[0]
        elif op == "ConstantOfShape":
            v = onnx.numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            out = np.full(tuple(int(d) for d in ins[0]), v.reshape(-1)[0], dtype=v.dtype)
        elif op == "Concat":
            out = np.concatenate(ins, axis=a["axis"])
        elif op == "Slice":
            data, starts, ends = ins[0], ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), int)
            sl = [slice(None)] * data.ndim
            for st, en, ax, sp in zip(starts, ends, axes, steps):
                n = data.shape[ax]
                st, en = int(st), int(en)
                if sp < 0:
                    st = min(st, n - 1) if st >= 0 else st
                    en = None if en < -n else en
                else:
                    en = min(en, n)
                sl[int(ax)] = slice(st, en, int(sp))
            out = data[tuple(sl)]
        elif op == "Reshape":
            shape = [int(d) for d in ins[1]]
            shape = [ins[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
            out = ins[0].reshape(shape)
        elif op == "Transpose":
            out = np.transpose(ins[0], a.get("perm"))
        elif op == "Cast":
            out = ins[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        else:
            raise NotImplementedError(f"numpy interpreter: op {op}")
        env[node.output[0]] = out
    return [env[o.name] for o in model.graph.output]


# ----------------------------------------------------------------------------- helpers
def fold_pad_constants(model):
    """torch 1.13 exports ZeroPad2d as Pad whose `pads` come from a ConstantOfShape/Concat/Slice/...
    subgraph it fails to fold. Evaluate each such pads input (it depends on constants only) and
    store it as an int64 initializer, then drop the nodes nobody uses any more."""
    g = model.graph
    produced_by = {o: n for n in g.node for o in n.output}
    init_names = {i.name for i in g.initializer}

    def const_only(name):
        if name in init_names or name == "":
            return True
        n = produced_by.get(name)
        return n is not None and all(const_only(i) for i in n.input)

    folded = 0
    for node in g.node:
        if node.op_type == "Pad" and len(node.input) > 1 and node.input[1] not in init_names:
            assert const_only(node.input[1]), "Pad pads depend on the input"
            # evaluate only the nodes needed for this value
            need, stack = [], [node.input[1]]
            while stack:
                nm = stack.pop()
                if nm in init_names or nm == "":
                    continue
                n = produced_by[nm]
                if n not in need:
                    need.append(n)
                    stack.extend(n.input)
            order = [n for n in g.node if n in need]
            needed_inits = {i for n in order for i in n.input}
            sub = onnx.helper.make_model(onnx.helper.make_graph(
                order, "sub", [], [onnx.helper.make_tensor_value_info(node.input[1], onnx.TensorProto.INT64, None)],
                initializer=[i for i in g.initializer if i.name in needed_inits]))
            val = run_onnx_numpy(sub, {})[0].astype(np.int64)
            name = f"{node.name or 'pad'}_pads_const"
            g.initializer.append(onnx.numpy_helper.from_array(val, name))
            init_names.add(name)
            node.input[1] = name
            folded += 1
    # dead-node elimination
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    used = {i for n in g.node for i in n.input}
    for i in [i for i in g.initializer if i.name not in used]:
        g.initializer.remove(i)
    return folded


def best_f1_threshold(y, p):
    """Probability threshold (predict positive if p >= t) maximizing F1 on (y, p)."""
    order = np.argsort(-p, kind="mergesort")
    ps, ys = p[order], y[order].astype(bool)
    tp = np.cumsum(ys)
    fp = np.cumsum(~ys)
    npos = ys.sum()
    if npos == 0:
        return 0.5, 0.0
    last = np.r_[ps[1:] != ps[:-1], True]  # cut only between distinct scores
    f1 = np.where(last, 2 * tp / (tp + fp + npos), -1)
    k = int(np.argmax(f1))
    return float(ps[k]), float(f1[k])


def cluster_bootstrap(y, p, groups, seed=BOOT_SEED, n=N_BOOT):
    """Percentile 95 % CIs of per-finding and macro AUROC, resampling PATIENTS with replacement."""
    rng = np.random.RandomState(seed)
    uniq = sorted(set(groups))
    idx_of = defaultdict(list)
    for i, g in enumerate(groups):
        idx_of[g].append(i)
    members = [np.array(idx_of[g]) for g in uniq]
    per = np.full((n, len(FINDINGS)), np.nan)
    mac = np.full(n, np.nan)
    for b in range(n):
        pick = rng.randint(0, len(uniq), len(uniq))
        ii = np.concatenate([members[k] for k in pick])
        for j in range(len(FINDINGS)):
            per[b, j] = auroc(y[ii, j], p[ii, j])
        mac[b] = np.nanmean(per[b])
    ci = lambda v: [round(float(np.nanpercentile(v, 2.5)), 4), round(float(np.nanpercentile(v, 97.5)), 4)]
    return ci(mac), [ci(per[:, j]) for j in range(len(FINDINGS))], int(np.isnan(per).any(1).sum())


def sweep_card(path, run):
    """The architecture comparison (training/reference/sweep.py) as the model card quotes it."""
    p = Path(path)
    if not p.exists():
        return None
    sw = json.loads(p.read_text())
    rows = {name: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in c.items()
                   if k in ("arch", "init", "size", "loss", "seeds", "eligible_to_ship", "val_macro_auroc_mean",
                            "val_macro_auroc_sd", "test_macro_auroc_mean", "val_box8_macro_auroc_mean")}
            for name, c in sw["configs"].items()}
    return {"method": sw["selected_by"] + " (test AUROC recorded, never used to choose); ImageNet-initialized "
                      "candidates with 3 seeds, reference points with 1; the shipped run is the chosen config's "
                      "best validation seed",
            "chosen": sw["chosen"], "shippedRun": run, "configs": rows,
            "eligibility": "only MobileNet v1 variants (a two-core CPU trains them in under an hour, see "
                           "training/reference/cpu_cost.py); ResNet50/DenseNet121 have no offline ImageNet weights "
                           "and were trained from random initialization as reference points"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", help="run name under training/reference/runs (default: best val macro AUROC)")
    ap.add_argument("--runs", nargs="+", default=["sweep/mnv1-256-random-s0"],
                    help="runs to compare (init comparison in the model card)")
    ap.add_argument("--out", default=str(OUT), help="package directory")
    ap.add_argument("--version", default="2.0.0", help="model version written to the manifest")
    ap.add_argument("--sweep", default=str(RUNS / "sweep" / "sweep-summary.json"),
                    help="architecture sweep summary (sweep.py) quoted in the model card")
    add_tensors_arg(ap)
    args = ap.parse_args()
    out_dir = Path(args.out)

    runs = {}
    if not args.run:  # the run select_model.py chose
        sel = RUNS / "selection.json"
        args.run = json.loads(sel.read_text())["chosen_run"] if sel.exists() else None
    for name in dict.fromkeys(([args.run] if args.run else []) + args.runs):
        p = RUNS / name / "metrics.json"
        if p.exists():
            runs[name] = json.loads(p.read_text())
    finished = {k: v for k, v in runs.items() if v.get("final")}
    assert finished, "no finished runs"
    run = args.run or max(finished, key=lambda k: finished[k]["final"]["val"]["macro_auroc"])
    m = runs[run]
    cfg = m["config"]
    S = cfg["size"]
    print(f"exporting run {run} (init {m['init']}, best epoch {m['best_epoch']}, "
          f"val macro AUROC {m['final']['val']['macro_auroc']:.4f}), input {S}x{S}")

    torch.set_num_threads(2)
    arch = m.get("arch", "mnv1")
    model = build_model(arch, len(FINDINGS), cfg["dropout"], cfg.get("bn_momentum", 0.01))
    model.load_state_dict(torch.load(RUNS / run / "best.pt", map_location="cpu"))
    model.eval()

    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "model.onnx"
    export_onnx(model, torch.zeros(1, 3, S, S), onnx_path)
    proto = onnx.load(str(onnx_path))
    folded = fold_pad_constants(proto)
    onnx.save(proto, str(onnx_path))
    proto = onnx.load(str(onnx_path))
    print(f"folded the pads of {folded} Pad nodes into initializers")
    onnx.checker.check_model(proto, full_check=True)
    print("onnx.checker OK; ops:", sorted({n.op_type for n in proto.graph.node}),
          f"size {onnx_path.stat().st_size / 1e6:.1f} MB")

    # -- verification on 2 real validation images
    split = read_split()
    val_names = sorted(n for n, s in split.items() if s == "val")[:2]
    x = load_images(val_names, S, args.tensors).astype(np.float32) / 255.0
    x = np.repeat(((x - 0.5) / 0.5)[:, None], 3, axis=1)
    with torch.no_grad():
        tf, tl = model(torch.from_numpy(x))
    tf, tl = tf.numpy(), tl.numpy()
    G = tf.shape[2]  # feature-map side: S/32, or S/16 for the output-stride-16 variant
    assert tf.shape == (2, 1024, G, G) and G in (S // 32, S // 16), tf.shape
    of, ol = run_onnx_numpy(proto, {"image": x.astype(np.float64)})
    ef = np.abs(of - tf).max() / max(1.0, np.abs(tf).max())
    el = np.abs(ol - tl).max()
    print(f"numpy-run ONNX graph vs torch: features max rel err {ef:.2e}, logits max abs err {el:.2e}")
    assert ef < 1e-4 and el < 1e-4

    wname, bname, layout = find_initializer(proto, model.classifier.weight, model.classifier.bias)
    gemm = [n for n in proto.graph.node if "logits" in n.output]
    assert len(gemm) == 1 and gemm[0].op_type == "Gemm", [n.op_type for n in gemm]
    assert gemm[0].input[1] == wname and gemm[0].input[2] == bname, (gemm[0].input, wname, bname)
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    W = inits[wname] if layout == "out_in" else inits[wname].T
    head = tf.mean(axis=(2, 3)) @ W.T.astype(np.float64) + inits[bname]
    eh = np.abs(head - tl).max()
    print(f"head: Gemm weight '{wname}' ({layout}, {inits[wname].shape}), bias '{bname}'; "
          f"numpy GAP+linear vs torch logits max abs err {eh:.2e}")
    assert eh < 1e-4

    # -- metrics
    pat_of = {img: pat for img, pat, _ in read_labels()}
    preds = {s: np.load(RUNS / run / f"preds_{s}.npz") for s in ("val", "test")}
    thresholds = {}
    for j, f in enumerate(FINDINGS):
        t, f1 = best_f1_threshold(preds["val"]["y"][:, j], preds["val"]["p"][:, j])
        thresholds[f] = round(t, 6)
    metrics = {"ci_method": f"patient-level cluster bootstrap, {N_BOOT} resamples (seed {BOOT_SEED}), "
                            "percentile 95 % interval; resamples without a positive are skipped per finding"}
    val_pf = per_finding_auroc(preds["val"]["y"], preds["val"]["p"])
    metrics["val"] = {"n_images": int(len(preds["val"]["y"])), "macro_auroc": round(macro(val_pf), 4),
                      "per_finding": {f: round(v, 4) for f, v in val_pf.items()}}
    cmp = {}
    for name, r in finished.items():
        tp = np.load(RUNS / name / "preds_test.npz")
        groups = [pat_of[n] for n in tp["names"]]
        mci, pci, _ = cluster_bootstrap(tp["y"], tp["p"], groups)
        pf = per_finding_auroc(tp["y"], tp["p"])
        cmp[r["init"]] = {"run": name, "val_macro_auroc": round(r["final"]["val"]["macro_auroc"], 4),
                          "test_macro_auroc": round(macro(pf), 4), "test_macro_auroc_ci95": mci,
                          "best_epoch": r["best_epoch"], "epochs_run": len(r["epochs"]),
                          "minutes": r["minutes"], "bn_momentum": r["config"].get("bn_momentum", 0.01)}
        if name == run:
            metrics["test"] = {"n_images": int(len(tp["y"])), "n_patients": len(set(groups)),
                               "macro_auroc": round(macro(pf), 4), "macro_auroc_ci95": mci,
                               "per_finding": {f: {"auroc": round(pf[f], 4), "ci95": pci[j],
                                                   "n_pos": int(tp["y"][:, j].sum())}
                                               for j, f in enumerate(FINDINGS)}}
    metrics["init_comparison"] = cmp
    metrics["thresholds_note"] = "per-finding probability threshold maximizing F1 on the validation split"
    probe = RUNS / "linear-probe" / "metrics.json"
    if probe.exists():  # the classification baseline the shipped model must beat (linear_probe.py)
        lp = json.loads(probe.read_text())
        metrics["linear_probe"] = {
            "description": f"{lp['baseline']}; logistic regression per finding, class-balanced, L2 {lp['l2']}, "
                           f"input {lp['size']}x{lp['size']}, trained on the train split",
            "val_macro_auroc": round(lp["val"]["macro_auroc"], 4), "test_macro_auroc": round(lp["test"]["macro_auroc"], 4),
            "script": "training/reference/linear_probe.py"}

    # -- localization prior from TRAINING-split boxes
    acc = defaultdict(list)
    for img, f, bx, by, bw, bh in read_boxes():
        if split.get(img) == "train":
            acc[f].append((bx, by, bw, bh))
    prior = {}
    for f in FINDINGS:
        if acc.get(f):
            a = np.array(acc[f]) / 1024.0
            mx, my, mw, mh = a.mean(0)
            prior[f] = {"x": round(float(mx), 4), "y": round(float(my), 4), "w": round(float(mw), 4),
                        "h": round(float(mh), 4)}
    n_boxes = {f: len(v) for f, v in acc.items()}

    sha = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    other = [c for c in cmp if c != m["init"]]
    manifest = {
        "id": "cxr-mobilenet-v1",
        "version": args.version,
        "findings": FINDINGS,
        "input": {"name": "image", "layout": "NCHW", "channels": "rgb", "height": S, "width": S},
        "preprocess": {"resize": "stretch",
                       "normalization": {"scale": 255, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}},
        "outputs": {"logits": {"name": "logits", "activation": "sigmoid"},
                    "features": {"name": "features", "shape": [1024, G, G]}},
        "head": {"type": "gap_linear",
                 "layers": [{"weight": wname, "bias": bname, "weightLayout": layout, "activation": "none"}]},
        "sha256": sha,
        "thresholds": thresholds,
        "localizationPrior": prior,
        "provenance": {
            "createdBy": "training/reference/train.py + export.py", "run": run, "init": m["init"],
            "seed": m["seed"], "arch": arch, "trainedWith": {"torch": m.get("torch"), "device": m.get("device", "cpu")},
            "torch": torch.__version__, "onnx": onnx.__version__, "opset": 17,
            "trainedOn": "../shared/data/nih/images-256 (1,716 NIH ChestX-ray14 images)",
            "split": "training/reference/split.csv", "bestEpoch": m["best_epoch"],
            "epochsRun": len(m["epochs"]), "trainingMinutes": m["minutes"],
            "hyperparameters": {k: cfg[k] for k in ("size", "batch", "lr", "wd", "dropout", "patience", "budget_min")},
            "localizationPriorBoxes": n_boxes, "bnMomentum": cfg.get("bn_momentum", 0.01),
        },
        "modelCard": {
            "trainingData": (
                "1,716 frontal chest radiographs (NIH ChestX-ray14 subset, 256x256, 1,321 patients), split "
                "patient-wise and label-stratified 70/15/15: 1,204 train / 256 validation / 256 test images. "
                "Labels are the NIH text-mined image labels (noisy; reported label accuracy ~90 %). "
                + ("Backbone initialized from Keras MobileNet v1 ImageNet weights (TF.js conversion, conv_pw_13 "
                   "re-initialized: shard missing), then every weight fine-tuned by training/reference/train.py."
                   if m["init"] == "imagenet" else "Random initialization; every weight trained by train.py.")),
            "metrics": metrics,
            "intendedUse": "Research and reader studies on chest radiographs; not for diagnosis or any clinical decision.",
            "limitations": (
                "Trained on only 1,204 images. Test AUROCs rest on 256 images (212 patients) with few positives for "
                "rare findings (e.g. Hernia 3, Fibrosis 8, Emphysema 9): the 95 % intervals are wide and per-finding "
                "numbers for rare findings are close to meaningless. The MobileNet candidates of the sweep differ by "
                "less than one seed's spread (about 0.01 validation macro AUROC), so the choice among them is weak. "
                "NIH labels are text-mined and noisy; the images are 256x256 downscales. Not validated on other "
                "hospitals, devices, lateral views or pediatric images. Thresholds are max-F1 on 256 validation "
                "images and unstable."),
            "architecture": (
                f"MobileNet v1 (alpha 1.0, 13 depthwise-separable blocks, ReLU6, BN eps 1e-3 folded into convs)"
                + (", output stride 16 (block 12's depthwise stride 2 -> 1, so the final map is twice as fine)"
                   if G == S // 16 else "")
                + f", input {S}x{S} RGB (gray replicated), final block-13 feature map 1024x{G}x{G} -> global "
                "average pool -> dropout (training only) -> Linear(1024 -> 14), sigmoid per finding. ONNX opset 17."),
            "architectureSelection": sweep_card(args.sweep, run),
            "training": (
                f"BCE with per-class pos_weight (n_neg/n_pos, clipped to [1, 50]); Adam lr {cfg['lr']}, L2 {cfg['wd']}, "
                f"dropout {cfg['dropout']}, batch {cfg['batch']}, ReduceLROnPlateau on val macro AUROC, early stopping "
                f"patience {cfg['patience']}, best epoch by val macro AUROC ({m['best_epoch']} of {len(m['epochs'])}). "
                "Augmentation: rotation +-15 deg, translation +-6 %, scale 0.9-1.1, brightness/contrast jitter; no flips. "
                f"Trained on {m.get('device', 'cpu')} with torch {m.get('torch')} in {m['minutes']} min."
                + (f" Compared against the same pipeline from {other[0]} initialization (see metrics.init_comparison)."
                   if other else "")),
        },
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps({"run": run, "val": metrics["val"]["macro_auroc"], "test": metrics["test"]["macro_auroc"],
                      "test_ci": metrics["test"]["macro_auroc_ci95"], "init_comparison": cmp}, indent=1))
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB, sha256 {sha[:12]}...) and manifest.json")


if __name__ == "__main__":
    main()
