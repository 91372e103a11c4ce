"""Print what the training loader reads for one image of a `cxr-lens preprocess` folder, as JSON, so
tests/unit/oneResampler.test.ts can hold it against the app's own preprocessing (numpy only).

  python3 training/reference/dump_tensor.py TENSORS_DIR IMAGE [--engine ENGINE.npy] [--pil]
  python3 training/reference/dump_tensor.py TENSORS_DIR --pil-all   (PIL vs app over every indexed image)

  sha256    of the [size, size] pixels load_images(..., tensors=DIR) returns (the array train.py,
            export.py, check_engine.py and linear_probe.py train or evaluate on), C-order bytes
  engine_max_abs_diff   with --engine (the app's normalised input tensor [C, H, W] float32): max
            |normalize(pixels) - engine| over every channel; 0 when training sees the engine's input
  pil_max_abs_diff      with --pil: max |PIL Lanczos pixels - app pixels| (the old training path; needs Pillow)
"""
import argparse
import hashlib
import json

import numpy as np

from common import DATA, load_images, normalize, tensor_index


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tensors")
    ap.add_argument("image", nargs="?")
    ap.add_argument("--pil-all", action="store_true",
                    help="max and mean |PIL Lanczos - app| grey levels over every image of the folder in images-256")
    ap.add_argument("--engine", help="the app's normalised model input for the image, [C, H, W] float32 .npy")
    ap.add_argument("--pil", action="store_true", help="also compare with the PIL Lanczos resize of images-256")
    args = ap.parse_args()
    index = tensor_index(args.tensors)
    size = index["input"]["height"]
    if args.pil_all:
        names = [e["image"] for e in index["images"] if (DATA / "images-256" / e["image"]).exists()]
        app = load_images(names, size, tensors=args.tensors).astype(np.int16)
        pil = load_images(names, size).astype(np.int16)
        d = np.abs(app - pil)
        print(json.dumps({"images": len(names), "pil_max_abs_diff": int(d.max()), "pil_mean_abs_diff": float(d.mean()),
                          "images_differing": int((d.reshape(len(names), -1).max(1) > 0).sum())}))
        return
    if not args.image:
        raise SystemExit("name an IMAGE, or give --pil-all")
    pixels = load_images([args.image], size, tensors=args.tensors)[0]
    out = {"image": args.image, "shape": list(pixels.shape), "dtype": str(pixels.dtype),
           "sha256": hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest(), "sum": float(pixels.sum())}
    if args.engine:
        engine = np.load(args.engine, allow_pickle=False)
        ours = np.stack([normalize(pixels, index["normalization"], c) for c in range(engine.shape[0])])
        if ours.shape != engine.shape:
            raise SystemExit(f"{args.engine}: shape {engine.shape}, the loader gives {ours.shape}")
        out["engine_max_abs_diff"] = float(np.abs(ours.astype(np.float64) - engine.astype(np.float64)).max())
    if args.pil:
        pil = load_images([args.image], size)[0] if (DATA / "images-256" / args.image).exists() else None
        out["pil_max_abs_diff"] = None if pil is None else int(np.abs(pil.astype(int) - pixels.astype(int)).max())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
