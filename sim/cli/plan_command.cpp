// kvsim plan PLAN.json --out DIR [--jobs N] [--quiet]
// Capacity planning (sim/plan/capacity_plan.h): the cheapest GPU count x placement x budget that
// serves a request rate within p99 TTFT/TPOT SLOs. Writes DIR/plan.json and DIR/plan.md and prints
// the answer in plain words.
#include <iostream>
#include <memory>

#include "sim/cli/commands.h"
#include "sim/core/atomic_file.h"
#include "sim/plan/capacity_plan.h"
#include "sim/sweep/parallel.h"

namespace kvsim::cli {
namespace {

struct PlanCliOptions {
  std::string plan;
  std::string out;
  int jobs = 0;
  bool quiet = false;
};

void run(const PlanCliOptions& o) {
  const plan::PlanSpec spec = plan::load_plan(o.plan);
  plan::validate_plan(spec);
  const plan::PlanResult result = plan::run_plan(spec, o.jobs > 0 ? o.jobs : sweep::default_jobs());
  const std::filesystem::path dir(o.out);
  write_file_atomically(dir / "plan.json", plan::plan_json(spec, result).dump(2) + "\n");
  write_file_atomically(dir / "plan.md", plan::plan_markdown(spec, result));
  if (!o.quiet) std::cout << result.explanation << "\nplan: " << (dir / "plan.md").string() << "\n";
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto opts = std::make_shared<PlanCliOptions>();
  CLI::App* cmd = app.add_subcommand("plan", "Find the cheapest configuration that meets latency SLOs at a request rate");
  cmd->add_option("plan", opts->plan, "Plan JSON file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "Output folder (plan.json, plan.md)")->required();
  cmd->add_option("--jobs,-j", opts->jobs, "Threads (default: every core)")->check(CLI::Range(1, 4096));
  cmd->add_flag("--quiet", opts->quiet, "Print nothing on success");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace kvsim::cli
