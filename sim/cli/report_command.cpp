// kvsim report DIR [--out FILE]
// Writes DIR/report.html: one self-contained page (no network) with the charts of whatever results
// DIR holds: a run (with variants), a sweep, a plan, a validation (sim/report/report_data.h).
#include <iostream>
#include <memory>

#include "sim/cli/commands.h"
#include "sim/core/atomic_file.h"
#include "sim/report/report_data.h"
#include "sim/report/report_html.h"

namespace kvsim::cli {
namespace {

struct ReportCliOptions {
  std::string dir;
  std::string out;
  bool quiet = false;
};

void run(const ReportCliOptions& o) {
  const std::filesystem::path dir(o.dir);
  const nlohmann::json data = report::gather_report_data(dir);
  const std::filesystem::path out = o.out.empty() ? dir / "report.html" : std::filesystem::path(o.out);
  write_file_atomically(out, report::make_report_html(data));
  if (!o.quiet) std::cout << "report: " << out.string() << "\n";
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto opts = std::make_shared<ReportCliOptions>();
  CLI::App* cmd = app.add_subcommand("report", "Write DIR/report.html: charts of a run, sweep, plan or validation");
  cmd->add_option("dir", opts->dir, "Results folder")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--out", opts->out, "Page to write (default DIR/report.html)");
  cmd->add_flag("--quiet", opts->quiet, "Print nothing on success");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace kvsim::cli
