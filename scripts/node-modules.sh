#!/usr/bin/env bash
# Runs `npm ci` when node_modules is missing or package-lock.json changed since the last `npm ci`
# (its hash is kept inside node_modules, so a fresh clone has neither), and only then.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.hacluster-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  echo "node_modules: up to date with package-lock.json"
  exit 0
fi
npm ci --no-audit --no-fund
echo "$wanted" >"$stamp"
