#!/usr/bin/env bash
# `npm run lab -- --vm ...` (or `npm run lab:vm -- ...`) and `npm run test:vm`: on a Debian 12
# machine as root, installs what the VM lab needs (tests/vm/host-packages.txt), then runs it.
#   lab-vm.sh [--distro trixie|bookworm] COMMAND   the VM lab's CLI (tests/vm/cli.ts)
#   lab-vm.sh test [JEST ARGS]                     its jest project `vm` (tests/vm/*.test.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  help | --help | -h) exec node -r ts-node/register/transpile-only tests/vm/cli.ts help ;;
esac

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' tests/vm/host-packages.txt | grep -v '^$')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]}; run as root or install them first" >&2
    exit 1
  fi
  echo "vm lab: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/node-modules.sh >&2

if [ "${1:-}" = test ]; then
  shift
  HACLUSTER_VM_TESTS=1 exec npx jest --selectProjects vm --runInBand "$@"
fi
exec node -r ts-node/register/transpile-only tests/vm/cli.ts "$@"
