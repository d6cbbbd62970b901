// The report page: one self-contained HTML file (inline CSS, the data as embedded JSON and the script
// of report_script.js that draws SVG charts from it). It loads nothing from the network.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kvsim::report {

// The page for `data` (see report_data.h).
std::string make_report_html(const nlohmann::json& data);
// report_script.js, compiled in.
const char* report_script();

}  // namespace kvsim::report
