#!/usr/bin/env python3
"""PyTorch scaled_dot_product_attention on the decode shape of bench_kernels' BM_Decode (uniform):
batch 64, 8 kv heads, group 8 (64 q heads), head_dim 128, 4096 tokens, bf16. Runs only where PyTorch
and a GPU are present (the GPU machine); kvsim itself does not depend on PyTorch.

    python3 calibration/compare_sdpa.py --out sdpa.json

Times (CUDA events, median of --iters after warm-up) three ways of asking SDPA for GQA decode and
reports each and the fastest: enable_gqa=True with one query per q head; the group's queries as the
query length against its kv head ([B, Hkv, G, D] x [B, Hkv, L, D]); the same forced onto the flash
backend. The KV set is 1 GiB, far over the 60 MB L2, so no run is served from cache.
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F


def time_ms(fn, iters, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=50)
    args = ap.parse_args()
    B, Hkv, G, D, L = 64, 8, 8, 128, 4096
    torch.manual_seed(0)
    dev = "cuda"
    k = torch.rand(B, Hkv, L, D, device=dev, dtype=torch.bfloat16) * 2 - 1
    v = torch.rand(B, Hkv, L, D, device=dev, dtype=torch.bfloat16) * 2 - 1
    q = torch.rand(B, Hkv * G, 1, D, device=dev, dtype=torch.bfloat16) * 2 - 1
    q_grouped = q.view(B, Hkv, G, D)
    bytes_moved = 2 * k.numel() * 2 + 2 * q.numel() * 2

    variants = {}

    def run_gqa():
        return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    def run_grouped():
        return F.scaled_dot_product_attention(q_grouped, k, v)

    ref = run_grouped().view(B, Hkv * G, 1, D)
    for name, fn in [("enable_gqa", run_gqa), ("group_as_query_len", run_grouped)]:
        try:
            out = fn().reshape(B, Hkv * G, 1, D)
            err = ((out.float() - ref.float()).norm() / ref.float().norm()).item()
            variants[name] = {"ms": time_ms(fn, args.iters), "rel_err_vs_grouped": err}
        except Exception as e:  # report, keep going
            variants[name] = {"error": str(e)}
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        def run_flash():
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                return F.scaled_dot_product_attention(q_grouped, k, v)

        variants["group_as_query_len_flash"] = {"ms": time_ms(run_flash, args.iters)}
    except Exception as e:
        variants["group_as_query_len_flash"] = {"error": str(e)}

    for v_ in variants.values():
        if "ms" in v_:
            v_["bytes_per_second"] = bytes_moved / (v_["ms"] * 1e-3)
    timed = {n: v_ for n, v_ in variants.items() if "ms" in v_}
    best = min(timed, key=lambda n: timed[n]["ms"]) if timed else None
    result = {
        "shape": {"batch": B, "kv_heads": Hkv, "group": G, "head_dim": D, "tokens": L, "dtype": "bfloat16"},
        "bytes_moved": bytes_moved,
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(),
        "variants": variants,
        "best": best,
        "best_ms": timed[best]["ms"] if best else None,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
