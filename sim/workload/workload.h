// Workload: the requests of a scenario, each with an arrival time, its prompt and its output length.
// A prompt is laid out as [system prefix][images][text prompt]: vision-language policies keep the
// prefix, treat the image tokens as one pool and the text after them apart (sim/policy). Text-only
// workloads have no prefix and no images, and the prompt is all text.
//
// Arrivals are Poisson at a rate, a closed batch (all at t = 0) or read from a CSV trace whose header
// names its columns: arrival_s, prompt_tokens (the text prompt) and output_tokens are required;
// prefix_tokens, images and image_tokens (over all images of the request) are optional and 0 when
// absent, so the old 3-column traces read as before. Lengths are fixed or uniform integers in
// [min, max]. Everything random is drawn from the scenario seed; fixed lengths draw nothing, so
// adding the prefix and image fields leaves text-only workloads exactly as they were.
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
  LengthDist prompt_tokens = {};         // the text prompt (all of the prompt when there are no images)
  LengthDist output_tokens = {};
  LengthDist prefix_tokens = {};         // system prefix before the images (0: none)
  LengthDist images = {};                // images per request (0: a text-only workload)
  LengthDist tokens_per_image = {};      // tokens of each image (LLaVA-1.5: 576; LLaVA-NeXT: up to 2880)
  std::string trace_path = {};  // trace only (resolved)
  std::string trace_pointer = {};  // where the trace was named, for error messages
};

struct Request {
  std::int64_t id = 0;        // index in arrival order, 0-based
  double arrival_s = 0;
  int prompt_tokens = 0;      // the whole prompt: prefix + image tokens + text
  int output_tokens = 0;
  int prefix_tokens = 0;
  int images = 0;
  int image_tokens = 0;       // over all images
  int text_tokens() const { return prompt_tokens - prefix_tokens - image_tokens; }
};

// Requests sorted by arrival (ties keep generation order). Throws InputError on a bad trace.
std::vector<Request> make_requests(const WorkloadSpec& spec, std::uint64_t seed, const std::string& scenario_file);

}  // namespace kvsim
