// The MPI Cluster (Open MPI or any MPI-3 library): built into the kvsim binary only, when CMake finds
// MPI. `mpirun -n K kvsim sweep SWEEP.json --out DIR` spreads the points over K ranks; rank 0
// gathers the records with MPI_Gatherv, so the ranks need not share a file system.
#include <cstdlib>
#include <mpi.h>

#include "sim/sweep/cluster.h"

namespace kvsim::sweep {
namespace {

class MpiCluster final : public Cluster {
 public:
  MpiCluster() {
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready) {
      MPI_Init(nullptr, nullptr);
      owns_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCluster() override {
    int done = 0;
    MPI_Finalized(&done);
    if (owns_ && !done) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string describe() const override {
    return "MPI rank " + std::to_string(rank_) + " of " + std::to_string(size_);
  }

  std::vector<std::string> gather_to_root(const std::vector<std::string>& mine) override {
    // Strings travel as one buffer per rank: each string followed by a NUL (records are JSON, no NULs).
    std::string packed;
    for (const std::string& s : mine) packed += s + '\0';
    int length = static_cast<int>(packed.size());
    std::vector<int> lengths(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank_ == 0) {
      long total = 0;
      for (int r = 0; r < size_; ++r) {
        offsets[static_cast<std::size_t>(r)] = static_cast<int>(total);
        total += lengths[static_cast<std::size_t>(r)];
      }
      all.resize(static_cast<std::size_t>(total));
    }
    MPI_Gatherv(packed.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (std::size_t begin = 0; begin < all.size();) {
      const std::size_t end = all.find('\0', begin);
      out.push_back(all.substr(begin, end - begin));
      begin = end + 1;
    }
    return out;
  }

  bool any(bool flag) override {
    int mine = flag ? 1 : 0, result = 0;
    MPI_Allreduce(&mine, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return result != 0;
  }

 private:
  int rank_ = 0, size_ = 1;
  bool owns_ = false;
};

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return true;
  return false;
}

}  // namespace

std::unique_ptr<Cluster> make_mpi_cluster_if_launched() {
  if (!launched_by_mpi()) return nullptr;
  return std::make_unique<MpiCluster>();
}

bool built_with_mpi() { return true; }

}  // namespace kvsim::sweep
