// main() for test programs that read the per-head statistics published with real models
// (@head-profiles/..., see sim/core/data_path.h). Without them (a clone with no ../shared beside it
// and no $KVSIM_HEAD_PROFILES) the program prints where it looked and exits 77, which CTest reports
// as "Skipped"; with them, it runs the tests.
#if !defined(KVSIM_CATCH3)
#define CATCH_CONFIG_RUNNER
#endif
#include "tests/support/catch.h"

#include <cstdio>
#include <filesystem>

#include "sim/core/data_path.h"

int main(int argc, char** argv) {
  const char* files[] = {"headkv_Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json",
                         "duoattention_Meta-Llama-3.1-8B-Instruct_full_attention_heads.tsv",
                         "moa_gradientai-Llama-3-8B-Instruct-262k_alpha_beta.json"};
  for (const char* f : files) {
    const auto path = kvsim::resolve_data_path(std::string("@head-profiles/") + f, ".");
    if (!std::filesystem::exists(path)) {
      std::printf("SKIPPED: head-profile data not found (%s); set KVSIM_HEAD_PROFILES or put shared/ beside the repository\n",
                  path.string().c_str());
      return 77;
    }
  }
  return Catch::Session().run(argc, argv);
}
