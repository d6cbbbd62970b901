// GPU tests of A-VL sparse decode attention and of the refresh step (image-token scores, top-k
// core selection) against the CPU references, with fresh random layouts and inputs each run, and
// of their row mapping (queries and outputs as strided rows of a larger buffer, as the runtime
// calls them) against the packed launch.
//   ctest -L gpu   or   build-gpu/tests/kernels/test_avl_gpu  (KVSIM_TEST_SMALL=1: small sizes)
#include "tests/kernels/gpu_test_util.h"
#include "tests/support/catch.h"

#include "kernels/attention/avl_refresh.h"
#include "kernels/attention/avl_sparse.h"
#include "kernels/attention/decode.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/topk_ref.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kvsim::kernels::test {
namespace {

struct AvlCase {
  int B, Hkv, G, D;
  std::vector<AvlRequest> requests;
  std::vector<int32_t> core_idx;
  std::vector<int32_t> lengths;  // per segment
  SegmentTable table;
  std::vector<bf16_bits> k, v, q;
};

AvlCase make_case(int B, int Hkv, int G, int D, std::mt19937_64& rng) {
  AvlCase c{B, Hkv, G, D, {}, {}, {}, {}, {}, {}, {}};
  const int max_sec = small_mode() ? 64 : 576;
  for (int b = 0; b < B; ++b) {
    AvlRequest r;
    r.prefix_len = std::vector<int>{0, 5, 35}[b % 3];
    r.num_secondary = b == 1 ? 0 : static_cast<int32_t>(rng() % (max_sec + 1));
    r.num_core = b == 2 ? r.num_secondary : static_cast<int32_t>(rng() % (r.num_secondary + 1));
    r.core_offset = static_cast<int32_t>(c.core_idx.size());
    std::vector<int32_t> all(static_cast<std::size_t>(r.num_secondary));
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(static_cast<std::size_t>(r.num_core));
    std::sort(all.begin(), all.end());
    c.core_idx.insert(c.core_idx.end(), all.begin(), all.end());
    c.requests.push_back(r);
    const int text = static_cast<int>(rng() % (small_mode() ? 40 : 300));
    for (int h = 0; h < Hkv; ++h) c.lengths.push_back(r.prefix_len + r.num_secondary + text);
  }
  if (c.core_idx.empty()) c.core_idx.push_back(0);  // keep the device array non-empty
  c.table = SegmentTable::build(c.lengths, 4);
  const std::size_t rows = static_cast<std::size_t>(std::max<int64_t>(c.table.pool_rows, 1));
  c.k = random_bf16(rows * D, rng, -1.0f, 1.0f);
  c.v = random_bf16(rows * D, rng, -1.0f, 1.0f);
  c.q = random_bf16(static_cast<std::size_t>(B) * Hkv * G * D, rng, -2.0f, 2.0f);
  return c;
}

struct DeviceCase {
  DeviceBuffer<bf16_bits> k, v, q;
  DeviceBuffer<int64_t> offset;
  DeviceBuffer<int32_t> capacity, length, core_idx;
  DeviceBuffer<AvlRequest> requests;
  explicit DeviceCase(const AvlCase& c)
      : k(to_device(c.k)), v(to_device(c.v)), q(to_device(c.q)), offset(to_device(c.table.offset)),
        capacity(to_device(c.table.capacity)), length(to_device(c.lengths)), core_idx(to_device(c.core_idx)),
        requests(to_device(c.requests)) {}
  KvCacheView view(const AvlCase& c) {
    return {bf(k), bf(v), offset.data(), capacity.data(), length.data(), c.B, c.Hkv, c.D};
  }
};

}  // namespace

TEST_CASE("avl_sparse: prefix + core + text attention matches the reference", "[gpu][avl]") {
  auto rng = fresh_rng("avl sparse");
  // On every visible GPU: the kernel's shared-memory opt-in is a per-device attribute.
  int devices = 0;
  REQUIRE(cudaGetDeviceCount(&devices) == cudaSuccess);
  for (int device = 0; device < devices; ++device) {
  REQUIRE(cudaSetDevice(device) == cudaSuccess);
  for (const int G : {1, 4}) {
    for (const int D : {64, 128}) {
      AvlCase c = make_case(3, 4, G, D, rng);
      DeviceCase d(c);
      std::vector<int32_t> sparse_lengths;
      for (std::size_t s = 0; s < c.lengths.size(); ++s)
        sparse_lengths.push_back(avl_sparse_tokens(c.requests[s / c.Hkv], c.lengths[s]));
      DecodePlan plan(decode_schedule_config_for_device(D));
      plan.update(sparse_lengths, 1, c.B * c.Hkv);
      DeviceBuffer<bf16_bits> out(c.q.size());
      out.fill_bytes(0xff);
      const AvlSparseParams p{.q = bf(d.q), .cache = d.view(c), .requests = d.requests.data(),
                              .core_idx = d.core_idx.data(), .plan = &plan, .layer = 0, .group_size = G,
                              .out = bf(out)};
      REQUIRE(supported(p).ok);
      DeviceBuffer<uint8_t> ws(std::max<std::size_t>(workspace_bytes(p), 1));
      run(p, ws.data(), nullptr);
      std::vector<double> ref_out, ref_lse;
      ref::avl_sparse_attention_ref(c.q.data(), {c.k.data(), c.v.data(), c.table.offset, c.lengths, c.B, c.Hkv, D},
                                    G, 1.0 / std::sqrt(double(D)), c.requests, c.core_idx, ref_out, ref_lse);
      INFO("device " << device << " G=" << G << " D=" << D);
      CHECK(worst_row_error(out.download(), ref_out, static_cast<std::size_t>(D)) <= 1e-2);
    }
  }
  }
  REQUIRE(cudaSetDevice(0) == cudaSuccess);
}

TEST_CASE("avl refresh: head-averaged image scores and top-k core", "[gpu][avl]") {
  auto rng = fresh_rng("avl refresh");
  const int G = 4, D = 128;
  AvlCase c = make_case(3, 4, G, D, rng);
  DeviceCase d(c);
  // Dense attention over the whole segment gives the lse the scores need.
  DecodePlan plan(decode_schedule_config_for_device(D));
  plan.update(c.lengths, 1, c.B * c.Hkv);
  DeviceBuffer<bf16_bits> out(c.q.size());
  DeviceBuffer<float> lse(static_cast<std::size_t>(c.B) * c.Hkv * G);
  const DecodeParams dense{.q = bf(d.q), .cache = d.view(c), .plan = &plan, .group_size = G, .out = bf(out),
                           .lse = lse.data()};
  DeviceBuffer<uint8_t> ws(std::max<std::size_t>(workspace_bytes(dense), 1));
  run(dense, ws.data(), nullptr);

  int max_sec = 1;
  for (const AvlRequest& r : c.requests) max_sec = std::max(max_sec, r.num_secondary);
  DeviceBuffer<float> scores(static_cast<std::size_t>(c.B) * max_sec);
  scores.fill_bytes(0xff);
  const AvlImageScoresParams sp{.q = bf(d.q), .cache = d.view(c), .requests = d.requests.data(), .lse = lse.data(),
                                .group_size = G, .max_secondary = max_sec, .scores = scores.data(),
                                .score_stride = max_sec};
  REQUIRE(supported(sp).ok);
  DeviceBuffer<uint8_t> sws(std::max<std::size_t>(workspace_bytes(sp), 1));
  run(sp, sws.data(), nullptr);
  std::vector<double> ref_scores;
  ref::avl_image_scores_ref(c.q.data(), {c.k.data(), c.v.data(), c.table.offset, c.lengths, c.B, c.Hkv, D}, G,
                            1.0 / std::sqrt(double(D)), c.requests, max_sec, ref_scores);
  const auto got = scores.download();
  for (int b = 0; b < c.B; ++b) {
    const double err = rel_error([&](std::size_t i) { return double{got[i]}; }, ref_scores,
                                 static_cast<std::size_t>(b) * max_sec, c.requests[b].num_secondary);
    CHECK(err <= 1e-2);
  }

  // New core: top num_core of the GPU's own scores, compared exactly with the reference top-k.
  d.core_idx.fill_bytes(0xff);
  const AvlSelectCoreParams cp{.scores = scores.data(), .score_stride = max_sec, .num_requests = c.B,
                               .requests = d.requests.data(), .core_idx = d.core_idx.data()};
  DeviceBuffer<uint8_t> cws(workspace_bytes(cp));
  run(cp, cws.data(), nullptr);
  const auto core = d.core_idx.download();
  for (int b = 0; b < c.B; ++b) {
    const AvlRequest& r = c.requests[b];
    const std::vector<int32_t> want = ref::topk_ref(
        std::span<const float>(got).subspan(static_cast<std::size_t>(b) * max_sec, r.num_secondary), r.num_core);
    const std::vector<int32_t> have(core.begin() + r.core_offset, core.begin() + r.core_offset + r.num_core);
    CHECK(have == want);
  }
}

TEST_CASE("avl row mapping: strided rows, skipped requests, dense requests, absent heads", "[gpu][avl]") {
  auto rng = fresh_rng("avl row mapping");
  const int G = 2, D = 128;
  AvlCase c = make_case(3, 4, G, D, rng);
  DeviceCase d(c);
  const int64_t packed = int64_t{c.Hkv} * G * D, qs = packed + 64, os = packed + 32;
  const int rows = 5;
  const std::vector<int32_t> q_row = {4, -1, 2};  // request 1 skipped; rows 0, 1, 3 belong to nobody
  std::vector<bf16_bits> q_rows(static_cast<std::size_t>(rows * qs), ref::float_to_bf16(NAN));
  for (int b = 0; b < c.B; ++b)
    if (q_row[b] >= 0)
      std::copy_n(c.q.begin() + b * packed, packed, q_rows.begin() + q_row[b] * qs);
  DeviceBuffer<bf16_bits> dq = to_device(q_rows);
  DeviceBuffer<int32_t> drow = to_device(q_row);

  // Request 2 refreshes: it is attended densely (prefix covering the segment), the others sparsely.
  std::vector<AvlRequest> step = c.requests;
  step[2] = AvlRequest{.prefix_len = INT32_MAX, .num_secondary = 0, .num_core = 0, .core_offset = 0};
  DeviceBuffer<AvlRequest> dstep = to_device(step);
  std::vector<int32_t> lengths;
  for (std::size_t s = 0; s < c.lengths.size(); ++s)
    lengths.push_back(avl_sparse_tokens(step[s / c.Hkv], c.lengths[s]));
  DecodePlan plan(decode_schedule_config_for_device(D));
  plan.update(lengths, 1, c.B * c.Hkv);

  DeviceBuffer<bf16_bits> out_packed(c.q.size()), out_rows(static_cast<std::size_t>(rows * os));
  out_rows.fill_bytes(0xff);
  DeviceBuffer<float> lse_packed(static_cast<std::size_t>(c.B) * c.Hkv * G), lse_rows(lse_packed.size());
  AvlSparseParams p{.q = bf(d.q), .cache = d.view(c), .requests = dstep.data(), .core_idx = d.core_idx.data(),
                    .plan = &plan, .layer = 0, .group_size = G, .out = bf(out_packed), .lse = lse_packed.data()};
  DeviceBuffer<uint8_t> ws(std::max<std::size_t>(workspace_bytes(p), 1));
  run(p, ws.data(), nullptr);
  p.q = bf(dq);
  p.out = bf(out_rows);
  p.lse = lse_rows.data();
  p.q_row = drow.data();
  p.q_row_stride = qs;
  p.out_row_stride = os;
  REQUIRE(supported(p).ok);
  run(p, ws.data(), nullptr);
  const auto a = out_packed.download(), b = out_rows.download();
  for (int r = 0; r < c.B; ++r) {
    INFO("request " << r);
    if (q_row[r] < 0) continue;
    CHECK(std::equal(a.begin() + r * packed, a.begin() + (r + 1) * packed, b.begin() + q_row[r] * os));
  }
  for (const int untouched : {0, 1, 3})
    CHECK(std::all_of(b.begin() + untouched * os, b.begin() + (untouched + 1) * os,
                      [](bf16_bits x) { return x == 0xffff; }));
  // The dense request matches plain decode attention over its whole segments.
  {
    DecodePlan dense_plan(decode_schedule_config_for_device(D));
    dense_plan.update(c.lengths, 1, c.B * c.Hkv);
    DeviceBuffer<bf16_bits> out_dense(c.q.size());
    const DecodeParams dp{.q = bf(d.q), .cache = d.view(c), .plan = &dense_plan, .group_size = G, .out = bf(out_dense)};
    DeviceBuffer<uint8_t> dws(std::max<std::size_t>(workspace_bytes(dp), 1));
    run(dp, dws.data(), nullptr);
    const auto dense = out_dense.download();
    std::vector<double> want(dense.begin() + 2 * packed, dense.begin() + 3 * packed);
    for (auto& x : want) x = ref::bf16_to_float(static_cast<bf16_bits>(x));
    std::vector<bf16_bits> got(a.begin() + 2 * packed, a.begin() + 3 * packed);
    CHECK(worst_row_error(got, want, static_cast<std::size_t>(D)) <= 1e-2);
  }

  // Scores of the refreshing request 2 from strided rows, with its kv head 3 absent on this GPU
  // (segment length 0 in `lengths`): the mean over the q heads of kv heads 0..2, from the dense lse.
  const int max_sec = std::max(1, c.requests[2].num_secondary);
  std::vector<AvlRequest> refresh(c.B, AvlRequest{});
  refresh[2] = c.requests[2];
  DeviceBuffer<AvlRequest> drefresh = to_device(refresh);
  std::vector<int32_t> live = c.lengths;
  live[2 * c.Hkv + 3] = 0;
  DeviceBuffer<int32_t> dlive = to_device(live);
  DeviceBuffer<float> scores(static_cast<std::size_t>(c.B) * max_sec);
  scores.fill_bytes(0xff);
  const AvlImageScoresParams sp{.q = bf(dq), .cache = d.view(c), .requests = drefresh.data(), .lse = lse_rows.data(),
                                .group_size = G, .max_secondary = max_sec, .scores = scores.data(),
                                .score_stride = max_sec, .q_row = drow.data(), .q_row_stride = qs,
                                .lengths = dlive.data()};
  REQUIRE(supported(sp).ok);
  DeviceBuffer<uint8_t> sws(std::max<std::size_t>(workspace_bytes(sp), 1));
  run(sp, sws.data(), nullptr);
  const auto got = scores.download();
  const auto lse = lse_rows.download();
  const AvlRequest& r2 = c.requests[2];
  const double scale = 1.0 / std::sqrt(double(D));
  double worst = 0;
  for (int t = 0; t < r2.num_secondary; ++t) {
    double total = 0;
    for (int kvh = 0; kvh < 3; ++kvh) {
      const int64_t krow = (c.table.offset[static_cast<std::size_t>(2 * c.Hkv + kvh)] + r2.prefix_len + t) * D;
      for (int g = 0; g < G; ++g) {
        const int h = kvh * G + g;
        double dot = 0;
        for (int e = 0; e < D; ++e)
          dot += double(ref::bf16_to_float(c.q[static_cast<std::size_t>(2 * packed + h * D + e)])) *
                 ref::bf16_to_float(c.k[static_cast<std::size_t>(krow + e)]);
        total += std::exp(dot * scale - lse[static_cast<std::size_t>(2 * c.Hkv * G + h)]);
      }
    }
    const double want = total / (3.0 * G);
    worst = std::max(worst, std::abs(got[static_cast<std::size_t>(2 * max_sec + t)] - want) / std::max(want, 1e-30));
  }
  if (r2.num_secondary == 0) WARN("this draw gave request 2 no image tokens: its scores were not checked");
  CHECK(worst <= 1e-3);
  // Requests 0 (no refresh: num_secondary 0 here) and 1 (skipped row) are not written.
  CHECK(std::all_of(got.begin(), got.begin() + 2 * max_sec, [](float x) { return std::isnan(x); }));
}

}  // namespace kvsim::kernels::test
