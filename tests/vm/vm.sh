#!/usr/bin/env bash
# The VM lab's machinery: two Debian VMs (QEMU, software emulation) on a private network
# namespace, with the original address plan. Nothing here is installed on a real node.
# One lab per distro, each with its own namespace (hacl-vm-DISTRO) and state (a tmpfs at
# /run/hacluster-vm/DISTRO), so that trixie's and bookworm's can run side by side. `up` names
# its distro; every other command acts on HACL_VM_DISTRO's lab, or on the one lab that is up.
#   vm.sh up DISTRO       image (cached), namespace, bridges, taps, disks, package repository,
#                         both VMs booted; returns once both answer SSH (DISTRO: trixie|bookworm)
#   vm.sh powercut NODE   a power cut: the node's QEMU killed (SIGKILL); its disks are kept
#   vm.sh boot NODE       power on again through its BMC (same disks), unless it is on already;
#                         returns once the node answers SSH
#   vm.sh wait NODE       returns once the node answers SSH (after a reboot, a fencing reset)
#   vm.sh poweron NODE    presses the power button (through its BMC) and returns
#   vm.sh cut NODE LINK.. a link pulled: lan, crossover (its switch port down), serial (the
#                         null-modem cable), all (the three); the management NIC stays
#   vm.sh mend NODE LINK.. the link plugged back in
#   vm.sh status          which VMs run, which answer SSH (every lab that is up, unless told)
#   vm.sh ssh NODE [CMD]  root on a node, from the namespace, its host key pinned
#   vm.sh down            every process it started killed (by PID), namespace and state removed;
#                         every lab's, unless HACL_VM_DISTRO names one
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=nodes.sh
. "$HERE/nodes.sh"
ROOT=${HACL_VM_ROOT:-/run/hacluster-vm}
DISTROS=(trixie bookworm)
# Boot to SSH takes 30-40 s under emulation; much more means something is wrong.
SSH_WAIT=${HACL_VM_SSH_WAIT:-240}
DRBD_DISK_SIZE=512M
# The BMC user the nodes fence each other as (tests/vm/vm-lab.ts has the same).
BMC_USER=fence
# QEMU's own emulator: /dev/kvm on this project's machines (kvm_pvm) cannot run Debian's kernel.
# Where KVM really works: HACL_VM_ACCEL=kvm HACL_VM_CPU=host.
ACCEL=${HACL_VM_ACCEL:-tcg,thread=multi,tb-size=256}
CPU=${HACL_VM_CPU:-max}

# The lab of a distro: its state folder and namespace.
select_lab() { # distro
  case "$1" in
    bookworm | trixie) ;;
    *)
      echo "vm lab: no such distro '$1' (trixie or bookworm)" >&2
      exit 2
      ;;
  esac
  DISTRO=$1
  STATE=$ROOT/$1
  NS=hacl-vm-$1
}

# The distros whose lab is up, or part way up (its state folder or namespace exists).
labs_present() {
  local d
  for d in "${DISTROS[@]}"; do
    if [ -e "$ROOT/$d" ] || ip netns list | grep -qw "hacl-vm-$d"; then echo "$d"; fi
  done
}

# The lab a command acts on: HACL_VM_DISTRO's, or the only one there is.
select_current_lab() {
  if [ -n "${HACL_VM_DISTRO:-}" ]; then
    select_lab "$HACL_VM_DISTRO"
    return
  fi
  local present
  mapfile -t present < <(labs_present)
  case "${#present[@]}" in
    1) select_lab "${present[0]}" ;;
    0)
      echo "vm lab: no VM lab is up (npm run lab -- --distro trixie|bookworm)" >&2
      exit 1
      ;;
    *)
      echo "vm lab: the labs of ${present[*]} are up: say which (--distro, or HACL_VM_DISTRO)" >&2
      exit 2
      ;;
  esac
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ssh's options to a node: the lab's key, the node's host key pinned. Words with no spaces.
ssh_args() { # node
  echo -i "$STATE/lab_key" -o "UserKnownHostsFile=$STATE/known_hosts" \
    -o StrictHostKeyChecking=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
    "root@$(vm_mgmt_ip "$1")"
}

up() {
  local distro=${1:-}
  case "$distro" in
    bookworm | trixie) select_lab "$distro" ;;
    *)
      echo "usage: $0 up bookworm|trixie" >&2
      exit 2
      ;;
  esac
  if [ -e "$STATE" ] || ip netns list | grep -qw "$NS"; then
    echo "vm lab: the $distro lab is up already (vm.sh down first)" >&2
    exit 1
  fi
  local image
  image=$("$HERE/build-image.sh" "$distro")
  mkdir -p "$STATE"
  mountpoint -q "$STATE" || mount -t tmpfs -o size=6g,mode=700 "hacluster-vm-$distro" "$STATE"
  echo "$distro" >"$STATE/distro"
  echo "$image" >"$STATE/image"
  # The tests' ssh keeps one connection per node and address here (tests/lab/runner.ts).
  mkdir -m 700 "$STATE/ssh"

  # Keys: the lab's client key, and each VM's own host key, pinned before it boots.
  ssh-keygen -q -t ed25519 -N '' -C hacluster-vm-lab -f "$STATE/lab_key"
  : >"$STATE/known_hosts"
  for node in "${VM_NODES[@]}"; do
    mkdir -p "$STATE/$node"
    ssh-keygen -q -t ed25519 -N '' -C "root@$node" -f "$STATE/$node/host_key"
    # Pinned on both addresses: the program comes in on the LAN, the lab's own probes on the
    # management network, which no cluster test ever cuts.
    echo "$(vm_public_ip "$node"),$(vm_mgmt_ip "$node") $(cut -d' ' -f1,2 "$STATE/$node/host_key.pub")" \
      >>"$STATE/known_hosts"
    # Disks: the root filesystem, an overlay on the cached image (which stays as it is), and
    # the DRBD backing disk, one partition on a GPT disk (the program refuses whole disks).
    qemu-img create -q -f qcow2 -b "$image/root.qcow2" -F qcow2 "$STATE/$node/root.qcow2"
    truncate -s "$DRBD_DISK_SIZE" "$STATE/$node/drbd.raw"
    printf 'label: gpt\n,,L\n' | sfdisk -q "$STATE/$node/drbd.raw" >/dev/null
  done

  # The namespace: the LAN bridge (172.16.250.254: client, ping node, package repository) and
  # the crossover bridge (no address, jumbo frames), one tap per VM on each. Nothing in the
  # root namespace, no default route anywhere: lab traffic stays in the lab.
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip -n "$NS" link add br-lan type bridge
  ip -n "$NS" link add br-priv type bridge
  ip -n "$NS" link add br-mgmt type bridge
  for node in "${VM_NODES[@]}"; do
    local i
    i=$(vm_index "$node")
    ip -n "$NS" tuntap add dev "vm$i-lan" mode tap
    ip -n "$NS" tuntap add dev "vm$i-priv" mode tap
    ip -n "$NS" tuntap add dev "vm$i-mgmt" mode tap
    ip -n "$NS" link set "vm$i-lan" master br-lan up
    ip -n "$NS" link set "vm$i-priv" mtu 9000 master br-priv up
    ip -n "$NS" link set "vm$i-mgmt" master br-mgmt up
    # Each VM's BMC answers on the management network.
    ip -n "$NS" addr add "$(vm_bmc_ip "$node")/24" dev br-mgmt
  done
  ip -n "$NS" link set br-priv mtu 9000 up
  ip -n "$NS" addr add "$VM_LAN_HOST/24" dev br-lan
  ip -n "$NS" link set br-lan up
  ip -n "$NS" link set br-mgmt up

  # The package repository, served on the LAN.
  setsid ip netns exec "$NS" /usr/bin/python3 -m http.server 80 --bind "$VM_LAN_HOST" \
    --directory "$image/repo" >"$STATE/repo.log" 2>&1 </dev/null &
  echo $! >"$STATE/repo.pid"

  local started
  started=$(now)
  # The BMCs' password: the lab's own, in no stack and on no command line. 16 characters:
  # ipmi_sim's RMCP+ login fails with a 20-character one (RAKP 2 HMAC invalid).
  (umask 077 && head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/bmc-password")
  for node in "${VM_NODES[@]}"; do start_bmc "$node"; done
  for node in "${VM_NODES[@]}"; do start_vm "$node"; done
  # The null-modem cable: as a real one, it holds no byte an end does not read (tests/vm/cable.py).
  setsid /usr/bin/python3 "$HERE/cable.py" "$STATE/proxycl1/serial.sock" \
    "$STATE/proxycl2/serial.sock" "$STATE/serial.cut" >"$STATE/cable.log" 2>&1 </dev/null &
  echo $! >"$STATE/cable.pid"
  local pids=() failed=0
  for node in "${VM_NODES[@]}"; do
    wait_ssh "$node" "$started" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  if [ "$failed" = 1 ]; then exit 1; fi
  touch "$STATE/up"
}

# A node's QEMU command, one word a line, in the foreground: its BMC runs it on "power on".
qemu_command() { # node
  local node=$1 i d image
  i=$(vm_index "$node")
  d=$STATE/$node
  image=$(cat "$STATE/image")
  # PCI slots fix the guest's names: the crossover NIC (slot 3) is eth0, the LAN NIC (slot 4)
  # eth1, as in Pulumi.lab.yaml, the management NIC (slot 8) eth2; the root disk is vda, the
  # DRBD disk vdb. ttyS1 listens on a socket; the cable (tests/vm/cable.py) joins the two VMs'.
  printf '%s\n' qemu-system-x86_64 \
    -name "$node,process=hacl-${DISTRO:0:1}-$node" \
    -nodefaults -no-user-config -display none \
    -machine pc -accel "$ACCEL" -cpu "$CPU" -smp 1 -m 1024 \
    -rtc base=utc \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0,115200 net.ifnames=0 systemd.hostname=$node" \
    -netdev "tap,id=priv,ifname=vm$i-priv,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=priv,mac=$(vm_private_mac "$node"),addr=0x3" \
    -netdev "tap,id=lan,ifname=vm$i-lan,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=lan,mac=$(vm_public_mac "$node"),addr=0x4" \
    -netdev "tap,id=mgmt,ifname=vm$i-mgmt,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=mgmt,mac=$(vm_mgmt_mac "$node"),addr=0x8" \
    -drive "if=none,id=root,file=$d/root.qcow2,format=qcow2,discard=unmap" \
    -device virtio-blk-pci,drive=root,serial=hacl-root,addr=0x5 \
    -drive "if=none,id=drbd,file=$d/drbd.raw,format=raw" \
    -device virtio-blk-pci,drive=drbd,serial=hacl-drbd,addr=0x6 \
    -object rng-random,id=rng,filename=/dev/urandom \
    -device virtio-rng-pci,rng=rng,addr=0x7 \
    -chardev "socket,id=console,path=$d/console.sock,server=on,wait=off,logfile=$d/console.log,logappend=on" \
    -serial chardev:console \
    -chardev "socket,id=nullmodem,path=$d/serial.sock,server=on,wait=off" -serial chardev:nullmodem \
    -qmp "unix:$d/qmp.sock,server=on,wait=off" \
    -fw_cfg "name=opt/hacluster-lab/host_key,file=$d/host_key" \
    -fw_cfg "name=opt/hacluster-lab/host_key.pub,file=$d/host_key.pub" \
    -fw_cfg "name=opt/hacluster-lab/authorized_keys,file=$STATE/lab_key.pub" \
    -pidfile "$d/qemu.pid"
}

# A node's BMC (tests/vm/bmc.sh: ipmi_sim on the management network), holding its power.
start_bmc() { # node
  local node=$1 command
  mapfile -t command < <(qemu_command "$node")
  "$HERE/bmc.sh" config "$STATE/$node/bmc" "$node" "$(vm_bmc_ip "$node")" "$BMC_USER" \
    "$STATE/bmc-password" -- "${command[@]}"
  "$HERE/bmc.sh" start "$STATE/$node/bmc" "$NS"
}

# Presses the node's power button: its BMC starts QEMU, with its disks as they are.
start_vm() { # node
  local node=$1
  if alive "$node"; then
    echo "vm lab: $node is already running" >&2
    return 1
  fi
  rm -f "$STATE/$node/qemu.pid"
  "$HERE/bmc.sh" power "$STATE/$node/bmc" on
  local waited=0
  until [ -s "$STATE/$node/qemu.pid" ]; do
    waited=$((waited + 1))
    if [ "$waited" -gt 300 ]; then
      echo "vm lab: $node's QEMU did not start; it said:" >&2
      tail -n 20 "$STATE/$node/bmc/vm.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# The node's QEMU runs: its PID file names a live QEMU process.
alive() { # node
  local pidfile=$STATE/$1/qemu.pid pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$STATE/$1/root.qcow2"
}

wait_ssh() { # node started
  local node=$1 started=$2 deadline
  deadline=$(($(date +%s) + SSH_WAIT))
  # A node waited for has been off or rebooted: a connection kept from before would hang.
  end_connections "$node"
  # shellcheck disable=SC2046 # ssh_args is a list of words
  until ip netns exec "$NS" ssh -o BatchMode=yes $(ssh_args "$node") true 2>/dev/null; do
    if ! alive "$node"; then
      echo "vm lab: $node's QEMU is gone; its console said:" >&2
      tail -n 30 "$STATE/$node/console.log" >&2 || true
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "vm lab: $node does not answer SSH after $SSH_WAIT s; its console said:" >&2
      tail -n 30 "$STATE/$node/console.log" >&2 || true
      echo "vm lab: the whole console is $STATE/$node/console.log; vm.sh down when done" >&2
      return 1
    fi
    sleep 1
  done
  echo "vm lab: $node answers SSH, $(since "$started") s after power on" >&2
}

powercut() { # node
  local node=$1 pid
  vm_index "$node" >/dev/null
  if ! alive "$node"; then
    echo "vm lab: $node is not running" >&2
    return 1
  fi
  pid=$(cat "$STATE/$node/qemu.pid")
  kill -KILL "$pid"
  while [ -e "/proc/$pid" ]; do sleep 0.1; done
  rm -f "$STATE/$node/qemu.pid"
  end_connections "$node"
}

# The tests' kept SSH connections to a node that lost power or rebooted: ended now, not at their
# keep-alive timeout, so that the next session to it fails (or connects) as a new one would.
end_connections() { # node
  local sock
  for sock in "$STATE/ssh/root@$(vm_mgmt_ip "$1"):"* "$STATE/ssh/root@$(vm_public_ip "$1"):"*; do
    [ -S "$sock" ] || continue
    ssh -o ControlPath="$sock" -O exit "$1" 2>/dev/null || true
  done
}

# Pulls (down) or plugs back (up) one of a node's links.
link() { # node lan|crossover|serial|all up|down
  local node=$1 which=$2 state=$3
  vm_index "$node" >/dev/null
  case "$which" in
    # The switch port (the tap) goes down: it stays so across the VM's power cycles, as a pulled
    # cable does, where QEMU's own link state would come back with the next power on.
    lan | crossover)
      local tap=lan
      [ "$which" = crossover ] && tap=priv
      ip -n "$NS" link set "vm$(vm_index "$node")-$tap" "$state"
      ;;
    serial)
      if [ "$state" = down ]; then
        touch "$STATE/serial.cut"
        # cable.py looks for the marker every 50 ms: once this returns, nothing passes.
        sleep 0.2
      else
        rm -f "$STATE/serial.cut"
      fi
      ;;
    all) for l in lan crossover serial; do link "$node" "$l" "$state"; done ;;
    *)
      echo "vm lab: unknown link '$which' (lan, crossover, serial, all)" >&2
      return 2
      ;;
  esac
}

boot() { # node
  local node=$1 started
  vm_index "$node" >/dev/null
  started=$(now)
  # Its peer's fencing may have powered it on already (external/ipmi's reset of a node that is
  # off is a power on): then only wait for it.
  if alive "$node"; then
    echo "vm lab: $node is on already (its BMC powered it on)" >&2
  else
    start_vm "$node"
  fi
  wait_ssh "$node" "$started"
}

status() {
  local labs
  if [ -n "${HACL_VM_DISTRO:-}" ]; then labs=("$HACL_VM_DISTRO"); else mapfile -t labs < <(labs_present); fi
  if [ "${#labs[@]}" -eq 0 ]; then
    echo "no VM lab is up"
    return 0
  fi
  local lab
  for lab in "${labs[@]}"; do
    select_lab "$lab"
    if [ ! -e "$STATE/distro" ]; then
      echo "VM lab $lab: down"
      continue
    fi
    echo "VM lab $lab: $(cat "$STATE/image"), namespace $NS"
    for node in "${VM_NODES[@]}"; do
      local state=off
      if alive "$node"; then
        state="running (QEMU PID $(cat "$STATE/$node/qemu.pid"))"
        # shellcheck disable=SC2046
        if ip netns exec "$NS" ssh -o BatchMode=yes $(ssh_args "$node") true 2>/dev/null; then
          state="$state, answers SSH"
        else
          state="$state, no SSH"
        fi
      fi
      echo "  $node ($(vm_public_ip "$node") / $(vm_private_ip "$node")): $state"
    done
  done
}

ssh_to() { # node [command...]
  local node=$1
  shift
  # shellcheck disable=SC2046
  exec ip netns exec "$NS" ssh $(ssh_args "$node") "$@"
}

# Takes down the lab of STATE and NS.
down_lab() {
  local pid
  # The BMCs first, so that none powers a VM on again.
  for node in "${VM_NODES[@]}"; do
    if [ -d "$STATE/$node/bmc" ]; then "$HERE/bmc.sh" stop "$STATE/$node/bmc"; fi
  done
  for node in "${VM_NODES[@]}"; do
    if alive "$node"; then
      pid=$(cat "$STATE/$node/qemu.pid")
      kill -KILL "$pid" 2>/dev/null || true
      while [ -e "/proc/$pid" ]; do sleep 0.1; done
    fi
  done
  if [ -s "$STATE/repo.pid" ]; then kill -KILL "$(cat "$STATE/repo.pid")" 2>/dev/null || true; fi
  if [ -s "$STATE/cable.pid" ]; then kill -KILL "$(cat "$STATE/cable.pid")" 2>/dev/null || true; fi
  if ip netns list | grep -qw "$NS"; then
    # Whatever else still runs in the lab's namespace was started by the lab (kept SSH
    # connections among them).
    for pid in $(ip netns pids "$NS"); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.2
    ip netns del "$NS"
  fi
  if mountpoint -q "$STATE"; then umount "$STATE"; fi
  if [ -d "$STATE" ]; then rmdir "$STATE"; fi
}

# Every lab is taken down even when one's down fails (a shell still in its state, say); the
# failure is the exit status. Each in a subshell run apart and waited for: one tested with ||
# would run with set -e off, past a failed step.
down() {
  local lab failed=0
  if [ -n "${HACL_VM_DISTRO:-}" ]; then
    select_lab "$HACL_VM_DISTRO"
    down_lab &
    wait $! || failed=1
  else
    for lab in "${DISTROS[@]}"; do
      select_lab "$lab"
      down_lab &
      wait $! || failed=1
    done
    # A lab of an earlier release: one namespace, its state a tmpfs at the root itself.
    if mountpoint -q "$ROOT" || ip netns list | grep -qw hacl-vm-lab; then
      STATE=$ROOT NS=hacl-vm-lab down_lab &
      wait $! || failed=1
    fi
  fi
  if [ -d "$ROOT" ] && [ -z "$(ls -A "$ROOT")" ]; then rmdir "$ROOT"; fi
  return "$failed"
}

case "${1:-}" in
  up | status | down) ;;
  *) select_current_lab ;;
esac
case "${1:-}" in
  up) up "${2:-}" ;;
  powercut) powercut "${2:?node}" ;;
  boot) boot "${2:?node}" ;;
  wait) wait_ssh "${2:?node}" "$(now)" ;;
  poweron) start_vm "${2:?node}" ;;
  cut | mend)
    [ "$1" = cut ] && state=down || state=up
    : "${3:?link: lan, crossover, serial or all}"
    for l in "${@:3}"; do link "${2:?node}" "$l" "$state"; done
    ;;
  status) status ;;
  ssh)
    shift
    ssh_to "${1:?node}" "${@:2}"
    ;;
  down) down ;;
  *)
    echo "usage: $0 up DISTRO | powercut NODE | boot NODE | cut|mend NODE LINK... | status | ssh NODE [CMD] | down" >&2
    exit 2
    ;;
esac
