#!/usr/bin/env bash
# Render a vtrial HTML report in headless Chromium (Debian package) to a PNG screenshot, to
# check that the report opens offline and its SVG charts draw.
#
#   scripts/check-html.sh                      # run trials/dash-sodium.yaml (reference engine) with --html, then screenshot
#   scripts/check-html.sh report.html [out.png]
#   scripts/check-html.sh report.json [out.png] # render a JSON report with renderHtml first
#
# Installs chromium with apt-get when missing (needs root or sudo). Exits non-zero when the page
# has no chart or the screenshot is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
input="${1:-}"
out="${2:-check-html.png}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "installing chromium with apt-get" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
  browser="$(command -v chromium)"
fi

[ -f dist/analysis/html.js ] || npx tsc -p tsconfig.json >/dev/null || true
case "$input" in
  "")
    html="$work/report.html"
    node bin/vtrial.js run trials/dash-sodium.yaml --engine reference --quiet --html "$html" >/dev/null
    ;;
  *.json)
    html="$work/report.html"
    node --input-type=module -e "
      import { readFileSync, writeFileSync } from 'node:fs';
      import { renderHtml } from './dist/analysis/html.js';
      const report = JSON.parse(readFileSync(process.argv[1], 'utf8'));
      writeFileSync(process.argv[2], await renderHtml(report));
    " "$input" "$html"
    ;;
  *) html="$input" ;;
esac

charts="$(grep -o '<svg' "$html" | wc -l)"
if [ "$charts" -lt 1 ]; then echo "check-html: $html has no SVG chart" >&2; exit 1; fi

"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$work/profile" --hide-scrollbars \
  --window-size=1200,4000 --screenshot="$out" "file://$(realpath "$html")" >/dev/null 2>&1 || true
if [ ! -s "$out" ]; then echo "check-html: chromium wrote no screenshot" >&2; exit 1; fi
echo "check-html: $html ($charts charts) -> $out ($(stat -c %s "$out") bytes)"
