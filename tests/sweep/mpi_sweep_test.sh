#!/usr/bin/env bash
# MPI mode of kvsim sweep: 3 local ranks must produce the same results.csv as one process.
#   mpi_sweep_test.sh KVSIM SWEEP_JSON
# Exit 77 (CTest "skipped") with a reason when mpirun is missing.
set -euo pipefail
kvsim=$1
sweep=$2
if ! command -v mpirun >/dev/null; then
  echo "SKIPPED: mpirun not found (apt-get install openmpi-bin)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kvsim" sweep "$sweep" --out "$work/serial" --jobs 1 --quiet
# Open MPI refuses root without --allow-run-as-root; --oversubscribe lets 3 ranks share fewer cores.
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --allow-run-as-root --oversubscribe -n 3 "$kvsim" sweep "$sweep" --out "$work/mpi" --jobs 1 --no-progress \
  | tee "$work/log"
grep -q "on 3 MPI ranks" "$work/log" || { echo "FAILED: kvsim did not run as 3 MPI ranks"; exit 1; }
[ "$(grep -c '^sweep:' "$work/log")" = 1 ] || { echo "FAILED: more than rank 0 reported"; exit 1; }
cmp "$work/serial/results.csv" "$work/mpi/results.csv" || { echo "FAILED: results.csv differs from the serial run"; exit 1; }
[ "$(ls "$work/mpi/points" | wc -l)" = "$(($(wc -l < "$work/serial/results.csv") - 1))" ] || { echo "FAILED: point files"; exit 1; }
echo "PASSED: 3 MPI ranks, results.csv identical to the serial run ($(($(wc -l < "$work/mpi/results.csv") - 1)) rows)"
