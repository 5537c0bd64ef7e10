#!/usr/bin/env bash
# A simulated BMC per VM of the lab: OpenIPMI's ipmi_sim answering IPMI over the LAN on a
# management address, with the VM's power as its chassis. Nothing here is installed on a node.
#   bmc.sh config DIR NAME ADDRESS USER PASSWORD_FILE -- COMMAND...
#       the BMC of one VM in DIR (made if missing, kept 0700): ipmi_sim's lan.conf (0600: it
#       holds the password, read from PASSWORD_FILE, never passed on a command line), its
#       command file and state folder, and COMMAND: what "power on" runs, the VM in the
#       foreground (QEMU without -daemonize). NAME names the BMC (the node); ADDRESS is the
#       IPv4 address it listens on (port 623), which must exist where it runs.
#   bmc.sh start DIR NAMESPACE   ipmi_sim in the network namespace (its own session), its PID
#                                in DIR/ipmi_sim.pid; returns once it listens. The VM stays off.
#   bmc.sh stop DIR              ipmi_sim ended by its PID; the VM's power is left as it is,
#                                as when a real BMC restarts.
#   bmc.sh power DIR on|off|reset|status   the chassis directly, as through the BMC
#   bmc.sh chassis DIR get|set|check ...   what ipmi_sim runs for chassis commands (its
#                                          chassis_control program)
# Through the BMC, from the namespace:
#   IPMI_PASSWORD=... ipmitool -I lanplus -C 3 -H ADDRESS -U USER -E chassis power status|on|off|reset|cycle
# "off" is a power cut: the VM's process is killed with SIGKILL at once, as vm.sh's powercut
# does; "reset" is a cut then a power on; a VM whose process died by itself reads as off.
# ipmi_sim (OpenIPMI 2.0.33) does not answer "Get Channel Cipher Suites": without -C, ipmitool
# waits about 10 s for it before opening the session with suite 3.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BMC_SCRIPT=$HERE/$(basename "$0")

die() {
  echo "bmc: $*" >&2
  exit 1
}

# Paths end up in ipmi_sim's config and a shell command line it runs: plain characters only.
plain_path() { # path
  [[ $1 =~ ^/[A-Za-z0-9._/-]+$ ]] || die "$1: an absolute path of letters, digits, '.', '_', '-', '/' only"
}

config() {
  if [ $# -lt 7 ] || [ "$6" != -- ]; then
    die "usage: bmc.sh config DIR NAME ADDRESS USER PASSWORD_FILE -- COMMAND..."
  fi
  local dir=$1 name=$2 address=$3 user=$4 password_file=$5
  shift 6
  plain_path "$dir"
  plain_path "$BMC_SCRIPT"
  [[ $name =~ ^[A-Za-z0-9-]{1,32}$ ]] || die "name '$name': letters, digits and '-', at most 32"
  [[ $address =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "address '$address': an IPv4 address"
  [[ $user =~ ^[A-Za-z0-9._-]{1,16}$ ]] || die "user '$user': 1 to 16 letters, digits, '.', '_', '-'"
  [ -r "$password_file" ] || die "no password file $password_file"
  local password
  IFS= read -r password <"$password_file" || [ -n "$password" ] || die "$password_file is empty"
  # IPMI 2.0 allows 20 bytes, but ipmi_sim's RMCP+ login fails (RAKP 2 HMAC invalid) with more
  # than 16; quotes, backslashes and blanks would end lan.conf's string. The message never
  # shows the password.
  [[ $password =~ ^[A-Za-z0-9._~!@%^*+=:,/-]{1,16}$ ]] ||
    die "the password in $password_file must be 1 to 16 characters, without blanks, quotes, '#' or backslashes"

  mkdir -p "$dir"
  chmod 700 "$dir"
  rm -rf "$dir/state"
  mkdir "$dir/state"
  # The VM's command, word for word: run by "power on", and how its process is recognised.
  {
    echo '#!/usr/bin/env bash'
    printf 'exec'
    printf ' %q' "$@"
    echo
  } >"$dir/power-on"
  chmod 700 "$dir/power-on"
  printf '%s\0' "$@" >"$dir/power-on.argv"

  local conf guid
  guid=$(printf '%s' "$name" | md5sum | cut -c1-32)
  conf=$(<"$HERE/bmc/lan.conf.template")
  conf=${conf//@NAME@/$name}
  conf=${conf//@ADDRESS@/$address}
  conf=${conf//@GUID@/$guid}
  conf=${conf//@CHASSIS@/$BMC_SCRIPT chassis $dir}
  conf=${conf//@USER@/$user}
  # Builtins only from here: the password is in no process's arguments.
  conf=${conf//@PASSWORD@/$password}
  (
    umask 077
    printf '%s\n' "$conf" >"$dir/lan.conf.new"
  )
  mv -f "$dir/lan.conf.new" "$dir/lan.conf"
  cp "$HERE/bmc/bmc.emu" "$dir/bmc.emu"
  echo "$address" >"$dir/address"
}

# The VM's process, when it runs: its PID file names a process with the command's arguments.
vm_pid() { # dir
  local pid
  [ -s "$1/vm.pid" ] || return 1
  pid=$(<"$1/vm.pid")
  [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  # A zombie has an empty command line: it is off already. (Not cmp -s: it trusts file sizes,
  # and /proc reports 0.)
  [ "$(tr '\0' '\n' <"/proc/$pid/cmdline")" = "$(tr '\0' '\n' <"$1/power-on.argv")" ] || return 1
  echo "$pid"
}

same_netns() { # namespace
  [ "$(stat -L -c %i "/run/netns/$1" 2>/dev/null)" = "$(stat -L -c %i /proc/self/ns/net)" ]
}

log() { # dir message
  printf '%s %s\n' "$(date -u +%FT%T.%3NZ)" "$2" >>"$1/power.log"
}

power_on() { # dir
  local dir=$1 pid
  if pid=$(vm_pid "$dir"); then
    log "$dir" "power on: already on (pid $pid)"
    return 0
  fi
  # Detached from ipmi_sim's pipe (which waits for our output to end) and from its session; in
  # the BMC's namespace when called from outside it (bmc.sh power DIR on).
  local netns=()
  if [ -s "$dir/namespace" ] && ! same_netns "$(<"$dir/namespace")"; then
    netns=(ip netns exec "$(<"$dir/namespace")")
  fi
  setsid "${netns[@]}" "$dir/power-on" </dev/null >>"$dir/vm.log" 2>&1 &
  echo $! >"$dir/vm.pid"
  log "$dir" "power on: pid $!"
}

power_off() { # dir
  local dir=$1 pid waited=0
  if ! pid=$(vm_pid "$dir"); then
    log "$dir" "power off: already off"
    rm -f "$dir/vm.pid"
    return 0
  fi
  kill -KILL "$pid"
  while [ -e "/proc/$pid" ] && [ -n "$(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null)" ]; do
    waited=$((waited + 1))
    [ "$waited" -le 100 ] || die "pid $pid survived SIGKILL for 10 s"
    sleep 0.1
  done
  rm -f "$dir/vm.pid"
  log "$dir" "power off: pid $pid killed (SIGKILL)"
}

power() { # dir on|off|reset|status
  local dir=$1
  case "$2" in
    on) power_on "$dir" ;;
    off) power_off "$dir" ;;
    # A hard reset of a machine that is off does nothing, as on a server.
    reset) if vm_pid "$dir" >/dev/null; then
      power_off "$dir"
      power_on "$dir"
    fi ;;
    status) if vm_pid "$dir" >/dev/null; then echo on; else echo off; fi ;;
    *) die "power: on, off, reset or status" ;;
  esac
}

# ipmi_sim's chassis_control protocol (OpenIPMI lanserv/ipmi_sim_chassiscontrol):
#   get power...        prints "power:1" or "power:0"
#   set power 0|1 / set reset 1 / set boot X / set identify I F
# A failure prints its reason on stdout, which ipmi_sim logs, and exits non-zero.
chassis() { # dir op args...
  local dir=$1 op=${2:-}
  shift 2 || true
  case "$op" in
    get)
      for parm in "$@"; do
        case "$parm" in
          power) if vm_pid "$dir" >/dev/null; then echo power:1; else echo power:0; fi ;;
          boot) echo boot:default ;;
          *)
            echo "no value for $parm"
            exit 1
            ;;
        esac
      done
      ;;
    set)
      while [ $# -ge 2 ]; do
        case "$1=$2" in
          power=1) power_on "$dir" ;;
          power=0) power_off "$dir" ;;
          reset=1) power "$dir" reset ;;
          reset=0 | boot=*) ;;
          identify=*) shift ;;
          *)
            echo "unsupported: $1 $2"
            exit 1
            ;;
        esac
        shift 2
      done
      ;;
    *)
      echo "unsupported: $op"
      exit 1
      ;;
  esac
}

start() { # dir namespace
  local dir=$1 ns=$2 pid address waited=0
  [ -s "$dir/lan.conf" ] || die "no BMC configured in $dir (bmc.sh config first)"
  if [ -s "$dir/ipmi_sim.pid" ] && [ -e "/proc/$(<"$dir/ipmi_sim.pid")" ]; then
    die "the BMC of $dir already runs (pid $(<"$dir/ipmi_sim.pid"))"
  fi
  address=$(<"$dir/address")
  echo "$ns" >"$dir/namespace"
  # -n: no console on stdio; -s: its persistent state (users...) in DIR, not /var/ipmi_sim.
  setsid ip netns exec "$ns" ipmi_sim -n -c "$dir/lan.conf" -f "$dir/bmc.emu" -s "$dir/state" \
    </dev/null >>"$dir/ipmi_sim.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/ipmi_sim.pid"
  until ip netns exec "$ns" ss -Hlun "src $address:623" | grep -q .; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bmc: ipmi_sim for $dir ended at start; its log:" >&2
      tail -n 20 "$dir/ipmi_sim.log" >&2 || true
      rm -f "$dir/ipmi_sim.pid"
      exit 1
    fi
    waited=$((waited + 1))
    [ "$waited" -le 100 ] || die "ipmi_sim for $dir does not listen on $address:623 after 10 s"
    sleep 0.1
  done
  # setsid forks when it leads a process group (an interactive shell's job): then $! is not it.
  [ "$(cat "/proc/$pid/comm")" = ipmi_sim ] || die "pid $pid is not ipmi_sim; run bmc.sh from a script"
}

stop() { # dir
  local dir=$1 pid waited=0
  [ -s "$dir/ipmi_sim.pid" ] || return 0
  pid=$(<"$dir/ipmi_sim.pid")
  if [ -e "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ipmi_sim ]; then
    kill -TERM "$pid" 2>/dev/null || true
    while [ -e "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ipmi_sim ]; do
      waited=$((waited + 1))
      if [ "$waited" -eq 50 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  fi
  rm -f "$dir/ipmi_sim.pid"
}

case "${1:-}" in
  config)
    shift
    config "$@"
    ;;
  start) start "${2:?DIR}" "${3:?NAMESPACE}" ;;
  stop) stop "${2:?DIR}" ;;
  power) power "${2:?DIR}" "${3:?on|off|reset|status}" ;;
  chassis)
    shift
    chassis "$@"
    ;;
  *)
    echo "usage: bmc.sh config DIR NAME ADDRESS USER PASSWORD_FILE -- COMMAND... | start DIR NAMESPACE | stop DIR | power DIR on|off|reset|status" >&2
    exit 2
    ;;
esac
