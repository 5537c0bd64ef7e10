#!/usr/bin/env bash
# Runs the commands of a batch folder side by side and waits for all of them, as the engine runs
# steps that do not depend on each other. For each N: N.args holds the command's words
# (NUL-terminated), N.in its standard input; written back: N.out, N.err, N.rc.
set -u
batch=$1
for args in "$batch"/*.args; do
  n=${args%.args}
  (
    mapfile -d '' -t words <"$args"
    "${words[@]}" <"$n.in" >"$n.out" 2>"$n.err"
    echo $? >"$n.rc"
  ) &
done
wait
