// kvsim: the command-line entry point. Verbs: run, sweep, plan, report, validate.
// Bad input prints one line (file: pointer: expected ..., found ...) and exits with status 2.
#include <iostream>

#include <CLI/CLI.hpp>

#include "sim/cli/commands.h"
#include "sim/core/input_error.h"

int main(int argc, char** argv) {
  CLI::App app{"kvsim: multi-GPU LLM inference with per-head compressed KV caches, simulated and measured"};
  app.require_subcommand(1);
  kvsim::cli::add_run_command(app);
  kvsim::cli::add_sweep_command(app);
  kvsim::cli::add_plan_command(app);
  kvsim::cli::add_report_command(app);
  kvsim::cli::add_validate_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {  // a verb that ran and reports a status (validate)
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const kvsim::InputError& e) {
    std::cerr << "kvsim: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kvsim: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
