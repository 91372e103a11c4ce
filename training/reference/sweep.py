"""Architecture / resolution / loss sweep for the reference model, selected by VALIDATION macro AUROC.

  python3 training/reference/sweep.py --runs-dir /tmp/sweep --parallel 18   # on a CUDA machine
  python3 training/reference/sweep.py --only mnv1-192 --seeds 0              # one config, anywhere

Every config is the same train.py pipeline (split, augmentation, Adam 1e-4, ReduceLROnPlateau, early
stopping) with one thing changed. ImageNet-initialized MobileNet candidates run with three seeds, because
one seed's validation AUROC on 256 images moves by about +-0.01; the others run once, as reference
points. Test AUROC is recorded for the model card but never used to choose. The summary
(sweep-summary.json) lists per config: mean and s.d. of the best validation macro AUROC over seeds,
the validation macro AUROC over the 8 findings that have radiologist boxes, the mean test macro AUROC,
epochs and minutes. Only configs in models.CPU_HOUR_CLASS are eligible to ship.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import BOX_FINDINGS, FINDINGS, per_finding_auroc, macro
from models import CPU_HOUR_CLASS

HERE = Path(__file__).resolve().parent
CANDIDATE_SEEDS = [0, 1, 2]
# name: (arch, init, size, loss, extra args)
CONFIGS = {
    "mnv1-192": ("mnv1", "imagenet", 192, "bce", []),
    "mnv1-256": ("mnv1", "imagenet", 256, "bce", []),
    "mnv1os16-192": ("mnv1-os16", "imagenet", 192, "bce", []),
    "mnv1os16-256": ("mnv1-os16", "imagenet", 256, "bce", []),
    "mnv1-256-focal": ("mnv1", "imagenet", 256, "focal", []),
    "mnv1-256-random": ("mnv1", "random", 256, "bce", ["--bn-momentum", "0.1"]),
    "resnet50-256-random": ("resnet50", "random", 256, "bce", ["--bn-momentum", "0.1"]),
    "densenet121-256-random": ("densenet121", "random", 256, "bce", ["--bn-momentum", "0.1"]),
}


def seeds_for(name, args):
    if args.seeds is not None:
        return args.seeds
    return CANDIDATE_SEEDS if CONFIGS[name][1] == "imagenet" else [0]


def box_macro(run_dir, split):
    d = np.load(run_dir / f"preds_{split}.npz")
    pf = per_finding_auroc(d["y"], d["p"])
    return macro({f: pf[f] for f in BOX_FINDINGS})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs-dir", default=str(HERE / "runs" / "sweep"))
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--only", nargs="+", choices=sorted(CONFIGS))
    ap.add_argument("--seeds", nargs="+", type=int)
    ap.add_argument("--copy-best", nargs=2, metavar=("DIR", "N"),
                    help="copy best.pt of the best seed of the N best eligible configs to DIR/<run>.pt")
    ap.add_argument("--copy-configs", nargs="+", metavar="NAME",
                    help="with --copy-best: copy these configs' best seeds instead of the N best")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="passed to every train.py")
    args = ap.parse_args()
    runs_dir = Path(args.runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for name in args.only or CONFIGS:
        arch, init, size, loss, extra = CONFIGS[name]
        for seed in seeds_for(name, args):
            run = f"{name}-s{seed}"
            cmd = [sys.executable, str(HERE / "train.py"), "--arch", arch, "--init", init, "--size", str(size),
                   "--loss", loss, "--seed", str(seed), "--name", run, "--runs-dir", str(runs_dir),
                   "--threads", "1", *extra, *args.extra]
            jobs.append((name, run, cmd))
    t0 = time.time()
    running, pending = [], list(jobs)
    while pending or running:
        while pending and len(running) < args.parallel:
            name, run, cmd = pending.pop(0)
            log = open(runs_dir / f"{run}.out", "w")
            running.append((run, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=HERE)))
        time.sleep(2)
        for r in list(running):
            if r[1].poll() is not None:
                running.remove(r)
                print(f"[{time.time() - t0:6.0f}s] {r[0]} exit {r[1].returncode}", flush=True)
    summary = {}
    for name in args.only or CONFIGS:
        vals, tests, vbox, tbox, epochs, minutes, failed = [], [], [], [], [], [], []
        for seed in seeds_for(name, args):
            rd = runs_dir / f"{name}-s{seed}"
            mp = rd / "metrics.json"
            m = json.loads(mp.read_text()) if mp.exists() else {}
            if not m.get("final"):
                failed.append(seed)
                continue
            vals.append(m["final"]["val"]["macro_auroc"])
            tests.append(m["final"]["test"]["macro_auroc"])
            vbox.append(box_macro(rd, "val"))
            tbox.append(box_macro(rd, "test"))
            epochs.append(len(m["epochs"]))
            minutes.append(m["minutes"])
        arch, init, size, loss, _ = CONFIGS[name]
        summary[name] = {
            "arch": arch, "init": init, "size": size, "loss": loss, "seeds": seeds_for(name, args),
            "failed_seeds": failed, "eligible_to_ship": arch in CPU_HOUR_CLASS,
            "val_macro_auroc_mean": float(np.mean(vals)) if vals else None,
            "val_macro_auroc_sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else None,
            "val_macro_auroc_per_seed": vals, "val_box8_macro_auroc_mean": float(np.mean(vbox)) if vbox else None,
            "test_macro_auroc_mean": float(np.mean(tests)) if tests else None,
            "test_box8_macro_auroc_mean": float(np.mean(tbox)) if tbox else None,
            "epochs": epochs, "minutes": minutes,
        }
    ok = {k: v for k, v in summary.items() if v["eligible_to_ship"] and v["val_macro_auroc_mean"] is not None}
    chosen = max(ok, key=lambda k: ok[k]["val_macro_auroc_mean"]) if ok else None
    out = {"selected_by": "mean validation macro AUROC over seeds, among eligible configs", "chosen": chosen,
           "configs": summary, "wall_minutes": round((time.time() - t0) / 60, 2)}
    (runs_dir / "sweep-summary.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    if args.copy_best:
        import shutil
        dest, n = Path(args.copy_best[0]), int(args.copy_best[1])
        dest.mkdir(parents=True, exist_ok=True)
        picks = args.copy_configs or sorted(ok, key=lambda k: -ok[k]["val_macro_auroc_mean"])[:n]
        for name in picks:
            seeds = [s for s in ok[name]["seeds"] if s not in ok[name]["failed_seeds"]]
            best_seed = seeds[int(np.argmax(ok[name]["val_macro_auroc_per_seed"]))]
            run = f"{name}-s{best_seed}"
            shutil.copy(runs_dir / run / "best.pt", dest / f"{run}.pt")
            print(f"copied {run}/best.pt", flush=True)


if __name__ == "__main__":
    main()
