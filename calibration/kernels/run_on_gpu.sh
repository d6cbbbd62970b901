#!/usr/bin/env bash
# Runs on the GPU machine (via the device tool), from the repository root:
#   bash calibration/kernels/run_on_gpu.sh            # results in $OUT (default /tmp/kvsim-kernels)
#   bash calibration/kernels/run_on_gpu.sh decode     # decode only, fits a 4-minute call: builds the
#     decode/A-VL tests and the benchmark, runs them, the decode benchmarks, SDPA, then memcheck and
#     racecheck of test_decode_gpu while time is left (KVSIM_DEADLINE_S, default 200 s from start)
# Configures with the gpu preset, builds the kernel tests and benchmark, runs ctest -L gpu,
# compute-sanitizer memcheck and racecheck on reduced sizes (KVSIM_TEST_SMALL=1), the benchmark
# (JSON), the PyTorch SDPA comparison (JSON) and writes env.json; prints a summary table last.
set -uo pipefail
OUT=${OUT:-/tmp/kvsim-kernels}
mkdir -p "$OUT"
STAGE=${1:-all}   # all | tests | bench | decode
T_START=$(date +%s)
cd "$(dirname "$0")/../.."

python3 - "$OUT/env.json" <<'PY'
import json, subprocess, sys, datetime
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as e: return f"error: {e}"
env = {
  "gpu": sh("nvidia-smi --query-gpu=name --format=csv,noheader"),
  "driver": sh("nvidia-smi --query-gpu=driver_version --format=csv,noheader"),
  "memory_total": sh("nvidia-smi --query-gpu=memory.total --format=csv,noheader"),
  "clocks_sm_max_mhz": sh("nvidia-smi --query-gpu=clocks.max.sm --format=csv,noheader,nounits"),
  "nvcc": sh("nvcc --version | tail -2 | head -1"),
  "cuda_runtime_from_nvidia_smi": sh("nvidia-smi | grep -o 'CUDA Version: [0-9.]*'"),
  "nccl": sh("python3 -c 'import torch; print(\".\".join(map(str, torch.cuda.nccl.version())))'"),
  "torch": sh("python3 -c 'import torch; print(torch.__version__)'"),
  "cmake": sh("cmake --version | head -1"),
  "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
}
json.dump(env, open(sys.argv[1], "w"), indent=2); print(env)
PY

echo "== configure + build"
t0=$(date +%s)
cmake --preset gpu -DKVSIM_BENCHMARKS=ON > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
TARGETS="test_decode_gpu test_avl_gpu test_topk_gpu test_compress_gpu bench_kernels"
[[ $STAGE == decode ]] && TARGETS="test_decode_gpu test_avl_gpu bench_kernels"
cmake --build build-gpu -j16 --target $TARGETS >> "$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }
# The CPU reference test links the simulator library too; its failure must not stop the GPU runs.
[[ $STAGE == decode ]] || cmake --build build-gpu -j16 --target test_kernel_reference >> "$OUT/build.log" 2>&1 || echo "test_kernel_reference did not build"
echo "built in $(( $(date +%s) - t0 )) s"

B=build-gpu/tests/kernels
if [[ $STAGE == all || $STAGE == tests ]]; then
  echo "== ctest -L gpu"
  ctest --test-dir build-gpu -L gpu --output-on-failure --timeout 150 2>&1 | tee "$OUT/ctest_gpu.log" | tail -15
  ctest --test-dir build-gpu -R "kernel_reference" 2>&1 | tail -3
  echo "== compute-sanitizer (KVSIM_TEST_SMALL=1)"
  : > "$OUT/sanitizer.log"
  for t in decode_gpu avl_gpu topk_gpu compress_gpu; do
    for tool in memcheck racecheck; do
      KVSIM_TEST_SMALL=1 timeout 120 compute-sanitizer --tool $tool --error-exitcode 9 $B/test_$t >> "$OUT/sanitizer.log" 2>&1
      rc=$?
      echo "sanitizer $tool $t rc=$rc" | tee -a "$OUT/sanitizer.log"
    done
  done
fi

if [[ $STAGE == decode ]]; then
  echo "== ctest decode_gpu avl_gpu"
  ctest --test-dir build-gpu -R "decode_gpu|avl_gpu" --output-on-failure --timeout 100 2>&1 | tee "$OUT/ctest_gpu.log" | tail -6
  echo "== PyTorch SDPA before the benchmark (JSON in bench.log only)"
  PYTHONUNBUFFERED=1 python3 calibration/compare_sdpa.py --iters 200 --out /tmp/sdpa_before.json > "$OUT/bench.log" 2>&1 || tail -20 "$OUT/bench.log"
  python3 -c 'import json; d=json.load(open("/tmp/sdpa_before.json")); print("sdpa before bench:", {k: round(v["ms"]*1e3, 1) for k, v in d["variants"].items() if "ms" in v})'
  echo "== benchmark (decode, copy)"
  build-gpu/calibration/kernels/bench_kernels --benchmark_filter='BM_CopyD2D|BM_Decode' \
    --benchmark_out="$OUT/kernels_bench.json" --benchmark_out_format=json >> "$OUT/bench.log" 2>&1 || tail -20 "$OUT/bench.log"
  echo "== PyTorch SDPA after the benchmark"
  PYTHONUNBUFFERED=1 python3 calibration/compare_sdpa.py --iters 200 --out "$OUT/sdpa.json" >> "$OUT/bench.log" 2>&1 || tail -20 "$OUT/bench.log"
  echo "== summary"
  python3 calibration/kernels/summarize.py "$OUT/kernels_bench.json" "$OUT/sdpa.json" | tee "$OUT/summary.txt"
  echo "== compute-sanitizer test_decode_gpu (KVSIM_TEST_SMALL=1), while time is left"
  : > "$OUT/sanitizer.log"
  for tool in memcheck racecheck; do
    left=$(( ${KVSIM_DEADLINE_S:-200} - ($(date +%s) - T_START) ))
    if (( left < 15 )); then echo "sanitizer $tool decode_gpu skipped (no time left)" | tee -a "$OUT/sanitizer.log"; continue; fi
    KVSIM_TEST_SMALL=1 timeout $left compute-sanitizer --tool $tool --error-exitcode 9 $B/test_decode_gpu >> "$OUT/sanitizer.log" 2>&1
    echo "sanitizer $tool decode_gpu rc=$? (124: stopped at the deadline)" | tee -a "$OUT/sanitizer.log"
  done
fi

if [[ $STAGE == all || $STAGE == bench ]]; then
  echo "== benchmark"
  build-gpu/calibration/kernels/bench_kernels --benchmark_out="$OUT/kernels_bench.json" \
    --benchmark_out_format=json > "$OUT/bench.log" 2>&1 || tail -20 "$OUT/bench.log"
  echo "== PyTorch SDPA"
  PYTHONUNBUFFERED=1 python3 calibration/compare_sdpa.py --out "$OUT/sdpa.json" >> "$OUT/bench.log" 2>&1 || tail -20 "$OUT/bench.log"
  echo "== summary"
  python3 calibration/kernels/summarize.py "$OUT/kernels_bench.json" "$OUT/sdpa.json" | tee "$OUT/summary.txt"
fi
grep -E "sanitizer .* rc=|tests passed|tests failed|Passed|Failed|\*\*\*" "$OUT/ctest_gpu.log" "$OUT/sanitizer.log" 2>/dev/null | tail -20
