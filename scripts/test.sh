#!/usr/bin/env bash
# The whole suite, from a fresh Debian 12 machine as root: installs what it needs, then checks.
#   test.sh               every project, in two streams side by side (below)
#   test.sh JEST-ARGS     what those arguments choose, one file at a time
set -euo pipefail
cd "$(dirname "$0")/.."

# The project's own tools, and the VM lab's (QEMU, mmdebstrap, OpenIPMI).
bash scripts/install-debian-packages.sh scripts/debian-packages.txt tests/vm/host-packages.txt
bash scripts/node-modules.sh

npx tsc --noEmit -p .
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

if [ "$#" -gt 0 ]; then exec npx jest --runInBand "$@"; fi

# Two streams at once, so that both cores stay busy: the labs spend much of their time waiting
# on heartbeat, DRBD and booting VMs. Each lab is its own (namespaces, state), and a lab's files
# run one at a time. Bookworm's VM suite is not here: with it the suite took 44 min on this
# 2-core machine, every core busy (README, Tests); `npm run test:vm` runs it. The VMs'
# heartbeat timings leave room for a busy host (tests/vm/vm-lab.ts); the namespace lab's
# heartbeat runs at real-time priority.
streams=(trixie unit-tools-then-lab)
describe() { bash scripts/test-stream.sh describe "$1"; }

logs=$(mktemp -d /tmp/hacluster-test.XXXXXX)
declare -A pid started

# Stopped from outside (a time limit, a closed terminal): the streams started so far end, the
# labs they run go down, and what ran is shown. Set before the first stream starts.
# shellcheck disable=SC2317 # run by the trap below
stop() {
  for s in "${!pid[@]}"; do kill -TERM -- "-${pid[$s]}" 2>/dev/null || true; done
  sleep 2
  for s in "${!pid[@]}"; do kill -KILL -- "-${pid[$s]}" 2>/dev/null || true; done
  # The labs npm test runs: trixie's VM lab and the namespace lab, whatever HACL_VM_DISTRO the
  # caller's shell holds; a bookworm lab running beside it is not npm test's.
  HACL_VM_DISTRO=trixie bash tests/vm/vm.sh down >/dev/null 2>&1 || true
  bash tests/lab/topology.sh down >/dev/null 2>&1 || true
  for s in "${!pid[@]}"; do
    echo "===== $(describe "$s"): stopped; its output so far ====="
    cat "$logs/$s.log"
  done
  rm -rf "$logs"
  exit 143
}
trap stop TERM INT HUP

for s in "${streams[@]}"; do
  started[$s]=$(date +%s)
  # Its own process group, so that a stop ends the whole stream.
  setsid bash scripts/test-stream.sh run "$s" >"$logs/$s.log" 2>&1 </dev/null &
  pid[$s]=$!
  echo "npm test: started $(describe "$s")"
done

# Each stream's time is taken when it ends, whichever ends first.
declare -A status took
overall=0
running=("${pid[@]}")
while [ "${#running[@]}" -gt 0 ]; do
  code=0
  wait -n -p ended "${running[@]}" || code=$?
  for s in "${streams[@]}"; do
    [ "${pid[$s]}" = "$ended" ] || continue
    status[$s]=$code
    took[$s]=$(($(date +%s) - started[$s]))
    if [ "$code" != 0 ]; then overall=1; fi
  done
  left=()
  for p in "${running[@]}"; do [ "$p" = "$ended" ] || left+=("$p"); done
  running=("${left[@]}")
done
trap - TERM INT HUP

echo "npm test, stream by stream:"
for s in "${streams[@]}"; do
  verdict=passed
  [ "${status[$s]}" = 0 ] || verdict="FAILED (exit ${status[$s]})"
  printf '  %s: %s in %dm%02ds\n' "$(describe "$s")" "$verdict" $((took[$s] / 60)) $((took[$s] % 60))
done
for s in "${streams[@]}"; do
  echo "===== $(describe "$s") ====="
  cat "$logs/$s.log"
done
rm -rf "$logs"
exit "$overall"
