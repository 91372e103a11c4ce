#!/usr/bin/env bash
# Packs what scripts/device/gpu-provider-check.sh needs on a GPU machine that has no Node and no
# network: this machine's Node binary (stripped), the main process's runtime packages (onnxruntime-node
# for linux-x64 only, sharp + libvips, better-sqlite3's built addon, zod, ws, dicom-parser), 16 NIH
# images with their labels, the first TRAIN_IMAGES (default 600, about 18 MB) of images-256 with theirs
# for scripts/device/gpu-train-check.sh, and Vulkan/GL loaders (Debian packages). Output: .devnode/
# and .gl/ (both listed in .git/info/exclude; carry them with out/main).
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .devnode /tmp/devnode-stage && mkdir -p .devnode/img /tmp/devnode-stage/bin /tmp/devnode-stage/node_modules
cp "$(command -v node)" /tmp/devnode-stage/bin/ && strip /tmp/devnode-stage/bin/node
(cd node_modules && tar cf - --exclude='onnxruntime-node/bin/napi-v6/win32' --exclude='onnxruntime-node/bin/napi-v6/darwin' \
  --exclude='onnxruntime-node/bin/napi-v6/linux/arm64' --exclude='better-sqlite3/deps' --exclude='better-sqlite3/src' \
  --exclude='better-sqlite3/build/Release/obj*' --exclude='better-sqlite3/build/Release/*.a' --exclude='better-sqlite3/build/deps' \
  sharp @img detect-libc semver better-sqlite3 bindings file-uri-to-path zod onnxruntime-node onnxruntime-common ws \
  dicom-parser jpeg-lossless-decoder-js) | tar xf - -C /tmp/devnode-stage/node_modules
tar cf - -C /tmp/devnode-stage . | xz -T0 -6 > .devnode/devnode.tar.xz
NIH=../shared/data/nih
ls $NIH/images-256 | head -16 | while read -r f; do cp "$NIH/images-256/$f" .devnode/img/; done
(head -1 $NIH/labels.csv; grep -F -f <(ls .devnode/img) $NIH/labels.csv) > .devnode/labels.csv
mkdir -p .devnode/train-img
ls $NIH/images-256 | sort | head -"${TRAIN_IMAGES:-600}" | while read -r f; do cp "$NIH/images-256/$f" .devnode/train-img/; done
(head -1 $NIH/labels.csv; grep -F -f <(ls .devnode/train-img) $NIH/labels.csv) > .devnode/train-labels.csv
mkdir -p .gl /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh .devnode .gl
