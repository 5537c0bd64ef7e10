#!/bin/sh
# On a lab node: where pacemaker says the group runs ("resource hacluster is running on: NODE").
set -eu
timeout 10 crm_resource --resource hacluster --locate
