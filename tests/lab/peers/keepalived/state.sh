#!/bin/sh
# On a lab node: the state keepalived's VRRP instance is in (MASTER, BACKUP, FAULT), as keepalived
# itself reports it in the data it writes on SIGUSR1; nothing when it does not run.
set -u
pid=$(cat /run/keepalived.pid 2>/dev/null) || exit 0
rm -f /tmp/keepalived.data
kill -USR1 "$pid" 2>/dev/null || exit 0
tries=0
state=""
while [ -z "$state" ] && [ "$tries" -lt 40 ]; do
  sleep 0.05
  state=$(sed -n 's/^ *State = \(MASTER\|BACKUP\|FAULT\|INIT\)$/\1/p' /tmp/keepalived.data 2>/dev/null | head -n 1)
  tries=$((tries + 1))
done
echo "$state"
