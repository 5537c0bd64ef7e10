#!/usr/bin/env bash
# Installs the Debian packages of the lists given (paths from the project's root; by default
# scripts/debian-packages.txt) that are missing, without letting their maintainer scripts start
# squid, named or heartbeat on this machine. One name a line; `#` starts a comment.
set -euo pipefail
cd "$(dirname "$0")/.."
lists=("$@")
[ "${#lists[@]}" -gt 0 ] || lists=(scripts/debian-packages.txt)

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "${lists[@]}" | grep -v '^$' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "debian packages: all ${#wanted[@]} present"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run as root or install them first" >&2
  exit 1
fi

# policy-rc.d answering 101 keeps invoke-rc.d from starting the services being installed. A
# policy the machine already has is left as it is.
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  ours=1
fi
trap '[ "$ours" = 1 ] && rm -f "$policy"' EXIT

echo "debian packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
