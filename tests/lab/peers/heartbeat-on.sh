#!/bin/sh
# On a lab node, once a peer is removed: hacluster's heartbeat enabled at boot and started again,
# as the program's heartbeat-start step left it.
set -eu
update-rc.d heartbeat enable >/dev/null 2>&1
/etc/init.d/heartbeat start >/dev/null 2>&1
echo "heartbeat started on $(uname -n), enabled at boot"
