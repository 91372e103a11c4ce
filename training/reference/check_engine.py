"""End-to-end check of the shipped package through the app's engine (onnxruntime-node + sharp).

Imports N validation images and the package into throw-away data folders with the CLI, runs
`cxr-lens infer`, and compares the engine's probabilities with PyTorch's (the run's best.pt) twice:
on the same pixels (images resized by PIL beforehand, so the app does not resample: the network
itself, must agree to 1e-4), and on the 256x256 originals that the app resizes with sharp's lanczos3.
Without --tensors torch sees PIL's Lanczos (how the runs up to 2.0.0 were trained: the preprocessing
gap, reported and loosely bounded); with --tensors DIR (`cxr-lens preprocess`) torch sees the app's
own pixels, and the whole path must then agree to 1e-4 as well.
When the run's best.pt is not on this machine (`--weights onnx`, the default then) torch runs the
package's model.onnx with its own ops (onnx_torch.py): the shipped weights, BN folded.
  usage: python3 training/reference/check_engine.py [--n 8] [--tensors DIR] [--weights best|onnx]
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from common import DATA, FINDINGS, REPO, RUNS, add_tensors_arg, load_images, read_split
from models import build_model

PKG = REPO / "resources" / "models" / "cxr-mobilenet-v1"


def cli(*args):
    r = subprocess.run(["npx", "tsx", "src/main/cli/cliMain.ts", *args], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--pkg", default=str(PKG))
    ap.add_argument("--weights", choices=["best", "onnx"], default=None,
                    help="torch weights: the run's best.pt (default when present) or the package's model.onnx")
    add_tensors_arg(ap)
    args = ap.parse_args()
    pkg = Path(args.pkg)
    man = json.loads((pkg / "manifest.json").read_text())
    S = man["input"]["height"]
    names = sorted(n for n, s in read_split().items() if s == "val")[:args.n]
    best = RUNS / man["provenance"]["run"] / "best.pt"
    weights = args.weights or ("best" if best.exists() else "onnx")
    pixels = load_images(names, S, args.tensors)
    x = np.repeat(((pixels.astype(np.float32) / 255.0 - 0.5) / 0.5)[:, None], 3, axis=1)
    if weights == "best":
        model = build_model(man["provenance"].get("arch", "mnv1"), len(FINDINGS), 0.0, 0.01)
        model.load_state_dict(torch.load(best, map_location="cpu"))
        model.eval()
        with torch.no_grad():
            p = torch.sigmoid(model(torch.from_numpy(x))[1]).numpy()
    else:
        from onnx_torch import run_onnx_torch
        p = 1 / (1 + np.exp(-run_onnx_torch(pkg / "model.onnx", x, ("logits",))["logits"].astype(np.float64)))

    # (1) The network: the same pixels on both sides (images already resized by PIL, so the app does
    # not resample them) must give the same probabilities up to float rounding.
    from PIL import Image
    same = {}
    for n, img in zip(names, pixels.astype(np.uint8)):
        same[n] = Image.fromarray(img)
    e_same, out = engine_probabilities(man, pkg, names, lambda n, path: same[n].save(path))
    d_net = np.abs(e_same - p).max()
    # (2) The whole path: the app resizes the 256x256 originals itself (sharp lanczos3), training used
    # PIL's Lanczos; the difference is reported, and bounded loosely.
    e_app, _ = engine_probabilities(man, pkg, names, lambda n, path: os.symlink(DATA / "images-256" / n, path))
    d_app = np.abs(e_app - p)
    print(f"engine model {out['model']['id']} {out['model']['sha256'][:12]} provider {out['provider']}; "
          f"{len(names)} val images; torch weights: {weights}; torch input: "
          f"{'the app tensors in ' + args.tensors if args.tensors else 'PIL Lanczos'}")
    print(f"same pixels: max |p_engine - p_torch| = {d_net:.2e}")
    print(f"app resize (sharp) vs torch on {'the app tensors' if args.tensors else 'PIL'}: "
          f"max |p_engine - p_torch| = {d_app.max():.2e}, mean {d_app.mean():.2e}")
    assert d_net < 1e-4, "engine and torch disagree on the same pixels"
    if args.tensors:
        assert d_app.max() < 1e-4, "torch fed the app's tensors disagrees with the engine: not one resampler"
    else:
        assert d_app.max() < 0.1, "sharp's and PIL's resampling differ more than expected"
    print("OK")


def engine_probabilities(man, pkg, names, write_image):
    """Import `names` (written by write_image(name, path)) into a throw-away data folder and infer."""
    tmp = tempfile.mkdtemp(prefix="cxr-engine-check-")
    os.makedirs(f"{tmp}/img")
    for n in names:
        write_image(n, f"{tmp}/img/{n}")
    with open(DATA / "labels.csv", newline="") as f, open(f"{tmp}/labels.csv", "w", newline="") as g:
        rd, w = csv.reader(f), csv.writer(g)
        w.writerow(next(rd))
        for r in rd:
            if r[0] in names:
                w.writerow(r)
    data = f"{tmp}/data"
    cli("import", "--images", f"{tmp}/img", "--labels", f"{tmp}/labels.csv", "--data-dir", data)
    if pkg.resolve() != PKG.resolve():  # not the bundled one: import it into the data folder
        cli("models", "import", str(pkg), "--data-dir", data)
    assert man["id"] in cli("models", "--json", "--data-dir", data)
    out = json.loads(cli("infer", "--model", man["id"], "--version", man["version"], "--all", "--threads", "2",
                         "--json", "--data-dir", data))
    eng = {c["image"]: [c["probabilities"][f] for f in FINDINGS] for c in out["cases"]}
    return np.array([eng[n] for n in names]), out


if __name__ == "__main__":
    main()
