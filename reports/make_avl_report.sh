#!/usr/bin/env bash
# Regenerates reports/avl.md: runs the A-VL scenarios (scenarios/avl/) with kvsim and formats their
# summaries with jq. Deterministic: the same build gives the same file.
#   cmake --build build --target kvsim && reports/make_avl_report.sh [path/to/kvsim]
# Needs jq (cmake/install-deps.sh installs it). Writes nothing unless every run succeeds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kvsim=${1:-$root/build/sim/cli/kvsim}
[[ -x $kvsim ]] || { echo "make_avl_report: no kvsim at $kvsim (build it, or pass its path)" >&2; exit 2; }
command -v jq > /dev/null || { echo "make_avl_report: jq is needed (apt-get install jq)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
scenarios=(llava15_7b_1gpu llava_next_7b_1gpu llava_next_mistral_2gpu_placements)
for s in "${scenarios[@]}"; do
  "$kvsim" run "$root/scenarios/avl/$s.json" --out "$out/$s" --reproducible --quiet
done

# One summary per variant, in the scenario's order, as a JSON array.
variants() { jq -c '[.variants[].name]' "$out/$1/summary.json"; }
collect() {
  local s=$1 list
  list=$(variants "$s")
  jq -s --argjson names "$list" '[range(0; length) as $i | .[$i] + {variant: $names[$i]}]' \
    $(jq -r '.[]' <<< "$list" | sed "s|^|$out/$s/|; s|$|/summary.json|")
}

# Policy table of a one-GPU scenario, every figure also relative to the "full" variant.
policy_table() {
  collect "$1" | jq -r '
    (.[] | select(.variant == "full")) as $f
    | def rel(x; y): if y > 0 then "\(((x / y) * 100 | round))%" else "-" end;
      def fmt(x; d): (x * pow(10; d) | round) / pow(10; d) | tostring;
      "| policy | KV per request (MiB) | vs full | decode attention per token (µs) | vs full | throughput (tokens/s) | vs full | TPOT p50 (ms) | running at peak |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      (.[] | "| \(.variant) | \(fmt(.requests.kv_bytes_mean / 1048576; 1)) | \(rel(.requests.kv_bytes_mean; $f.requests.kv_bytes_mean))"
             + " | \(fmt(.decode_attention_s.per_decode_token * 1e6; 2)) | \(rel(.decode_attention_s.per_decode_token; $f.decode_attention_s.per_decode_token))"
             + " | \(.throughput.output_tokens_per_s | round) | \(rel(.throughput.output_tokens_per_s; $f.throughput.output_tokens_per_s))"
             + " | \(fmt(.latency_s.tpot.p50 * 1e3; 1)) | \(.peak_running_requests) |")'
}
policies() { collect "$1" | jq -r '.[] | "- `\(.variant)`: \(.notes.kv_policy)"'; }

placement_table() {
  collect "$1" | jq -r '
    (.[0]) as $f
    | def fmt(x; d): (x * pow(10; d) | round) / pow(10; d) | tostring;
      "| variant | KV per request (MiB) | peak KV max/mean over GPUs | attention max/mean | decode attention per token (µs) | throughput (tokens/s) | vs \($f.variant) |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      (.[] | "| \(.variant) | \(fmt(.requests.kv_bytes_mean / 1048576; 1)) | \(fmt(.imbalance.kv_bytes_max_over_mean; 3))"
             + " | \(fmt(.imbalance.attention_max_over_mean; 3)) | \(fmt(.decode_attention_s.per_decode_token * 1e6; 2))"
             + " | \(.throughput.output_tokens_per_s | round) | \((.throughput.output_tokens_per_s / $f.throughput.output_tokens_per_s * 100 | round))% |")'
}
# A figure of one variant: value SCENARIO VARIANT JQ-EXPRESSION
value() { jq -r "$3" "$out/$1/$2/summary.json"; }
pct() { jq -n "($1) / ($2) * 100 | round"; }

l15=llava15_7b_1gpu; nxt=llava_next_7b_1gpu; plc=llava_next_mistral_2gpu_placements
kv15=$(pct "$(value $l15 a_vl .requests.kv_bytes_mean)" "$(value $l15 full .requests.kv_bytes_mean)")
at15=$(pct "$(value $l15 a_vl .decode_attention_s.per_decode_token)" "$(value $l15 full .decode_attention_s.per_decode_token)")
kvnx=$(pct "$(value $nxt a_vl .requests.kv_bytes_mean)" "$(value $nxt full .requests.kv_bytes_mean)")
atnx=$(pct "$(value $nxt a_vl .decode_attention_s.per_decode_token)" "$(value $nxt full .decode_attention_s.per_decode_token)")
runf=$(value $nxt full .peak_running_requests); runa=$(value $nxt a_vl .peak_running_requests)
# Placement study: decode attention and throughput of the best FairKV placement against TP.
dtp=$(value $plc a_vl_adakv_tp .decode_attention_s.per_decode_token)
dbest=$(jq -n "[$(value $plc a_vl_adakv_best .decode_attention_s.per_decode_token), $(value $plc a_vl_adakv_fair .decode_attention_s.per_decode_token)] | min")
datt=$(jq -n "(1 - $dbest / $dtp) * 1000 | round / 10")
ttp=$(value $plc a_vl_adakv_tp .throughput.output_tokens_per_s)
tbest=$(jq -n "[$(value $plc a_vl_adakv_best .throughput.output_tokens_per_s), $(value $plc a_vl_adakv_fair .throughput.output_tokens_per_s)] | max")
tgain=$(jq -n "($tbest / $ttp - 1) * 1000 | round / 10")

# Every block is computed before anything is written, so a failure leaves the old report in place.
table15=$(policy_table $l15); policies15=$(policies $l15); tablenx=$(policy_table $nxt); tableplc=$(placement_table $plc)
version=$(git -C "$root" describe --always --dirty 2>/dev/null || echo "unknown")
tmp=$(mktemp "$root/reports/.avl.md.XXXXXX")
trap 'rm -rf "$out" "$tmp"' EXIT
cat > "$tmp" <<MD
# A-VL and other vision-token policies in kvsim

Generated by \`reports/make_avl_report.sh\` from \`scenarios/avl/*.json\` (roofline executor, H200
datasheet rates; kvsim ${version}). Do not edit by hand.

Every scenario is a closed batch of 1024 requests laid out as LLaVA prompts are: a 35-token system
prefix, the image tokens, a text prompt of 20 to 100 tokens (1024 to 4096 in the placement study),
and 64 to 256 output tokens; continuous batching with up to 256 running requests and 8192 tokens per
step. "KV per request" is what a request holds at its last decode step over all GPUs;
"decode attention per token" is the decode attention on each step's critical path (per layer, the
slowest GPU) divided by the tokens decoded; throughput is output tokens per second of the whole run,
prefill included.

## LLaVA-1.5-7B, one image (576 tokens), 1 x H200

${table15}

Policies (as \`summary.json\` notes them):

${policies15}

## LLaVA-NeXT-7B (Vicuna-7B body), one image of 2880 tokens (5 tiles), 1 x H200

${tablenx}

## What the simulator shows, and why

- **Memory follows what a policy stores.** A-VL with its evaluation-script settings keeps half the
  image tokens and 60% of the text (at least 20 tokens): ${kv15}% of the full cache per request on
  LLaVA-1.5 and ${kvnx}% on LLaVA-NeXT, where the image is a larger share of the prompt. H2O (12.5% +
  37.5% of the sequence) and StreamingLLM (here sink 4 + a window of half the mean prompt) store as
  little or less, because they evict image tokens as freely as text; FastV stores more, because its
  first two layers keep every image token and it keeps every generated token. kvsim models cost, not
  accuracy: which of these answers as well as the full cache is the papers' question, not this one's.
- **Decode attention follows what a policy computes.** A-VL attends to the 30% core of the image
  tokens on two steps of three and to all stored (50%) image tokens on every third (refresh) step,
  so its decode attention per token is ${at15}% (LLaVA-1.5) and ${atnx}% (LLaVA-NeXT) of the full
  cache's, below what its memory alone would give. The command-line defaults (\`a_vl_cli\`: compute
  40%, no refresh, text 50%) land close to it. Decode attention here is memory-bound (the roofline
  reads every computed KV row), so time is proportional to computed tokens.
- **Throughput depends on what else the step does.** On LLaVA-1.5 the full cache already fits 256
  requests, so the gain is decode attention time only, diluted by the weights' GEMMs and by prefill
  (the 576-token image is most of each prompt). On LLaVA-NeXT the full cache fills the GPU at
  ${runf} running requests; A-VL's smaller cache admits ${runa}, so decode steps carry larger batches
  (higher TPOT, more tokens per second). The prefill filter (\`a_vl_filter\`: FastV-style, half the
  image tokens dropped after layer 3) adds the largest throughput gain at this prompt mix because
  prefill, not decode attention, dominates step time when every prompt carries an image; it leaves
  memory unchanged when A-VL already keeps only half the image tokens.
- **The vision tower** (CLIP ViT-L/14-336 and LLaVA's 2-layer projector, about 0.4 TFLOP per 336 px
  tile) is costed with each prompt's first prefill chunk: about 5% of the prefill FLOPs of these
  prompts (one tile against about 9 TFLOP of LLaVA-1.5 prefill, five against about 40 on LLaVA-NeXT).

## A-VL with per-head text budgets under multi-GPU placements

LLaVA-NeXT-Mistral-7B (8 kv heads, GQA) on 2 x H200, long text prompts (document questions) after
one 2880-token image. The text tokens take AdaKV budgets (512 per head on average, Zipf-skewed head
weights); the image tokens follow A-VL, one count per layer for all heads.

${tableplc}

Per-head text budgets make some GPUs hold and read more than others under TP; FairKV's best-effort
assignment and Fair-Copying even that out (max/mean closer to 1), cutting decode attention per token by
${datt}% against TP. Throughput moves by ${tgain}% only: A-VL's image tokens, the same count for every
head of a layer, are most of each head's cache, so the per-head budgets unbalance little, and prefill
of the long prompts dominates the run.

## The A-VL paper's reported reductions

Neither DESIGN.md nor the paper's abstract (arXiv 2409.14846, AAAI 2025) gives measured memory or
latency figures, so this report quotes none beside the simulated ones. What A-VL's evaluation-script
settings imply by construction, before text and prefix tokens: the image KV cache is cut to 50%, and
image attention per decode step to 30% (two steps in three) or 50% (refresh steps), an average of
(2 x 30% + 50%) / 3 = 36.7% of the full image attention.

## Reproduce

\`\`\`
cmake --preset cpu && cmake --build --preset cpu --target kvsim
reports/make_avl_report.sh build-cpu/sim/cli/kvsim
\`\`\`
MD
chmod 644 "$tmp"
mv "$tmp" "$root/reports/avl.md"
trap 'rm -rf "$out"' EXIT
echo "wrote $root/reports/avl.md"
