#!/usr/bin/env bash
# Fine-tuning on the GPU (issue 19), on a GPU machine without Node or network (the `device` machine of
# this workplace) or here: fine-tunes the reference model's head and head+last-block with bench:train's
# bundle (out/main/benchTrain.js), once per provider, each forced with no fallback:
#   webgpu, cuda (only when onnxruntime-node's CUDA provider is installed), then the CPU on 16 threads
# (--threads), on the same cases, and prints one JSON object with every run's provider, epoch times
# (wall and CPU seconds) and validation AUROC, and the GPU/CPU epoch-time ratios. Also in $OUT/train-check.json.
#
#   scripts/device/gpu-train-check.sh [--cases N] [--epochs N] [--block-epochs N] [--threads N]
#
# Defaults: 600 cases (what pack-devnode.sh carries), 5 head epochs, 2 block epochs, 16 threads.
# Images: .devnode/train-img + .devnode/train-labels.csv when packed (scripts/device/pack-devnode.sh),
# else the shared NIH sample (../shared/data/nih). On a machine without a GPU it uses the software
# Vulkan device Debian's chromium package ships (SwiftShader), which runs the real WebGPU kernels on the
# CPU: that checks the script end to end (e.g. --cases 20 --epochs 1 --block-epochs 1), but its times
# are not a GPU's. The figures on a real GPU are still to be measured (no GPU machine was lent when it
# was written); the README's GPU section says which were.
set -uo pipefail
cd "$(dirname "$0")/../.."
CASES=600 EPOCHS=5 BLOCK_EPOCHS=2 THREADS=16
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --block-epochs) BLOCK_EPOCHS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "gpu-train-check: unknown argument $1 (use --cases, --epochs, --block-epochs, --threads)" >&2; exit 2 ;;
  esac
done
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
ADAPTER=gpu
if command -v nvidia-smi >/dev/null; then
  # the GPU machine has the NVIDIA driver but no Vulkan/GL loaders: unpack the carried Debian ones there only
  for f in .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done; ldconfig
  for d in /usr/local/nvidia/share /usr/share /etc; do [ -f $d/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=$d/vulkan/icd.d/nvidia_icd.json && break; done
  nvidia-smi -L >&2
elif [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
  ADAPTER=swiftshader
fi
if [ -f .devnode/devnode.tar.xz ] && ! command -v node >/dev/null; then
  mkdir -p /tmp/dn && tar xJf .devnode/devnode.tar.xz -C /tmp/dn && export PATH=/tmp/dn/bin:$PATH
  [ -e node_modules ] || ln -s /tmp/dn/node_modules node_modules
fi
[ -f out/main/benchTrain.js ] || { echo "gpu-train-check: out/main/benchTrain.js is missing: run npx electron-vite build (and carry out/main)" >&2; exit 2; }
if [ -d .devnode/train-img ]; then IMAGES=.devnode/train-img LABELS=.devnode/train-labels.csv
else IMAGES=../shared/data/nih/images-256 LABELS=../shared/data/nih/labels.csv; fi
CUDA_LIB=node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so
PROVIDERS="webgpu"; [ -f "$CUDA_LIB" ] && PROVIDERS="$PROVIDERS cuda"; PROVIDERS="$PROVIDERS cpu"
echo "gpu-train-check: adapter $ADAPTER, providers $PROVIDERS, $CASES cases, node $(node -v)" >&2
: > "$OUT/train-runs.jsonl"
for p in $PROVIDERS; do
  echo "== $p" >&2
  if ! node out/main/benchTrain.js --provider "$p" --threads "$THREADS" --cases "$CASES" --epochs "$EPOCHS" \
    --block-epochs "$BLOCK_EPOCHS" --images "$IMAGES" --labels "$LABELS" > "$OUT/train-$p.json" 2> "$OUT/train-$p.err"; then
    tail -3 "$OUT/train-$p.err" >&2
    node -e 'console.log(JSON.stringify({ forced_provider: process.argv[1], error: process.argv[2] }))' "$p" "$(tail -1 "$OUT/train-$p.err")" > "$OUT/train-$p.json"
  fi
  tail -1 "$OUT/train-$p.json" >> "$OUT/train-runs.jsonl"
done
node -e '
const fs = require("fs")
const runs = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l))
const by = Object.fromEntries(runs.map((r) => [r.forced_provider, r]))
const brief = (r) => r.error ? { error: r.error } : {
  provider: r.provider, threads: r.threads, cases: r.cases, train_cases: r.train_cases,
  head: r.head && { epoch_s: r.head.epoch_s, epoch_s_p50: r.head.epoch_s_p50, epoch_cpu_s_p50: r.head.epoch_cpu_s_p50, feature_extract_s: r.head.feature_extract_s, val_macro_auroc: r.head.val_macro_auroc },
  last_block: r.last_block && { epoch_s: r.last_block.epoch_s, epoch_s_p50: r.last_block.epoch_s_p50, epoch_cpu_s_p50: r.last_block.epoch_cpu_s_p50, feature_extract_s: r.last_block.feature_extract_s, val_macro_auroc: r.last_block.val_macro_auroc },
}
const ratio = (gpu, part) => gpu && !gpu.error && by.cpu && !by.cpu.error && gpu[part] && by.cpu[part] ? +(by.cpu[part].epoch_s_p50 / gpu[part].epoch_s_p50).toFixed(2) : null
const out = {
  adapter: process.argv[2], model: runs.find((r) => r.model)?.model ?? null,
  runs: Object.fromEntries(runs.map((r) => [r.forced_provider, brief(r)])),
  cpu_over_gpu_epoch_time: Object.fromEntries(Object.keys(by).filter((p) => p !== "cpu").map((p) => [p, { head: ratio(by[p], "head"), last_block: ratio(by[p], "last_block") }])),
}
console.log(JSON.stringify(out))' "$OUT/train-runs.jsonl" "$ADAPTER" | tee "$OUT/train-check.json"
