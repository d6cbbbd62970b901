#!/usr/bin/env bash
# Runs on the GPU machine (via the device tool), from the repository root:
#   bash kernels/runtime/run_on_gpu.sh            # results in $OUT (default /tmp/kvsim-runtime)
# Configures with the gpu preset, builds the prefill and runtime tests only, runs
# ctest -R 'runtime|prefill' (prefill_gpu, runtime_gpu, and runtime_mpi: 2 MPI ranks, one GPU each,
# through mpirun --allow-run-as-root), then compute-sanitizer memcheck and racecheck on the prefill test at
# small sizes (KVSIM_TEST_SMALL=1) and memcheck on the runtime test (--report-api-errors no: NCCL's
# init probes return API errors it handles itself, e.g. peer access already enabled), then
# kvsim_runtime_demo at real shapes (LLaMA-3-70B layers on 2 GPUs: tensor_parallel, fair_copying;
# LLaMA-3-8B on 1 GPU with chunked prefill; 70B tensor_parallel once more with --no-warmup, to show
# what the first steps cost cold); writes env.json and logs.
set -uo pipefail
export NCCL_NVLS_ENABLE=0
export OMPI_MCA_btl_vader_single_copy_mechanism=none  # no CMA (ptrace) needed inside a container
OUT=${OUT:-/tmp/kvsim-runtime}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."

{
  echo "{"
  echo "  \"gpus\": \"$(nvidia-smi --query-gpu=name --format=csv,noheader | paste -sd, -)\","
  echo "  \"driver\": \"$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)\","
  echo "  \"nvcc\": \"$(nvcc --version | tail -2 | head -1)\","
  echo "  \"cmake\": \"$(cmake --version | head -1)\","
  echo "  \"mpirun\": \"$(mpirun --version 2>&1 | head -1)\","
  echo "  \"nccl_nvls_enable\": \"$NCCL_NVLS_ENABLE\","
  echo "  \"date_utc\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\""
  echo "}"
} > "$OUT/env.json"
cat "$OUT/env.json"

echo "== configure + build"
t0=$(date +%s)
cmake --preset gpu -DKVSIM_BENCHMARKS=OFF > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
cmake --build build-gpu -j32 --target test_prefill_gpu test_runtime_gpu kvsim_runtime_demo >> "$OUT/build.log" 2>&1 ||
  { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }
cmake --build build-gpu -j32 --target test_runtime_mpi >> "$OUT/build.log" 2>&1 ||
  { grep -E "error|FAILED" "$OUT/build.log" | head -40; echo "test_runtime_mpi not built (no MPI?)"; }
echo "built in $(( $(date +%s) - t0 )) s"

echo "== ctest -R 'runtime|prefill'"
ctest --test-dir build-gpu -R 'runtime|prefill' --output-on-failure -V --timeout 150 > "$OUT/ctest.log" 2>&1
echo "ctest rc=$?"
grep -E "rel err|seed|Passed|Failed|FAILED|SKIPPED|tests passed|gpu [0-9]:|weights|out-of-memory|rank [01]:" "$OUT/ctest.log" | head -120

echo "== compute-sanitizer"
: > "$OUT/sanitizer.log"
B=build-gpu/tests/runtime
for tool in memcheck racecheck; do
  KVSIM_TEST_SMALL=1 timeout 150 compute-sanitizer --tool $tool --error-exitcode 9 $B/test_prefill_gpu >> "$OUT/sanitizer.log" 2>&1
  echo "sanitizer $tool prefill_gpu rc=$?" | tee -a "$OUT/sanitizer.log"
done
timeout 150 compute-sanitizer --tool memcheck --report-api-errors no --error-exitcode 9 $B/test_runtime_gpu >> "$OUT/sanitizer.log" 2>&1
echo "sanitizer memcheck runtime_gpu rc=$?" | tee -a "$OUT/sanitizer.log"
grep -E "ERROR SUMMARY" "$OUT/sanitizer.log"

echo "== kvsim_runtime_demo"
: > "$OUT/demo.log"
DEMO=build-gpu/kernels/runtime/kvsim_runtime_demo
NGPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | wc -l)
run_demo() { echo "\$ $DEMO $*" | tee -a "$OUT/demo.log"; timeout 150 $DEMO "$@" >> "$OUT/demo.log" 2>&1; echo "rc=$?" | tee -a "$OUT/demo.log"; }
run_demo --model llama-3-8b --gpus 1 --layers 4 --batch 16 --prompt 2048 --chunk 512 --output 32 --budget 512
if [[ $NGPU -ge 2 ]]; then
  for p in tensor_parallel fair_copying; do
    run_demo --model llama-3-70b --gpus 2 --layers 4 --batch 16 --prompt 2048 --output 32 --budget 512 --placement $p
  done
  run_demo --model llama-3-70b --gpus 2 --layers 4 --batch 16 --prompt 2048 --output 32 --budget 512 --no-warmup
fi
grep -E "model|kv bytes|decode50|prefill|not finite|rc=" "$OUT/demo.log"
