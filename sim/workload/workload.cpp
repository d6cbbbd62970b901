// See workload.h.
#include "sim/workload/workload.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>

#include "sim/core/input_error.h"
#include "sim/core/rng.h"

namespace kvsim {
namespace {

int draw_length(Rng& rng, const LengthDist& d) {
  return d.min == d.max ? d.min : static_cast<int>(rng.uniform_int(d.min, d.max));
}

template <typename T>
bool parse_field(std::string_view text, T& out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<Request> read_trace(const WorkloadSpec& spec) {
  std::ifstream in(spec.trace_path);
  if (!in) throw InputError(spec.trace_path, "", "a readable CSV trace", "no such file or no permission");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != "arrival_s,prompt_tokens,output_tokens")
    throw InputError(spec.trace_path, "line 1", "the header arrival_s,prompt_tokens,output_tokens",
                     "\"" + line.substr(0, 60) + "\"");
  std::vector<Request> out;
  for (int line_no = 2; std::getline(in, line); ++line_no) {
    if (line.empty() || line == "\r") continue;
    const auto c1 = line.find(',');
    const auto c2 = c1 == std::string::npos ? std::string::npos : line.find(',', c1 + 1);
    Request r;
    const std::string where = "line " + std::to_string(line_no);
    if (c2 == std::string::npos || line.find(',', c2 + 1) != std::string::npos)
      throw InputError(spec.trace_path, where, "3 comma-separated fields", "\"" + line.substr(0, 60) + "\"");
    const std::string_view view(line);
    if (!parse_field(view.substr(0, c1), r.arrival_s) || !(r.arrival_s >= 0))
      throw InputError(spec.trace_path, where, "an arrival time in seconds >= 0", "\"" + line.substr(0, c1) + "\"");
    if (!parse_field(view.substr(c1 + 1, c2 - c1 - 1), r.prompt_tokens) || r.prompt_tokens < 1)
      throw InputError(spec.trace_path, where, "prompt_tokens, an integer >= 1",
                       "\"" + line.substr(c1 + 1, c2 - c1 - 1) + "\"");
    if (!parse_field(view.substr(c2 + 1), r.output_tokens) || r.output_tokens < 1)
      throw InputError(spec.trace_path, where, "output_tokens, an integer >= 1", "\"" + line.substr(c2 + 1) + "\"");
    out.push_back(r);
  }
  if (out.empty()) throw InputError(spec.trace_path, "", "at least one request after the header", "none");
  return out;
}

}  // namespace

std::vector<Request> make_requests(const WorkloadSpec& spec, std::uint64_t seed, const std::string&) {
  std::vector<Request> requests;
  if (spec.arrival == WorkloadSpec::Arrival::trace) {
    requests = read_trace(spec);
  } else {
    Rng rng(mix_seed(seed, 0x776f726bULL /* "work" */));
    double t = 0;
    requests.reserve(static_cast<std::size_t>(spec.requests));
    for (int i = 0; i < spec.requests; ++i) {
      Request r;
      if (spec.arrival == WorkloadSpec::Arrival::poisson) t += rng.exponential(spec.rate_per_s);
      r.arrival_s = t;
      r.prompt_tokens = draw_length(rng, spec.prompt_tokens);
      r.output_tokens = draw_length(rng, spec.output_tokens);
      requests.push_back(r);
    }
  }
  std::stable_sort(requests.begin(), requests.end(),
                   [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; });
  for (std::size_t i = 0; i < requests.size(); ++i) requests[i].id = static_cast<std::int64_t>(i);
  return requests;
}

}  // namespace kvsim
