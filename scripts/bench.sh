#!/usr/bin/env bash
# `npm run bench [-- OPTIONS]`: the namespace lab's figures (native speed: the reference), then
# the VM lab's (real DRBD and systemd, under emulation). Figures, never pass/fail.
#   --vm-only / --no-vm      one of the two (--peers: the namespace lab's only)
#   --vm-trials N, --distro trixie|bookworm      the VM lab's (tests/vm/bench.ts)
#   any other option         the namespace lab's (tests/lab/bench.ts: --trials, --soak-minutes...)
set -euo pipefail
cd "$(dirname "$0")/.."
namespace=() vm=() run_namespace=1 run_vm=1
while [ $# -gt 0 ]; do
  case "$1" in
    --vm-only) run_namespace=0 ;;
    --no-vm) run_vm=0 ;;
    --vm-trials | --distro)
      vm+=("$1" "${2:?$1 needs a value}")
      shift
      ;;
    --vm-trials=* | --distro=*) vm+=("$1") ;;
    # The peers' comparison is the namespace lab's alone (native speed, the same nodes).
    --peers)
      namespace+=("$1")
      run_vm=0
      ;;
    *) namespace+=("$1") ;;
  esac
  shift
done
if [ "$run_namespace" = 0 ] && [ "$run_vm" = 0 ]; then
  echo "bench: --vm-only leaves nothing to run with --no-vm or --peers (the peers run on the namespace lab only)" >&2
  exit 2
fi
if [ "$run_namespace" = 1 ]; then bash scripts/lab.sh bench "${namespace[@]}"; fi
if [ "$run_vm" = 1 ]; then bash scripts/lab-vm.sh bench "${vm[@]}"; fi
