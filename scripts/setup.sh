#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build calogen: the HDF5 C library
# (the `hdf5-metno` crate links against Debian's libhdf5-dev) and pkg-config; g++ for the C++ example
# host of the C ABI (crates/capi/tests/host.rs); a one-node Slurm (slurm-wlm, munge) for the job-array
# test (crates/cli/tests/slurm.rs, scripts/slurm/).
set -euo pipefail
need=()
dpkg -s libhdf5-dev >/dev/null 2>&1 || need+=(libhdf5-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v g++ >/dev/null 2>&1 || need+=(g++)
# Slurm only where its test runs (CI, or CALOGEN_SLURM=1): a user's machine does not need it.
if [ -n "${CI:-}" ] || [ -n "${CALOGEN_SLURM:-}" ]; then
  command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
  command -v munged >/dev/null 2>&1 || need+=(munge)
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
