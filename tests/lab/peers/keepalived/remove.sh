#!/bin/sh
# On a lab node: keepalived stopped (it takes the VIP off), what its notify script started given
# back, and everything the peer bench put on the node removed. Run on the backup first, or the
# backup takes the VIP over.
set -eu
/etc/init.d/keepalived stop >/dev/null 2>&1
/etc/keepalived/notify.sh backup >/dev/null 2>&1 || true
# squid's pinger outlives squid's stop by a moment and keeps the volume busy.
tries=0
while mountpoint -q /replicated && [ "$tries" -lt 50 ]; do
  sleep 0.2
  umount /replicated 2>/dev/null || true
  tries=$((tries + 1))
done
if mountpoint -q /replicated; then
  echo "/replicated still mounted on $(uname -n)" >&2
  exit 1
fi
drbdadm secondary r0 >/dev/null 2>&1 || true
rm -f /etc/keepalived/keepalived.conf /etc/keepalived/notify.sh /tmp/keepalived.data
update-rc.d -f keepalived remove >/dev/null 2>&1
# The init script signals and returns: keepalived's processes take a moment to exit.
tries=0
while pidof keepalived >/dev/null && [ "$tries" -lt 50 ]; do
  sleep 0.2
  tries=$((tries + 1))
done
if pidof keepalived >/dev/null; then
  echo "keepalived still runs on $(uname -n)" >&2
  exit 1
fi
echo "keepalived removed from $(uname -n)"
