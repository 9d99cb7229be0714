#!/usr/bin/env bash
# Builds TA-Lib C 0.6 (bundled in npm talib@2.0.5) outside the repo, for the indicator peer benchmark.
# Usage: bench/peers/analytics/build_talib.sh [DIR]   (default /tmp/talib). Never committed, never a
# build or test dependency. The tarball ships prebuilt macOS objects, so they are removed first.
set -euo pipefail
dir="${1:-/tmp/talib}"
mkdir -p "$dir" && cd "$dir"
[ -f package.json ] || npm init -y >/dev/null
[ -d node_modules/talib ] || npm install --ignore-scripts --no-audit --no-fund talib@2.0.5 >/dev/null
cd node_modules/talib
# The package ships macOS objects under the same names, so rebuild unless this script built them.
if [ ! -f src/lib/.built-here ]; then
  find src/lib \( -name '*.o' -o -name '*.a' \) -delete
  rm -rf build
  node src/lib/build.js >/dev/null
  touch src/lib/.built-here
fi
echo "TA-Lib C: $dir/node_modules/talib/src/lib (include/, lib/)"
