#!/usr/bin/env bash
# Check `calogen evaluate`'s report.html in a real headless browser (Chromium from Debian).
#
#   tools/check_report.sh [OUT_DIR]        (default OUT_DIR: target/check-report)
#
# 1. installs Chromium with apt-get if it is missing (needs root, Debian's package `chromium`);
# 2. runs `calogen evaluate` on the committed fixtures, both protocols (CaloClouds II on
#    fixtures/ild_photons_small.h5 halves, CaloChallenge on fixtures/par04_electrons_small.h5
#    halves), into OUT_DIR/caloclouds and OUT_DIR/calochallenge;
# 3. loads each report.html in headless Chromium and reads the DOM after the load event: the
#    page's inline script writes `data-images-loaded="K of N"` on <body>, counting the images the
#    browser decoded (naturalWidth > 0); every image must have loaded (K = N > 0);
# 4. takes a full-page screenshot OUT_DIR/<protocol>/screenshot.png (1200 × 3000) and checks that
#    it is a PNG of that size and not blank. Look at it to judge the layout.
#
# Env: CALOGEN (path of a built calogen binary; default: build it with cargo, release profile),
#      CHROMIUM (browser command; default: chromium).
# Exit status 0 when every check passed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/check-report}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
browser="${CHROMIUM:-chromium}"

if ! command -v "$browser" >/dev/null 2>&1; then
    echo "installing Chromium (apt-get install chromium)" >&2
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null
fi

calogen="${CALOGEN:-}"
if [ -z "$calogen" ]; then
    # Without default features: `evaluate` does not need the training stack.
    (cd "$root" && cargo build --release -p calogen-cli --no-default-features --quiet)
    calogen="${CARGO_TARGET_DIR:-$root/target}/release/calogen"
fi

run() { # protocol, dir, fixture, extra args...
    local dir="$out/$2" fixture="$root/fixtures/$3"
    shift 3
    rm -rf "$dir"
    "$calogen" evaluate --reference "$fixture" --reference-showers 0..20 \
        --generated "$fixture" --generated-showers 20..40 --out "$dir" "$@" >/dev/null
}
run caloclouds caloclouds ild_photons_small.h5 --geometry ild-ecal --classifier-repeats 0
run calochallenge calochallenge par04_electrons_small.h5 --protocol calochallenge \
    --geometry calochallenge-ds2 --classifier-epochs 0 --prdc-showers 0

# A private profile so that a user's running Chromium is not touched.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chrome() {
    "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
        --allow-file-access-from-files --hide-scrollbars --virtual-time-budget=10000 "$@" 2>/dev/null
}

fail=0
for p in caloclouds calochallenge; do
    page="$out/$p/report.html"
    n_img=$(grep -o '<img ' "$page" | wc -l)
    dom="$(chrome --dump-dom "file://$page")"
    loaded=$(printf '%s' "$dom" | grep -o 'data-images-loaded="[0-9]* of [0-9]*"' || true)
    if [ "$loaded" != "data-images-loaded=\"$n_img of $n_img\"" ] || [ "$n_img" -eq 0 ]; then
        echo "FAIL $p: $n_img <img> in the page, browser reports ${loaded:-nothing}" >&2
        fail=1
    else
        echo "ok   $p: browser loaded all $n_img images"
    fi
    shot="$out/$p/screenshot.png"
    rm -f "$shot"
    chrome --screenshot="$shot" --window-size=1200,3000 "file://$page" >/dev/null || true
    if python3 - "$shot" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
assert (w, h) == (1200, 3000), (w, h)
# Inflate the image data and count distinct scanline bytes: a blank page has almost none.
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
distinct = len(set(raw[i:i + 3] for i in range(0, len(raw), 3)))
assert distinct > 200, f"blank? {distinct} distinct byte triples"
EOF
    then
        echo "ok   $p: screenshot $shot"
    else
        echo "FAIL $p: screenshot $shot missing or blank" >&2
        fail=1
    fi
done
exit $fail
