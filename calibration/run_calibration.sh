#!/usr/bin/env bash
# Reruns the whole calibration on this machine and writes a new profile:
#
#   calibration/run_calibration.sh OUT_DIR [PROFILE_NAME]
#
# builds the benchmarks with the gpu preset (build-gpu/), runs them to Google Benchmark JSON in
# OUT_DIR (gemm, ops, attention, prefill; allreduce when 2+ GPUs are present), records the machine in
# OUT_DIR/env.json and fits OUT_DIR/<PROFILE_NAME>-1gpu.json (no all-reduce) and, with 2+ GPUs,
# OUT_DIR/<PROFILE_NAME>-<N>gpu.json with kvsim-fit. PROFILE_NAME defaults to the GPU's name in
# lower case ("nvidia-h200"). Copy the profiles to calibration/profiles/<gpu>/ and the JSON to
# calibration/profiles/<gpu>/raw/ to commit them. Run from anywhere inside the repository.
# The prefill stage times kvsim's own prefill kernel (calibration/prefill/bench_prefill_kernel) into
# prefill.json, which is fitted, and PyTorch SDPA (calibration/prefill/bench_prefill.py, where PyTorch
# is installed) into prefill_sdpa.json, a reference that the fit leaves out.
# KVSIM_CALIB_STAGES (default "build gemm ops attention prefill allreduce fit") picks stages; the
# build stage builds only the benchmarks of the stages picked. KVSIM_BENCH_FILTER_<stage> (e.g.
# KVSIM_BENCH_FILTER_attention='^(decode|avl_sparse)/') passes --benchmark_filter to that stage.
# KVSIM_ISSUE_TOPOLOGY=<preset> (the machine's topology, e.g. nvlink-2) also fits the N-GPU profile's
# collective_issue from allreduce.json's enqueue_seconds (kvsim-fit --issue-from; one process here,
# calibration/nccl/run_allreduce_repeats.sh runs several, whose floor is steadier).
# NVLink multicast stays off (NCCL_NVLS_ENABLE=0), as the shared GPU hosts require.
set -uo pipefail
OUT=${1:?usage: run_calibration.sh OUT_DIR [PROFILE_NAME]}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/.."
STAGES=${KVSIM_CALIB_STAGES:-build gemm ops attention prefill allreduce fit}
export NCCL_NVLS_ENABLE=0
LOG="$OUT/calibration.log"
B=build-gpu
has() { [[ " $STAGES " == *" $1 "* ]]; }
say() { echo "== $*" | tee -a "$LOG"; }
GPUS=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | wc -l)

python3 - "$OUT/env.json" "$GPUS" <<'PY'
import datetime, json, os, platform, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as e: return f"error: {e}"
# KVSIM_COMMIT names the commit when the tree was copied without its .git (as the device tool does).
commit = os.environ.get("KVSIM_COMMIT") or sh("git rev-parse --verify -q HEAD 2>/dev/null") or "unknown"
if "KVSIM_COMMIT" not in os.environ and commit != "unknown" and sh("git status --porcelain 2>/dev/null"):
    commit += "+uncommitted"
env = {
  "gpu_name_smi": sh("nvidia-smi --query-gpu=name --format=csv,noheader | head -1"),
  "gpus_present": int(sys.argv[2]),
  "driver": sh("nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1"),
  "nvcc": sh("nvcc --version | tail -2 | head -1"),
  "topology": sh("nvidia-smi topo -m 2>/dev/null | head -4 | sed 's/\\x1b\\[[0-9;]*m//g'"),
  "clocks_sm_max_mhz": sh("nvidia-smi --query-gpu=clocks.max.sm --format=csv,noheader,nounits | head -1"),
  "cmake": sh("cmake --version | head -1"),
  "host_kernel": platform.release(),
  "commit": commit,
  "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
  # NCCL from its header (the library the benchmarks link); torch's copy, if any, may differ.
  "nccl": sh("h=$(ls /usr/include/nccl.h /usr/local/cuda/include/nccl.h 2>/dev/null | head -1); "
             "[ -n \"$h\" ] && awk '/#define NCCL_(MAJOR|MINOR|PATCH) /{v[$2]=$3} END{print v[\"NCCL_MAJOR\"]\".\"v[\"NCCL_MINOR\"]\".\"v[\"NCCL_PATCH\"]}' \"$h\""),
  "nccl_nvls_enable": os.environ.get("NCCL_NVLS_ENABLE", ""),
  "stages": os.environ.get("KVSIM_CALIB_STAGES", "build gemm ops attention prefill allreduce fit"),
}
json.dump(env, open(sys.argv[1], "w"), indent=1)
print(json.dumps(env))
PY

if has build; then
  say "configure + build ($B)"
  t0=$(date +%s)
  cmake --preset gpu -DKVSIM_BENCHMARKS=ON >> "$LOG" 2>&1 || { tail -30 "$LOG"; exit 1; }
  # One target at a time, so that a half-finished change elsewhere stops only what depends on it;
  # only the benchmarks of the chosen stages (and kvsim-fit with the fit stage).
  TARGETS=""
  has gemm && TARGETS+=" bench_gemm"
  has ops && TARGETS+=" bench_ops"
  has attention && TARGETS+=" bench_attention"
  has prefill && TARGETS+=" bench_prefill_kernel"
  has allreduce && [[ $GPUS -ge 2 ]] && TARGETS+=" bench_allreduce"
  has fit && [[ -z ${KVSIM_FIT:-} ]] && TARGETS+=" kvsim-fit"
  for t in $TARGETS; do
    cmake --build $B -j"$(nproc)" --target $t >> "$LOG" 2>&1 || say "$t did not build"
  done
  say "built in $(( $(date +%s) - t0 )) s"
fi

bench() {  # name, command...
  local name=$1; shift
  [[ -x $1 ]] || { say "$name skipped: $1 was not built"; return; }
  local fv="KVSIM_BENCH_FILTER_$name" filter=()
  [[ -n ${!fv:-} ]] && filter=(--benchmark_filter="${!fv}")
  say "$name ${filter[*]}"
  local t0=$(date +%s)
  timeout 300 "$@" "${filter[@]}" --benchmark_out="$OUT/$name.json" --benchmark_out_format=json >> "$LOG" 2>&1 ||
    echo "$name exited with $?" | tee -a "$LOG"
  say "$name took $(( $(date +%s) - t0 )) s"
}
has gemm && bench gemm $B/calibration/gemm/bench_gemm
has ops && bench ops $B/calibration/ops/bench_ops
has attention && bench attention $B/calibration/attention/bench_attention
if has prefill; then
  # The profile's prefill op: kvsim's own kernel (kernels/attention/prefill.h), what the runtime runs.
  bench prefill $B/calibration/prefill/bench_prefill_kernel
  # PyTorch SDPA on the same grid, for comparison only: prefill_sdpa.json is not passed to the fit.
  if python3 -c 'import torch' 2>/dev/null; then
    say "prefill_sdpa (reference, not fitted)"
    PYTHONUNBUFFERED=1 timeout 200 python3 calibration/prefill/bench_prefill.py --out "$OUT/prefill_sdpa.json" >> "$LOG" 2>&1 ||
      echo "prefill_sdpa exited with $?" | tee -a "$LOG"
  else
    say "prefill_sdpa skipped: no PyTorch"
  fi
fi
if has allreduce && [[ $GPUS -ge 2 ]]; then
  bench allreduce $B/calibration/nccl/bench_allreduce
fi

if has fit; then
  FIT=${KVSIM_FIT:-$B/calibration/fitter/kvsim-fit}
  NAME=${2:-$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr 'A-Z ' 'a-z-')}
  # Exactly these names: prefill_sdpa.json (the SDPA reference) stays out of the fit.
  SINGLE=$(ls "$OUT"/{gemm,ops,attention,prefill}.json 2>/dev/null)
  say "fit $NAME"
  $FIT --env "$OUT/env.json" --gpus 1 --skip-op allreduce --out "$OUT/$NAME-1gpu.json" $SINGLE | tee -a "$LOG"
  ISSUE=()
  [[ -n ${KVSIM_ISSUE_TOPOLOGY:-} ]] && ISSUE=(--issue-from "$OUT/allreduce.json" --issue-topology "$KVSIM_ISSUE_TOPOLOGY")
  [[ -f "$OUT/allreduce.json" ]] &&
    $FIT --env "$OUT/env.json" --gpus "$GPUS" --out "$OUT/$NAME-${GPUS}gpu.json" "${ISSUE[@]}" $SINGLE "$OUT/allreduce.json" | tee -a "$LOG"
fi
say "done: $(ls "$OUT")"
