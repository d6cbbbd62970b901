// Workload: the requests of a scenario, each with an arrival time and its prompt and output lengths.
// Arrivals are Poisson at a rate, a closed batch (all at t = 0) or read from a CSV trace with the
// header "arrival_s,prompt_tokens,output_tokens". Lengths are fixed or uniform integers in [min, max].
// Everything random is drawn from the scenario seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvsim {

struct LengthDist {
  int min = 0;
  int max = 0;  // min == max: fixed
};

struct WorkloadSpec {
  enum class Arrival { poisson, batch, trace };
  Arrival arrival = Arrival::batch;
  double rate_per_s = 0;   // poisson only
  int requests = 0;        // poisson and batch
  LengthDist prompt_tokens;
  LengthDist output_tokens;
  std::string trace_path;  // trace only (resolved)
  std::string trace_pointer;  // where the trace was named, for error messages
};

struct Request {
  std::int64_t id = 0;        // index in arrival order, 0-based
  double arrival_s = 0;
  int prompt_tokens = 0;
  int output_tokens = 0;
};

// Requests sorted by arrival (ties keep generation order). Throws InputError on a bad trace.
std::vector<Request> make_requests(const WorkloadSpec& spec, std::uint64_t seed, const std::string& scenario_file);

}  // namespace kvsim
