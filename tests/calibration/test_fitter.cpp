// The fitter (calibration/fitter) on synthetic points with known answers: the roofline fit, the
// interpolation and extrapolation of the cost model, leave-one-out, benchmark JSON reading, grids
// with missing cells, and the profile round trip.
#include "tests/support/catch.h"

#include <cmath>

#include "calibration/fitter/roofline_fit.h"
#include "sim/core/input_error.h"
#include "tests/calibration/calibration_test_util.h"

using namespace kvsim;

TEST_CASE("the roofline fit recovers overhead, bandwidth and peak from exact points") {
  const Roofline truth{.overhead_s = 5e-6, .bytes_per_s = 3e12, .flops_per_s = 7e14};
  // Several (n, k): on one shape bytes are an affine function of FLOPs and the three terms could
  // not be told apart.
  std::vector<calib::FitPoint> pts;
  for (const auto& [n, k] : {std::pair{4096.0, 4096.0}, {1024.0, 8192.0}, {16384.0, 2048.0}})
    for (double m = 1; m <= 16384; m *= 2) {
      const RooflineFeatures f = op_features(CalibratedOp::gemm, {n, k}, {m, 0});
      pts.push_back({f, truth.seconds(f)});
    }
  const Roofline fit = calib::fit_roofline(pts);
  CHECK(fit.overhead_s == Approx(truth.overhead_s).epsilon(1e-6));
  CHECK(fit.bytes_per_s == Approx(truth.bytes_per_s).epsilon(1e-6));
  CHECK(fit.flops_per_s == Approx(truth.flops_per_s).epsilon(1e-6));
}

TEST_CASE("the roofline fit keeps coefficients non-negative and drops a term the data do not have") {
  // Pure bandwidth plus overhead: the compute term must come out absent (0), not negative.
  std::vector<calib::FitPoint> pts;
  for (double b = 1e3; b <= 1e10; b *= 4) pts.push_back({{b, 0.0}, 2e-6 + b / 1e12});
  const Roofline fit = calib::fit_roofline(pts);
  CHECK(fit.flops_per_s == 0.0);
  CHECK(fit.overhead_s == Approx(2e-6).epsilon(1e-6));
  CHECK(fit.bytes_per_s == Approx(1e12).epsilon(1e-6));
  // Times falling with size cannot be fitted with positive rates: overhead alone remains.
  const Roofline odd = calib::fit_roofline({{{1e3, 0}, 2e-3}, {{1e6, 0}, 1e-3}});
  CHECK(odd.overhead_s > 0);
  CHECK(odd.bytes_per_s == 0.0);
}

TEST_CASE("the cost model reproduces grid points, follows the roofline between and beyond them") {
  const Roofline roof{.overhead_s = 1e-5, .bytes_per_s = 1e12, .flops_per_s = 0};
  Series s{.key = {}, .axes = {{1e4, 1e6, 1e8}}, .seconds = {}};
  for (double b : s.axes[0]) s.seconds.push_back(1.5 * roof.seconds({b, 0}));  // measured 1.5x the roofline
  // Grid points come back exactly.
  for (std::size_t i = 0; i < 3; ++i) {
    const Prediction p = predict(s, CalibratedOp::elementwise, roof, {s.axes[0][i], 0});
    CHECK(p.seconds == Approx(s.seconds[i]).epsilon(1e-12));
    CHECK_FALSE(p.extrapolated);
  }
  // A constant ratio to the roofline interpolates and extrapolates to that ratio everywhere.
  for (double b : {3e4, 5e7, 1e2, 1e11}) {
    const Prediction p = predict(s, CalibratedOp::elementwise, roof, {b, 0});
    CHECK(p.seconds == Approx(1.5 * roof.seconds({b, 0})).epsilon(1e-9));
    CHECK(p.extrapolated == (b < 1e4 || b > 1e8));
  }
  // Without a roofline (all zero) the interpolation is piecewise linear in log-log: power laws exactly.
  Series pw{.key = {}, .axes = {{1, 100}}, .seconds = {1e-3, 1e-3 * std::pow(100, 0.7)}};
  CHECK(predict(pw, CalibratedOp::elementwise, Roofline{}, {10, 0}).seconds == Approx(1e-3 * std::pow(10, 0.7)));
}

TEST_CASE("bilinear interpolation on a 2-axis grid is exact for a product of power laws") {
  // t = c * r^0.3 * t^0.8 has log t bilinear in (log r, log t); with no roofline it is exact.
  Series s{.key = {8, 128}, .axes = {{1, 16, 256}, {256, 4096, 65536}}, .seconds = {}};
  auto f = [](double r, double t) { return 1e-6 * std::pow(r, 0.3) * std::pow(t, 0.8); };
  for (double r : s.axes[0])
    for (double t : s.axes[1]) s.seconds.push_back(f(r, t));
  CHECK(predict(s, CalibratedOp::decode_attention, Roofline{}, {4, 1024}).seconds == Approx(f(4, 1024)));
  CHECK(predict(s, CalibratedOp::decode_attention, Roofline{}, {100, 300}).seconds == Approx(f(100, 300)));
}

TEST_CASE("leave-one-out is zero on data the model represents exactly and finds a planted outlier") {
  // Elementwise times exactly on a fitted roofline: every left-out point is predicted exactly.
  std::vector<calib::MeasuredPoint> pts;
  for (double b = 1e4; b <= 1e10; b *= 2) pts.push_back({CalibratedOp::elementwise, {}, {b, 0}, 3e-6 + b / 3e12, ""});
  CalibrationProfile p = calib::fit_profile(pts, testing::test_environment());
  REQUIRE(p.op(CalibratedOp::elementwise));
  CHECK(p.op(CalibratedOp::elementwise)->loo.max < 1e-6);
  CHECK(calib::meets_accuracy_target(p.op(CalibratedOp::elementwise)->loo));
  // One point 40% off: its own leave-one-out error is about 29% (predicted 1.0, measured 1.4).
  pts[8].seconds *= 1.4;
  p = calib::fit_profile(pts, testing::test_environment());
  CHECK(p.op(CalibratedOp::elementwise)->loo.max > 0.25);
}

TEST_CASE("benchmark JSON: ops from names, seconds from the counter or real_time, errors ignored") {
  const nlohmann::json doc = nlohmann::json::parse(R"({
    "context": {"gpu_name": "X"},
    "benchmarks": [
      {"name": "gemm/n:64/k:32/m:8", "run_type": "iteration", "real_time": 5.0, "time_unit": "us", "n": 64, "k": 32, "m": 8},
      {"name": "gemm/n:64/k:32/m:16", "run_type": "iteration", "real_time": 9.0, "time_unit": "us", "seconds": 6e-6, "n": 64, "k": 32, "m": 16},
      {"name": "decode/x", "real_time": 1, "time_unit": "ms", "group": 8, "head_dim": 128, "requests": 4, "kv_tokens": 4096, "skew": 1},
      {"name": "gemm/broken", "error_occurred": true, "error_message": "x"},
      {"name": "gemm/mean", "run_type": "aggregate", "real_time": 1},
      {"name": "BM_Other", "real_time": 1}
    ]})");
  const calib::BenchmarkFile f = calib::read_benchmark_json(doc, "b.json");
  REQUIRE(f.points.size() == 3);
  CHECK(f.ignored == 3);
  CHECK(f.points[0].seconds == Approx(5e-6));
  CHECK(f.points[1].seconds == Approx(6e-6));
  CHECK(f.points[2].op == CalibratedOp::decode_attention);
  CHECK(f.points[2].x[1] == Approx(1024));  // tokens per request
  CHECK(f.points[2].check == "skewed_lengths");
  CHECK(f.context["gpu_name"] == "X");
  // A gemm entry without its shape counters is an input error naming the pointer.
  const nlohmann::json bad = nlohmann::json::parse(R"({"benchmarks": [{"name": "gemm/a", "real_time": 1, "n": 1}]})");
  try {
    (void)calib::read_benchmark_json(bad, "bad.json");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.pointer() == "/benchmarks/0/k");
  }
}

TEST_CASE("benchmark JSON: kv_compress and avl_sparse read their 2-axis grids, old bytes-only entries are ignored") {
  const nlohmann::json doc = nlohmann::json::parse(R"({"benchmarks": [
      {"name": "kv_compress/requests:2/prompt:4096", "real_time": 1, "time_unit": "ms", "requests": 2, "segments": 16,
       "group": 8, "head_dim": 128, "window": 32, "wave_keys": 50688, "prompt_tokens": 4096, "bytes": 1},
      {"name": "avl_sparse/requests:4/attended:512", "real_time": 12, "time_unit": "us", "requests": 4, "segments": 16,
       "group": 1, "head_dim": 128, "kv_tokens": 8192, "bytes": 1},
      {"name": "kv_compress/requests:1/prompt:1024", "real_time": 1, "time_unit": "ms", "requests": 1, "bytes": 5e6},
      {"name": "avl_sparse/requests:4/core_pct:10", "real_time": 10, "time_unit": "us", "requests": 4, "bytes": 3e6}
    ]})");
  const calib::BenchmarkFile f = calib::read_benchmark_json(doc, "a.json");
  REQUIRE(f.points.size() == 2);
  CHECK(f.ignored == 2);
  CHECK(f.points[0].op == CalibratedOp::kv_compress);
  CHECK(f.points[0].key == std::vector<double>{8, 128, 32, 50688});
  CHECK(f.points[0].x == std::array<double, 2>{16, 4096});
  CHECK(f.points[1].op == CalibratedOp::avl_sparse);
  CHECK(f.points[1].key == std::vector<double>{1, 128});
  CHECK(f.points[1].x == std::array<double, 2>{16, 512});  // attended rows per segment
  // A new-style entry without one of its counters is an input error naming it.
  const nlohmann::json bad = nlohmann::json::parse(
      R"({"benchmarks": [{"name": "kv_compress/x", "real_time": 1, "segments": 8, "group": 8, "head_dim": 128, "window": 32}]})");
  try {
    (void)calib::read_benchmark_json(bad, "bad.json");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.pointer() == "/benchmarks/0/wave_keys");
  }
}

TEST_CASE("benchmark JSON: avl_refresh reads segments x stored image tokens, off-grid points are checks") {
  const nlohmann::json doc = nlohmann::json::parse(R"({"benchmarks": [
      {"name": "avl_refresh/group:1/kv_heads:32/requests:4/image:288", "real_time": 20, "time_unit": "us",
       "requests": 4, "batch_requests": 8, "kv_heads": 32, "segments": 128, "image_tokens": 288,
       "kv_tokens": 36864, "group": 1, "head_dim": 128, "off_grid": 0, "bytes": 1},
      {"name": "avl_refresh/group:4/kv_heads:4/requests:8/image:1440/off_grid:1", "real_time": 30, "time_unit": "us",
       "requests": 8, "segments": 32, "kv_tokens": 46080, "group": 4, "head_dim": 128, "off_grid": 1, "bytes": 1}
    ]})");
  const calib::BenchmarkFile f = calib::read_benchmark_json(doc, "r.json");
  REQUIRE(f.points.size() == 2);
  CHECK(f.ignored == 0);
  CHECK(f.points[0].op == CalibratedOp::avl_refresh);
  CHECK(f.points[0].key == std::vector<double>{1, 128});
  CHECK(f.points[0].x == std::array<double, 2>{128, 288});  // refreshing segments, image tokens each
  CHECK(f.points[0].seconds == Approx(20e-6));
  CHECK(f.points[0].check.empty());
  CHECK(f.points[1].key == std::vector<double>{4, 128});
  CHECK(f.points[1].x == std::array<double, 2>{32, 1440});
  CHECK(f.points[1].check == "other_kv_heads");
  // Without its segments counter it is an input error naming it.
  const nlohmann::json bad = nlohmann::json::parse(
      R"({"benchmarks": [{"name": "avl_refresh/x", "real_time": 1, "group": 1, "head_dim": 128, "kv_tokens": 10}]})");
  try {
    (void)calib::read_benchmark_json(bad, "bad.json");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.pointer() == "/benchmarks/0/segments");
  }
}

TEST_CASE("kv_compress: the features count whole waves, so a wave staircase is predicted from its neighbours") {
  // Below one wave the scoring FLOPs are those of a full wave (flat), then they step per wave.
  const std::vector<double> key{8, 128, 32, 1000};
  const double wave_flops = op_features(CalibratedOp::kv_compress, key, {1, 1000}).flops;
  CHECK(op_features(CalibratedOp::kv_compress, key, {1, 10}).flops == Approx(wave_flops));
  CHECK(op_features(CalibratedOp::kv_compress, key, {2, 500}).flops == Approx(wave_flops));
  CHECK(op_features(CalibratedOp::kv_compress, key, {2, 501}).flops == Approx(2 * wave_flops));
  CHECK(op_features(CalibratedOp::kv_compress, key, {2, 501}).bytes ==
        Approx(2 * 501 * op_features(CalibratedOp::kv_compress, key, {1, 1}).bytes));
  // Measured: 0.5 ms per wave plus a little per byte. Every point comes back from the others.
  std::vector<calib::MeasuredPoint> pts;
  for (double s : {8.0, 16.0, 24.0, 32.0, 48.0})
    for (double n : {256.0, 362.0, 512.0, 724.0, 1024.0}) {
      const double waves = std::ceil(s * n / 1000 - 1e-9);
      pts.push_back({CalibratedOp::kv_compress, key, {s, n}, 5e-4 * waves + 1e-12 * s * n * 1024, ""});
    }
  const CalibrationProfile p = calib::fit_profile(pts, testing::test_environment());
  const OpProfile& op = *p.op(CalibratedOp::kv_compress);
  CHECK(op.loo.max < 1e-6);
  CHECK(op.roofline.flops_per_s > 0);
}

TEST_CASE("a 2-axis grid with a missing cell keeps the largest complete grid") {
  std::vector<calib::MeasuredPoint> pts;
  for (double r : {1.0, 4.0, 16.0})
    for (double t : {256.0, 1024.0, 4096.0})
      if (!(r == 16.0 && t == 4096.0)) pts.push_back({CalibratedOp::decode_attention, {8, 128}, {r, t}, 1e-9 * r * t + 5e-6, ""});
  const CalibrationProfile p = calib::fit_profile(pts, testing::test_environment());
  const Series& s = p.op(CalibratedOp::decode_attention)->series.at(0);
  CHECK(s.seconds.size() == s.axes[0].size() * s.axes[1].size());
  CHECK(s.seconds.size() == 6);  // one line of three dropped
}

TEST_CASE("a fitted profile survives the JSON round trip") {
  const RooflineCosts costs(testing::test_gpu());
  const CalibrationProfile p = calib::fit_profile(testing::points_from(costs, {{64, 32}, {96, 32}}), testing::test_environment());
  const CalibrationProfile q = parse_profile(profile_to_json(p), "mem.json");
  for (const OpSchema& s : op_schemas()) {
    CHECK(p.op(s.op).has_value() == q.op(s.op).has_value());
    if (!p.op(s.op)) continue;
    CHECK(q.op(s.op)->series.size() == p.op(s.op)->series.size());
    CHECK(q.op(s.op)->roofline.overhead_s == p.op(s.op)->roofline.overhead_s);
    CHECK(q.op(s.op)->loo.p90 == p.op(s.op)->loo.p90);
    CHECK(q.op(s.op)->series[0].seconds == p.op(s.op)->series[0].seconds);
  }
}
