#!/usr/bin/env python3
"""Prints the table of a bench_kernels JSON (and, if given, compare_sdpa.py's JSON): time per call,
achieved bandwidth and its fraction of the device-to-device copy bandwidth measured in the same run.

    python3 calibration/kernels/summarize.py kernels_bench.json [sdpa.json]
"""
import json
import sys


def main():
    bench = json.load(open(sys.argv[1]))
    rows = [b for b in bench["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    copy = next((b["bytes_per_second"] for b in rows if b["name"].startswith("BM_CopyD2D")), None)
    print(f"{'benchmark':58s} {'us/call':>10s} {'GB/s':>9s} {'of copy':>8s}")
    decode_uniform_us = None
    for b in rows:
        if "bytes_per_second" not in b:
            print(f"{b['name']:58s} {b['real_time']:10.1f}")
            continue
        bw = b["bytes_per_second"]
        frac = f"{bw / copy:8.2f}" if copy else "       -"
        label = b["name"] + (f" [{b['label']}]" if b.get("label") else "")
        print(f"{label:58s} {b['real_time']:10.1f} {bw / 1e9:9.0f} {frac}")
        if b["name"].startswith("BM_Decode/skewed:0/group:8"):
            decode_uniform_us = b["real_time"]
    if len(sys.argv) > 2:
        sdpa = json.load(open(sys.argv[2]))
        for name, v in sdpa["variants"].items():
            if "ms" in v:
                print(f"{'sdpa ' + name:58s} {v['ms'] * 1e3:10.1f} {v['bytes_per_second'] / 1e9:9.0f}"
                      + (f" {v['bytes_per_second'] / copy:8.2f}" if copy else ""))
            else:
                print(f"{'sdpa ' + name:58s} error: {v['error'][:60]}")
        if decode_uniform_us and sdpa.get("best_ms"):
            print(f"kvsim decode uniform / best SDPA time: {decode_uniform_us / (sdpa['best_ms'] * 1e3):.3f}"
                  f" (<= 1 means kvsim is at least as fast)")


if __name__ == "__main__":
    main()
