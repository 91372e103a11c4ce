"""End-to-end check of the shipped package through the app's engine (onnxruntime-node + sharp).

Imports N validation images and the package into a throw-away data folder with the CLI, runs
`cxr-lens infer`, and compares the engine's probabilities with PyTorch's on the same images
(PyTorch side: PIL Lanczos resize, the run's best.pt). Small differences come from sharp's vs PIL's
Lanczos resampling only.
  usage: python3 training/reference/check_engine.py [--n 8]
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

from common import DATA, FINDINGS, REPO, RUNS, load_images, read_split
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
    args = ap.parse_args()
    pkg = Path(args.pkg)
    man = json.loads((pkg / "manifest.json").read_text())
    S = man["input"]["height"]
    names = sorted(n for n, s in read_split().items() if s == "val")[:args.n]
    tmp = tempfile.mkdtemp(prefix="cxr-engine-check-")
    os.makedirs(f"{tmp}/img")
    for n in names:
        os.symlink(DATA / "images-256" / n, f"{tmp}/img/{n}")
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
    listing = cli("models", "--json", "--data-dir", data)
    out = json.loads(cli("infer", "--model", man["id"], "--all", "--threads", "2", "--json", "--data-dir", data))
    eng = {c["image"]: [c["probabilities"][f] for f in FINDINGS] for c in out["cases"]}

    model = build_model(man["provenance"].get("arch", "mnv1"), len(FINDINGS), 0.0, 0.01)
    model.load_state_dict(torch.load(RUNS / man["provenance"]["run"] / "best.pt", map_location="cpu"))
    model.eval()
    x = load_images(names, S).astype(np.float32) / 255.0
    x = torch.from_numpy(np.repeat(((x - 0.5) / 0.5)[:, None], 3, axis=1))
    with torch.no_grad():
        p = torch.sigmoid(model(x)[1]).numpy()
    e = np.array([eng[n] for n in names])
    print(f"engine model {out['model']['id']} {out['model']['sha256'][:12]} provider {out['provider']}; "
          f"{len(names)} val images")
    print(f"max |p_engine - p_torch| = {np.abs(e - p).max():.4f}, mean {np.abs(e - p).mean():.4f}")
    assert man["id"] in listing
    assert np.abs(e - p).max() < 0.05, "engine and torch disagree"
    print("OK")


if __name__ == "__main__":
    main()
