// Rng: reproducible streams and sane distributions.
#include "tests/support/catch.h"

#include "sim/core/rng.h"

TEST_CASE("the same seed gives the same stream, another seed another") {
  kvsim::Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    REQUIRE(x == b.next());
    differs = differs || x != c.next();
  }
  CHECK(differs);
}

TEST_CASE("uniform, exponential and integer draws have the right means") {
  kvsim::Rng rng(7);
  double u = 0, e = 0, k = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = rng.uniform();
    REQUIRE(x >= 0.0);
    REQUIRE(x < 1.0);
    u += x;
    e += rng.exponential(4.0);
    const auto j = rng.uniform_int(10, 20);
    REQUIRE(j >= 10);
    REQUIRE(j <= 20);
    k += static_cast<double>(j);
  }
  CHECK(u / n == Approx(0.5).epsilon(0.01));
  CHECK(e / n == Approx(0.25).epsilon(0.02));
  CHECK(k / n == Approx(15.0).epsilon(0.01));
}
