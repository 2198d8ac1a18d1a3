#!/usr/bin/env bash
# AddressSanitizer and ThreadSanitizer over the C ABI tests (crates/capi/tests/abi.rs: null and
# short buffers, library-owned hits freed by the library, a caught panic, generators on two
# threads). Needs the nightly toolchain (`-Zsanitizer` is unstable). Each sanitizer rebuilds every
# dependency with instrumented code in its own target folder (target/sanitize-*), which is why CI
# does not run this script: see docs/simulation-host.md for the measured cost.
#   scripts/sanitizers.sh [address|thread]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain list | grep -q nightly || { echo "needs the nightly toolchain (rustup toolchain install nightly)" >&2; exit 2; }
target=$(rustc -vV | sed -n 's/^host: //p')
for san in "${@:-address thread}"; do
  for s in $san; do
    start=$(date +%s)
    echo "== $s sanitizer" >&2
    # --target keeps the sanitizer flags off build scripts and proc macros (they run on the host).
    # -Zbuild-std (when nightly has rust-src) instruments the standard library too: without it
    # ThreadSanitizer may report false races inside std, whose atomics it cannot see.
    std=()
    flags="-Zsanitizer=$s"
    if rustup component list --toolchain nightly --installed | grep -q rust-src; then
      std=(-Zbuild-std)
    elif [ "$s" = thread ]; then
      # This nightly refuses a thread-sanitized crate over an uninstrumented std (an ABI
      # mismatch); without rust-src the only way is to allow it, and a race reported inside std
      # is then suspect.
      flags="$flags -Cunsafe-allow-abi-mismatch=sanitizer"
      echo "note: no rust-src for nightly, std not instrumented" >&2
    fi
    # HDF5 is not instrumented; ASan's leak checker is off for the C library's global caches.
    RUSTFLAGS="$flags" RUSTDOCFLAGS="$flags" \
      ASAN_OPTIONS="detect_leaks=0" TSAN_OPTIONS="halt_on_error=1" \
      cargo +nightly test "${std[@]}" -p calogen-capi --test abi --target "$target" \
      --target-dir "target/sanitize-$s"
    echo "== $s sanitizer: passed in $(( $(date +%s) - start )) s (build and run)" >&2
  done
done
