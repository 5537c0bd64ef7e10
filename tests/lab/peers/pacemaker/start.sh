#!/bin/sh
# On a lab node whose heartbeat is stopped, corosync.conf and authkey in place: corosync and
# pacemaker enabled at boot and started, as `pcs cluster enable` and `pcs cluster start` do under
# systemd (the lab's nodes have none; pcs drives only systemd or RHEL's chkconfig, so the
# packages' init scripts start them, as they would at boot).
set -eu
update-rc.d corosync defaults >/dev/null 2>&1
update-rc.d pacemaker defaults >/dev/null 2>&1
/etc/init.d/corosync start >/dev/null 2>&1
/etc/init.d/pacemaker start >/dev/null 2>&1
pidof corosync pacemakerd >/dev/null
echo "corosync and pacemaker started on $(uname -n)"
