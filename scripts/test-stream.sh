#!/usr/bin/env bash
# One stream of `npm test` (scripts/test.sh runs the two side by side):
#   test-stream.sh describe|run trixie-then-lab|unit-tools-then-bookworm
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-}
stream=${2:-}
# A jest path goes before --selectProjects, which takes every word after it as a project.
case "$what:$stream" in
  describe:trixie-then-lab)
    echo "the VM lab on Debian 13 (tests/vm/trixie.test.ts), then the namespace lab (tests/lab)"
    ;;
  run:trixie-then-lab)
    status=0
    npx jest tests/vm/trixie.test.ts --runInBand --selectProjects vm || status=$?
    npx jest --runInBand --selectProjects lab || status=$?
    exit "$status"
    ;;
  describe:unit-tools-then-bookworm)
    echo "unit and tools (tests/unit, tests/tools), two files at a time, then the VM lab on Debian 12 (tests/vm/bookworm.test.ts)"
    ;;
  run:unit-tools-then-bookworm)
    status=0
    npx jest --maxWorkers=2 --selectProjects unit tools || status=$?
    npx jest tests/vm/bookworm.test.ts --runInBand --selectProjects vm || status=$?
    exit "$status"
    ;;
  *)
    echo "usage: $0 describe|run trixie-then-lab|unit-tools-then-bookworm" >&2
    exit 2
    ;;
esac
