// The kvsim verbs. Each registers its CLI11 subcommand and runs it; input errors propagate as
// InputError and main() turns them into one line on stderr and exit status 2.
#pragma once

#include <CLI/CLI.hpp>

namespace kvsim::cli {

// Registers the subcommand; the callback it installs does the work.
void add_run_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_validate_command(CLI::App& app);

}  // namespace kvsim::cli
