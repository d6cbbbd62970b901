// Malformed data files and kv_policy objects are rejected with one InputError line naming the file,
// the JSON pointer (or TSV line) of the offending value, what was expected and what was found.
#include "tests/budget/budget_test_util.h"

using namespace kvsim;
using kvsim::test::make;
using kvsim::test::require_input_error;
using kvsim::test::ScratchDir;
using kvsim::test::tiny_model;

namespace {
// A 2-layer model with 4 q heads and 2 kv heads.
const ModelSpec kSmall = tiny_model(2, 4, 2);
}  // namespace

TEST_CASE("kv_policy: unknown kind, unknown key, wrong type, out of range") {
  require_input_error([] { make({{"kind", "snapkv"}}, kSmall); }, "scenario.json", "/kv_policy/kind", "\"adakv\"");
  require_input_error([] { make(nlohmann::json::array(), kSmall); }, "scenario.json", "/kv_policy", "an object");
  require_input_error([] { make({{"kind", "uniform"}, {"budget", 64}, {"windw", 8}}, kSmall); }, "scenario.json",
                      "/kv_policy/windw", "unknown key");
  require_input_error([] { make({{"kind", "uniform"}, {"budget", "512"}}, kSmall); }, "scenario.json",
                      "/kv_policy/budget", "the string \"512\"");
  require_input_error([] { make({{"kind", "uniform"}, {"budget", 64}, {"window", 65}}, kSmall); }, "scenario.json",
                      "/kv_policy/window", "the number 65");
  require_input_error([] { make({{"kind", "uniform"}}, kSmall); }, "scenario.json", "/kv_policy/budget", "required");
  require_input_error([] { make({{"kind", "adakv"}, {"budget", 64}, {"skew", "uniform"}, {"alpha", 1.5}}, kSmall); },
                      "scenario.json", "/kv_policy/alpha", "[0, 1]");
  require_input_error([] { make({{"kind", "adakv"}, {"budget", 64}, {"skew", "zipf-x"}}, kSmall); }, "scenario.json",
                      "/kv_policy/skew", "zipf-S");
  require_input_error([] { make({{"kind", "adakv"}, {"budget", 64}}, kSmall); }, "scenario.json",
                      "/kv_policy/profile", "neither");
  require_input_error([] { make({{"kind", "adakv"}, {"budget", 64}, {"skew", "uniform"}, {"group_reduce", "min"}},
                                kSmall); },
                      "scenario.json", "/kv_policy/group_reduce", "\"mean\"");
  require_input_error([] { make({{"kind", "headkv"}, {"budget", 64}, {"beta", 0.5}, {"scores", "x.json"}}, kSmall); },
                      "scenario.json", "/kv_policy/beta", "the number 0.5");
  require_input_error([] { make({{"kind", "duoattention"}, {"gates", "g.tsv"}, {"sparsity", 0.5}, {"threshold", 0.5}},
                                kSmall); },
                      "scenario.json", "/kv_policy/threshold", "not both");
}

TEST_CASE("a missing data file names the kv_policy key and the path looked at") {
  ScratchDir dir;
  require_input_error([&] { make({{"kind", "moa"}, {"file", "nope.json"}}, kSmall, dir.path()); }, "scenario.json",
                      "/kv_policy/file", "nope.json");
  require_input_error([&] { make({{"kind", "duoattention"}, {"gates", "@head-profiles/nope.tsv"}}, kSmall); },
                      "scenario.json", "/kv_policy/gates", "no file at");
}

TEST_CASE("malformed HeadKV score files") {
  ScratchDir dir;
  auto policy = [](const std::string& file) {
    return nlohmann::json{{"kind", "headkv"}, {"budget", 64}, {"window", 8}, {"beta", 2}, {"scores", file}};
  };
  dir.write("syntax.json", "{\"0-0\": [1, 2,]}");
  require_input_error([&] { make(policy("syntax.json"), kSmall, dir.path()); }, "syntax.json", "", "valid JSON");
  dir.write("key.json", R"({"0-0": [1], "zero-one": [1]})");
  require_input_error([&] { make(policy("key.json"), kSmall, dir.path()); }, "key.json", "/zero-one", "\"layer-head\"");
  dir.write("empty_list.json", R"({"0-0": [], "0-1": [1]})");
  require_input_error([&] { make(policy("empty_list.json"), kSmall, dir.path()); }, "empty_list.json", "/0-0",
                      "non-empty list");
  dir.write("string.json", R"({"0-0": [1, "a"], "0-1": [1]})");
  require_input_error([&] { make(policy("string.json"), kSmall, dir.path()); }, "string.json", "/0-0/1",
                      "the string \"a\"");
  dir.write("negative.json", R"({"0-0": [-1], "0-1": [1]})");
  require_input_error([&] { make(policy("negative.json"), kSmall, dir.path()); }, "negative.json", "/0-0/0",
                      "the number -1");
  dir.write("hole.json", R"({"0-0": [1], "0-1": [1], "1-0": [1]})");
  require_input_error([&] { make(policy("hole.json"), kSmall, dir.path()); }, "hole.json", "/1-1", "every layer");
  // Well-formed but 2 layers x 3 heads: neither 4 q heads nor 2 kv heads.
  dir.write("shape.json", R"({"0-0": [1], "0-1": [1], "0-2": [1], "1-0": [1], "1-1": [1], "1-2": [1]})");
  require_input_error([&] { make(policy("shape.json"), kSmall, dir.path()); }, "shape.json", "",
                      "found 2 layers x 3 heads");
  dir.write("zeros.json", R"({"0-0": [0], "0-1": [0], "1-0": [0], "1-1": [0]})");
  require_input_error([&] { make(policy("zeros.json"), kSmall, dir.path()); }, "zeros.json", "", "positive sum");
  // A well-formed file per kv head (2 x 2) is accepted.
  dir.write("good.json", R"({"0-0": [1], "0-1": [3], "1-0": [2], "1-1": [2]})");
  CHECK(make(policy("good.json"), kSmall, dir.path())->name() == "headkv");
}

TEST_CASE("malformed DuoAttention gate files") {
  ScratchDir dir;
  auto policy = [](const std::string& file) { return nlohmann::json{{"kind", "duoattention"}, {"gates", file}}; };
  dir.write("text.tsv", "0.5\t1\n0.2\tabc\n");
  require_input_error([&] { make(policy("text.tsv"), kSmall, dir.path()); }, "text.tsv", "line 2, column 2",
                      "\"abc\"");
  dir.write("ragged.tsv", "0.5\t1\n0.2\n");
  require_input_error([&] { make(policy("ragged.tsv"), kSmall, dir.path()); }, "ragged.tsv", "line 2",
                      "2 tab-separated gates");
  dir.write("empty.tsv", "\n\n");
  require_input_error([&] { make(policy("empty.tsv"), kSmall, dir.path()); }, "empty.tsv", "line 1", "no rows");
  dir.write("rows.tsv", "0.5\t1\n0.2\t0.3\n0.1\t0.1\n");
  require_input_error([&] { make(policy("rows.tsv"), kSmall, dir.path()); }, "rows.tsv", "rows x columns",
                      "found 3 layers x 2 heads");
  dir.write("good.tsv", "0.5\t1\r\n0.2\t0.3\r\n");  // CRLF line ends are fine
  CHECK(make(policy("good.tsv"), kSmall, dir.path())->name() == "duoattention");
  dir.write("qheads.tsv", "0.5\t1\t0\t0\n0.2\t0.3\t1\t1\n");  // 4 q-head columns, reduced to 2 kv heads
  CHECK(make(policy("qheads.tsv"), kSmall, dir.path())->describe().find("max over q heads") != std::string::npos);
}

TEST_CASE("malformed MoA files") {
  ScratchDir dir;
  auto policy = [](const std::string& file) { return nlohmann::json{{"kind", "moa"}, {"file", file}}; };
  dir.write("nobeta.json", R"({"alphas": [[0, 0], [0, 0]]})");
  require_input_error([&] { make(policy("nobeta.json"), kSmall, dir.path()); }, "nobeta.json", "/betas", "required");
  dir.write("ragged.json", R"({"alphas": [[0, 0], [0]], "betas": [[0, 0], [0, 0]]})");
  require_input_error([&] { make(policy("ragged.json"), kSmall, dir.path()); }, "ragged.json", "/alphas/1",
                      "2 values like row 0");
  dir.write("mismatch.json", R"({"alphas": [[0, 0], [0, 0]], "betas": [[0, 0, 0], [0, 0, 0]]})");
  require_input_error([&] { make(policy("mismatch.json"), kSmall, dir.path()); }, "mismatch.json", "/betas",
                      "the shape of /alphas");
  dir.write("null.json", R"({"alphas": [[0, null], [0, 0]], "betas": [[0, 0], [0, 0]]})");
  require_input_error([&] { make(policy("null.json"), kSmall, dir.path()); }, "null.json", "/alphas/0/1", "null");
  dir.write("shape.json", R"({"alphas": [[0, 0, 0]], "betas": [[0, 0, 0]]})");
  require_input_error([&] { make(policy("shape.json"), kSmall, dir.path()); }, "shape.json", "/alphas",
                      "found 1 layers x 3 heads");
}

TEST_CASE("malformed explicit budgets") {
  ScratchDir dir;
  require_input_error([] { make({{"kind", "explicit"}, {"budgets", {{1, 2}}}}, kSmall); }, "scenario.json",
                      "/kv_policy/budgets", "one row per layer");
  require_input_error([] { make({{"kind", "explicit"}, {"budgets", {{1, 2}, {3}}}}, kSmall); }, "scenario.json",
                      "/kv_policy/budgets/1", "2 values");
  require_input_error([] { make({{"kind", "explicit"}, {"budgets", {{1, 2}, {3, -4}}}}, kSmall); }, "scenario.json",
                      "/kv_policy/budgets/1/1", "the number -4");
  require_input_error([] { make({{"kind", "explicit"}, {"budgets", {{1, 2}, {3, 4.5}}}}, kSmall); }, "scenario.json",
                      "/kv_policy/budgets/1/1", "an integer");
  require_input_error([] { make({{"kind", "explicit"}, {"budgets", {{1, 2}, {3, 4}}}, {"growth", 2}}, kSmall); },
                      "scenario.json", "/kv_policy/growth", "[0, 1]");
  dir.write("b.json", R"({"budgets": [[1, 2], [3, 4]], "extra": 1})");
  require_input_error([&] { make({{"kind", "explicit"}, {"file", "b.json"}}, kSmall, dir.path()); }, "b.json",
                      "/extra", "unknown key");
  dir.write("bare.json", R"([[1, 2], [3, "x"]])");
  require_input_error([&] { make({{"kind", "explicit"}, {"file", "bare.json"}}, kSmall, dir.path()); }, "bare.json",
                      "/1/1", "the string \"x\"");
  dir.write("ok.json", R"({"budgets": [[1, 2], [3, 4]], "growth": [[0, 1], [1, 0]]})");
  auto src = make({{"kind", "explicit"}, {"file", "ok.json"}}, kSmall, dir.path());
  HeadBudgets b;
  src->budgets({.id = 1, .prompt_tokens = 3, .output_tokens = 1}, b);
  CHECK(b.kept == std::vector<std::int32_t>{1, 2, 3, 3});
  CHECK(b.growth == std::vector<float>{0, 1, 1, 0});
}
