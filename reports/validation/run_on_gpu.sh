#!/usr/bin/env bash
# Runs on the GPU machine (device tool, kind nvidia-h200-x2), from the repository root:
#   OUT=... bash reports/validation/run_on_gpu.sh
# 1. builds kvsim (with the cuda executor), kvsim-fit and the prefill-kernel benchmark (gpu preset);
# 2. (stage calib, off by default: how run3 was made) times kvsim's own prefill kernel and refits the
#    two H200 profiles from the raw JSON of that time; the committed profiles are now refit by
#    calibration/ (calibration/profiles/h200/raw/README.md), and without this stage they are used;
# 3. kvsim validate on every scenario of scenarios/validation/ (1-GPU ones against the 1-GPU profile,
#    2-GPU ones against the NVLink profile);
# 4. the runtime and kernel GPU tests (threads, MPI with 2 ranks, decode, A-VL, top-k, vision), then
#    compute-sanitizer memcheck on the A-VL, top-k and vision tests at small sizes.
# KVSIM_STAGES (default "validate mpi tests"; mpi: the 2-GPU scenario again under mpirun) picks stages;
# KVSIM_VALIDATE lists the scenarios. Everything lands in $OUT: env.json, logs, and validation.tar.gz.
set -uo pipefail
export NCCL_NVLS_ENABLE=0
OUT=${OUT:-/tmp/kvsim-validation}
DEADLINE=$(( $(date +%s) + ${KVSIM_DEADLINE_S:-570} ))
left() { echo $(( DEADLINE - $(date +%s) )); }
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
STAGES=${KVSIM_STAGES:-validate mpi tests}
has() { [[ " $STAGES " == *" $1 "* ]]; }
W=$OUT/work; mkdir -p "$W/raw" "$W/profiles" "$W/runs"

python3 - "$W/raw/env.json" <<'PY'
import json, subprocess, sys, datetime
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as e: return f"error: {e}"
json.dump({
  "gpu": sh("nvidia-smi --query-gpu=name --format=csv,noheader | paste -sd, -"),
  "driver": sh("nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1"),
  "nvcc": sh("nvcc --version | tail -2 | head -1"),
  # NCCL from its header (the library kvsim links); PyTorch's own copy may differ.
  "nccl": sh("h=$(ls /usr/include/nccl.h /usr/local/cuda/include/nccl.h 2>/dev/null | head -1); "
             "[ -n \"$h\" ] && awk '/#define NCCL_(MAJOR|MINOR|PATCH) /{v[$2]=$3} END{print v[\"NCCL_MAJOR\"]\".\"v[\"NCCL_MINOR\"]\".\"v[\"NCCL_PATCH\"]}' \"$h\""),
  "cmake": sh("cmake --version | head -1"),
  "commit": sh("echo ${KVSIM_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"),
  "nccl_nvls_enable": "0",
  "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
}, open(sys.argv[1], "w"), indent=2)
PY
cp "$W/raw/env.json" "$OUT/env.json"; cat "$OUT/env.json"

echo "== build"
t0=$(date +%s)
cmake --preset gpu -DKVSIM_BENCHMARKS=ON > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
cmake --build build-gpu -j32 --target kvsim kvsim-fit bench_prefill_kernel test_runtime_gpu test_runtime_mpi \
  test_decode_gpu test_calibration_gpu test_avl_gpu test_topk_gpu test_vision_gpu test_segment_layout \
  test_validate_mpi >> "$OUT/build.log" 2>&1 ||
  { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
B=build-gpu

if has calib; then
echo "== prefill kernel benchmark"
timeout 150 $B/calibration/prefill/bench_prefill_kernel --benchmark_out="$W/raw/prefill.json" \
  --benchmark_out_format=json > "$OUT/prefill_bench.log" 2>&1
echo "prefill bench rc=$?"; tail -5 "$OUT/prefill_bench.log"

echo "== refit the H200 profiles with kvsim's prefill kernel"
R=calibration/profiles/h200/raw
FIT=$B/calibration/fitter/kvsim-fit
$FIT --env $R/run2-h200/env.json --env $R/run1-h200x2/env.json --env $R/run4-h200-compress-avl/env.json --env "$W/raw/env.json" \
  --gpus 1 --skip-op allreduce --out "$W/profiles/h200-1gpu.json" --report "$W/profiles/h200-1gpu.md" \
  $R/run1-h200x2/gemm.json $R/run2-h200/ops.json $R/run2-h200/attention.json "$W/raw/prefill.json" \
  $R/run4-h200-compress-avl/attention.json > "$OUT/fit.log" 2>&1
echo "fit 1gpu rc=$?"
$FIT --env $R/run1-h200x2/env.json --env $R/run2-h200/env.json --env $R/run4-h200-compress-avl/env.json --env "$W/raw/env.json" \
  --gpus 2 --out "$W/profiles/h200-nvlink-2gpu.json" --report "$W/profiles/h200-nvlink-2gpu.md" \
  $R/run1-h200x2/gemm.json $R/run2-h200/ops.json $R/run2-h200/attention.json "$W/raw/prefill.json" \
  $R/run1-h200x2/allreduce.json $R/run4-h200-compress-avl/attention.json >> "$OUT/fit.log" 2>&1
echo "fit 2gpu rc=$?"; grep -i prefill "$OUT/fit.log" | head -4
fi

has validate && echo "== kvsim validate"
has validate && for s in ${KVSIM_VALIDATE:-llama-3-8b-1gpu llama-3-8b-2gpu mistral-small-24b-1gpu mistral-small-24b-2gpu llava-1.5-7b-1gpu llava-1.5-7b-2gpu}; do
  case $s in *1gpu) P="$W/profiles/h200-1gpu.json";; *) P="$W/profiles/h200-nvlink-2gpu.json";; esac
  [[ -f $P ]] || P=calibration/profiles/h200/$(basename "$P")
  if (( $(left) < 60 )); then echo "skip $s: time"; continue; fi
  echo "-- $s ($(left) s left)"
  timeout $(( $(left) - 30 )) $B/sim/cli/kvsim validate scenarios/validation/$s.json --profile "$P" \
    --out "$W/runs/$s" > "$W/runs/$s.log" 2>&1
  echo "$s rc=$?"; grep -E "^\|" "$W/runs/$s.log" | head -12; grep -iE "error|stopped" "$W/runs/$s.log" | head -5
done

# The same command under mpirun, one rank per GPU (2-GPU scenarios).
has mpi && for s in ${KVSIM_VALIDATE_MPI:-llama-3-8b-2gpu}; do
  P="$W/profiles/h200-nvlink-2gpu.json"; [[ -f $P ]] || P=calibration/profiles/h200/h200-nvlink-2gpu.json
  if (( $(left) < 60 )); then echo "skip mpi $s: time"; continue; fi
  echo "-- mpirun -n 2: $s ($(left) s left)"
  timeout $(( $(left) - 30 )) mpiexec -n 2 --allow-run-as-root --oversubscribe $B/sim/cli/kvsim validate \
    scenarios/validation/$s.json --profile "$P" --out "$W/runs/$s-mpi" > "$W/runs/$s-mpi.log" 2>&1
  echo "mpi $s rc=$?"; grep -E "^\|" "$W/runs/$s-mpi.log" | head -12
done

if has tests && (( $(left) > 90 )); then
  echo "== GPU tests ($(left) s left)"
  timeout $(( $(left) - 20 )) ctest --test-dir build-gpu -R 'runtime|decode_gpu|calibration_gpu|avl_gpu|topk_gpu|vision_gpu|segment_layout|validate_mpi' --output-on-failure \
    --timeout 120 > "$OUT/ctest.log" 2>&1
  echo "ctest rc=$?"; grep -E "tests passed|Passed|Failed|Skipped|rel err" "$OUT/ctest.log" | head -20
fi
# compute-sanitizer memcheck on the A-VL, top-k and vision paths (small sizes), if time is left.
if has tests && (( $(left) > 60 )); then
  echo "== compute-sanitizer memcheck ($(left) s left)"
  for t in "tests/runtime/test_runtime_gpu [avl]" "tests/kernels/test_avl_gpu" "tests/kernels/test_topk_gpu" \
           "tests/runtime/test_vision_gpu"; do
    (( $(left) > 30 )) || break
    read -r bin filter <<< "$t"
    KVSIM_TEST_SMALL=1 timeout $(( $(left) - 20 )) compute-sanitizer --tool memcheck --report-api-errors no \
      "build-gpu/$bin" ${filter:+"$filter"} >> "$OUT/memcheck.log" 2>&1
    echo "memcheck $t rc=$?"; grep -E "ERROR SUMMARY" "$OUT/memcheck.log" | tail -1
  done
fi
tar -C "$W" -czf "$OUT/validation.tar.gz" . && ls -la "$OUT"
