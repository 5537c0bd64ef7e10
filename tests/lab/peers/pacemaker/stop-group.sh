#!/bin/sh
# On one lab node, before pacemaker is removed: the group stopped where it runs (squid, named, the
# VIP, the volume, in that order), and the command returns once it has. Nothing to stop when the
# group was never created (a start that failed half-way).
set -eu
if crm_resource --resource hacluster --query-xml >/dev/null 2>&1; then
  pcs resource disable hacluster --wait=120 >/dev/null
  echo "resource group hacluster stopped"
else
  echo "no resource group hacluster"
fi
