#!/usr/bin/env bash
# Installs the Debian 12 packages kvsim builds with, skipping those already present (run as root).
# CUDA and NCCL are optional and not installed here: with nvcc on PATH (or in /usr/local/cuda) the
# CUDA kernels, calibration and cuda executor are built too.
set -euo pipefail
packages=(cmake ninja-build g++ git nlohmann-json3-dev libboost-graph-dev libcli11-dev libbenchmark-dev catch2
          libopenmpi-dev openmpi-bin jq)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
