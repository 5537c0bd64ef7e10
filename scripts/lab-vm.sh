#!/usr/bin/env bash
# `npm run lab -- --vm ...` (or `npm run lab:vm -- ...`) and `npm run test:vm`: on a Debian 12
# machine as root, installs what the VM lab needs (tests/vm/host-packages.txt), then runs it.
#   lab-vm.sh [--distro trixie|bookworm] COMMAND   the VM lab's CLI (tests/vm/cli.ts)
#   lab-vm.sh test [JEST ARGS]                     its jest project `vm` (tests/vm/*.test.ts)
#   lab-vm.sh bench [--vm-trials N] [--distro D]   its figures (tests/vm/bench.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  help | --help | -h) exec node -r ts-node/register/transpile-only tests/vm/cli.ts help ;;
esac

bash scripts/install-debian-packages.sh tests/vm/host-packages.txt >&2
bash scripts/node-modules.sh >&2

if [ "${1:-}" = bench ]; then
  shift
  exec node -r ts-node/register/transpile-only tests/vm/bench.ts "$@"
fi
if [ "${1:-}" = test ]; then
  shift
  exec npx jest --runInBand "$@" --selectProjects vm
fi
exec node -r ts-node/register/transpile-only tests/vm/cli.ts "$@"
