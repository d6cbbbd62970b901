// MPI test of the decoder runtime's one-rank-per-GPU mode (decoder_runtime.h RuntimeConfig::distributed,
// runtime_mpi.h): run under mpirun with 2 ranks on 2 GPUs (ctest -R runtime_mpi). Each rank drives
// one GPU of the tiny case (tests/runtime/tiny_case.h) under tensor_parallel and fair_copying, with a
// warm-up, and checks against a 1-GPU runtime of the whole model run in the same rank on its device:
// hidden states of every step (relative error <= 2e-2: bf16 rounding of partial sums), the logits of
// its vocabulary shard, the token ids, KV bytes == predicted_kv_bytes for its GPU, and the ranks' KV
// summing to the 1-GPU total. Exit 77 (CTest "Skipped") with the reason printed when not 2 ranks or
// fewer than 2 GPUs; exit 1 on any failed check of any rank.
#include "kernels/reference/bf16.h"
#include "kernels/runtime/runtime_mpi.h"
#include "tests/runtime/tiny_case.h"

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

namespace kvsim::runtime::test {
namespace {

int rank_ = 0, failures_ = 0;

void check(bool ok, const std::string& what) {
  if (ok) return;
  ++failures_;
  std::printf("rank %d: FAILED: %s\n", rank_, what.c_str());
}

std::vector<float> to_float(const std::vector<uint16_t>& bits) {
  std::vector<float> f(bits.size());
  for (std::size_t i = 0; i < bits.size(); ++i) f[i] = kernels::ref::bf16_to_float(bits[i]);
  return f;
}

double rel(const std::vector<float>& got, const std::vector<float>& ref) {
  if (got.size() != ref.size()) return INFINITY;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) return INFINITY;
    num += (double{got[i]} - ref[i]) * (double{got[i]} - ref[i]);
    den += double{ref[i]} * ref[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

// Per step: hidden states, logits of columns [col0, col0 + cols) of every LM-head row, token ids.
struct Outputs {
  std::vector<std::vector<float>> hidden, logits;
  std::vector<std::vector<int32_t>> ids;
};

std::vector<float> columns(const std::vector<float>& logits, std::size_t rows, int64_t width, int64_t col0, int64_t cols) {
  std::vector<float> out;
  for (std::size_t r = 0; r < rows; ++r)
    out.insert(out.end(), logits.begin() + static_cast<long>(r * width + col0),
               logits.begin() + static_cast<long>(r * width + col0 + cols));
  return out;
}

Outputs run_all(DecoderRuntime& rt, const char* what) {
  Outputs o;
  for (const RuntimeStep& st : steps()) {
    const StepResult res = rt.run_step(st);
    const auto& t = res.gpus.at(0).phase_s;
    std::printf("rank %d %s: rows %d (prefill %d): gemm %.1f us, attention %.1f us, allreduce %.1f us, other %.1f us, "
                "wall %.1f us\n",
                rank_, what, res.rows, res.prefill_rows, t[0] * 1e6, t[1] * 1e6, t[2] * 1e6, t[3] * 1e6, res.wall_s * 1e6);
    o.hidden.push_back(to_float(rt.hidden(0)));
    o.logits.push_back(to_float(rt.logits(0)));
    o.ids.push_back(rt.last_ids());
  }
  return o;
}

int64_t sum_over_ranks(int64_t v) {
  long long in = v, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

void run_checks() {
  const ModelSpec m = tiny_model();
  const auto reqs = requests(m);
  const DistributedRank me = mpi_distributed_rank(MPI_COMM_WORLD);
  std::printf("rank %d: device %d\n", me.rank, me.device);
  Outputs base;
  int64_t base_kv = 0;
  {
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = one_gpu(m), .seed = 7, .devices = {me.device}});
    rt.admit(reqs);
    base_kv = rt.kv_bytes(0);
    base = run_all(rt, "1gpu");
  }
  for (const Placement& p : {tensor_parallel2(m), fair_copying2(m)}) {
    // A fresh NCCL id per runtime: an id makes one communicator.
    DecoderRuntime rt(RuntimeConfig{.model = m, .placement = p, .seed = 7, .distributed = mpi_distributed_rank(MPI_COMM_WORLD)});
    rt.warm_up(32);
    rt.admit(reqs);
    std::printf("rank %d: %s\n", me.rank, rt.describe().c_str());
    check(rt.gpus() == 1 && rt.gpu_rank(0) == me.rank && rt.world_gpus() == 2, p.kind + ": one local GPU, this rank's");
    const int64_t want = predicted_kv_bytes(m, p, reqs, me.rank, m.layers);
    check(rt.kv_bytes(0) == want, p.kind + ": kv bytes " + std::to_string(rt.kv_bytes(0)) + " != predicted " +
                                      std::to_string(want));
    check(sum_over_ranks(rt.kv_bytes(0)) == base_kv, p.kind + ": ranks' KV bytes do not sum to the 1-GPU total");
    const Outputs o = run_all(rt, p.kind.c_str());
    const LmHeadWeights& lm = rt.lm_head(0);
    for (std::size_t s = 0; s < o.hidden.size(); ++s) {
      const double e = rel(o.hidden[s], base.hidden[s]);
      const double el = rel(o.logits[s], columns(base.logits[s], base.logits[s].size() / m.vocab, m.vocab,
                                                 lm.vocab_offset, lm.vocab_rows));
      std::printf("rank %d %s step %zu: rel err vs 1 GPU: hidden %.2e, logits (vocab %lld..%lld) %.2e\n", me.rank,
                  p.kind.c_str(), s, e, static_cast<long long>(lm.vocab_offset),
                  static_cast<long long>(lm.vocab_offset + lm.vocab_rows), el);
      check(o.ids[s] == base.ids[s], p.kind + ": token ids differ from the 1-GPU run");
      check(e <= 2e-2, p.kind + ": hidden states differ from the 1-GPU run");
      check(el <= 2e-2, p.kind + ": logits differ from the 1-GPU run");
    }
  }
}

}  // namespace
}  // namespace kvsim::runtime::test

int main(int argc, char** argv) {
  using namespace kvsim::runtime::test;
  MPI_Init(&argc, &argv);
  int world = 0, devices = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess || devices < 2 || world != 2) {
    std::printf("SKIPPED (rank %d): needs 2 MPI ranks and 2 CUDA devices: %d ranks, %d devices (%s)\n", rank_, world,
                devices, status == cudaSuccess ? "ok" : cudaGetErrorString(status));
    MPI_Finalize();
    return 77;
  }
  try {
    run_checks();
  } catch (const std::exception& e) {
    std::printf("rank %d: FAILED with exception: %s\n", rank_, e.what());
    std::fflush(stdout);
    MPI_Abort(MPI_COMM_WORLD, 1);  // the other rank may wait in a collective for this one
  }
  int total = 0;
  MPI_Allreduce(&failures_, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  std::printf("rank %d: %d failed checks here, %d over all ranks\n", rank_, failures_, total);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}
