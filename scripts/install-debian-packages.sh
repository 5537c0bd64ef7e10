#!/usr/bin/env bash
# Installs the Debian packages of the lists given (paths from the project's root; by default
# scripts/debian-packages.txt) that are missing, without letting their maintainer scripts start
# their services on this machine, now or at its next boot. One name a line; `#` starts a comment.
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

# The services enabled at boot, by name: SysV start links and systemd's wants.
enabled_at_boot() {
  {
    for link in /etc/rc[2-5].d/S*; do
      if [ -e "$link" ]; then basename "$link" | sed 's/^S[0-9]*//'; fi
    done
    for link in /etc/systemd/system/*.wants/*.service; do
      if [ -e "$link" ]; then basename "$link" .service; fi
    done
  } 2>/dev/null | sort -u
}
before_install=$(enabled_at_boot)

echo "debian packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Nor at this machine's next boot: a cluster manager, a proxy or a DNS server installed for the
# tests or the labs (pcsd with its web interface on every address) must not start by itself.
# Only what this install enabled is disabled; what the machine had enabled before stays.
for service in $(comm -13 <(printf '%s\n' "$before_install") <(enabled_at_boot)); do
  update-rc.d "$service" disable >/dev/null 2>&1 || true
  rm -f /etc/systemd/system/*.wants/"$service".service
  echo "debian packages: $service not started at boot"
done
