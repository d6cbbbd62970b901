#!/usr/bin/env bash
# Device run: how reproducible the all-reduce curve is, and what bounds it. bench_allreduce in
# KVSIM_REPEATS separate processes (default protocol; the first through run_calibration.sh, which
# builds it and records env.json), then KVSIM_PROTO_REPEATS processes each with NCCL_PROTO forced to
# LL, LL128 and Simple. Every file is bench_allreduce's Google Benchmark JSON: `seconds` (host clock,
# back to back), `gpu_seconds` (in-stream), `enqueue_seconds` (host time to issue one call).
# From the repository root:  OUT=<dir> calibration/nccl/run_allreduce_repeats.sh
set -u
OUT=${OUT:?set OUT}; N=${KVSIM_REPEATS:-10}; P=${KVSIM_PROTO_REPEATS:-3}
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0
KVSIM_CALIB_STAGES="build allreduce" calibration/run_calibration.sh "$OUT" h200 > "$OUT/run_calibration.out" 2>&1
BIN=build-gpu/calibration/nccl/bench_allreduce
[[ -x $BIN ]] || { echo "bench_allreduce did not build"; tail -40 "$OUT/calibration.log"; exit 1; }
mv "$OUT/allreduce.json" "$OUT/allreduce-rep01.json"
run() {  # output name, then env assignments
  local name=$1; shift
  env "$@" timeout 120 "$BIN" --max_gpus=2 --benchmark_out="$OUT/$name.json" --benchmark_out_format=json \
    > "$OUT/$name.log" 2>&1 || echo "$name exited with $?" | tee -a "$OUT/errors.txt"
}
for i in $(seq -f %02g 2 "$N"); do run "allreduce-rep$i"; done
for proto in LL LL128 Simple; do
  for i in $(seq -f %02g 1 "$P"); do run "allreduce-$proto-rep$i" NCCL_PROTO=$proto; done
done
lscpu > "$OUT/lscpu.txt" 2>&1
ls -l "$OUT"
