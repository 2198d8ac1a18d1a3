#!/usr/bin/env bash
# Runs every cargo-fuzz target (or the ones named) for RUNS executions or SECONDS seconds, whichever
# comes first, one process at a time at low priority, and prints per target: executions, speed,
# time and whether it crashed. The source of the fuzzing table in README.md (see docs/fuzzing.md).
#
#   scripts/fuzz.sh [RUNS] [SECONDS] [TARGET...]      defaults: 1000000 runs, 600 s, all targets
#   scripts/fuzz.sh 1000000 600                       the README figures
#   scripts/fuzz.sh 0 20                              20 s per target (RUNS 0: no run limit)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Targets are built without
# AddressSanitizer (`-s none`): the code under test is safe Rust, where panics, arithmetic overflow
# (debug assertions are on) and oversized allocations (fuzz/src/lib.rs) are the bugs to find.
# New interesting inputs accumulate in fuzz/corpus/<target>/ (only seed-* files are committed);
# a crash leaves its input in fuzz/artifacts/<target>/ and the script goes on with the next target.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
runs=${1:-1000000}
secs=${2:-600}
shift $(( $# > 2 ? 2 : $# ))
all=(pt pickle safetensors model_json binning_xml geometry_toml layout_toml hdf5_open)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

nice -n 10 cargo +nightly fuzz build -s none || exit 1
mkdir -p logs
rows=()
status=0
for t in "${targets[@]}"; do
  log="logs/$t.log"
  mkdir -p "corpus/$t"
  start=$(date +%s)
  # Text formats get the dictionary of edge-case numbers (fuzz/numbers.dict).
  dict=()
  case $t in model_json|binning_xml|geometry_toml|layout_toml) dict=(-dict=numbers.dict) ;; esac
  # One process, one job: the machine is shared. -timeout catches hangs (an input that loops).
  nice -n 10 cargo +nightly fuzz run -s none "$t" "corpus/$t" -- "${dict[@]}" \
    -runs="$runs" -max_total_time="$secs" -timeout=10 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then result="no crash"; else result="CRASH (see fuzz/$log)"; status=1; fi
  rows+=("| $t | ${execs:-?} | ${speed:-?} | $took | $result |")
  echo "$t: ${execs:-?} executions, ${speed:-?}/s, ${took} s, $result" >&2
done
echo "| target | executions | exec/s | seconds | result |"
echo "|---|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo "($(date -u +%F), $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
exit $status
