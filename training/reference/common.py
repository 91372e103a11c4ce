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
# the 8 findings NIH gives radiologist boxes for (issue 16's "box findings")
BOX_FINDINGS = ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia", "Pneumothorax"]
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


TENSOR_INDEX = "tensors.json"


def add_tensors_arg(ap):
    """`--tensors DIR`: read the app's model-input tensors (`cxr-lens preprocess`) instead of resizing with PIL."""
    ap.add_argument("--tensors", metavar="DIR", default=None,
                    help="model-input tensors written by `cxr-lens preprocess` (the app's own decode and "
                         "lanczos3 resize); without it images are resized with PIL's Lanczos, which differs")


def tensor_index(tensors):
    """The tensors.json `cxr-lens preprocess` writes beside the tensors, checked for what this loader reads."""
    path = Path(tensors) / TENSOR_INDEX
    if not path.is_file():
        raise SystemExit(f"{tensors}: no {TENSOR_INDEX}; write the folder with `cxr-lens preprocess --out {tensors}`")
    import json
    index = json.loads(path.read_text())
    if index.get("format") != "cxr-lens-model-inputs" or index.get("formatVersion") != 1:
        raise SystemExit(f"{path}: not a cxr-lens model-input index (format {index.get('format')!r})")
    if index.get("normalized") is not False or index.get("layout") != "CHW":
        raise SystemExit(f"{path}: this loader reads un-normalised CHW pixels, the index says otherwise")
    return index


def load_tensor(path):
    """One model-input tensor [C, H, W] as `cxr-lens preprocess` wrote it: uint8 pixels (8-bit sources)
    or float32 on the 8-bit scale (16-bit sources), before normalisation. numpy only: no torch, no PIL."""
    a = np.load(path, allow_pickle=False)
    if a.ndim != 3 or a.dtype not in (np.uint8, np.float32):
        raise ValueError(f"{path}: expected a [C, H, W] uint8 or float32 tensor, got {a.dtype} {a.shape}")
    return a


def load_app_tensors(names, size, tensors):
    """[N, size, size] gray, uint8 (float32 if any source was 16-bit): the app's pixels, read back
    exactly. An RGB model's tensor carries the gray image three times; the channels are checked
    equal and one is kept, since training feeds gray replicated to 3 channels (to_input)."""
    index = tensor_index(tensors)
    inp = index["input"]
    if (inp["height"], inp["width"]) != (size, size):
        raise SystemExit(f"{tensors}: tensors are {inp['height']}x{inp['width']} ({index['model']['id']} "
                         f"{index['model']['version']}), this run needs {size}x{size}")
    files = {e["image"]: e["file"] for e in index["images"]}
    missing = [n for n in names if n not in files]
    if missing:
        raise SystemExit(f"{tensors}: no tensor for {len(missing)} image(s), e.g. {missing[:3]}; "
                         "rerun `cxr-lens preprocess` with the split")
    arrays = []
    for n in names:
        a = load_tensor(Path(tensors) / files[n])
        if a.shape[1:] != (size, size) or (a != a[:1]).any():
            raise SystemExit(f"{tensors}/{files[n]}: not a gray {size}x{size} tensor (shape {a.shape}, "
                             "channels differ): the reference pipeline trains on gray images")
        arrays.append(a[0])
    dtype = np.float32 if any(a.dtype == np.float32 for a in arrays) else np.uint8
    return np.stack(arrays).astype(dtype, copy=False) if arrays else np.empty((0, size, size), dtype)


def normalize(pixels, normalization, channel=0):
    """The engine's normalisation of one channel's pixels, ((v / scale) - mean) / std in float64,
    rounded once to float32: bit for bit what src/main/model/preprocess.ts feeds the network for 8-bit
    sources. (train.py's to_input does the same maths in float32, within one float32 rounding of it.)"""
    mean, std = normalization["mean"], normalization["std"]
    x = np.asarray(pixels, dtype=np.float64) / normalization["scale"]
    return ((x - mean[min(channel, len(mean) - 1)]) / std[min(channel, len(std) - 1)]).astype(np.float32)


def load_images(names, size, tensors=None):
    """[N, size, size] gray pixels on the 8-bit scale. With `tensors` (a `cxr-lens preprocess` folder):
    the app's own model-input pixels, so training and evaluation see exactly what the engine feeds the
    model. Without: each 256x256 PNG resized with PIL's Lanczos, which differs from the app's libvips
    lanczos3 by up to 22 grey levels (the runs up to 2.0.0 were trained so)."""
    if tensors:
        return load_app_tensors(names, size, tensors)
    from PIL import Image
    out = np.empty((len(names), size, size), dtype=np.uint8)
    for i, n in enumerate(names):
        im = Image.open(DATA / "images-256" / n).convert("L")
        if im.size != (size, size):
            im = im.resize((size, size), Image.LANCZOS)
        out[i] = np.asarray(im)
    return out


def patient_subset(rows, fraction, seed):
    """Whole patients of `rows` ([(image, patient, ...)]), drawn in a seeded random order until the subset
    holds `fraction` of the rows' images (learning curves: no patient is split across the cut)."""
    by_patient = {}
    for r in rows:
        by_patient.setdefault(r[1], []).append(r)
    order = sorted(by_patient)
    np.random.default_rng(seed).shuffle(order)
    want = round(fraction * len(rows))
    chosen = []
    for p in order:
        if len(chosen) >= want:
            break
        chosen.extend(by_patient[p])
    keep = {r[0] for r in chosen}
    return [r for r in rows if r[0] in keep]
