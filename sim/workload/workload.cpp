// See workload.h.
#include "sim/workload/workload.h"

#include <algorithm>
#include <array>
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

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

template <typename T>
bool parse_field(std::string_view text, T& out) {
  text = trimmed(text);
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const auto comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

// Trace columns: the first three are required, the others optional.
enum Column { kArrival, kPrompt, kOutput, kPrefix, kImages, kImageTokens, kColumns };
constexpr std::array<std::string_view, kColumns> kColumnNames = {"arrival_s",     "prompt_tokens", "output_tokens",
                                                                 "prefix_tokens", "images",        "image_tokens"};
constexpr const char* kHeaderHelp =
    "a header naming arrival_s, prompt_tokens, output_tokens and optionally prefix_tokens, images, image_tokens";

std::vector<Request> read_trace(const WorkloadSpec& spec) {
  std::ifstream in(spec.trace_path);
  if (!in) throw InputError(spec.trace_path, "", "a readable CSV trace", "no such file or no permission");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::array<int, kColumns> where{-1, -1, -1, -1, -1, -1};  // column -> field index
  const auto header = split(line);
  for (std::size_t f = 0; f < header.size(); ++f) {
    const auto name = trimmed(header[f]);
    const auto it = std::find(kColumnNames.begin(), kColumnNames.end(), name);
    const auto c = static_cast<std::size_t>(it - kColumnNames.begin());
    if (it == kColumnNames.end() || where[c] >= 0)
      throw InputError(spec.trace_path, "line 1", kHeaderHelp, "\"" + line.substr(0, 80) + "\"");
    where[c] = static_cast<int>(f);
  }
  if (where[kArrival] < 0 || where[kPrompt] < 0 || where[kOutput] < 0)
    throw InputError(spec.trace_path, "line 1", kHeaderHelp, "\"" + line.substr(0, 80) + "\"");

  std::vector<Request> out;
  for (int line_no = 2; std::getline(in, line); ++line_no) {
    if (line.empty() || line == "\r") continue;
    const std::string at = "line " + std::to_string(line_no);
    const auto fields = split(line);
    if (fields.size() != header.size())
      throw InputError(spec.trace_path, at, std::to_string(header.size()) + " comma-separated fields",
                       "\"" + line.substr(0, 60) + "\"");
    auto text = [&](Column c) { return "\"" + std::string(trimmed(fields[static_cast<std::size_t>(where[c])])) + "\""; };
    auto count = [&](Column c, int min, const char* what) {
      if (where[c] < 0) return 0;
      int v = 0;
      if (!parse_field(fields[static_cast<std::size_t>(where[c])], v) || v < min)
        throw InputError(spec.trace_path, at, std::string(what), text(c));
      return v;
    };
    Request r;
    if (!parse_field(fields[static_cast<std::size_t>(where[kArrival])], r.arrival_s) || !(r.arrival_s >= 0))
      throw InputError(spec.trace_path, at, "an arrival time in seconds >= 0", text(kArrival));
    const int prompt = count(kPrompt, 1, "prompt_tokens, an integer >= 1");
    r.output_tokens = count(kOutput, 1, "output_tokens, an integer >= 1");
    r.prefix_tokens = count(kPrefix, 0, "prefix_tokens, an integer >= 0");
    r.images = count(kImages, 0, "images, an integer >= 0");
    r.image_tokens = count(kImageTokens, 0, "image_tokens, an integer >= 0");
    if (r.image_tokens < r.images || (r.images == 0 && r.image_tokens > 0))
      throw InputError(spec.trace_path, at,
                       "image_tokens of at least one per image and none without images (images " +
                           std::to_string(r.images) + ")",
                       text(kImageTokens));
    if (static_cast<std::int64_t>(prompt) + r.prefix_tokens + r.image_tokens > std::numeric_limits<int>::max() / 2)
      throw InputError(spec.trace_path, at, "a prompt of fewer than 2^30 tokens", "\"" + line.substr(0, 60) + "\"");
    r.prompt_tokens = r.prefix_tokens + r.image_tokens + prompt;
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
      const int text = draw_length(rng, spec.prompt_tokens);
      r.output_tokens = draw_length(rng, spec.output_tokens);
      // Drawn after the text-only fields (and not at all when fixed), so text-only runs are unchanged.
      r.prefix_tokens = draw_length(rng, spec.prefix_tokens);
      r.images = draw_length(rng, spec.images);
      for (int k = 0; k < r.images; ++k) r.image_tokens += draw_length(rng, spec.tokens_per_image);
      r.prompt_tokens = r.prefix_tokens + r.image_tokens + text;
      requests.push_back(r);
    }
  }
  std::stable_sort(requests.begin(), requests.end(),
                   [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; });
  for (std::size_t i = 0; i < requests.size(); ++i) requests[i].id = static_cast<std::int64_t>(i);
  return requests;
}

}  // namespace kvsim
