// Parsing and validation of scenario JSON into a Scenario (see scenario.h and the README's
// "Scenario file" section for the schema). Every rejected value names its JSON pointer.
#include <algorithm>
#include <cctype>

#include "sim/core/data_path.h"
#include "sim/scenario/json_reader.h"
#include "sim/scenario/scenario.h"

namespace kvsim {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "\"" : ", \"") + n + "\"";
  return s;
}

// "vision": a preset name, null (a text-only model) or an object with every field (or a "preset"
// and the fields to change).
std::optional<VisionSpec> parse_vision(const JsonReader& r) {
  const std::string presets = "\"clip-vit-l-14-336\"";
  if (r.json().is_null()) return std::nullopt;
  if (r.json().is_string()) {
    auto preset = vision_preset(r.json().get<std::string>());
    if (!preset) r.fail_here("a vision tower preset (" + presets + "), an object or null", JsonReader::describe(r.json()));
    return preset;
  }
  r.expect_object();
  r.reject_unknown_keys({"preset", "name", "layers", "hidden", "ffn", "heads", "patch_tokens", "extra_tokens",
                         "projector_hidden"});
  VisionSpec v;
  const bool custom = !r.has("preset");
  if (!custom) {
    auto preset = vision_preset(r.string("preset"));
    if (!preset) r.fail("preset", "one of " + presets, JsonReader::describe(r.json()["preset"]));
    v = *preset;
  }
  auto field = [&](std::string_view key, int current, int min, int max) {
    if (custom && !r.has(key)) r.fail(key, "an integer (custom vision towers give every shape)", "nothing");
    return static_cast<int>(r.integer_or(key, current, min, max));
  };
  v.name = r.string_or("name", custom ? "custom" : v.name);
  v.layers = field("layers", v.layers, 1, 1024);
  v.hidden = field("hidden", v.hidden, 1, 1 << 20);
  v.ffn = field("ffn", v.ffn, 1, 1 << 22);
  v.heads = field("heads", v.heads, 1, 4096);
  v.patch_tokens = field("patch_tokens", v.patch_tokens, 1, 1 << 20);
  v.extra_tokens = field("extra_tokens", v.extra_tokens, 0, 1 << 20);
  v.projector_hidden = field("projector_hidden", v.projector_hidden, 1, 1 << 22);
  if (v.hidden % v.heads != 0)
    r.fail("heads", "a divisor of hidden (" + std::to_string(v.hidden) + ")", std::to_string(v.heads));
  return v;
}

ModelSpec parse_model(const JsonReader& r) {
  if (r.json().is_string()) {
    auto preset = model_preset(r.json().get<std::string>());
    if (!preset) r.fail_here("a model preset (" + joined(model_preset_names()) + ") or an object",
                             JsonReader::describe(r.json()));
    return *preset;
  }
  r.expect_object();
  r.reject_unknown_keys({"preset", "name", "layers", "hidden", "ffn", "q_heads", "kv_heads", "head_dim", "vocab",
                         "dtype_bytes", "tied_embeddings", "vision"});
  ModelSpec m;
  if (r.has("preset")) {
    auto preset = model_preset(r.string("preset"));
    if (!preset) r.fail("preset", "one of " + joined(model_preset_names()), JsonReader::describe(r.json()["preset"]));
    m = *preset;
  }
  const bool custom = !r.has("preset");
  auto field = [&](std::string_view key, int current, int min, int max) {
    if (custom && !r.has(key)) r.fail(key, "an integer (custom models give every shape)", "nothing");
    return static_cast<int>(r.integer_or(key, current, min, max));
  };
  m.name = r.string_or("name", custom ? "custom" : m.name);
  m.layers = field("layers", m.layers, 1, 1024);
  m.hidden = field("hidden", m.hidden, 1, 1 << 20);
  m.ffn = field("ffn", m.ffn, 1, 1 << 22);
  m.q_heads = field("q_heads", m.q_heads, 1, 4096);
  m.kv_heads = field("kv_heads", m.kv_heads, 1, 4096);
  m.head_dim = field("head_dim", m.head_dim, 1, 1024);
  m.vocab = field("vocab", m.vocab, 1, 1 << 24);
  m.dtype_bytes = static_cast<int>(r.integer_or("dtype_bytes", m.dtype_bytes, 1, 8));
  m.tied_embeddings = r.boolean_or("tied_embeddings", m.tied_embeddings);
  if (r.has("vision")) m.vision = parse_vision(r.at("vision"));
  if (m.q_heads % m.kv_heads != 0)
    r.fail("kv_heads", "a divisor of q_heads (" + std::to_string(m.q_heads) + ")", std::to_string(m.kv_heads));
  return m;
}

GpuSpec parse_gpu(const JsonReader& r) {
  if (r.json().is_string()) {
    auto preset = gpu_preset(r.json().get<std::string>());
    if (!preset) r.fail_here("a GPU preset (" + joined(gpu_preset_names()) + ") or an object",
                             JsonReader::describe(r.json()));
    return *preset;
  }
  r.expect_object();
  r.reject_unknown_keys({"preset", "name", "memory_gib", "hbm_tb_per_s", "bf16_tflops", "interconnect_gb_per_s",
                         "interconnect_latency_us"});
  GpuSpec g;
  const bool custom = !r.has("preset");
  if (!custom) {
    auto preset = gpu_preset(r.string("preset"));
    if (!preset) r.fail("preset", "one of " + joined(gpu_preset_names()), JsonReader::describe(r.json()["preset"]));
    g = *preset;
  }
  auto value = [&](std::string_view key, double current, double scale) {
    if (custom && !r.has(key)) r.fail(key, "a number (custom GPUs give every rate)", "nothing");
    return r.has(key) ? r.number(key, 1e-9, 1e9) * scale : current;
  };
  g.name = r.string_or("name", custom ? "custom" : g.name);
  g.memory_bytes = static_cast<std::int64_t>(value("memory_gib", static_cast<double>(g.memory_bytes), 1024.0 * 1024 * 1024));
  g.hbm_bytes_per_s = value("hbm_tb_per_s", g.hbm_bytes_per_s, 1e12);
  g.bf16_flops_per_s = value("bf16_tflops", g.bf16_flops_per_s, 1e12);
  g.interconnect_bytes_per_s = value("interconnect_gb_per_s", g.interconnect_bytes_per_s, 1e9);
  g.interconnect_latency_s = value("interconnect_latency_us", g.interconnect_latency_s, 1e-6);
  return g;
}

LengthDist parse_length(const JsonReader& parent, std::string_view key, int min = 1) {
  const JsonReader r = parent.at(key);
  if (r.json().is_number()) {
    const int n = static_cast<int>(r.as_integer(min, 10'000'000));
    return {n, n};
  }
  if (!r.json().is_object())
    r.fail_here("a token count or {\"uniform\": [min, max]}", JsonReader::describe(r.json()));
  r.reject_unknown_keys({"uniform"});
  const JsonReader u = r.at("uniform");
  u.expect_array();
  if (u.size() != 2) u.fail_here("[min, max]", JsonReader::describe(u.json()));
  const int lo = static_cast<int>(u.at(std::size_t{0}).as_integer(min, 10'000'000));
  const int hi = static_cast<int>(u.at(std::size_t{1}).as_integer(min, 10'000'000));
  if (hi < lo) u.at(std::size_t{1}).fail_here("max >= min (" + std::to_string(lo) + ")", std::to_string(hi));
  return {lo, hi};
}

WorkloadSpec parse_workload(const JsonReader& r, const std::filesystem::path& base_dir) {
  r.expect_object();
  r.reject_unknown_keys({"arrival", "rate_per_s", "requests", "prompt_tokens", "output_tokens", "prefix_tokens",
                         "images", "trace"});
  WorkloadSpec w;
  const std::string arrival = r.choice("arrival", {"poisson", "batch", "trace"});
  if (arrival == "trace") {
    w.arrival = WorkloadSpec::Arrival::trace;
    for (const char* key : {"rate_per_s", "requests", "prompt_tokens", "output_tokens", "prefix_tokens", "images"})
      if (r.has(key)) r.fail(key, "no value (a trace gives arrivals and lengths)", JsonReader::describe(r.json()[key]));
    w.trace_path = resolve_data_path(r.string("trace"), base_dir).string();
    w.trace_pointer = r.pointer_to("trace");
    return w;
  }
  if (r.has("trace")) r.fail("trace", "no value unless \"arrival\" is \"trace\"", JsonReader::describe(r.json()["trace"]));
  w.arrival = arrival == "poisson" ? WorkloadSpec::Arrival::poisson : WorkloadSpec::Arrival::batch;
  if (w.arrival == WorkloadSpec::Arrival::poisson) w.rate_per_s = r.number("rate_per_s", 1e-9, 1e9);
  else if (r.has("rate_per_s"))
    r.fail("rate_per_s", "no value for a closed batch", JsonReader::describe(r.json()["rate_per_s"]));
  w.requests = static_cast<int>(r.integer("requests", 1, 100'000'000));
  w.prompt_tokens = parse_length(r, "prompt_tokens");
  w.output_tokens = parse_length(r, "output_tokens");
  // Vision-language prompts: [prefix][images][text]; prompt_tokens is then the text after the images.
  if (r.has("prefix_tokens")) w.prefix_tokens = parse_length(r, "prefix_tokens", 0);
  if (r.has("images")) {
    const JsonReader im = r.at("images");
    im.expect_object();
    im.reject_unknown_keys({"count", "tokens_per_image"});
    w.images = parse_length(im, "count", 0);
    w.tokens_per_image = parse_length(im, "tokens_per_image", 1);
  }
  return w;
}

SchedulerSpec parse_scheduler(const JsonReader& r) {
  r.expect_object();
  r.reject_unknown_keys({"max_batch_size", "max_batched_tokens", "chunked_prefill"});
  SchedulerSpec s;
  s.max_batch_size = static_cast<int>(r.integer_or("max_batch_size", s.max_batch_size, 1, 1'000'000));
  s.max_batched_tokens = static_cast<int>(r.integer_or("max_batched_tokens", s.max_batched_tokens, 1, 100'000'000));
  s.chunked_prefill = r.boolean_or("chunked_prefill", s.chunked_prefill);
  if (s.max_batched_tokens < s.max_batch_size)
    r.fail("max_batched_tokens", "at least max_batch_size (" + std::to_string(s.max_batch_size) +
                                     ") so every running request can decode in one step",
           std::to_string(s.max_batched_tokens));
  return s;
}

std::vector<Variant> parse_variants(const JsonReader& r) {
  r.expect_array();
  std::vector<Variant> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const JsonReader v = r.at(i);
    v.expect_object();
    v.reject_unknown_keys({"name", "set"});
    Variant variant{.name = v.string("name"), .set = v.at("set").json()};
    v.at("set").expect_object();
    const bool safe = !variant.name.empty() && std::all_of(variant.name.begin(), variant.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!safe) v.fail("name", "a name of letters, digits, '-', '_' or '.' (it names a folder)",
                      JsonReader::describe(v.json()["name"]));
    for (const auto& seen : out)
      if (seen.name == variant.name) v.fail("name", "a name not used by another variant", "\"" + variant.name + "\"");
    out.push_back(std::move(variant));
  }
  if (out.empty()) r.fail_here("at least one variant", "an empty array");
  return out;
}

}  // namespace

Scenario parse_scenario(const nlohmann::json& root, const std::string& file, const std::filesystem::path& base_dir) {
  const JsonReader r(root, file, "");
  r.expect_object();
  r.reject_unknown_keys({"schema_version", "name", "seed", "model", "hardware", "workload", "kv_policy",
                         "attention_policy", "placement",
                         "topology", "scheduler", "executor", "output", "variants"});
  const auto version = r.integer("schema_version", 0, 1'000'000);
  if (version != kScenarioSchemaVersion)
    r.fail("schema_version", std::to_string(kScenarioSchemaVersion), std::to_string(version));
  Scenario s;
  s.file = file;
  s.base_dir = base_dir;
  s.source = root;
  s.name = r.string_or("name", std::filesystem::path(file).stem().string());
  s.seed = static_cast<std::uint64_t>(r.integer_or("seed", 1, 0, INT64_MAX));
  s.model = parse_model(r.at("model"));

  const JsonReader hw = r.at("hardware");
  hw.expect_object();
  hw.reject_unknown_keys({"gpu", "gpus", "replicas", "router", "reserve_fraction"});
  s.gpu = parse_gpu(hw.at("gpu"));
  s.gpus = static_cast<int>(hw.integer("gpus", 1, 4096));
  s.replicas = static_cast<int>(hw.integer_or("replicas", 1, 1, 4096));
  s.router = hw.choice_or("router", "round_robin", {"round_robin", "least_loaded"}) == "round_robin"
                 ? Scenario::Router::round_robin : Scenario::Router::least_loaded;
  s.reserve_fraction = hw.number_or("reserve_fraction", s.reserve_fraction, 0.0, 0.9);

  s.workload = parse_workload(r.at("workload"), base_dir);
  if (r.has("scheduler")) s.scheduler = parse_scheduler(r.at("scheduler"));
  s.kv_policy = r.has("kv_policy") ? r.at("kv_policy").json() : nlohmann::json{{"kind", "full"}};
  if (r.has("attention_policy")) s.attention_policy = r.at("attention_policy").json();
  if (s.workload.images.max > 0 && !s.model.vision)
    r.at("workload").fail("images", "a model with a vision tower to encode them (a LLaVA preset or \"vision\" in /model)",
                          "images for " + s.model.name + ", which has none");
  s.placement = r.has("placement") ? r.at("placement").json() : nlohmann::json{{"kind", "tensor_parallel"}};
  s.topology = r.has("topology") ? r.at("topology").json() : nlohmann::json();

  if (r.has("executor")) {
    const JsonReader ex = r.at("executor");
    ex.expect_object();
    ex.reject_unknown_keys({"kind", "profile"});
    const std::string kind = ex.choice("kind", {"roofline", "calibrated", "cuda"});
    s.executor = kind == "roofline" ? ExecutorKind::roofline
                 : kind == "calibrated" ? ExecutorKind::calibrated : ExecutorKind::cuda;
    if (ex.has("profile")) s.profile_path = resolve_data_path(ex.string("profile"), base_dir).string();
    if (s.executor == ExecutorKind::calibrated && s.profile_path.empty())
      ex.fail("profile", "a calibration profile for the calibrated executor", "nothing");
  }
  if (r.has("output")) {
    const JsonReader out = r.at("output");
    out.expect_object();
    out.reject_unknown_keys({"trace_detail_steps"});
    s.output.trace_detail_steps = static_cast<int>(out.integer_or("trace_detail_steps", 4, 0, 1000));
  }
  if (r.has("variants")) s.variants = parse_variants(r.at("variants"));
  return s;
}

}  // namespace kvsim
