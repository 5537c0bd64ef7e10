#!/bin/sh
# On a lab node, the group already stopped (`pcs resource disable`): pacemaker and corosync
# stopped and their configuration removed by `pcs cluster destroy`, ClusterLabs' way; the
# package's corosync.conf put back, their boot links and what state destroy leaves removed.
set -eu
pcs cluster destroy >/dev/null 2>&1
if [ -e /etc/corosync/corosync.conf.before-peer-bench ]; then
  mv /etc/corosync/corosync.conf.before-peer-bench /etc/corosync/corosync.conf
fi
rm -rf /var/lib/corosync/* /var/lib/pacemaker/pengine/*
update-rc.d -f pacemaker remove >/dev/null 2>&1
update-rc.d -f corosync remove >/dev/null 2>&1
if pidof corosync pacemakerd >/dev/null; then
  echo "corosync or pacemaker still runs on $(uname -n)" >&2
  exit 1
fi
echo "pacemaker and corosync removed from $(uname -n)"
