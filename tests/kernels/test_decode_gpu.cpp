// GPU tests of decode attention over the per-head cache and of the append kernel, against the CPU
// references: lengths 0, 1, 7, 4096 and 131072, skew 1x to 1000x, group sizes 1, 4, 8, head_dim 64
// and 128, outputs poisoned (NaN) before each launch, fresh random inputs each run.
//   ctest -L gpu   or   build-gpu/tests/kernels/test_decode_gpu  (KVSIM_TEST_SMALL=1: small sizes)
#include "tests/kernels/gpu_test_util.h"
#include "tests/support/catch.h"

#include "kernels/attention/decode.h"
#include "kernels/kernels.h"
#include "kernels/kv_cache/append.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/kv_cache_ref.h"

#include <algorithm>
#include <cmath>

namespace kvsim::kernels::test {
namespace {

// One layer's cache on host and device, filled with random rows (also beyond each length, so a
// kernel reading past a segment's end gets a wrong answer rather than zeros).
struct Layer {
  int B, Hkv, D;
  SegmentTable table;
  std::vector<int32_t> lengths;
  std::vector<bf16_bits> k, v;
  DeviceBuffer<bf16_bits> dk, dv;
  DeviceBuffer<int64_t> doffset;
  DeviceBuffer<int32_t> dcapacity, dlength;

  Layer(int b, int hkv, int d, std::vector<int32_t> lens, int32_t headroom, std::mt19937_64& rng, int32_t granule = 8)
      : B(b), Hkv(hkv), D(d), table(SegmentTable::build(lens, headroom, granule)), lengths(std::move(lens)) {
    const std::size_t n = static_cast<std::size_t>(std::max<int64_t>(table.pool_rows, 1)) * D;
    k = random_bf16(n, rng, -1.0f, 1.0f);
    v = random_bf16(n, rng, -1.0f, 1.0f);
    dk = to_device(k);
    dv = to_device(v);
    doffset = to_device(table.offset);
    dcapacity = to_device(table.capacity);
    dlength = to_device(lengths);
  }
  KvCacheView view() {
    return {bf(dk), bf(dv), doffset.data(), dcapacity.data(), dlength.data(), B, Hkv, D};
  }
  ref::CacheRef ref_view() const { return {k.data(), v.data(), table.offset, lengths, B, Hkv, D}; }
};

struct Result {
  double worst_row_error;
  double worst_lse_error;
};

// Runs decode for `layers` (sharing one plan) and compares each with the reference.
std::vector<Result> check_decode(std::vector<Layer*> layers, int G, std::mt19937_64& rng) {
  const int B = layers[0]->B, Hkv = layers[0]->Hkv, D = layers[0]->D;
  const int heads = Hkv * G;
  std::vector<int32_t> all_lengths;
  for (Layer* l : layers) all_lengths.insert(all_lengths.end(), l->lengths.begin(), l->lengths.end());
  DecodePlan plan(decode_schedule_config_for_device(D));
  plan.update(all_lengths, static_cast<int>(layers.size()), B * Hkv);

  std::vector<Result> results;
  for (std::size_t li = 0; li < layers.size(); ++li) {
    Layer& layer = *layers[li];
    const auto q = random_bf16(static_cast<std::size_t>(B) * heads * D, rng, -2.0f, 2.0f);
    auto dq = to_device(q);
    DeviceBuffer<bf16_bits> dout(q.size());
    DeviceBuffer<float> dlse(static_cast<std::size_t>(B) * heads);
    dout.fill_bytes(0xff);  // NaN poison
    dlse.fill_bytes(0xff);
    const DecodeParams params{.q = bf(dq), .cache = layer.view(), .plan = &plan, .layer = static_cast<int>(li),
                              .group_size = G, .out = bf(dout), .lse = dlse.data()};
    const KernelParams any = params;
    REQUIRE(supported(any).ok);
    DeviceBuffer<uint8_t> ws(std::max<std::size_t>(workspace_bytes(any), 1));
    ws.fill_bytes(0xff);
    run(any, ws.data(), nullptr);
    KVSIM_CUDA_CHECK(cudaDeviceSynchronize());

    std::vector<double> ref_out, ref_lse;
    ref::decode_attention_ref(q.data(), layer.ref_view(), G, 1.0 / std::sqrt(double(D)), ref_out, ref_lse);
    const auto out = dout.download();
    const auto lse = dlse.download();
    Result r{worst_row_error(out, ref_out, static_cast<std::size_t>(D)), 0.0};
    for (std::size_t h = 0; h < lse.size(); ++h) {
      if (std::isinf(ref_lse[h])) {
        r.worst_lse_error = std::max(r.worst_lse_error, std::isinf(lse[h]) && lse[h] < 0 ? 0.0 : INFINITY);
      } else {
        const double e = std::abs(lse[h] - ref_lse[h]) / std::max(1.0, std::abs(ref_lse[h]));
        r.worst_lse_error = std::max(r.worst_lse_error, std::isfinite(lse[h]) ? e : INFINITY);
      }
    }
    results.push_back(r);
  }
  return results;
}

}  // namespace

TEST_CASE("decode: mixed lengths 0/1/7/4096, group sizes 1/4/8, head_dim 64/128", "[gpu][decode]") {
  auto rng = fresh_rng("decode mixed");
  const std::vector<int32_t> palette = small_mode() ? std::vector<int32_t>{0, 1, 7, 65, 300}
                                                    : std::vector<int32_t>{0, 1, 7, 4096, 300, 65};
  for (const int D : {64, 128}) {
    for (const int G : {1, 4, 8}) {
      const int B = 3, Hkv = 4;
      std::vector<int32_t> lengths(B * Hkv);
      for (std::size_t i = 0; i < lengths.size(); ++i) lengths[i] = palette[(i + rng()) % palette.size()];
      lengths[0] = 0;
      lengths[1] = 1;
      lengths[2] = 7;
      Layer layer(B, Hkv, D, lengths, 0, rng);
      const Result r = check_decode({&layer}, G, rng)[0];
      INFO("D=" << D << " G=" << G);
      CHECK(r.worst_row_error <= 1e-2);
      CHECK(r.worst_lse_error <= 1e-3);
    }
  }
}

TEST_CASE("decode: skew from 1x to 1000x between the heads of a request", "[gpu][decode]") {
  auto rng = fresh_rng("decode skew");
  const int base = small_mode() ? 16 : 128;
  const std::vector<int> skews = small_mode() ? std::vector<int>{1, 10} : std::vector<int>{1, 10, 100, 1000};
  for (const int skew : skews) {
    const int B = small_mode() ? 2 : 4, Hkv = 8, G = 8, D = 128;
    std::vector<int32_t> lengths(B * Hkv, base);
    for (int b = 0; b < B; ++b) lengths[b * Hkv + b % Hkv] = base * skew;
    Layer layer(B, Hkv, D, lengths, 0, rng);
    const Result r = check_decode({&layer}, G, rng)[0];
    INFO("skew=" << skew);
    CHECK(r.worst_row_error <= 1e-2);
    CHECK(r.worst_lse_error <= 1e-3);
  }
}

TEST_CASE("decode: uniform lengths over 4 rounds of CTAs, kept whole (no split, no merge)", "[gpu][decode]") {
  // 528 segments = 2 rounds of 132 SMs x 2 CTAs: on an H200 the schedule keeps every segment whole
  // (prefer_direct) and run() launches no merge kernel. Elsewhere it may split; both must be right.
  auto rng = fresh_rng("decode uniform direct");
  const int32_t n = small_mode() ? 300 : 1000;
  const int B = 66, Hkv = 8, G = 8, D = 128;
  Layer layer(B, Hkv, D, std::vector<int32_t>(B * Hkv, n), 0, rng);
  const Result r = check_decode({&layer}, G, rng)[0];
  CHECK(r.worst_row_error <= 1e-2);
  CHECK(r.worst_lse_error <= 1e-3);
}

TEST_CASE("decode: one segment of 131072 tokens beside a short one", "[gpu][decode][long]") {
  auto rng = fresh_rng("decode long");
  const int32_t n = small_mode() ? 5000 : 131072;
  Layer layer(1, 2, 128, {n, 7}, 0, rng);
  const Result r = check_decode({&layer}, 8, rng)[0];
  CHECK(r.worst_row_error <= 1e-2);
  CHECK(r.worst_lse_error <= 1e-3);
}

TEST_CASE("decode: one plan serves several layers with different per-head lengths", "[gpu][decode]") {
  auto rng = fresh_rng("decode layers");
  Layer l0(2, 4, 128, {10, 700, 0, 3000, 64, 1, 2000, 129}, 0, rng);
  Layer l1(2, 4, 128, {4000, 7, 300, 0, 1, 1, 650, 5000}, 0, rng);
  for (const Result& r : check_decode({&l0, &l1}, 4, rng)) {
    CHECK(r.worst_row_error <= 1e-2);
    CHECK(r.worst_lse_error <= 1e-3);
  }
}

TEST_CASE("append: writes one row in place, grows lengths, flags full segments", "[gpu][append]") {
  auto rng = fresh_rng("append");
  const int B = 3, Hkv = 4, D = 128;
  std::vector<int32_t> lengths{0, 5, 8, 100, 7, 1, 16, 31, 0, 2, 64, 9};
  // granule 8, headroom 0: segments whose length is a multiple of 8 are full.
  Layer layer(B, Hkv, D, lengths, 0, rng, 8);
  const auto new_k = random_bf16(static_cast<std::size_t>(B) * Hkv * D, rng, -1.0f, 1.0f);
  const auto new_v = random_bf16(new_k.size(), rng, -1.0f, 1.0f);
  auto dnk = to_device(new_k);
  auto dnv = to_device(new_v);
  DeviceBuffer<int32_t> overflow(1);
  overflow.fill_bytes(0);
  const AppendParams params{.cache = layer.view(), .new_k = bf(dnk), .new_v = bf(dnv), .overflow = overflow.data()};
  REQUIRE(supported(params).ok);
  run(params, nullptr, nullptr);
  const bool ref_overflow =
      ref::append_ref(layer.k, layer.v, layer.table.offset, layer.table.capacity, layer.lengths, new_k, new_v, D);
  CHECK(ref_overflow);
  CHECK(overflow.download()[0] == 1);
  CHECK(layer.dlength.download() == layer.lengths);
  CHECK(layer.dk.download() == layer.k);
  CHECK(layer.dv.download() == layer.v);
  // Decode right after the append sees the new token.
  const Result r = check_decode({&layer}, 8, rng)[0];
  CHECK(r.worst_row_error <= 1e-2);
}

}  // namespace kvsim::kernels::test
