// kvsim validate SCENARIO --profile FILE [--out DIR] [--measure cuda|roofline] [--layers N] [--no-warm-up]
//                [--phase-every N]
// Runs the scenario (each of its variants) on the local GPUs with the cuda executor and in simulation
// with the calibrated executor of FILE, and writes the comparison (sim/validate/validation_output.h).
// --measure roofline puts the roofline model in the GPUs' place: the same pipeline without a GPU
// (a model-against-model comparison, labelled so in every output). --phase-every N: per-phase CUDA
// events on every Nth step only, since each event between kernels costs GPU time; per-step errors
// are then over the other steps (validate.h).
// Exit status: 0 when every run completed (whether or not it met the targets), 1 when a measured run
// stopped early (its results up to that step are written), 2 for bad input.
// Under mpirun with one rank per GPU of the scenario (`mpirun -n G kvsim validate ...`, --measure
// cuda): each rank drives one GPU (sim/validate/cuda_backend.h); rank 0 writes the output and
// prints, the other ranks print nothing. A runtime failure on any rank aborts the whole job
// (MPI_Abort, after that rank prints why): nothing is written then.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "sim/core/input_error.h"
#include "sim/executor/roofline_costs.h"
#include "sim/executor/tp_step_composer.h"
#include "sim/scenario/scenario.h"
#include "sim/validate/cuda_backend.h"
#include "sim/validate/validation_output.h"

namespace kvsim::cli {
namespace {

struct ValidateCliOptions {
  std::string scenario;
  std::string profile;
  std::string out = "kvsim-validation";
  std::string measure = "cuda";
  int layers = 0;
  bool no_warm_up = false;
  int phase_every = 16;
};

ExecutorFactory roofline_stand_in() {
  return [](const ExecutorContext& ctx) -> std::unique_ptr<StepExecutor> {
    return std::make_unique<TpStepComposer>(
        "roofline", ctx.deployment, std::make_unique<RooflineCosts>(ctx.scenario.gpu, ctx.scenario.model.dtype_bytes));
  };
}

int validate(const ValidateCliOptions& o, const CudaRanks* ranks) {
  const Scenario base = load_scenario(o.scenario);
  ValidateOptions vopts{.profile = o.profile, .measure = {}, .measured_by = o.measure};
  const bool root = !ranks || ranks->root();
  if (o.measure == "cuda") {
    if (const std::string why = cuda_backend_missing(); !why.empty()) {
      std::cerr << "kvsim validate: " << why << "\n";
      return 1;
    }
    vopts.measure = cuda_executor_factory(
        {.layers = o.layers, .warm_up = !o.no_warm_up, .phase_every = o.phase_every,
         .mpi_ranks = ranks ? ranks->size() : 1});
    if (ranks && ranks->size() > 1) vopts.measured_by = "cuda (" + std::to_string(ranks->size()) + " MPI ranks, one per GPU)";
  } else {
    vopts.measured_by = "roofline model (a stand-in for GPUs: nothing was measured)";
    vopts.measure = roofline_stand_in();
  }
  std::vector<std::pair<std::string, Scenario>> runs;
  if (base.variants.empty()) runs.emplace_back(base.name, base);
  for (const Variant& v : base.variants) runs.emplace_back(v.name, apply_variant(base, v));

  std::vector<ValidationRun> results;
  int status = 0;
  for (const auto& [name, scenario] : runs) {
    results.push_back(validate_scenario(scenario, name, vopts));
    if (root) std::cerr << "kvsim validate: " << name << " done (" << results.back().pairs.size() << " steps measured)\n";
    if (!results.back().error.empty()) {
      if (root) std::cerr << "kvsim validate: " << name << " stopped at " << results.back().error << "\n";
      status = 1;
    }
  }
  if (!root) return status;
  write_validation(o.out, base.name, results);
  std::cout << validation_markdown(base.name, results, compare_variants(results));
  std::cout << "\nwrote " << o.out << "/validation.json, validation.md, steps.csv and step_times.svg per run\n";
  return status;
}

}  // namespace

void add_validate_command(CLI::App& app) {
  auto opts = std::make_shared<ValidateCliOptions>();
  CLI::App* cmd = app.add_subcommand("validate", "Run a scenario on the local GPUs and compare with its calibrated simulation");
  cmd->add_option("scenario", opts->scenario, "Scenario JSON file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--profile", opts->profile, "Calibration profile of the predicting executor")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", opts->out, "Output folder")->capture_default_str();
  cmd->add_option("--measure", opts->measure, "What measures: cuda (the GPUs) or roofline (a model stand-in, no GPU)")
      ->check(CLI::IsMember({"cuda", "roofline"}))
      ->capture_default_str();
  cmd->add_option("--layers", opts->layers, "Run only the first N decoder layers and scale (0: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-warm-up", opts->no_warm_up, "Time from the first step (kernel loading included)");
  cmd->add_option("--phase-every", opts->phase_every,
                  "Per-phase CUDA events on every Nth step; the others are timed by their ends only (events cost GPU time)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([opts] {
    int status = 0;
    if (opts->measure != "cuda" || !cuda_backend_missing().empty()) {
      status = validate(*opts, nullptr);
    } else {
      // Under mpirun: one rank per GPU (MPI initialised here, finalised when `ranks` goes).
      CudaRanks ranks;
      try {
        status = validate(*opts, &ranks);
      } catch (const InputError&) {
        if (ranks.root()) throw;
        status = 2;  // every rank finds the same bad input: rank 0 says it
      } catch (const std::exception&) {
        if (ranks.root()) throw;
        status = 1;
      }
    }
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace kvsim::cli
