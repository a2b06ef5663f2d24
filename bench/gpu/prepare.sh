#!/usr/bin/env bash
# Run HERE (the Debian build machine) before the device call: copies what bench/gpu/train_step.sh
# needs into .gpu-carry/ (git-ignored; name it in the device tool's `carry`): the built oqvl and
# its model-commands library, the shared libraries they need that are not libtorch's (the GPU
# image has torch 2.11.0+cu130 itself, the same version these were linked against, and is a newer
# glibc than Debian 12's, so they run there), the tokenizer, and ../shared/bench/torch_baseline.py
# (../shared does not travel). Usage: bash bench/gpu/prepare.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
carry=.gpu-carry
rm -rf "$carry"; mkdir -p "$carry/lib" "$carry/bin"
cp "$BUILD/oqvl" "$BUILD/liboqvl_model_commands.so" "$carry/bin/"
# Non-torch, non-system libraries the binaries link (libjpeg-turbo, libpng, libwebp, fmt,
# sentencepiece, tbb, ...): everything ldd resolves outside torch's folder and outside libc's set.
for f in "$carry"/bin/*; do
  ldd "$f" | awk '/=> \// {print $3}' | grep -v -e /torch/ -e /nvidia/ -e 'libc\.so' -e 'libm\.so' \
    -e 'libstdc++' -e 'libgcc_s' -e 'ld-linux' -e 'libpthread' -e 'libdl\.so' -e 'librt\.so' || true
done | sort -u | while read -r lib; do cp -L "$lib" "$carry/lib/"; done
cp ../shared/bench/torch_baseline.py "$carry/"
cp -r /usr/share/datasets/fashion-mnist "$carry/fashion-mnist"  # the demo photos make-demo packs
du -sh "$carry"
