#!/usr/bin/env bash
# Regenerate the R-oracle fixtures in test/fixtures from the committed datasets.
#   scripts/oracle/run.sh              # test/fixtures/r-oracle.json from the CSVs
#   scripts/oracle/run.sh --datasets   # also regenerate the CSVs (changes every expected value)
# Installs R (Debian packages r-base-core, r-cran-survival) when Rscript is missing; needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(survival)' >/dev/null 2>&1; then
  echo "installing R (r-base-core, r-cran-survival) with apt-get" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends r-base-core r-cran-survival
fi
mkdir -p test/fixtures
if [ "${1:-}" = "--datasets" ]; then
  Rscript scripts/oracle/make-datasets.R test/fixtures
fi
Rscript scripts/oracle/make-fixtures.R test/fixtures
