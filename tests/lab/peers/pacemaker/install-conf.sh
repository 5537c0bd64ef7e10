#!/bin/sh
# On a lab node: corosync.conf and its key from stdin (two base64 lines, from corosync-conf.sh),
# the package's own corosync.conf kept aside for remove.sh to put back.
set -eu
read -r conf
read -r key
if [ ! -e /etc/corosync/corosync.conf.before-peer-bench ]; then
  cp -p /etc/corosync/corosync.conf /etc/corosync/corosync.conf.before-peer-bench
fi
echo "$conf" | base64 -d >/etc/corosync/corosync.conf
(umask 077 && echo "$key" | base64 -d >/etc/corosync/authkey)
echo "corosync.conf and authkey installed on $(uname -n)"
