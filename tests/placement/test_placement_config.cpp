// The "placement" JSON object: bad keys and values are rejected with InputError at the exact pointer.
#include <string>

#include "sim/core/input_error.h"
#include "sim/placement/placement.h"
#include "tests/placement/placement_test_support.h"
#include "tests/support/catch.h"

using namespace kvsim;
using namespace kvsim::test;

namespace {

// The message of the InputError make_placement throws for `config`, or "" if it throws none.
std::string rejection(const nlohmann::json& config, int gpus = 2) {
  static const ModelSpec m = tiny_model(2, 4);
  const auto r = request_for(m, gpus, std::vector<double>(8, 10.0));
  try {
    make_placement(config, r, "scenario.json", "/placement");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("placement config: bad values are rejected at their pointer") {
  const std::string copies = rejection({{"kind", "fair_copying"}, {"max_copies_per_head", -3}});
  CHECK(copies == "scenario.json: /placement/max_copies_per_head: expected integer >= 1, found -3");
  CHECK(contains(rejection({{"kind", "fair_copying"}, {"copy_budget", 1.5}}), "/placement/copy_budget: expected integer >= 0, found 1.5"));
  CHECK(contains(rejection({{"kind", "fair_copying"}, {"copy_budget", -1}}), "/placement/copy_budget"));
  CHECK(contains(rejection({{"kind", "best_effort"}, {"equal_heads", "yes"}}), "/placement/equal_heads: expected true or false"));
  CHECK(contains(rejection({{"kind", "balanced_split"}, {"head_weight_tokens", "fast"}}),
                 "/placement/head_weight_tokens: expected a number >= 0 or \"auto\", found \"fast\""));
  CHECK(contains(rejection({{"kind", "balanced_split"}, {"head_weight_tokens", -1}}), "/placement/head_weight_tokens"));
}

TEST_CASE("placement config: unknown kinds and keys are rejected") {
  CHECK(contains(rejection({{"kind", "round_robin"}}), "/placement/kind: expected one of tensor_parallel, best_effort"));
  CHECK(contains(rejection({{"kind", 3}}), "/placement/kind: expected one of"));
  CHECK(contains(rejection(nlohmann::json::object()), "/placement/kind: expected a placement kind"));
  CHECK(contains(rejection(nlohmann::json::array()), "/placement: expected an object"));
  CHECK(contains(rejection({{"kind", "best_effort"}, {"copies", 2}}), "/placement/copies: expected one of kind, equal_heads"));
  CHECK(contains(rejection({{"kind", "tensor_parallel"}, {"equal_heads", true}}), "/placement/equal_heads"));
  CHECK(contains(rejection({{"kind", "balanced_split"}, {"equal_heads", true}}), "/placement/equal_heads"));
  CHECK(contains(rejection({{"kind", "best_effort"}, {"a/b", 1}}), "/placement/a~1b"));
}

TEST_CASE("placement config: tensor_parallel needs a GPU count that divides the kv heads") {
  CHECK(contains(rejection({{"kind", "tensor_parallel"}}, 3), "/placement/kind"));
  CHECK(contains(rejection({{"kind", "tensor_parallel"}}, 8), "tensor_parallel on 8 GPUs"));
  CHECK(rejection({{"kind", "tensor_parallel"}}, 4).empty());
  CHECK(rejection({{"kind", "best_effort"}}, 8).empty());  // fewer heads than GPUs is fine here
}

TEST_CASE("placement config: good options are accepted and used") {
  const ModelSpec m = tiny_model(2, 4);
  const auto r = request_for(m, 2, {9, 1, 1, 1, 4, 4, 4, 4});
  const Placement p = make_placement(
      {{"kind", "fair_copying"}, {"equal_heads", false}, {"copy_budget", 1}, {"max_copies_per_head", 2}, {"head_weight_tokens", 0}},
      r, "f.json", "/placement");
  CHECK(p.kind == "fair_copying");
  CHECK(p.extra_copies() == 1);
  CHECK(p.search.at("equal_heads") == false);
  CHECK_THROWS_AS(make_placement({{"kind", "best_effort"}}, request_for(m, 2, {1, 2, 3}), "f.json", "/placement"),
                  std::invalid_argument);
}
