"""Train the reference CXR model: MobileNet v1 -> GAP -> dropout -> Linear(1024 -> 14), multi-label.

  python3 training/reference/train.py --init imagenet --name mnv1-imagenet
  python3 training/reference/train.py --init random   --name mnv1-random --bn-momentum 0.1

Input: the whole image stretched to SIZE x SIZE (the app's 'stretch' preprocessing; no crop): with
--tensors DIR the app's own pixels (`cxr-lens preprocess`: libvips lanczos3, exactly what the engine
feeds), else PIL's Lanczos (runs up to 2.0.0),
gray -> 3 identical channels, (x/255 - 0.5)/0.5. Train augmentation (batched, on tensors): rotation
+-15 deg, translation +-6 %, scale 0.9-1.1, brightness +-0.1, contrast x0.8-1.2; no horizontal flip
(laterality matters: heart on the left, etc.).

Loss: BCE-with-logits with per-class pos_weight = n_neg / n_pos on the training split (clipped to
[1, 50]). Chosen over focal loss because AUROC is threshold-free and only needs the rare classes'
gradients not to be swamped; pos_weight does that with no extra hyper-parameter to tune (focal's
gamma/alpha would need tuning runs this compute budget cannot afford).

BatchNorm running-stat momentum: 0.01 (Keras' 0.99) for the ImageNet init, whose running statistics
start converged; 0.1 (PyTorch default) for the random init, because with 0.01 the running statistics
of a randomly initialized network were still far off after 2 epochs (150 steps) and the eval-mode
network output a constant (val AUROC exactly 0.500). Only eval-mode statistics differ; the training
gradients (batch statistics) do not depend on it.

Optimizer Adam lr 1e-4, L2 weight decay 1e-5, dropout 0.3, ReduceLROnPlateau(max, factor 0.3,
patience 1) on validation macro AUROC, early stopping (patience 3), best checkpoint by validation
macro AUROC. A wall-clock budget (--budget-min) stops training before an epoch that would not fit.
Outputs under training/reference/runs/<name>/: log.txt, best.pt, preds_val.npz, preds_test.npz,
metrics.json (committed).
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from common import FINDINGS, RUNS, TFJS, add_tensors_arg, load_images, macro, per_finding_auroc, patient_subset, read_labels, read_split
from mobilenet import load_tfjs_backbone
from models import ARCHS, build_model, focal_bce


def log(fh, *a):
    s = " ".join(str(x) for x in a)
    print(s, flush=True)
    fh.write(s + "\n")
    fh.flush()


def to_input(u8, device="cpu"):
    """uint8 [B,S,S] tensor -> float [B,3,S,S] normalized like Keras MobileNet ([-1, 1])."""
    x = u8.to(device).float().div_(255.0).unsqueeze(1)
    return ((x - 0.5) / 0.5).expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)


def augment(u8, gen, device="cpu"):
    """Random parameters always come from the CPU generator (same draws on CPU and GPU runs); the
    warp itself runs wherever the batch is."""
    B, S, _ = u8.shape
    x = u8.to(device).float().div_(255.0).unsqueeze(1)
    ang = (torch.rand(B, generator=gen) * 2 - 1) * math.radians(15)
    sc = 1.0 / (0.9 + 0.2 * torch.rand(B, generator=gen))  # sampling-grid scale = 1 / zoom
    tx = (torch.rand(B, generator=gen) * 2 - 1) * 0.12  # normalized coords: +-6 % of the width
    ty = (torch.rand(B, generator=gen) * 2 - 1) * 0.12
    cos, sin = torch.cos(ang) * sc, torch.sin(ang) * sc
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(device)
    grid = F.affine_grid(theta, (B, 1, S, S), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    contrast = (0.8 + 0.4 * torch.rand(B, 1, 1, 1, generator=gen)).to(device)
    bright = ((torch.rand(B, 1, 1, 1, generator=gen) * 2 - 1) * 0.1).to(device)
    mean = x.mean(dim=(2, 3), keepdim=True)
    x = ((x - mean) * contrast + mean + bright).clamp_(0, 1)
    return ((x - 0.5) / 0.5).expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def predict(model, X, bs=64, device="cpu"):
    model.eval()
    out = []
    for i in range(0, len(X), bs):
        out.append(torch.sigmoid(model(to_input(X[i:i + bs], device))[1]).cpu())
    return torch.cat(out).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", choices=["imagenet", "random"], required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--arch", choices=ARCHS, default="mnv1")
    ap.add_argument("--loss", choices=["bce", "focal"], default="bce")
    ap.add_argument("--device", default="auto", help="auto (cuda when available), cpu or cuda")
    ap.add_argument("--runs-dir", default=str(RUNS), help="where runs/<name>/ is written")
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--wd", type=float, default=1e-5)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--max-epochs", type=int, default=40)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--budget-min", type=float, default=50.0, help="wall-clock budget for the epoch loop")
    ap.add_argument("--bn-momentum", type=float, default=0.01,
                    help="BatchNorm running-stat momentum (PyTorch convention); 0.01 = Keras 0.99")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="debug: stop an epoch after N steps")
    ap.add_argument("--train-fraction", type=float, default=1.0,
                    help="learning curve: train on a patient-wise random subset holding this fraction of the train split")
    ap.add_argument("--subset-seed", type=int, default=20261202, help="the subset's draw (--train-fraction)")
    add_tensors_arg(ap)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    if args.init == "imagenet" and not args.arch.startswith("mnv1"):
        sys.exit(f"--init imagenet: only the MobileNet v1 backbone has offline ImageNet weights, not {args.arch}")
    out = Path(args.runs_dir) / args.name
    out.mkdir(parents=True, exist_ok=True)
    fh = open(out / "log.txt", "a")
    t0 = time.time()
    log(fh, f"== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(sys.argv)}")
    log(fh, f"torch {torch.__version__} threads {torch.get_num_threads()} device {device} args {vars(args)}")

    split = read_split()
    rows = read_labels()
    data = {}
    for s in ("train", "val", "test"):
        sel = [r for r in rows if split[r[0]] == s]
        if s == "train" and args.train_fraction < 1:
            sel = patient_subset(sel, args.train_fraction, args.subset_seed)
        names = [r[0] for r in sel]
        data[s] = (names, torch.from_numpy(load_images(names, args.size, args.tensors)), np.stack([r[2] for r in sel]))
        log(fh, f"{s}: {len(names)} images, positives {data[s][2].sum(0).astype(int).tolist()}")
    Xtr, Ytr = data["train"][1], torch.from_numpy(data["train"][2])
    pos = Ytr.sum(0)
    pos_weight = ((len(Ytr) - pos) / pos.clamp(min=1)).clamp(1, 50)
    Ytr = Ytr.to(device)
    log(fh, "pos_weight", [round(float(v), 2) for v in pos_weight])

    model = build_model(args.arch, len(FINDINGS), args.dropout, args.bn_momentum)
    if args.init == "imagenet":
        reinit = load_tfjs_backbone(model, TFJS, verbose=False)
        log(fh, f"ImageNet backbone loaded from {TFJS}; re-initialized (missing shard): {reinit}")
    model = model.to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.wd)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.3, patience=1)
    pos_weight = pos_weight.to(device)
    if args.loss == "focal":
        def crit(logits, y):
            return focal_bce(logits, y, pos_weight)
    else:
        crit = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)

    history, best, best_epoch, bad = [], -1.0, -1, 0
    epoch_times = []
    for epoch in range(1, args.max_epochs + 1):
        elapsed = time.time() - t0
        est = max(epoch_times) if epoch_times else 0
        if elapsed + est > args.budget_min * 60:
            log(fh, f"stop: time budget ({args.budget_min} min) would be exceeded by epoch {epoch}")
            break
        te = time.time()
        model.train()
        perm = torch.randperm(len(Xtr), generator=gen)
        losses = []
        nsteps = len(perm) // args.batch  # drop the last partial batch (BN)
        for k in range(nsteps):
            idx = perm[k * args.batch:(k + 1) * args.batch]
            x = augment(Xtr[idx], gen, device)
            _, logits = model(x)
            loss = crit(logits, Ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if k % 20 == 0:
                log(fh, f"  epoch {epoch} step {k}/{nsteps} loss {np.mean(losses[-20:]):.4f} "
                        f"({time.time() - te:.0f}s)")
            if args.max_steps and k + 1 >= args.max_steps:
                break
        Pv = predict(model, data["val"][1], device=device)
        va = per_finding_auroc(data["val"][2], Pv)
        vm = macro(va)
        sched.step(vm)
        epoch_times.append(time.time() - te)
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val_macro_auroc": vm,
                        "lr": opt.param_groups[0]["lr"], "seconds": round(epoch_times[-1], 1)})
        improved = vm > best
        if improved:
            best, best_epoch, bad = vm, epoch, 0
            torch.save(model.state_dict(), out / "best.pt")
        else:
            bad += 1
        log(fh, f"epoch {epoch}: train loss {np.mean(losses):.4f} val macro AUROC {vm:.4f} "
                f"{'*best*' if improved else ''} lr {opt.param_groups[0]['lr']:.2e} ({epoch_times[-1]:.0f}s, "
                f"total {(time.time() - t0) / 60:.1f} min)")
        write_metrics(out, args, history, best, best_epoch, t0, None)
        if bad >= args.patience:
            log(fh, f"early stop: no improvement for {args.patience} epochs")
            break

    model.load_state_dict(torch.load(out / "best.pt"))
    final = {}
    for s in ("val", "test"):
        P = predict(model, data[s][1], device=device)
        np.savez(out / f"preds_{s}.npz", names=np.array(data[s][0]), y=data[s][2], p=P)
        pf = per_finding_auroc(data[s][2], P)
        final[s] = {"macro_auroc": macro(pf), "per_finding_auroc": pf}
        log(fh, f"best epoch {best_epoch} {s} macro AUROC {macro(pf):.4f} " +
            " ".join(f"{f}={v:.3f}" for f, v in pf.items()))
    write_metrics(out, args, history, best, best_epoch, t0, final)
    log(fh, f"done in {(time.time() - t0) / 60:.1f} min")


def write_metrics(out, args, history, best, best_epoch, t0, final):
    m = {"name": args.name, "init": args.init, "arch": args.arch, "seed": args.seed, "config": vars(args),
         "torch": torch.__version__, "device": torch.cuda.get_device_name(0) if args.device != "cpu" and
         torch.cuda.is_available() else "cpu", "epochs": history, "best_epoch": best_epoch,
         "best_val_macro_auroc": best, "minutes": round((time.time() - t0) / 60, 2), "final": final}
    (out / "metrics.json").write_text(json.dumps(m, indent=1))


if __name__ == "__main__":
    main()
