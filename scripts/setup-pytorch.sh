#!/usr/bin/env bash
# Optional: installs Debian 12's PyTorch (1.13.1) to run scripts/bench-train-pytorch.py beside `moxing bench train`
# (docs/TRAINING.md "Training throughput"). Neither the build, the tests nor scripts/setup.sh need it. Idempotent.
set -euo pipefail
if /usr/bin/python3 -c 'import torch' 2>/dev/null && compgen -G "/usr/lib/x86_64-linux-gnu/openblas-*/libblas.so.3" >/dev/null; then
  echo "setup-pytorch: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') and OpenBLAS are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-pytorch: needs root and apt-get: install python3-torch, python3-numpy and libopenblas0-openmp" >&2
  exit 1
fi
# libtorch calls the system BLAS (libblas.so.3); without OpenBLAS that is the unoptimized reference BLAS, which made the
# GPT 20 times slower. The OpenMP build of OpenBLAS shares PyTorch's OpenMP threads, so torch.set_num_threads bounds both.
DEBIAN_FRONTEND=noninteractive apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-openmp >/dev/null
echo "setup-pytorch: installed PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') with $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
