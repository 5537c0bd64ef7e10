#!/bin/sh
# On a lab node whose heartbeat is stopped: keepalived enabled at boot and started, its config and
# notify script already in /etc/keepalived.
set -eu
update-rc.d keepalived defaults >/dev/null 2>&1
/etc/init.d/keepalived start >/dev/null 2>&1
pidof keepalived >/dev/null
echo "keepalived started on $(uname -n)"
