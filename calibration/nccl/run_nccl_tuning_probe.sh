#!/usr/bin/env bash
# Device run of nccl_tuning_probe (raw data: calibration/profiles/h200/raw/run8-h200x2-nccl-tuning/).
# From the repository root, OUT=<dir> calibration/nccl/run_nccl_tuning_probe.sh
OUT=${OUT:?set OUT}; mkdir -p $OUT
S=calibration/nccl/nccl_tuning_probe.cpp; P=/tmp/ntp
g++ -O2 -std=c++17 $S -I/usr/local/cuda/include -I/usr/include -L/usr/local/cuda/lib64 -L/usr/lib/x86_64-linux-gnu -lnccl -lcudart -o $P > $OUT/build.txt 2>&1 || nvcc -O2 -std=c++17 $S -lnccl -o $P >> $OUT/build.txt 2>&1
{ echo "date_utc $(date -u +%FT%TZ)"; nvidia-smi --query-gpu=index,name,driver_version,clocks.max.sm,memory.total --format=csv; nvcc --version | tail -2; for h in /usr/include/nccl.h /usr/local/cuda/include/nccl.h; do [ -f $h ] && echo "$h" && grep -E '#define NCCL_(MAJOR|MINOR|PATCH) ' $h; done; ldd $P | grep -E 'nccl|cudart'; ls -l /usr/lib/x86_64-linux-gnu/libnccl* /usr/local/cuda/lib64/libnccl* 2>/dev/null; nvidia-smi topo -m; nvidia-smi nvlink -s -i 0 | head -20; uname -r; lscpu | grep -E 'Model name|Socket'; } > $OUT/env.txt 2>&1
export NCCL_NVLS_ENABLE=0
( export NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,GRAPH,TUNING,COLL,ENV NCCL_DEBUG_FILE=$OUT/nccl-debug.%p.log; timeout 90 $P > $OUT/probe-debug.txt 2>&1; echo "rc $?" >> $OUT/probe-debug.txt )
for v in default LL LL128 Simple; do echo "== NCCL_PROTO=$v (no NCCL_DEBUG)"; if [ $v = default ]; then timeout 30 $P; else NCCL_PROTO=$v timeout 30 $P; fi; echo "rc $?"; done > $OUT/probe-timing.txt 2>&1
ls -l $OUT; wc -l $OUT/*; grep -m3 -E 'NCCL version|Latency/AlgBw' $OUT/nccl-debug.*.log; grep -A12 'Latency/AlgBw' $OUT/nccl-debug.*.log | head -30; grep -ohE 'AllReduce: [0-9]+ Bytes -> .*' $OUT/nccl-debug.*.log | sort -u | sort -n -k2 | head -60; cat $OUT/probe-timing.txt | head -120
