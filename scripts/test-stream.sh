#!/usr/bin/env bash
# One stream of `npm test` (scripts/test.sh runs the two side by side):
#   test-stream.sh describe|run trixie|unit-tools-then-lab
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-}
stream=${2:-}
# A jest path goes before --selectProjects, which takes every word after it as a project.
case "$what:$stream" in
  describe:trixie) echo "the VM lab on Debian 13, every scenario (tests/vm/trixie.test.ts)" ;;
  run:trixie) exec npx jest tests/vm/trixie.test.ts --runInBand --selectProjects vm ;;
  describe:unit-tools-then-lab)
    echo "unit and tools (tests/unit, tests/tools), two files at a time, then the namespace lab (tests/lab)"
    ;;
  run:unit-tools-then-lab)
    status=0
    npx jest --maxWorkers=2 --selectProjects unit tools || status=$?
    npx jest --runInBand --selectProjects lab || status=$?
    exit "$status"
    ;;
  *)
    echo "usage: $0 describe|run trixie|unit-tools-then-lab" >&2
    exit 2
    ;;
esac
