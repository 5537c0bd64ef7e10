#!/bin/sh
# keepalived's notify script on the lab's peer bench, as sites write one for DRBD: keepalived
# adds the VIP, then runs this. MASTER: DRBD primary, the volume mounted, named and squid started
# (one after the other, in the order hacluster lists them); a step that fails stops it, as DRBD
# refusing primary must keep the volume unmounted. BACKUP or FAULT: the reverse, every step tried.
set -u
case "${1:-}" in
  master)
    set -e
    drbdadm primary r0
    mountpoint -q /replicated || mount -t ext4 /dev/drbd0 /replicated
    /etc/init.d/named start
    /etc/init.d/squid start
    ;;
  backup | fault)
    /etc/init.d/squid stop
    /etc/init.d/named stop
    if mountpoint -q /replicated; then umount /replicated; fi
    drbdadm secondary r0
    ;;
  *)
    echo "usage: $0 master|backup|fault" >&2
    exit 2
    ;;
esac
