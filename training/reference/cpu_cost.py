"""Seconds per training epoch on this machine's CPU for the sweep's MobileNet candidates, measured, not
estimated from FLOPs: times N real training steps (batch 16, augmentation, Adam) and one validation
pass (256 images), then scales the steps to an epoch of the 1,204-image training split. Writes runs/cpu-cost.json, which
select_model.py reads.

  /usr/bin/python3 training/reference/cpu_cost.py [--threads 2] [--steps 8]
"""
import argparse
import json
import time
from pathlib import Path

import torch

from models import build_model
from train import augment, to_input

TRAIN_STEPS_PER_EPOCH = 1204 // 16
CANDIDATES = {"mnv1-192": ("mnv1", 192), "mnv1-256": ("mnv1", 256), "mnv1os16-192": ("mnv1-os16", 192),
              "mnv1os16-256": ("mnv1-os16", 256)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    out = {}
    for name, (arch, size) in CANDIDATES.items():
        model = build_model(arch, 14, 0.3, 0.01).to(memory_format=torch.channels_last)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        u8 = torch.randint(0, 256, (16, size, size), dtype=torch.uint8, generator=gen)
        y = (torch.rand(16, 14, generator=gen) > 0.8).float()
        model.train()
        times = []
        for k in range(args.steps + 1):  # the first step warms up and is not counted
            t = time.time()
            _, logits = model(augment(u8, gen))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if k:
                times.append(time.time() - t)
        model.eval()
        t = time.time()
        with torch.no_grad():
            for _ in range(4):
                model(to_input(torch.randint(0, 256, (64, size, size), dtype=torch.uint8, generator=gen)))
        val_s = time.time() - t
        step_s = sorted(times)[len(times) // 2]
        out[name] = {"step_s_p50": round(step_s, 3), "val_pass_s": round(val_s, 1),
                     "epoch_s": round(step_s * TRAIN_STEPS_PER_EPOCH + val_s, 1)}
        print(name, out[name], flush=True)
    result = {"threads": args.threads, "torch": torch.__version__, "train_steps_per_epoch": TRAIN_STEPS_PER_EPOCH,
              "measured": time.strftime("%Y-%m-%d %H:%M"), "candidates": out}
    (Path(__file__).resolve().parent / "runs" / "cpu-cost.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
