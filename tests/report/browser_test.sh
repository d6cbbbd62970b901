#!/usr/bin/env bash
# Renders kvsim report pages in headless Chromium and fails on a script error or an empty chart: the
# page writes "ok N charts" into #status when every chart has marks, "error: ..." otherwise.
#   browser_test.sh KVSIM SOURCE_DIR
# Exit 77 (CTest "skipped") with a reason when no Chromium is installed (apt-get install chromium).
set -euo pipefail
kvsim=$1
src=$2
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "SKIPPED: no Chromium found (apt-get install chromium)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status_of() {  # prints the text of #status after the page ran
  local profile
  profile=$(mktemp -d -p "$work")
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    --dump-dom "file://$1" 2>/dev/null | grep -o '<div id="status"[^>]*>[^<]*</div>' | sed 's/<[^>]*>//g'
}
expect_ok() {  # page, minimum number of charts
  local s
  s=$(status_of "$1")
  case "$s" in
    ok\ *) ;;
    *) echo "FAILED: $1: status '$s'"; exit 1 ;;
  esac
  local n=${s#ok }; n=${n%% *}
  [ "$n" -ge "$2" ] || { echo "FAILED: $1: $n charts, expected at least $2"; exit 1; }
  echo "ok: $1: $s"
}

# A run with two variants: memory x2, heat map x2, CDF x3, placement = 8 charts.
cat > "$work/run.json" <<'JSON'
{"schema_version": 1, "name": "small", "seed": 7, "model": "llama-3-8b",
 "hardware": {"gpu": "h200", "gpus": 2},
 "workload": {"arrival": "poisson", "rate_per_s": 20, "requests": 24,
              "prompt_tokens": {"uniform": [256, 2048]}, "output_tokens": {"uniform": [16, 64]}},
 "kv_policy": {"kind": "adakv", "budget": 256, "skew": "zipf-1.0"},
 "scheduler": {"max_batch_size": 16, "max_batched_tokens": 2048},
 "variants": [{"name": "tensor_parallel", "set": {"/placement": {"kind": "tensor_parallel"}}},
              {"name": "fair_copying", "set": {"/placement": {"kind": "fair_copying"}}}]}
JSON
"$kvsim" run "$work/run.json" --quiet --out "$work/run"
"$kvsim" report "$work/run" --quiet
expect_ok "$work/run/report.html" 8

# A sweep: 4 throughput/latency charts + memory per placement (2).
"$kvsim" sweep "$src/tests/sweep/tiny_sweep.json" --out "$work/sweep" --quiet
"$kvsim" report "$work/sweep" --quiet
expect_ok "$work/sweep/report.html" 6

# A plan (bar chart) and a validation (scatter) in one folder.
cat > "$work/plan.json" <<JSON
{"schema_version": 1, "base": "$work/run.json", "traffic": {"rate_per_s": 4, "requests": 24},
 "slo": {"ttft_p99_s": 2, "tpot_p99_s": 0.2},
 "search": {"gpus": [1, 2], "placements": ["tensor_parallel", "fair_copying"], "iterations": 3}}
JSON
"$kvsim" plan "$work/plan.json" --out "$work/plan" --quiet
cat > "$work/plan/validation.json" <<'JSON'
{"points": [{"name": "decode step, batch 8", "predicted_s": 0.010, "measured_s": 0.011},
            {"name": "decode step, batch 64", "predicted_s": 0.030, "measured_s": 0.028}]}
JSON
"$kvsim" report "$work/plan" --quiet
expect_ok "$work/plan/report.html" 2

# The check itself: a page whose script throws must not pass.
sed 's/"runs":\[{/"runs":[null,{/' "$work/run/report.html" > "$work/broken.html"
s=$(status_of "$work/broken.html")
case "$s" in
  error:*) echo "ok: a broken page reports '$s'" ;;
  *) echo "FAILED: a broken page reported '$s'"; exit 1 ;;
esac
echo "PASSED"
