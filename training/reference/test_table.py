"""The per-finding test table of scripts/boxFindingFigures.ts output (test.json): Grad-CAM IoU with its
patient-bootstrap 95% interval for each model, the fixed prior box's IoU, and T(IoBB >= 0.25) for each
model and the prior box, plus the means over the 8 box findings and the box-8 macro AUROC lines.

    python3 training/reference/test_table.py training/reference/runs/model3.1/test.json
"""
import json
import sys

t = json.load(open(sys.argv[1]))
models = t["models"]
findings = list(models[0]["localization_ci"].keys())
names = [m["version"] for m in models]


def ci(arm, key):
    e = arm[key]
    return f"{e['estimate']:.3f} [{e['ci95'][0]:.3f}, {e['ci95'][1]:.3f}]"


head = ["finding", "boxes"] + [f"{n} IoU [95 % CI]" for n in names] + ["prior box IoU"] + [f"{n} T(0.25)" for n in names] + ["prior T(0.25)"]
print("| " + " | ".join(head) + " |")
print("|" + " --- |" * len(head))
for f in findings:
    arms = [m["localization_ci"][f]["arms"] for m in models]
    row = [f, str(models[0]["iou_mean"][f]["n_boxes"])]
    row += [ci(a["model"], "iou_mean") for a in arms]
    row += [f"{arms[0]['prior']['iou_mean']['estimate']:.3f}"]
    row += [f"{a['model']['iobb_0.25']['estimate']:.2f}" for a in arms]
    row += [f"{arms[0]['prior']['iobb_0.25']['estimate']:.2f}"]
    print("| " + " | ".join(row) + " |")
row = ["**mean of 8**", ""] + [f"{m['mean_iou']['model']:.3f}" for m in models] + [f"{models[0]['mean_iou']['prior']:.3f}"]
row += [f"{m['mean_iobb_025']['model']:.3f}" for m in models] + [f"{models[0]['mean_iobb_025']['prior']:.3f}"]
print("| " + " | ".join(row) + " |")
print()
for m in models:
    a = m["macro_auroc_box8"]
    print(f"- {m['version']}: macro AUROC over the 8 box findings {a['estimate']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}], over 14 {m['macro_auroc_all']:.3f}; IoU above the prior for {m['findings_beating_prior_on_iou']} of 8")
if t.get("paired"):
    p = t["paired"]
    print(f"- paired difference ({p['what']}): {p['estimate']:.3f} [{p['ci95'][0]:.3f}, {p['ci95'][1]:.3f}]")
