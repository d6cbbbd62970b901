#!/usr/bin/env python3
"""PyTorch SDPA causal prefill attention timings, a REFERENCE for the profile's prefill op: written as
Google Benchmark JSON with the fields and grid of bench_prefill_kernel.cpp, which times kvsim's own
kernel (kernels/attention/prefill.h, what the runtime runs) and whose prefill.json is what the profile
fits. run_calibration.sh writes this script's output to prefill_sdpa.json, which the fit leaves out
(SDPA runs 10x+ faster than kvsim's CUDA-core kernel today, so fitting it would make the simulator
mispredict the runtime's prefill).

It measures PyTorch's scaled_dot_product_attention (FlashAttention / cuDNN backends, whichever
PyTorch picks on the device), the kernel a serving stack would run. Grid: 8 kv heads, group {1, 4, 8}, head_dim 128,
one prompt of L in {128, 181, 256, ..., 32768} tokens (steps of sqrt 2); pairs = kv_heads * L (L + 1) / 2. Random bf16 inputs
rotated over enough copies to exceed the L2; CUDA events; median of 7 samples after warm-up.

    python3 calibration/prefill/bench_prefill.py --out prefill_sdpa.json
"""
import argparse
import datetime
import json
import statistics

import torch
import torch.nn.functional as F


def time_median_s(fn, target_s=2e-3, samples=7):
    for _ in range(3):
        fn(0)
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record(); fn(1); stop.record(); stop.synchronize()
    reps = max(1, min(128, int(target_s / max(start.elapsed_time(stop) * 1e-3, 1e-7))))
    out, i = [], 2
    for _ in range(samples):
        start.record()
        for _ in range(reps):
            fn(i); i += 1
        stop.record(); stop.synchronize()
        out.append(start.elapsed_time(stop) * 1e-3 / reps)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--max_len", type=int, default=32768)
    args = ap.parse_args()
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    l2 = getattr(props, "L2_cache_size", 60 << 20)
    kv_heads, d = 8, 128
    benches = []
    for group in (1, 4, 8):
        for L in sorted({int(round(128 * 2 ** (i / 2))) // 8 * 8 for i in range(0, 40)}):
            if L > args.max_len:
                break
            qh = kv_heads * group
            set_bytes = 2 * L * d * (qh + 2 * kv_heads)
            sets = max(1, min(32, int(3 * l2 / set_bytes) + 1))
            data = [(torch.empty(1, qh, L, d, device=dev, dtype=torch.bfloat16).uniform_(-1, 1),
                     torch.empty(1, kv_heads, L, d, device=dev, dtype=torch.bfloat16).uniform_(-1, 1),
                     torch.empty(1, kv_heads, L, d, device=dev, dtype=torch.bfloat16).uniform_(-1, 1))
                    for _ in range(sets)]
            try:
                F.scaled_dot_product_attention(*data[0], is_causal=True, enable_gqa=True)
                fn = lambda i: F.scaled_dot_product_attention(*data[i % sets], is_causal=True, enable_gqa=True)
                how = "enable_gqa"
            except Exception:  # older PyTorch: expand K and V to the q heads outside the timing
                data = [(q, k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)) for q, k, v in data]
                fn = lambda i: F.scaled_dot_product_attention(*data[i % sets], is_causal=True)
                how = "expanded kv"
            s = time_median_s(fn)
            pairs = kv_heads * L * (L + 1) / 2
            benches.append({
                "name": f"prefill/group:{group}/len:{L}", "run_name": f"prefill/group:{group}/len:{L}",
                "run_type": "iteration", "iterations": 1, "real_time": s * 1e6, "cpu_time": s * 1e6,
                "time_unit": "us", "seconds": s, "pairs": pairs, "group": group, "head_dim": d,
                "tokens": L, "kv_heads": kv_heads, "flops": 4.0 * d * pairs * group,
                "label": how})
            print(f"prefill group {group} L {L:6d}: {s * 1e6:10.1f} us  {4.0 * d * pairs * group / s / 1e12:6.1f} TFLOP/s")
            del data
    ctx = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "gpu_name": props.name, "torch": torch.__version__, "cuda_runtime": torch.version.cuda,
           "executable": "calibration/prefill/bench_prefill.py (torch scaled_dot_product_attention)"}
    json.dump({"context": ctx, "benchmarks": benches}, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
