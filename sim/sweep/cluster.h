// Cluster: the processes a sweep is spread over. One process (LocalCluster) or the ranks of an MPI
// job (mpi_cluster.cpp, built into kvsim when CMake finds MPI). The interface keeps MPI out of the
// simulator library: only the kvsim binary links it.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace kvsim::sweep {

class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string describe() const = 0;  // "1 process", "MPI rank 0 of 3"
  // Every rank passes its strings; rank 0 gets all ranks' strings (rank 0's first, then rank 1's, ...),
  // the other ranks get nothing. Collective: every rank must call it.
  virtual std::vector<std::string> gather_to_root(const std::vector<std::string>& mine) = 0;
  // True on every rank when any rank passes true. Collective.
  virtual bool any(bool flag) = 0;
};

class LocalCluster final : public Cluster {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string describe() const override { return "1 process"; }
  std::vector<std::string> gather_to_root(const std::vector<std::string>& mine) override { return mine; }
  bool any(bool flag) override { return flag; }
};

// The MPI cluster when this process was started by mpirun/srun (MPI initialised here, finalised when
// the object is destroyed), otherwise nullptr. Also nullptr in a build without MPI.
std::unique_ptr<Cluster> make_mpi_cluster_if_launched();
// Whether this kvsim was built with MPI.
bool built_with_mpi();

}  // namespace kvsim::sweep
