"""Patient-wise, label-stratified 70/15/15 train/val/test split -> training/reference/split.csv.

Iterative stratification (Sechidis et al. 2011) over PATIENTS: each patient is one unit carrying the
per-finding image counts of all its images (plus 'No Finding'), so no patient straddles two splits.
Repeatedly take the label with the fewest remaining positive images, and give each patient holding
it to the split that still wants most of that label (ties: the split wanting most images overall,
then a seeded random choice). Deterministic for a given seed.
  usage: python3 training/reference/split.py [--seed 20260101]
"""
import argparse
import csv
from collections import defaultdict

import numpy as np

from common import FINDINGS, SPLIT_CSV, read_labels

SPLITS = ["train", "val", "test"]
RATIOS = np.array([0.70, 0.15, 0.15])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20260101)
    args = ap.parse_args()
    rng = np.random.RandomState(args.seed)
    rows = read_labels()
    by_pat = defaultdict(list)
    for img, pat, y in rows:
        by_pat[pat].append((img, y))
    pats = sorted(by_pat, key=int)
    # per patient: counts over 14 findings + No Finding (column 14)
    L = len(FINDINGS) + 1
    cnt = np.zeros((len(pats), L))
    nimg = np.zeros(len(pats))
    for i, p in enumerate(pats):
        for _, y in by_pat[p]:
            cnt[i, :-1] += y
            cnt[i, -1] += 1 if y.sum() == 0 else 0
        nimg[i] = len(by_pat[p])
    want_lab = RATIOS[:, None] * cnt.sum(0)[None, :]  # [3, L]
    want_img = RATIOS * nimg.sum()
    assign = -np.ones(len(pats), dtype=int)
    order = rng.permutation(len(pats))
    while (assign < 0).any():
        left = assign < 0
        rem = cnt[left].sum(0)
        rem[rem == 0] = np.inf
        lab = int(np.argmin(rem))
        if np.isinf(rem[lab]):  # only patients without any label left (cannot happen: No Finding col)
            cand = [i for i in order if assign[i] < 0]
        else:
            cand = [i for i in order if assign[i] < 0 and cnt[i, lab] > 0]
        for i in cand:
            score = [(want_lab[s, lab], want_img[s], rng.rand()) for s in range(3)]
            s = max(range(3), key=lambda k: score[k])
            assign[i] = s
            want_lab[s] -= cnt[i]
            want_img[s] -= nimg[i]
    with open(SPLIT_CSV, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["image", "patient", "split"])
        for i in np.argsort([int(p) for p in pats], kind="stable"):
            for img, _ in sorted(by_pat[pats[i]]):
                w.writerow([img, pats[i], SPLITS[assign[i]]])
    # report
    print(f"{len(rows)} images, {len(pats)} patients")
    print(f"{'':20s}" + "".join(f"{s:>8s}" for s in SPLITS))
    print(f"{'patients':20s}" + "".join(f"{(assign == s).sum():8d}" for s in range(3)))
    print(f"{'images':20s}" + "".join(f"{int(nimg[assign == s].sum()):8d}" for s in range(3)))
    for j, name in enumerate(FINDINGS + ["No Finding"]):
        print(f"{name:20s}" + "".join(f"{int(cnt[assign == s, j].sum()):8d}" for s in range(3)))


if __name__ == "__main__":
    main()
