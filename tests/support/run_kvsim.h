// run_kvsim(): runs the kvsim binary (KVSIM_BINARY, set by the test's CMakeLists) with `args` and
// returns its exit status and its stdout and stderr together.
#pragma once

#include <cstdio>
#include <string>
#include <sys/wait.h>

#include "tests/support/catch.h"

namespace kvsim::testing {

struct Outcome {
  int status;
  std::string output;
};

inline Outcome run_kvsim(const std::string& args) {
  const std::string cmd = std::string(KVSIM_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  const int raw = ::pclose(pipe);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

}  // namespace kvsim::testing
