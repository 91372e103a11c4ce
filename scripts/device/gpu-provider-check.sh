#!/usr/bin/env bash
# Provider check on a GPU machine without Node or network (the `device` machine of this workplace):
# unpacks a carried Node + the runtime node_modules (.devnode/devnode.tar.xz, made by
# scripts/device/pack-devnode.sh) and Vulkan's loader (.gl/*.deb) when missing, then
#  1. providerParity.mjs: WebGPU vs CPU on the shipped model (outputs compared, timings);
#  2. the real CLI: import 16 images, `infer --json` with the default provider chain (cuda, webgpu, cpu)
#     and `explain --method gradcam`, to show which provider the app picks and that it falls back;
#  3. bench:engine's bundle with CXR_LENS_PROVIDER=webgpu and =cpu on the shipped model.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
# the GPU machine has the NVIDIA driver but no Vulkan/GL loaders: unpack the carried Debian ones there only
if command -v nvidia-smi >/dev/null; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
for d in /usr/local/nvidia/share /usr/share /etc; do [ -f $d/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=$d/vulkan/icd.d/nvidia_icd.json && break; done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
mkdir -p /tmp/dn && tar xJf .devnode/devnode.tar.xz -C /tmp/dn && export PATH=/tmp/dn/bin:$PATH
[ -e node_modules ] || ln -s /tmp/dn/node_modules node_modules
node -v; nvidia-smi -L
IMG=.devnode/img; MODEL=resources/models/cxr-mobilenet-v1
echo "== parity"; node scripts/device/providerParity.mjs $MODEL $IMG webgpu,cpu | tee "$OUT/parity.json"
D=$(mktemp -d); export CXR_LENS_DATA=$D
echo "== cli"; node out/main/cli.js import --images $IMG --labels .devnode/labels.csv --json > "$OUT/import.json"; tail -c 300 "$OUT/import.json"; echo
node out/main/cli.js infer --model cxr-mobilenet-v1 --all --json | tee "$OUT/infer.json" | head -c 1500; echo
node out/main/cli.js explain --model cxr-mobilenet-v1 --method gradcam --all --json | head -c 600; echo
echo "== bench"; for p in webgpu cpu; do CXR_LENS_PROVIDER=$p node out/main/benchEngine.js --model-dir $MODEL --images $IMG --threads 16 | tail -1 | tee -a "$OUT/bench.jsonl"; done
