#!/usr/bin/env bash
# The whole suite, from a fresh Debian 12 machine as root: installs what it needs, then checks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-packages.sh
if [ "${CI:-}" = true ] || [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  npm ci --no-audit --no-fund
fi

npx tsc --noEmit -p .
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx jest "$@"
