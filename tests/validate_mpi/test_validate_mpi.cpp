// validate_mpi: `mpiexec -n 2 kvsim validate` (one rank per GPU, sim/validate/cuda_backend.h) against
// the one-process `kvsim validate` of the same tiny 2-GPU scenario (llama-3-8b-2layers-2gpu.json).
// Checks of the MPI run: exit status 0, validation.json written by rank 0, the measured run complete
// (error null), KV memory exact on both GPUs, both GPUs' bytes and both ranks in the measured notes,
// and as many measured steps as the one-process run (every rank ran the same schedule). Run from the
// source root (ctest sets it). Exit 77 (CTest "Skipped") with the reason printed when kvsim was built
// without MPI or fewer than 2 CUDA devices are visible; exit 1 on any failed check.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

int run(const std::string& command) {
  std::printf("$ %s\n", command.c_str());
  std::fflush(stdout);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, false);
}

}  // namespace

int main() {
  const std::string mpiexec = KVSIM_MPIEXEC;
  if (mpiexec.empty()) {
    std::printf("SKIPPED: this kvsim was built without MPI (no kvsim_runtime_mpi): no one-rank-per-GPU mode\n");
    return 77;
  }
  int devices = 0;
  const cudaError_t st = cudaGetDeviceCount(&devices);
  if (st != cudaSuccess || devices < 2) {
    std::printf("SKIPPED: needs 2 CUDA devices: %d visible (%s)\n", st == cudaSuccess ? devices : 0,
                st == cudaSuccess ? "ok" : cudaGetErrorString(st));
    return 77;
  }
  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / ("kvsim-validate-mpi-" + std::to_string(getpid()));
  std::filesystem::remove_all(tmp);
  std::filesystem::create_directories(tmp);
  const std::string args = std::string(" validate tests/validate_mpi/llama-3-8b-2layers-2gpu.json") +
                           " --profile calibration/profiles/h200/h200-nvlink-2gpu.json --out ";
  const std::string kvsim = KVSIM_BINARY;
  const std::string np = std::string(KVSIM_MPIEXEC_NUMPROC_FLAG).empty() ? "-n" : KVSIM_MPIEXEC_NUMPROC_FLAG;

  check(run(kvsim + args + (tmp / "one").string() + " > " + (tmp / "one.log").string() + " 2>&1") == 0,
        "one process: kvsim validate exits 0");
  const int rc = run(mpiexec + " " + np + " 2 --allow-run-as-root --oversubscribe " + kvsim + args + (tmp / "mpi").string());
  check(rc == 0, "mpiexec -n 2 kvsim validate exits 0 (got " + std::to_string(rc) + ")");

  const nlohmann::json one = read_json(tmp / "one" / "validation.json"), mpi = read_json(tmp / "mpi" / "validation.json");
  check(one.is_object(), "one process: validation.json written");
  check(mpi.is_object(), "MPI: validation.json written");
  if (one.is_object() && mpi.is_object()) {
    check(one.value("error", nlohmann::json()).is_null(), "one process: measured run complete");
    check(mpi.value("error", nlohmann::json()).is_null(),
          "MPI: measured run complete (error: " + mpi.value("error", nlohmann::json()).dump() + ")");
    const auto at = [](const nlohmann::json& j, const char* a, const char* b) {
      return j.contains(a) && j.at(a).contains(b) ? j.at(a).at(b) : nlohmann::json();
    };
    check(at(mpi, "memory", "exact") == true, "MPI: KV memory exact (" + at(mpi, "memory", "per_gpu").dump() + ")");
    const nlohmann::json steps_one = at(one, "step_error", "all").value("steps", nlohmann::json());
    const nlohmann::json steps_mpi = at(mpi, "step_error", "all").value("steps", nlohmann::json());
    check(steps_mpi.is_number() && steps_mpi == steps_one,
          "MPI: measured steps " + steps_mpi.dump() + " == one process's " + steps_one.dump());
    const nlohmann::json notes = mpi.value("measured_notes", nlohmann::json::object());
    check(notes.value("mpi_ranks", nlohmann::json::array()).size() == 2, "MPI: both ranks in the measured notes");
    check(notes.value("kv_bytes_per_gpu", nlohmann::json::array()) ==
              one.value("measured_notes", nlohmann::json::object()).value("kv_bytes_per_gpu", nlohmann::json()),
          "MPI: KV bytes per GPU == the one-process run's " + notes.value("kv_bytes_per_gpu", nlohmann::json()).dump());
    check(at(mpi, "throughput", "output_tokens_per_s").is_object(), "MPI: throughput compared");
    std::printf("one process: median step error %s; MPI: %s\n", at(one, "step_error", "all").dump().c_str(),
                at(mpi, "step_error", "all").dump().c_str());
  }
  if (failures == 0) std::filesystem::remove_all(tmp);
  else std::printf("outputs kept in %s\n", tmp.c_str());
  std::printf("%d failed checks\n", failures);
  return failures == 0 ? 0 : 1;
}
