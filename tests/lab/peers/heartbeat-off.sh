#!/bin/sh
# On a lab node, before a peer takes the cluster over: hacluster's heartbeat stopped and kept from
# starting at boot. Stopping it releases what the node holds (services, VIP, volume, DRBD role).
# Run on the standby first: heartbeat stopped on the holder while the other runs would hand the
# group over to it.
set -eu
update-rc.d heartbeat disable >/dev/null 2>&1
/etc/init.d/heartbeat stop >/dev/null 2>&1
echo "heartbeat stopped on $(uname -n), disabled at boot"
