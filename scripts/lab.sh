#!/usr/bin/env bash
# `npm run lab` and `npm run bench`: on a Debian 12 machine as root, installs what the lab
# needs, then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
# `npm run lab` alone, `npm run lab -- --distro D` and `npm run lab -- --vm ...`: the VM lab
# (tests/vm, scripts/lab-vm.sh); a command without them: the namespace lab, the fast path.
if [ $# -eq 0 ] || [[ $1 == --distro* ]]; then exec bash scripts/lab-vm.sh "$@"; fi
for arg in "$@"; do
  if [ "$arg" = --vm ]; then exec bash scripts/lab-vm.sh "$@"; fi
done
case "${1:-}" in
  help | --help | -h) exec node -r ts-node/register/transpile-only tests/lab/lab.ts help ;;
  # Both labs, whichever ran: nothing is left behind (VMs, BMCs, taps, namespaces). The VM
  # lab's own down, only where it is up; the namespace lab's down runs whatever it says.
  down)
    if [ -e /run/hacluster-vm ] || ip netns list 2>/dev/null | grep '^hacl-vm-' >/dev/null; then
      env -u HACL_VM_DISTRO bash tests/vm/vm.sh down || echo "lab: the VM lab's down failed; the namespace lab goes down all the same" >&2
    fi
    ;;
esac
bash scripts/install-debian-packages.sh
bash scripts/node-modules.sh
entry=tests/lab/lab.ts
if [ "${1:-}" = bench ]; then
  entry=tests/lab/bench.ts
  shift
fi
exec node -r ts-node/register/transpile-only "$entry" "$@"
