#!/usr/bin/env bash
# The lab's machinery: network namespaces, disks and the two nodes' boot. Nothing here is
# installed on a real node; the product's steps are applied over SSH by tests/lab/lab.ts.
#   topology.sh up          build the LAN, the private link, the disks, and boot both nodes
#   topology.sh crash NODE  a power cut: off the network, every process killed, memory lost
#   topology.sh boot NODE   power on again: the node boots and starts what is enabled at boot
#   topology.sh down        stop every process of the lab, delete namespaces, loops and state
set -euo pipefail

LAB=/run/hacluster-lab
HERE=$(cd "$(dirname "$0")" && pwd)
NODES=(proxycl1 proxycl2)
ns() { echo "hacl-$1"; }

up() {
  if [ -e "$LAB/up" ]; then
    echo "lab: already up (topology.sh down first)" >&2
    exit 1
  fi
  mkdir -p "$LAB"
  mountpoint -q "$LAB" || mount -t tmpfs -o size=3g,mode=700 hacluster-lab "$LAB"
  mkdir -p "$LAB/drbd-standin"

  # The LAN: a bridge in the ctl namespace, which is also the ping node, gateway and client.
  # Nothing is added to the root namespace and no namespace has a default route.
  ip netns add "$(ns ctl)"
  ip -n "$(ns ctl)" link set lo up
  ip -n "$(ns ctl)" link add br0 type bridge
  ip -n "$(ns ctl)" addr add 172.16.250.254/24 dev br0
  ip -n "$(ns ctl)" link set br0 up
  local i=0
  for node in "${NODES[@]}"; do
    i=$((i + 1))
    ip netns add "$(ns "$node")"
    ip -n "$(ns "$node")" link set lo up
    ip -n "$(ns ctl)" link add "lan$i" type veth peer name eth1 netns "$(ns "$node")"
    ip -n "$(ns ctl)" link set "lan$i" master br0 up
    ip -n "$(ns "$node")" addr add "172.16.250.10$i/24" dev eth1
    ip -n "$(ns "$node")" link set eth1 up
  done
  # The private crossover link. Its MTU stays 1500: the product's network step sets 9000.
  ip -n "$(ns proxycl1)" link add eth0 type veth peer name eth0 netns "$(ns proxycl2)"
  ip -n "$(ns proxycl1)" addr add 192.168.0.1/24 dev eth0
  ip -n "$(ns proxycl2)" addr add 192.168.0.2/24 dev eth0
  ip -n "$(ns proxycl1)" link set eth0 up
  ip -n "$(ns proxycl2)" link set eth0 up

  # DRBD STAND-IN disks: each node's own backing partition (real DRBD metadata goes there),
  # and ONE shared volume that both nodes see as /dev/drbd0 in place of replication.
  truncate -s 64M "$LAB/shared-volume.img"
  losetup -f --show "$LAB/shared-volume.img" >"$LAB/shared.loop"
  for node in "${NODES[@]}"; do
    truncate -s 64M "$LAB/$node-backing.img"
    losetup -f --show "$LAB/$node-backing.img" >"$LAB/$node.loop"
  done

  ssh-keygen -q -t ed25519 -N '' -C hacluster-lab -f "$LAB/lab_key"
  : >"$LAB/known_hosts"
  for node in "${NODES[@]}"; do boot_node "$node" "$(index_of "$node")"; done
  for node in "${NODES[@]}"; do
    wait_booted "$node"
    echo "172.16.250.10$(index_of "$node") $(cut -d' ' -f1,2 "$LAB/$node/host_key.pub")" >>"$LAB/known_hosts"
  done
  touch "$LAB/up"
}

boot_node() { # node index
  local node=$1 i=$2
  mkdir -p "$LAB/$node/upper" "$LAB/$node/work" "$LAB/$node/root"
  rm -f "$LAB/$node/host_key.pub"
  setsid ip netns exec "$(ns "$node")" unshare --mount --uts --pid --fork --propagation private \
    "$HERE/node-boot.sh" "$node" "172.16.250.10$i" "$(cat "$LAB/$node.loop")" "$(cat "$LAB/shared.loop")" \
    >>"$LAB/$node/boot.log" 2>&1 </dev/null &
  echo $! >"$LAB/$node/pid"
}

wait_booted() { # node
  local tries=0
  until [ -s "$LAB/$1/host_key.pub" ] || [ "$tries" -ge 100 ]; do sleep 0.1; tries=$((tries + 1)); done
  if [ ! -s "$LAB/$1/host_key.pub" ]; then
    echo "lab: $1 did not boot:" >&2
    cat "$LAB/$1/boot.log" >&2
    exit 1
  fi
}

index_of() { if [ "$1" = proxycl1 ]; then echo 1; else echo 2; fi; }

# A node lost as a power cut loses it: off the network, every process gone, nothing it held in
# memory kept (the VIP on its interface, DRBD's role). Its disk (the overlay) stays.
crash() {
  local node=$1
  ip -n "$(ns "$node")" link set eth1 down
  ip -n "$(ns "$node")" link set eth0 down
  # shellcheck disable=SC2046
  kill -KILL $(ip netns pids "$(ns "$node")") 2>/dev/null || true
  ip -n "$(ns "$node")" addr flush dev eth1 scope global
  ip -n "$(ns "$node")" addr add "172.16.250.10$(index_of "$node")/24" dev eth1
  if [ -f "$LAB/drbd-standin/$node" ]; then
    sed -i 's/^up=.*/up=0/; s/^role=.*/role=Secondary/' "$LAB/drbd-standin/$node"
  fi
}

# The node powers on: links up, then it boots and starts what is enabled at boot.
boot() {
  local node=$1
  ip -n "$(ns "$node")" link set eth1 up
  ip -n "$(ns "$node")" link set eth0 up
  boot_node "$node" "$(index_of "$node")"
  wait_booted "$node"
}

down() {
  for node in "${NODES[@]}" ctl; do
    local name
    name=$(ns "$node")
    if ip netns list | grep -qw "$name"; then
      # shellcheck disable=SC2046
      kill -KILL $(ip netns pids "$name") 2>/dev/null || true
    fi
  done
  for node in "${NODES[@]}"; do
    if [ -s "$LAB/$node/pid" ]; then kill -KILL "$(cat "$LAB/$node/pid")" 2>/dev/null || true; fi
  done
  sleep 0.2
  for node in "${NODES[@]}" ctl; do
    if ip netns list | grep -qw "$(ns "$node")"; then ip netns del "$(ns "$node")"; fi
  done
  for f in "$LAB"/*.loop; do
    [ -e "$f" ] || continue
    losetup -d "$(cat "$f")" 2>/dev/null || true
  done
  if mountpoint -q "$LAB"; then umount "$LAB"; fi
  rmdir "$LAB" 2>/dev/null || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  crash) crash "$2" ;;
  boot) boot "$2" ;;
  *) echo "usage: $0 up|down|crash NODE|boot NODE" >&2; exit 2 ;;
esac
