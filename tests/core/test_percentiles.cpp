// Percentiles: linear interpolation between closest ranks, as numpy's default.
#include "tests/support/catch.h"

#include "sim/metrics/percentiles.h"

TEST_CASE("percentile interpolates between closest ranks") {
  std::vector<double> v{4, 1, 3, 2};  // sorted: 1 2 3 4
  CHECK(kvsim::percentile(v, 0.0) == Approx(1.0));
  CHECK(kvsim::percentile(v, 1.0) == Approx(4.0));
  CHECK(kvsim::percentile(v, 0.5) == Approx(2.5));        // position 1.5
  CHECK(kvsim::percentile(v, 0.9) == Approx(3.7));        // position 2.7
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(kvsim::percentile(hundred, 0.99) == Approx(99.01));  // position 98.01
}

TEST_CASE("summaries of empty and single-value sets") {
  const auto empty = kvsim::summarize({});
  CHECK(empty.count == 0);
  CHECK(empty.p99 == 0.0);
  const auto one = kvsim::summarize({7.5});
  CHECK(one.count == 1);
  CHECK(one.p50 == 7.5);
  CHECK(one.p99 == 7.5);
  CHECK(one.mean == 7.5);
}
