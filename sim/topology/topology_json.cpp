// make_topology: the scenario's "topology" value -> Topology. Three forms (README.md in this folder):
//   "hgx-h200-8"                                     a preset by name
//   {"preset": "multi-node", "nodes": 4, ...}        a preset with overrides
//   {"name": ..., "nodes": [...], "links": [...]}    an explicit graph
// Every object form also takes "collective_issue": "thread_per_gpu" (default) or "one_thread".
// Every rejection is an InputError at the exact JSON pointer of the offending value.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "sim/core/input_error.h"
#include "sim/topology/presets.h"
#include "sim/topology/topology.h"

namespace kvsim {

namespace {

using nlohmann::json;

std::string describe(const json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

std::string child(const std::string& pointer, const std::string& key) {
  std::string escaped;
  for (char c : key) escaped += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  return pointer + "/" + escaped;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// One JSON object with a fixed set of keys; typed getters that throw InputError where they fail.
class ObjectReader {
 public:
  ObjectReader(const json& value, const std::string& file, const std::string& pointer,
               const std::vector<std::string>& allowed)
      : value_(value), file_(file), pointer_(pointer) {
    if (!value.is_object()) throw InputError(file, pointer, "an object", describe(value));
    for (const auto& [key, v] : value.items())
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        throw InputError(file, child(pointer, key), "one of the keys " + join(allowed), "\"" + key + "\"");
  }

  bool has(const std::string& key) const { return value_.contains(key); }
  std::string at(const std::string& key) const { return child(pointer_, key); }

  const json& required(const std::string& key) const {
    if (!has(key)) throw InputError(file_, at(key), "a value (required)", "nothing");
    return value_.at(key);
  }

  // A number above `low` (or at least `low` when inclusive).
  double number(const std::string& key, double fallback, double low, bool inclusive) const {
    if (!has(key)) return fallback;
    const json& v = value_.at(key);
    const bool ok = v.is_number() && (inclusive ? v.get<double>() >= low : v.get<double>() > low);
    if (!ok) throw InputError(file_, at(key), "a number " + bound(low, inclusive), describe(v));
    return v.get<double>();
  }
  double required_number(const std::string& key, double low, bool inclusive) const {
    required(key);
    return number(key, 0, low, inclusive);
  }

  int integer(const std::string& key, int fallback, int low, int high) const {
    if (!has(key)) return fallback;
    const json& v = value_.at(key);
    if (!v.is_number_integer() || v.get<std::int64_t>() < low || v.get<std::int64_t>() > high)
      throw InputError(file_, at(key), "an integer from " + std::to_string(low) + " to " + std::to_string(high),
                       describe(v));
    return v.get<int>();
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = value_.at(key);
    if (!v.is_boolean()) throw InputError(file_, at(key), "true or false", describe(v));
    return v.get<bool>();
  }

  std::string string(const std::string& key, const std::vector<std::string>& choices = {}) const {
    const json& v = required(key);
    const bool ok = v.is_string() && !v.get<std::string>().empty() &&
                    (choices.empty() || std::count(choices.begin(), choices.end(), v.get<std::string>()));
    if (!ok) throw InputError(file_, at(key), choices.empty() ? "a non-empty string" : "one of " + join(choices),
                              describe(v));
    return v.get<std::string>();
  }

 private:
  static std::string bound(double low, bool inclusive) {
    std::ostringstream text;
    text << (inclusive ? ">= " : "> ") << low;  // 0, not json's 0.0
    return text.str();
  }
  const json& value_;
  const std::string& file_;
  std::string pointer_;
};

std::vector<std::string> all_preset_names() {
  std::vector<std::string> names = server_preset_names();
  for (const std::string& n : cluster_preset_names()) names.push_back(n);
  return names;
}

std::vector<std::string> server_keys(ServerKind kind) {
  switch (kind) {
    case ServerKind::hgx:
      return {"preset", "gpus", "nvlink_gbps", "nvlink_latency_us", "pcie_gbps", "pcie_latency_us",
              "socket_link_gbps", "socket_link_latency_us"};
    case ServerKind::nvlink_pair:
      return {"preset", "nvlink_gbps", "nvlink_latency_us", "pcie_gbps", "pcie_latency_us"};
    case ServerKind::pcie:
      return {"preset", "gpus_per_switch", "switches_per_socket", "pcie_gbps", "pcie_latency_us",
              "socket_link_gbps", "socket_link_latency_us"};
  }
  return {};
}

// A server preset: a name, or {"preset": name, overrides}. top_level: the scenario's topology itself
// (which may say "collective_issue"), not a cluster's "node".
ServerParams read_server(const json& value, const std::string& file, const std::string& pointer, std::string* name,
                         bool top_level) {
  const json& name_value = value.is_object() && value.contains("preset") ? value.at("preset") : value;
  const std::string name_pointer = value.is_object() ? child(pointer, "preset") : pointer;
  ServerParams p;
  if (!name_value.is_string() || !server_preset(name_value.get<std::string>(), &p))
    throw InputError(file, name_pointer, "a server preset: one of " + join(server_preset_names()),
                     describe(name_value));
  *name = name_value.get<std::string>();
  if (!value.is_object()) return p;
  std::vector<std::string> keys = server_keys(p.kind);
  if (top_level) keys.push_back("collective_issue");
  const ObjectReader r(value, file, pointer, keys);
  p.gpus = r.integer("gpus", p.gpus, 1, 1024);
  p.gpus_per_switch = r.integer("gpus_per_switch", p.gpus_per_switch, 1, 64);
  p.switches_per_socket = r.integer("switches_per_socket", p.switches_per_socket, 1, 64);
  p.nvlink_gbps = r.number("nvlink_gbps", p.nvlink_gbps, 0, false);
  p.nvlink_latency_us = r.number("nvlink_latency_us", p.nvlink_latency_us, 0, true);
  p.pcie_gbps = r.number("pcie_gbps", p.pcie_gbps, 0, false);
  p.pcie_latency_us = r.number("pcie_latency_us", p.pcie_latency_us, 0, true);
  p.socket_link_gbps = r.number("socket_link_gbps", p.socket_link_gbps, 0, false);
  p.socket_link_latency_us = r.number("socket_link_latency_us", p.socket_link_latency_us, 0, true);
  return p;
}

Topology read_cluster(const json& value, const std::string& file, const std::string& pointer,
                      const std::string& preset) {
  const ObjectReader r(value, file, pointer,
                       {"preset", "nodes", "node", "nic", "rail_optimized", "nic_gbps", "nic_latency_us",
                        "switch_latency_us", "oversubscription", "collective_issue"});
  ClusterParams c;  // defaults are ib-2node-hgx
  c.nodes = r.integer("nodes", c.nodes, 1, 4096);
  if (r.has("node")) c.server = read_server(value.at("node"), file, r.at("node"), &c.server_preset, false);
  else server_preset(c.server_preset, &c.server);
  if (r.has("nic")) c.nic = r.string("nic", {"ib-ndr-400", "roce-400"}) == "ib-ndr-400" ? NicKind::ib_ndr_400
                                                                                          : NicKind::roce_400;
  c.rail_optimized = r.boolean("rail_optimized", c.rail_optimized);
  c.nic_gbps = r.number("nic_gbps", c.nic_gbps, 0, false);
  c.nic_latency_us = r.number("nic_latency_us", c.nic_latency_us, 0, true);
  c.switch_latency_us = r.number("switch_latency_us", c.switch_latency_us, 0, true);
  c.oversubscription = r.number("oversubscription", c.oversubscription, 1, true);
  const std::string name = preset == "multi-node" ? std::to_string(c.nodes) + "x" + c.server_preset + "-" +
                                                        std::string(nic_kind_name(c.nic)) +
                                                        (c.rail_optimized ? "-rail" : "-tor")
                                                  : preset;
  return Topology(name, build_cluster(c), file, pointer);
}

Topology read_explicit(const json& value, const std::string& file, const std::string& pointer) {
  const ObjectReader r(value, file, pointer, {"name", "nodes", "links", "collective_issue"});
  const std::string name = r.has("name") ? r.string("name") : "custom";
  const json& nodes = r.required("nodes");
  if (!nodes.is_array() || nodes.empty())
    throw InputError(file, r.at("nodes"), "a non-empty array of {\"id\", \"kind\"}", describe(nodes));
  GraphBuilder b;
  std::map<std::string, std::string> first_seen;  // id -> its pointer
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string at = r.at("nodes") + "/" + std::to_string(i);
    const ObjectReader node(nodes[i], file, at, {"id", "kind"});
    const std::string id = node.string("id");
    const std::string kind_name = node.string("kind");
    const auto kind = node_kind_from_name(kind_name);
    if (!kind)
      throw InputError(file, node.at("kind"), "a node kind: one of " + node_kind_names(),
                       describe(nodes[i].at("kind")));
    if (first_seen.count(id))
      throw InputError(file, node.at("id"), "an id not used by another node",
                       "\"" + id + "\" (also at " + first_seen[id] + ")");
    first_seen[id] = at;
    b.add_node(id, *kind, at);
  }

  const json& links = r.required("links");
  if (!links.is_array()) throw InputError(file, r.at("links"), "an array of links", describe(links));
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string at = r.at("links") + "/" + std::to_string(i);
    const ObjectReader link(links[i], file, at, {"a", "b", "bandwidth_gbps", "latency_us"});
    Vertex ends[2];
    for (int e = 0; e < 2; ++e) {
      const std::string key = e == 0 ? "a" : "b";
      const std::string id = link.string(key);
      if (!b.has_node(id)) throw InputError(file, link.at(key), "the id of a node in /nodes", "\"" + id + "\"");
      ends[e] = b.vertex(id);
    }
    if (ends[0] == ends[1]) throw InputError(file, link.at("b"), "a node other than \"a\"", describe(links[i].at("b")));
    if (b.has_link(ends[0], ends[1]))
      throw InputError(file, at, "at most one link per pair of nodes (add the bandwidths)",
                       "a second link " + links[i].at("a").dump() + " - " + links[i].at("b").dump());
    const double gbps = link.required_number("bandwidth_gbps", 0, false);
    const double latency_us = link.required_number("latency_us", 0, true);
    b.add_link(ends[0], ends[1], link_gbps_us(gbps, latency_us), at);
  }
  return Topology(name, b.take(), file, pointer);
}

}  // namespace

namespace {

Topology read_topology(const json& config, const std::string& file, const std::string& pointer) {
  if (config.is_string() || (config.is_object() && config.contains("preset"))) {
    const json& name_value = config.is_string() ? config : config.at("preset");
    const std::string name_pointer = config.is_string() ? pointer : child(pointer, "preset");
    const std::vector<std::string> names = all_preset_names();
    if (!name_value.is_string() || !std::count(names.begin(), names.end(), name_value.get<std::string>()))
      throw InputError(file, name_pointer, "a topology preset: one of " + join(names), describe(name_value));
    const std::string name = name_value.get<std::string>();
    if (name == "multi-node" || name == "ib-2node-hgx")
      return read_cluster(config.is_string() ? json::object({{"preset", name}}) : config, file, pointer, name);
    std::string server_name;
    const ServerParams p = read_server(config, file, pointer, &server_name, true);
    return Topology(server_name, build_server(p), file, pointer);
  }
  if (config.is_object()) return read_explicit(config, file, pointer);
  throw InputError(file, pointer, "a topology preset name or an object", describe(config));
}

}  // namespace

Topology make_topology(const json& config, const std::string& file, const std::string& pointer) {
  Topology topology = read_topology(config, file, pointer);
  // Who issues the collectives (topology.h, IssueMode); a key of every object form.
  if (config.is_object() && config.contains("collective_issue")) {
    const json& v = config.at("collective_issue");
    const std::vector<std::string> modes = {"thread_per_gpu", "one_thread"};
    if (!v.is_string() || !std::count(modes.begin(), modes.end(), v.get<std::string>()))
      throw InputError(file, child(pointer, "collective_issue"), "one of " + join(modes), describe(v));
    topology.set_issue_mode(v.get<std::string>() == "one_thread" ? IssueMode::one_thread : IssueMode::thread_per_gpu);
  }
  return topology;
}

}  // namespace kvsim
