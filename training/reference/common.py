"""Shared constants and data helpers of the reference training pipeline."""
import csv
import os
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DATA = Path(os.environ.get("CXR_NIH_DIR", REPO.parent / "shared" / "data" / "nih"))
TFJS = Path(os.environ.get("CXR_TFJS_DIR", REPO.parent / "shared" / "models" / "mobilenet-v1-imagenet-tfjs"))
SPLIT_CSV = HERE / "split.csv"
RUNS = HERE / "runs"

FINDINGS = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
            "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"]
BOX_LABEL_TO_FINDING = {"Infiltrate": "Infiltration"}


def read_labels():
    """[(image, patient, label_vector[14])] for the images present in images-256, in file order."""
    present = {p.name for p in (DATA / "images-256").glob("*.png")}
    rows = []
    with open(DATA / "labels.csv", newline="") as f:
        for r in csv.DictReader(f):
            img = r["Image Index"]
            if img not in present:
                continue
            labels = set(r["Finding Labels"].split("|"))
            unknown = labels - set(FINDINGS) - {"No Finding"}
            assert not unknown, (img, unknown)
            y = np.array([1 if f_ in labels else 0 for f_ in FINDINGS], dtype=np.float32)
            rows.append((img, r["Patient ID"], y))
    return rows


def read_split():
    with open(SPLIT_CSV, newline="") as f:
        return {r["image"]: r["split"] for r in csv.DictReader(f)}


def read_boxes():
    """[(image, finding, x, y, w, h)] in original 1024x1024 pixels."""
    out = []
    with open(DATA / "BBox_List_dev.csv", newline="") as f:
        rd = csv.reader(f)
        next(rd)
        for r in rd:
            lab = BOX_LABEL_TO_FINDING.get(r[1], r[1])
            out.append((r[0], lab, *map(float, r[2:6])))
    return out


def auroc(y, s):
    """Area under the ROC curve via the Mann-Whitney U statistic (ties get mid-ranks). NaN if one class."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, dtype=np.float64)
    npos, nneg = int(y.sum()), int((~y).sum())
    if npos == 0 or nneg == 0:
        return float("nan")
    uniq, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # 1-based rank of the last element of each tie group
    mid = last - (counts - 1) / 2.0
    ranks = mid[inv]
    return float((ranks[y].sum() - npos * (npos + 1) / 2.0) / (npos * nneg))


def per_finding_auroc(Y, P):
    return {f: auroc(Y[:, j], P[:, j]) for j, f in enumerate(FINDINGS)}


def macro(d):
    v = [x for x in d.values() if x == x]
    return float(np.mean(v)) if v else float("nan")


def load_images(names, size):
    """uint8 [N, size, size]: each 256x256 PNG resized with Lanczos (as the app's sharp 'lanczos3'
    stretch resize does), so training/evaluation see what the engine feeds the model."""
    from PIL import Image
    out = np.empty((len(names), size, size), dtype=np.uint8)
    for i, n in enumerate(names):
        im = Image.open(DATA / "images-256" / n).convert("L")
        if im.size != (size, size):
            im = im.resize((size, size), Image.LANCZOS)
        out[i] = np.asarray(im)
    return out
