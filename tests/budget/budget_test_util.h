// Helpers shared by the budget tests: small models, a scratch directory for bad files, and a check
// that a call throws InputError naming the right file, pointer and text.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <unistd.h>

#include "sim/budget/budget_source.h"
#include "sim/core/input_error.h"
#include "sim/model/model_spec.h"
#include "tests/support/catch.h"

namespace kvsim::test {

inline ModelSpec tiny_model(int layers, int q_heads, int kv_heads) {
  return ModelSpec{.name = "tiny", .layers = layers, .hidden = 64, .ffn = 128, .q_heads = q_heads,
                   .kv_heads = kv_heads, .head_dim = 16, .vocab = 100};
}

inline ModelSpec preset(const char* name) { return *model_preset(name); }

// A fresh directory under the system temp dir, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("kvsim_budget_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<BudgetSource> make(const nlohmann::json& policy, const ModelSpec& model,
                                          const std::filesystem::path& base_dir = ".", std::uint64_t seed = 7) {
  return make_budget_source(policy, model, seed, "scenario.json", "/kv_policy", base_dir);
}

// Runs f, which must throw InputError whose file ends with `file_suffix`, whose pointer is `pointer`
// and whose message contains `text`.
inline void require_input_error(const std::function<void()>& f, const std::string& file_suffix,
                                const std::string& pointer, const std::string& text) {
  bool thrown = false;
  try {
    f();
  } catch (const InputError& e) {
    thrown = true;
    const std::string what = e.what();
    INFO(what);
    CHECK(e.file().size() >= file_suffix.size());
    CHECK(e.file().compare(e.file().size() - std::min(e.file().size(), file_suffix.size()), file_suffix.size(),
                           file_suffix) == 0);
    CHECK(e.pointer() == pointer);
    CHECK(what.find(text) != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
  CHECK(thrown);
}

}  // namespace kvsim::test
