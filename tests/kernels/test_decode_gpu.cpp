// GPU tests of decode attention over the per-head cache and of the append kernel, against the CPU
// references: lengths 0, 1, 7, 4096 and 131072, skew 1x to 1000x, group sizes 1, 4, 8, head_dim 64
// and 128, outputs poisoned (NaN) before each launch, fresh random inputs each run.
// Also q/out as permuted, padded rows of larger buffers (q_row, row strides, row_kv_heads).
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
#include <cstring>

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

// q and out as rows of larger strided buffers (q_row, q_row_stride, out_row_stride, row_kv_heads):
// requests in permuted rows, skipped requests (q_row -1, one of them even with tokens), head slots
// past row_kv_heads (length 0, as the runtime's h_max padding), padding between rows. Outputs are
// compared with the reference at the mapped rows; every other element of out and lse must keep its
// poison. zero_empty false: empty segments stay poisoned too.
TEST_CASE("decode: q_row permutation with skipped requests, padded row strides, row_kv_heads", "[gpu][decode]") {
  auto rng = fresh_rng("decode q_row");
  const int B = 5, Hkv = 4, Hr = 3, NR = 8;
  const std::vector<int32_t> q_row{6, -1, 0, -1, 3};
  const int32_t longest = small_mode() ? 1500 : 3000;
  for (const bool split : {true, false}) {
    std::vector<int32_t> lengths(B * Hkv, 0);
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < Hr; ++h) lengths[b * Hkv + h] = q_row[b] == -1 && b == 1 ? 0 : 1 + (37 * b + 61 * h) % 200;
    lengths[0 * Hkv + 1] = 0;   // an empty head of a decoding request: zeros (zero_empty) or untouched
    lengths[2 * Hkv + 2] = 7;
    if (split) lengths[4 * Hkv + 0] = longest;  // many chunks: the merge kernel writes it
    for (const int D : {64, 128}) {
      for (const int G : {1, 4, 8}) {
        for (const bool zero_empty : {true, false}) {
          INFO("split=" << split << " D=" << D << " G=" << G << " zero_empty=" << zero_empty);
          Layer layer(B, Hkv, D, lengths, 0, rng);
          DecodePlan plan(decode_schedule_config_for_device(D));
          plan.update(lengths, 1, B * Hkv);
          const int64_t row = int64_t{Hr} * G * D;
          const int64_t q_stride = row + 10;
          const int64_t out_stride = row + (zero_empty ? 8 : 7);  // vector and scalar output stores
          const auto q = random_bf16(static_cast<std::size_t>(NR * q_stride), rng, -2.0f, 2.0f);
          // The reference's packed q: [B][Hkv * G][D], request b's heads < Hr * G from its row.
          std::vector<bf16_bits> q_packed(static_cast<std::size_t>(B) * Hkv * G * D, 0);
          for (int b = 0; b < B; ++b)
            if (q_row[b] >= 0)
              std::copy_n(q.begin() + q_row[b] * q_stride, row, q_packed.begin() + int64_t{b} * Hkv * G * D);
          auto dq = to_device(q);
          auto drow = to_device(q_row);
          DeviceBuffer<bf16_bits> dout(static_cast<std::size_t>(NR * out_stride));
          DeviceBuffer<float> dlse(static_cast<std::size_t>(B) * Hkv * G);
          dout.fill_bytes(0xff);
          dlse.fill_bytes(0xff);
          DecodeParams params{.q = bf(dq), .cache = layer.view(), .plan = &plan, .layer = 0, .group_size = G,
                              .out = bf(dout), .lse = dlse.data()};
          params.q_row = drow.data();
          params.q_row_stride = q_stride;
          params.out_row_stride = out_stride;
          params.row_kv_heads = Hr;
          params.zero_empty = zero_empty;
          REQUIRE(supported(params).ok);
          DeviceBuffer<uint8_t> ws(std::max<std::size_t>(workspace_bytes(params), 1));
          ws.fill_bytes(0xff);
          run(params, ws.data(), nullptr);
          KVSIM_CUDA_CHECK(cudaDeviceSynchronize());

          std::vector<double> ref_out, ref_lse;
          ref::decode_attention_ref(q_packed.data(), layer.ref_view(), G, 1.0 / std::sqrt(double(D)), ref_out,
                                    ref_lse);
          const auto out = dout.download();
          const auto lse = dlse.download();
          std::vector<char> written(out.size(), 0), lse_written(lse.size(), 0);
          double worst = 0.0, worst_lse = 0.0;
          for (int b = 0; b < B; ++b) {
            if (q_row[b] < 0) continue;
            for (int h = 0; h < Hr; ++h) {
              if (lengths[b * Hkv + h] == 0 && !zero_empty) continue;
              for (int g = 0; g < G; ++g) {
                const int64_t head = (int64_t{b} * Hkv + h) * G + g;
                const int64_t at = q_row[b] * out_stride + (int64_t{h} * G + g) * D;
                std::fill_n(written.begin() + at, D, char{1});
                lse_written[static_cast<std::size_t>(head)] = 1;
                const auto got = [&](std::size_t i) {
                  return double{ref::bf16_to_float(out[static_cast<std::size_t>(at) + i - static_cast<std::size_t>(head * D)])};
                };
                worst = std::max(worst, rel_error(got, ref_out, static_cast<std::size_t>(head * D), static_cast<std::size_t>(D)));
                const double rl = ref_lse[static_cast<std::size_t>(head)], gl = lse[static_cast<std::size_t>(head)];
                worst_lse = std::max(worst_lse, std::isinf(rl) ? (std::isinf(gl) && gl < 0 ? 0.0 : INFINITY)
                                                               : std::isfinite(gl) ? std::abs(gl - rl) / std::max(1.0, std::abs(rl))
                                                                                   : INFINITY);
              }
            }
          }
          CHECK(worst <= 1e-2);
          CHECK(worst_lse <= 1e-3);
          std::size_t touched = 0, touched_lse = 0;
          for (std::size_t i = 0; i < out.size(); ++i) touched += !written[i] && out[i] != 0xffff ? 1 : 0;
          for (std::size_t i = 0; i < lse.size(); ++i) {
            uint32_t bits = 0;
            std::memcpy(&bits, &lse[i], sizeof(bits));
            touched_lse += !lse_written[i] && bits != 0xffffffffu ? 1 : 0;
          }
          CHECK(touched == 0);      // padding, unused rows, skipped requests, head slots >= Hr
          CHECK(touched_lse == 0);  // skipped requests and head slots >= Hr
        }
      }
    }
  }
}

TEST_CASE("decode: supported() rejects bad row strides and tokens in head slots past row_kv_heads", "[gpu][decode]") {
  auto rng = fresh_rng("decode q_row supported");
  const int B = 2, Hkv = 4, G = 4, D = 64;
  Layer layer(B, Hkv, D, {5, 5, 0, 0, 5, 5, 0, 3}, 0, rng);
  DecodePlan plan(decode_schedule_config_for_device(D));
  plan.update(layer.lengths, 1, B * Hkv);
  DeviceBuffer<bf16_bits> dq(static_cast<std::size_t>(B) * Hkv * G * D), dout(dq.size());
  DecodeParams p{.q = bf(dq), .cache = layer.view(), .plan = &plan, .group_size = G, .out = bf(dout)};
  CHECK(supported(p).ok);
  p.row_kv_heads = 3;  // segment 7 (request 1, kv head 3) has 3 tokens
  CHECK_FALSE(supported(p).ok);
  p.row_kv_heads = 5;
  CHECK_FALSE(supported(p).ok);
  p.row_kv_heads = 2;  // heads 2, 3 of request 0 and head 2 of request 1 are empty, head 3 is not
  CHECK_FALSE(supported(p).ok);
  p.row_kv_heads = 0;
  p.q_row_stride = int64_t{Hkv} * G * D - 2;  // shorter than a row
  CHECK_FALSE(supported(p).ok);
  p.q_row_stride = int64_t{Hkv} * G * D + 1;  // odd: q is read as 4-byte pairs
  CHECK_FALSE(supported(p).ok);
  p.q_row_stride = int64_t{Hkv} * G * D + 2;
  CHECK(supported(p).ok);
  p.out_row_stride = int64_t{Hkv} * G * D - 1;
  CHECK_FALSE(supported(p).ok);
  p.out_row_stride = int64_t{Hkv} * G * D + 1;
  CHECK(supported(p).ok);
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
