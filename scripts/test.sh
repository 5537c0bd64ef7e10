#!/usr/bin/env bash
# The whole suite, from a fresh Debian 12 machine as root: installs what it needs, then checks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-packages.sh
bash scripts/node-modules.sh

npx tsc --noEmit -p .
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx jest "$@"
