#!/bin/sh
# On proxycl1 once both nodes are online: the resources, with pcs, as Clusters from Scratch
# configures them: fencing off for want of a fence device (the lab has none, as hacluster's
# stonith none), stickiness 100 so that a node coming back does not take the services back, the
# operation timeout default 240 s, and the monitor intervals it gives. One group, started in order
# and stopped in reverse: the volume, the VIP, named, squid. named and squid are Debian's init
# scripts (lsb:), the ones hacluster and keepalived run too.
set -eu
pcs property set stonith-enabled=false
pcs resource defaults update resource-stickiness=100
pcs resource op defaults update timeout=240s
pcs resource create replicated ocf:heartbeat:Filesystem \
  device=/dev/drbd0 directory=/replicated fstype=ext4 --group hacluster
pcs resource create vip ocf:heartbeat:IPaddr2 \
  ip=172.16.250.103 cidr_netmask=24 op monitor interval=30s --group hacluster
pcs resource create named lsb:named op monitor interval=1min --group hacluster
pcs resource create squid lsb:squid op monitor interval=1min --group hacluster
echo "resource group hacluster configured"
