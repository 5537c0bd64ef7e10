#!/bin/sh
# On proxycl1: corosync's config as Clusters from Scratch makes it, with `pcs cluster setup` and
# nothing but the nodes: knet, crypto, two_node quorum and every totem timer at corosync's default
# (token 3000 ms, consensus 1.2 × token); and its key. Local mode (--corosync_conf) because pcsd,
# which would copy both to the nodes, is not run in the lab: printed, base64, one per line, for the
# lab to copy to both nodes (install-conf.sh).
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pcs cluster setup hacluster-lab \
  proxycl1 addr=172.16.250.101 \
  proxycl2 addr=172.16.250.102 \
  --corosync_conf "$dir/corosync.conf" >/dev/null 2>&1
corosync-keygen -k "$dir/authkey" >/dev/null 2>&1
base64 -w0 "$dir/corosync.conf"
echo
base64 -w0 "$dir/authkey"
echo
