// RequestRecord: what happened to one request, as written to requests.csv. Times in seconds of
// simulated time; a time is negative when the event never happened (rejected requests).
#pragma once

#include <cstdint>
#include <string>

namespace kvsim {

struct RequestRecord {
  std::int64_t id = 0;
  double arrival_s = 0;
  double admitted_s = -1;
  double first_token_s = -1;
  double finish_s = -1;
  int prompt_tokens = 0;
  int output_tokens = 0;
  std::int64_t kv_bytes = 0;    // its KV over all GPUs at its last decode step (what its policy stores)
  std::string rejected_reason;  // empty unless rejected
  bool completed() const { return finish_s >= 0; }
};

}  // namespace kvsim
