#!/bin/sh
# On a lab node: the cluster as pacemaker sees it from there, in crm_mon's XML. Bounded: crm_mon
# can wait for a pacemaker that is still starting.
set -eu
timeout 10 crm_mon --one-shot --output-as=xml
