"""Choose the model to ship from the sweep, on validation data only, and record why (runs/selection.json).

  /usr/bin/python3 training/reference/select_model.py            # then: export.py --run <chosen run>

1. Eligible: the issue's budget, "what two CPU cores train in under an hour": the measured CPU epoch
   time of the config (runs/cpu-cost.json, cpu_cost.py) times the most epochs any of its seeds ran
   before early stopping must be at most 60 minutes. ImageNet-initialized configs only (random init
   is a reference point).
2. Best mean validation macro AUROC among the eligible; every eligible config whose mean lies within
   one standard error of that best mean (its seeds' s.d. / sqrt(seeds): the one-standard-error rule of
   Breiman et al.) is tied with it: seed noise cannot tell them apart.
3. Ties are broken by what the model is for, explanations: each tied config's best validation seed is
   exported (export.py) and evaluated by the app (`cxr-lens evaluate --split val`, Grad-CAM, Otsu);
   the highest mean pointing-game hit rate over the 8 findings with radiologist boxes wins, then mean
   IoU. The test split is never read here.
"""
import json
import subprocess
import tempfile
from pathlib import Path

from common import BOX_FINDINGS, REPO, RUNS

SWEEP = RUNS / "sweep"
NIH = REPO.parent / "shared" / "data" / "nih"


def cost_key(c):
    return f"{'mnv1os16' if c['arch'] == 'mnv1-os16' else c['arch']}-{c['size']}"


def cli(*args):
    r = subprocess.run(["node", "out/main/cli.js", *args], cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"cxr-lens {' '.join(args[:2])} failed: {r.stderr[-1500:]}")
    return r.stdout


def val_localization(name, run, work):
    pkg = work / name
    subprocess.run(["/usr/bin/python3", str(Path(__file__).parent / "export.py"), "--run", f"sweep/{run}",
                    "--out", str(pkg), "--version", f"0.0.0-candidate.{name}"], check=True, capture_output=True)
    data = work / f"data-{name}"
    cli("models", "import", str(pkg), "--data-dir", str(data))
    out = work / f"{name}.json"
    cli("evaluate", "--images", str(NIH / "images-256"), "--labels", str(NIH / "labels.csv"), "--boxes",
        str(NIH / "BBox_List_dev.csv"), "--model", "cxr-mobilenet-v1", "--version", f"0.0.0-candidate.{name}",
        "--split-file", "training/reference/split.csv", "--split", "val", "--method", "gradcam",
        "--out", str(out), "--data-dir", str(data))
    loc = json.loads(out.read_text())["localization"]
    found = [f for f in BOX_FINDINGS if f in loc and loc[f]["n_boxes"]]
    return {"hit_rate_mean": sum(loc[f]["hit_rate"] for f in found) / len(found),
            "iou_mean": sum(loc[f]["iou_mean"] for f in found) / len(found),
            "iobb01_mean": sum(loc[f]["iobb_acc"]["0.1"] for f in found) / len(found),
            "findings": len(found), "boxes": sum(loc[f]["n_boxes"] for f in found)}


def main():
    subprocess.run(["node", "scripts/ensure-built.mjs"], cwd=REPO, check=True)
    sweep = json.loads((SWEEP / "sweep-summary.json").read_text())["configs"]
    cost = json.loads((RUNS / "cpu-cost.json").read_text())["candidates"]
    rows = {}
    for name, c in sweep.items():
        if c["init"] != "imagenet" or cost_key(c) not in cost:
            continue
        minutes = cost[cost_key(c)]["epoch_s"] * max(c["epochs"]) / 60
        rows[name] = {"val_macro_auroc_mean": c["val_macro_auroc_mean"], "val_sd": c["val_macro_auroc_sd"],
                      "cpu_epoch_s": cost[cost_key(c)]["epoch_s"], "epochs_max": max(c["epochs"]),
                      "cpu_minutes": round(minutes, 1), "eligible": minutes <= 60}
    eligible = {k: v for k, v in rows.items() if v["eligible"]}
    best = max(eligible, key=lambda k: eligible[k]["val_macro_auroc_mean"])
    se = eligible[best]["val_sd"] / len(sweep[best]["val_macro_auroc_per_seed"]) ** 0.5
    tied = [k for k, v in eligible.items() if eligible[best]["val_macro_auroc_mean"] - v["val_macro_auroc_mean"] <= se]
    work = Path(tempfile.mkdtemp(prefix="cxr-select-"))
    for name in tied:
        c = sweep[name]
        seeds = [s for s in c["seeds"] if s not in c["failed_seeds"]]
        run = f"{name}-s{seeds[max(range(len(seeds)), key=lambda i: c['val_macro_auroc_per_seed'][i])]}"
        rows[name]["best_seed_run"] = run
        rows[name]["val_localization"] = val_localization(name, run, work)
        print(name, rows[name], flush=True)
    chosen = max(tied, key=lambda k: (rows[k]["val_localization"]["hit_rate_mean"], rows[k]["val_localization"]["iou_mean"]))
    result = {"rule": __doc__.strip().split("\n\n", 2)[2], "best_by_auroc": best, "standard_error": se,
              "tied": tied, "chosen": chosen,
              "chosen_run": f"sweep/{rows[chosen]['best_seed_run']}", "configs": rows}
    (RUNS / "selection.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({"chosen": chosen, "run": result["chosen_run"], "tied": tied}))


if __name__ == "__main__":
    main()
