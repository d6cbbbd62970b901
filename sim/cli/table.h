// The comparison table kvsim prints after a run, and the row of it kept in summary.json.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario.h"

namespace kvsim::cli {

// Key metrics of one summary, with its throughput relative to `baseline`.
nlohmann::json comparison_row(const std::string& name, const nlohmann::json& summary, const nlohmann::json& baseline);
void print_comparison(std::ostream& os, const Scenario& scenario, const std::vector<std::string>& names,
                      const std::vector<nlohmann::json>& summaries, const std::string& out_dir);

// The same table as Markdown, with the scenario's one-line description above it.
void print_comparison_markdown(std::ostream& os, const Scenario& scenario, const std::vector<std::string>& names,
                               const std::vector<nlohmann::json>& summaries);

}  // namespace kvsim::cli
